// bench/feed_events_rt.js - round trips the event loop waits for per handoff event pushed
// (issue 18, docs/scaling.md "Cross-node events"): one server (one worker), an officer's
// WebSocket open, and `conversations` handoffs run one after another: the citizen asks for an
// officer (event "pending"), the officer claims it ("claimed"), the citizen writes `messages`
// messages ("message" each), the officer answers ("message") and releases ("released"). Each
// event is awaited on the officer's socket before the next step. The server's
// `event=state.stats` at exit gives round_trips (the batch connections' only: the reads not
// waited for go on a connection of their own and are not counted). On PostgreSQL:
//   tests/lib/pg.sh node bench/feed_events_rt.js [conversations] [messages]
// Run it with two builds (MOTCUA_BIN=...): the steps are the same, so the difference of
// round_trips over the events pushed is what the feed's reads cost the loop per event.
// FEED_STATE_URL: the server's state URL instead (a database at a distance behind
// bench/lat_relay; the account is made there too).
'use strict';
const path = require('node:path');
const { startServer, Client, tempDir, run } = require('../tests/e2e/lib/server');
const { addAccount, apiLogin, officerSocket } = require('../tests/e2e/lib/console');

const N = Number(process.argv[2] || 10);
const M = Number(process.argv[3] || 3);
const PW = 'mật-khẩu-đủ-dài-1';

async function until(c, pred, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const f = await c.next(Math.max(1, end - Date.now()));
    if (pred(f)) return f;
  }
}

(async () => {
  const dir = tempDir();
  const url = process.env.FEED_STATE_URL;
  const env = { MOTCUA_HANDOFF_ENABLED: '1', ...(url ? { MOTCUA_DATA_STATE_URL: url } : {}) };
  if (url) {
    const r = await run(['officer', 'add', 'lan', '--name', 'Cán bộ lan', '--role', 'officer'],
      { env: { MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db'), MOTCUA_DATA_STATE_URL: url }, input: PW + '\n' });
    if (r.code !== 0) throw new Error(r.stderr);
  } else {
    await addAccount(dir, 'lan', 'officer', PW);
  }
  const srv = await startServer({ dir, env });
  const lan = await apiLogin(srv.url, 'lan', PW);
  const post = async (p, body) => {
    const r = await fetch(srv.url + '/api/v1/officer/' + p, {
      method: 'POST',
      headers: { cookie: lan.cookie, 'x-csrf-token': lan.csrf, 'content-type': 'application/json' },
      body: body === undefined ? '' : JSON.stringify(body),
    });
    if (r.status !== 200) throw new Error(p + ': ' + r.status + ' ' + (await r.text()));
    return r.json();
  };
  const live = officerSocket(srv.url, lan.cookie);
  await live.opened;
  let events = 0;
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    const c = await Client.connect(srv.wsUrl);
    await c.hello(null, 'web');
    await c.tap('handoff:request');
    const id = (await until(live, (x) => x.type === 'pending')).conversation.id;
    await post(`conversations/${id}/claim`);
    await until(live, (x) => x.type === 'state' && x.conversation_id === id && x.state === 'officer');
    await until(c, (x) => x.type === 'handoff');
    events += 2;
    for (let k = 0; k < M; k++) {
      c.send({ type: 'message', text: `câu hỏi ${k} về giấy khai sinh`, id: `m${i}-${k}` });
      await until(live, (x) => x.type === 'message' && x.message.from === 'citizen' && x.conversation_id === id);
      events++;
    }
    await post(`conversations/${id}/messages`, { text: 'Chào bạn, tôi là cán bộ xã.' });
    await until(c, (x) => x.type === 'reply' && x.from === 'officer');
    await until(live, (x) => x.type === 'message' && x.message.from === 'officer' && x.conversation_id === id);
    await post(`conversations/${id}/release`);
    await until(live, (x) => x.type === 'state' && x.conversation_id === id && x.state === 'bot');
    events += 2;
    await c.close();
  }
  const ms = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 50)); // the last commit lands
  live.ws.close();
  await srv.stop();
  const m = /event=state\.stats .*round_trips=(\d+)/.exec(srv.logs());
  if (!m) throw new Error('no state.stats line');
  const rt = Number(m[1]);
  console.log(`feed events: ${events} pushed (${N} handoffs, ${M} citizen messages each), ` +
    `${rt} round trips waited for, ${(rt / events).toFixed(2)} an event, ${ms} ms`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
