// bench/unit_turns_rt.js - round trips the event loop waits for in a turn that writes more than
// its save (issue 18, docs/scaling.md "Turns that write something else"): a request for an
// officer, its cancel, a checklist page, a vote by quick reply, and a vote by WebSocket frame
// (not a turn: "ws_vote", compared with "base"). On PostgreSQL: run under a throwaway cluster,
//   tests/lib/pg.sh node bench/unit_turns_rt.js [clients]
// For each conversation one server (one worker) is started, `clients` WebSockets run it one
// after another, and the server's `event=state.stats` at exit gives round_trips and
// served_turns. The conversation without the turn measured ("base") is run too: the turn's
// round trips are (round_trips - base's) / clients (a vote's: vote's - checklist's); the
// checklist's walk is compared whole between two builds (its other turns are plain turns in
// both).
'use strict';
const { startServer, Client } = require('../tests/e2e/lib/server');
const { walkToChecklist } = require('../tests/e2e/lib/precheck');

const N = Number(process.argv[2] || 20);

// Each resolves when the conversation's last reply arrived.
const conversations = {
  async base(c) {
    await c.hello(null, 'web');
    await c.say('làm lại căn cước bị mất', 'b1');
  },
  async request(c) {
    await conversations.base(c);
    await c.say('cho tôi gặp cán bộ', 'r1');
  },
  async cancel(c) {
    await conversations.request(c);
    c.send({ type: 'postback', payload: 'handoff:cancel', id: 'c1' });
    await c.nextReply();
  },
  // a cancel with nothing to cancel (an old button tapped again): this node knows the
  // session with the bot since the first turn read its handoff state
  async idle_cancel(c) {
    await conversations.base(c);
    c.send({ type: 'postback', payload: 'handoff:cancel', id: 'c1' });
    const r = await c.nextReply();
    if (!/Trợ lý tự động đang hỗ trợ bạn/.test(JSON.stringify(r))) throw new Error('not the bot: ' + JSON.stringify(r));
  },
  // a birth registration's pre-check walked to its checklist (share.test.js): the last turn
  // makes the checklist page; the others are plain turns
  async checklist(c) {
    await c.hello(null, 'web');
    const r = await walkToChecklist(c);
    if (!r.checklist || !r.checklist.share_url) throw new Error('no checklist page');
  },
  // the checklist's reply asks "Có giúp được bạn không?"; the answer is Messenger's and
  // Zalo's quick reply (feedback.h), sent here as a WebSocket postback: the same turn path
  async vote(c) {
    await conversations.checklist(c);
    c.send({ type: 'postback', payload: 'feedback:up', id: 'v1' });
    const r = await c.nextReply();
    if (!/Cảm ơn/.test(JSON.stringify(r))) throw new Error('no thanks: ' + JSON.stringify(r));
  },
  // a vote by WebSocket frame (feedback.h) on the answer just given: not a turn, its own
  // write; its round trips are ws_vote's - base's
  async ws_vote(c) {
    await conversations.base(c);
    c.send({ type: 'feedback', reply_to: 'b1', vote: 'up' });
    const r = await c.nextReply();
    if (r.type !== 'feedback_ack') throw new Error('no ack: ' + JSON.stringify(r));
  },
};

async function measure(name) {
  const srv = await startServer({ env: { MOTCUA_HANDOFF_ENABLED: '1' } });
  for (let i = 0; i < N; i++) {
    const c = await Client.connect(srv.wsUrl);
    await conversations[name](c);
    await new Promise((r) => setTimeout(r, 30)); // the last commit lands before the close
    await c.close();
  }
  await srv.stop();
  const m = /event=state\.stats .*served_turns=(\d+) .*round_trips=(\d+)/.exec(srv.logs());
  if (!m) throw new Error('no state.stats line');
  return { turns: Number(m[1]), rt: Number(m[2]) };
}

(async () => {
  const out = {};
  for (const name of ['base', 'request', 'cancel', 'idle_cancel', 'checklist', 'vote', 'ws_vote']) out[name] = await measure(name);
  for (const [name, r] of Object.entries(out)) {
    const before = { request: 'base', cancel: 'request', idle_cancel: 'base', vote: 'checklist', ws_vote: 'base' }[name];
    const extra = before ? ` | its turn: ${((r.rt - out[before].rt) / N).toFixed(2)} round trips`
      : ` | ${(r.rt / N).toFixed(2)} round trips a conversation`;
    console.log(`${name}: ${r.rt} round trips, ${r.turns} turns (${N} conversations)${extra}`);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
