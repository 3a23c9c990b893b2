// tests/e2e/cluster-outbox.test.js - issue 18: a node SIGKILLed under Messenger webhook load,
// two nodes on one PostgreSQL (a throwaway cluster, tests/lib/pg.sh), the outbox drained by both,
// a fake Graph API (tests/e2e/lib/fake_platform.js) slow (each send held 1.2 s, after one quick
// warm-up reply per node) so that replies sit claimed in the outbox, some with a request out, when
// node A is killed, then failing (503) for 2 s, then answering at once. All on loopback; the
// PostgreSQL cluster, the nodes and the fake are stopped by the file's after() however it ends.
//
// USERS citizens each send PER messages, one after the other, alternating between the nodes
// (message i of user u to node (u + i) % 2), signed as Meta signs them. A delivery that gets no
// 200 (node A dead, or any error) is delivered again to the other node with the same mid, as
// Meta redelivers. Node A is killed once half the messages are acknowledged and while the fake
// holds at least one of A's sends unanswered. The lease is outbox.lease_seconds = 15 (its least
// value: a send's 10 s timeout plus a margin), so the test waits 15 s, not 30.
//
// What is asserted, and why:
// - every message acknowledged with 200 has its turn recorded exactly once: each session's user
//   turns, in order, are exactly one citizen's messages (a message A committed before dying
//   and redelivered to B is de-duplicated, not run twice);
// - every reply of every recorded turn is delivered at least once and in order per citizen: a
//   citizen's deliveries, with repeats of the same body next to each other merged, are exactly
//   that citizen's outbox rows in id order (no row is left unsent). A delivery is a request the
//   fake accepted (answered 2xx), whether or not its sender lived to read the answer;
// - a reply is delivered twice only if the dead node had claimed it (its claimed_by at the kill
//   is A's owner id, logged as event=outbox.ready), once by A and then once by B, and never more
//   than twice. A send in flight at the kill cannot be known to have reached the platform: A
//   died before reading the answer, so nothing records it as sent, and B must send it again once
//   the lease ends (at least once, never lost); the platform may show it twice;
// - no reply is delivered by two live nodes: B's delivery of a row A claimed comes only after
//   A's claim ran out (claimed_until at the kill), and A was dead by then; a row neither claimed
//   by A at the kill nor sent by A is delivered exactly once;
// - the dead node's claims are not lost: B delivers each of them, after the lease.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, SLOW } = require('./lib/server');
const { startFake } = require('./lib/fake_platform');
const { startPg } = require('./lib/pg');

const APP_SECRET = 'cluster-outbox-secret';
const LEASE_S = 15;
const USERS = 8, PER = 6;
// distinct procedures: two replies in a row of one citizen never have the same body, so a
// repeated body is a repeated delivery of one row (checked below)
const WARM = 'cảm ơn';
const QUESTIONS = ['đăng ký khai sinh', 'đăng ký kết hôn', 'đăng ký tạm trú',
  'làm lại căn cước bị mất', 'đăng ký khai tử', 'xác nhận tình trạng hôn nhân'];
let pg, fake;
const nodes = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const rows = (q) => pg.rows(q); // psql's unaligned rows, fields split on \x1f (bodies are JSON)

// node A and node B differ by their page token: the fake sees which node sent each request
const nodeEnv = (token) => ({
  MOTCUA_DATA_STATE_URL: pg.url, MOTCUA_OUTBOX_LEASE_SECONDS: String(LEASE_S),
  MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'verify',
  MOTCUA_MESSENGER_PAGE_TOKEN: token, MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0',
});
const sender = (q) => (/access_token=PAGE-([AB])/.exec(q.url) || [])[1];

function messenger(user, mid, text) {
  const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
    { sender: { id: user }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid, text } }] }] });
  const sig = 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig } };
}
const questionsOf = (u) => { // a different order per citizen: sessions are told apart by it
  const rot = QUESTIONS.slice(u % PER).concat(QUESTIONS.slice(0, u % PER));
  return u >= PER ? rot.reverse() : rot;
};

before(async () => {
  pg = await startPg();
  fake = await startFake();
  fake.mode = 'fast';
  fake.answer = (q) => q.json && q.json.recipient && q.json.recipient.id === 'psid-hang' && fake.mode !== 'fast'
    ? { status: 200, body: {}, delayMs: 60000 } // a platform that never answers
    : fake.mode === 'fail' ? { status: 503, body: 'unavailable' }
    : { status: 200, body: { recipient_id: 'x', message_id: 'm' }, delayMs: fake.mode === 'slow' ? 1200 : 0 };
  nodes.push(await startServer({ env: nodeEnv('PAGE-A') }));
  nodes.push(await startServer({ env: nodeEnv('PAGE-B') }));
  // sent rows are deleted by the nodes' retention steps (from 1 s after start, every 50 ms
  // while there are some): a copy of every row committed, for the checks (a row of a batch
  // that died with node A is rolled back with its copy)
  rows(`CREATE TABLE outbox_log (id bigint, user_key text, body text);
    CREATE FUNCTION outbox_log() RETURNS trigger LANGUAGE plpgsql AS
      $$BEGIN INSERT INTO outbox_log VALUES (NEW.id, NEW.user_key, NEW.body); RETURN NEW; END$$;
    CREATE TRIGGER outbox_log AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_log();`);
});
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
  if (fake) await fake.close();
  if (pg) await pg.stop();
});

test('a node SIGKILLed under webhook load: no acknowledged turn lost, no queued reply lost, twice only if the dead node had claimed it', { timeout: 90000 }, async (t) => {
  const [A, B] = nodes;
  const ownerA = (/event=outbox\.ready owner=(\d+) lease_s=(\d+)/.exec(A.logs()) || []);
  assert.equal(ownerA[2], String(LEASE_S), 'node A runs with the short lease');
  // each node's first send goes alone until one succeeds (its circuit starts unproven): one
  // warm-up reply each, answered at once, then the platform turns slow for the load
  for (const [k, n] of nodes.entries()) {
    const d = messenger(`psid-warm-${k}`, `mid-warm-${k}`, WARM);
    assert.equal((await fetch(n.url + '/webhooks/messenger', { method: 'POST', body: d.body, headers: d.headers })).status, 200);
  }
  await fake.until((q) => q.filter((x) => /psid-warm/.test(x.body)).length >= 2, 10000 * SLOW);
  fake.mode = 'slow';
  let acked = 0, redelivered = 0, killAt = 0;
  const alive = [true, true];
  async function citizen(u) {
    const user = `psid-ob-${u}`;
    const qs = questionsOf(u);
    for (let i = 0; i < PER; i++) {
      const d = messenger(user, `mid-${u}-${i}`, qs[i]);
      for (let attempt = 0, k = (u + i) % 2; ; attempt++, k = 1 - k) {
        if (!alive[k]) k = 1 - k;
        const r = await fetch(nodes[k].url + '/webhooks/messenger', { method: 'POST', body: d.body, headers: d.headers })
          .catch(() => ({ status: 0 }));
        if (r.status === 200) break;
        redelivered++;
        assert.ok(attempt < 20, `${user} message ${i} never acknowledged (last status ${r.status})`);
        await sleep(100);
      }
      acked++;
      await sleep(500); // a citizen types: the load spans the kill
    }
  }
  const load = Promise.all(Array.from({ length: USERS }, (_, u) => citizen(u)));
  const graphSends = () => fake.requests.filter((q) => /\/me\/messages/.test(q.url));
  const pendingOfA = () => graphSends().filter((q) => sender(q) === 'A' && q.answeredAt === undefined && q.answered === 200);
  // the kill: half the messages acknowledged, and A's sends held by the slow fake
  for (let i = 0; i < 400 && !(acked >= USERS * PER / 2 && pendingOfA().length > 0); i++) await sleep(25);
  assert.ok(pendingOfA().length > 0, 'node A has a send in flight (the fake holds it) when it is killed');
  const inFlightAtKill = pendingOfA().length;
  const stopped = A.stop('SIGKILL');
  killAt = Date.now();
  await stopped;
  // for a second the citizens' next messages still go to A, as a platform that does not know
  // it died sends them: refused, then delivered again to B with the same mid
  setTimeout(() => { alive[0] = false; }, 1000).unref();
  const ackedAtKill = acked;
  assert.ok(ackedAtKill < USERS * PER, 'killed mid-load');
  // what node A held at its death: its claims (its lease runs on, nobody renews it)
  const claimedByA = new Map(rows(`SELECT id, claimed_until FROM outbox WHERE state = 'queued' AND claimed_by = ${ownerA[1]} AND claimed_until > ${killAt}`)
    .map(([id, until]) => [id, Number(until)]));
  // then the platform fails for a while (B's sends retried, its circuit opens: a refused
  // request is no delivery), then answers at once
  fake.mode = 'fail';
  setTimeout(() => { fake.mode = 'fast'; }, 2000).unref();
  await load;
  // the outbox drains: B sends A's claimed rows once their lease ends
  let left = -1;
  const deadline = killAt + (LEASE_S + 10) * 1000 * SLOW; // a 30 s lease would miss it
  while ((left = Number(rows(`SELECT count(*) FROM outbox WHERE state <> 'sent'`)[0][0])) !== 0 && Date.now() < deadline) await sleep(200);
  assert.equal(left, 0, 'every outbox row ends sent');
  await sleep(300); // a late duplicate would show up now
  t.diagnostic(`acknowledged at the kill ${ackedAtKill}/${USERS * PER}, redelivered ${redelivered}, ` +
    `A's claims at the kill ${claimedByA.size} (${inFlightAtKill} with a request out)`);
  assert.equal(acked, USERS * PER);

  // turns: every session's user turns are exactly one citizen's messages, once, in order
  const bySession = new Map();
  for (const [sid, text] of rows(`SELECT t.session_id, t.text FROM turn t JOIN session s ON s.id = t.session_id WHERE s.channel = 'messenger' AND t.role = 'user' ORDER BY t.id`))
    bySession.set(sid, (bySession.get(sid) || []).concat(text));
  const want = Array.from({ length: USERS }, (_, u) => questionsOf(u).join(' | ')).sort();
  assert.deepEqual([...bySession.values()].map((s) => s.join(' | ')).filter((s) => s !== WARM).sort(), want, 'each acknowledged message recorded exactly once');

  // replies: per citizen, deliveries (accepted by the fake, in arrival order) against the rows
  const outbox = rows(`SELECT id, user_key, body FROM outbox_log ORDER BY id`);
  const delivered = graphSends().filter((q) => q.answered >= 200 && q.answered < 300);
  let twice = 0, lastAt = 0;
  for (let u = 0; u < USERS; u++) {
    const user = `psid-ob-${u}`;
    const mine = outbox.filter((r) => r[1] === user);
    assert.ok(mine.length >= PER, `${user}: a reply row per message at least`);
    for (let i = 1; i < mine.length; i++) assert.notEqual(mine[i][2], mine[i - 1][2], `${user}: two rows in a row with one body: the test cannot tell them apart`);
    const got = delivered.filter((q) => q.json && q.json.recipient && q.json.recipient.id === user);
    const runs = []; // consecutive deliveries of one body: one row, delivered run.length times
    for (const q of got) {
      const last = runs[runs.length - 1];
      if (last && last[0].body === q.body) last.push(q); else runs.push([q]);
    }
    assert.deepEqual(runs.map((r) => r[0].body), mine.map((r) => r[2]), `${user}: every reply delivered, in order, nothing else`);
    runs.forEach((run, i) => {
      const [id] = mine[i];
      const by = run.map(sender).join('');
      lastAt = Math.max(lastAt, run[run.length - 1].at);
      assert.ok(run.length <= 2, `${user} row ${id}: delivered ${run.length} times (${by})`);
      if (claimedByA.has(id)) {
        const fromB = run.filter((q) => sender(q) === 'B');
        assert.equal(fromB.length, 1, `${user} row ${id}: A's claimed row sent by B once (${by})`);
        assert.ok(fromB[0].at >= claimedByA.get(id) - 100,
          `${user} row ${id}: B sent it ${claimedByA.get(id) - fromB[0].at} ms before A's lease ended`);
      }
      if (run.length === 2) {
        twice++;
        assert.ok(run[1].at >= killAt, `${user} row ${id}: delivered by two live nodes (${by}), before the kill`);
        assert.ok(claimedByA.has(id), `${user} row ${id}: delivered twice (${by}) but node A had not claimed it`);
        assert.equal(by, 'AB', `${user} row ${id}: the two deliveries are the dead node's, then the live one's`);
      }
    });
  }
  assert.ok(claimedByA.size > 0, 'node A held claims when it died (the case under test)');
  t.diagnostic(`rows ${outbox.length}, delivered twice ${twice} (each claimed by A at its death), ` +
    `last delivery ${lastAt - killAt} ms after the kill (lease ${LEASE_S} s)`);
});

// The lease is sized on a send's timeout (OUTBOX_TIMEOUT_S, 10 s): a send must really end then.
// lws replaces the timeout the outbox sets at connect with its context's (20 s) once the request
// is written; the pump ends it instead. Without that, a platform that never answers held a send
// 20 s, past a 15 s lease: another node would take the row and send it while it is still out.
test('a send the platform never answers ends after 10 s, within the shortest lease', { timeout: 60000 }, async (t) => {
  const B = nodes[1];
  fake.mode = 'hang';
  const t0 = Date.now();
  const d = messenger('psid-hang', 'mid-hang-1', 'đăng ký khai sinh');
  const r = await fetch(B.url + '/webhooks/messenger', { method: 'POST', body: d.body, headers: d.headers });
  assert.equal(r.status, 200);
  const mine = () => fake.requests.filter((q) => q.json && q.json.recipient && q.json.recipient.id === 'psid-hang');
  const until = async (pred, ms) => { // polled: a close is no request, fake.until does not see it
    for (const end = Date.now() + ms; !pred(); await sleep(50)) assert.ok(Date.now() < end, 'timed out');
  };
  await until(() => mine().length >= 1 && mine()[0].closedAt !== undefined, 25000 * SLOW);
  const held = mine()[0].closedAt - mine()[0].at;
  assert.ok(held >= 9500 && held < (LEASE_S - 2) * 1000 * SLOW, `the send ended after ${held} ms (lease ${LEASE_S} s)`);
  assert.match(B.logs(), /event=outbox\.timeout channel=messenger row=\d+ after_ms=1\d{4}/);
  t.diagnostic(`send held ${held} ms, started ${mine()[0].at - t0} ms after the webhook`);
  fake.mode = 'fast'; // then it is sent again and the outbox drains
  await until(() => mine().some((q) => q.answeredAt !== undefined), 20000 * SLOW);
  t.diagnostic(`sent after ${Date.now() - t0} ms`);
});
