// bench/resume_burst.js - many reconnecting clients at once (bench/bench_latency.sh RESUME_RTT_MS;
// docs/scaling.md "Reads off the loop"): every one sends a hello with its session's token, the
// resumed hello whose reads (the session, its turns, its handoff) a node used to wait for.
//
//   node bench/resume_burst.js --url ws://127.0.0.1:PORT/ws --conns N
//     first N sessions are made (hello, one message each, closed, 10 at a time), then N
//     connections are opened and each sends its hello with its token in the same instant;
//     resume_s is the time from the first send until every welcome arrived. Prints one line:
//     "resume conns=N resumed=N errors=N resume_s=… welcome_p50_ms=… welcome_max_ms=…".
'use strict';
const { Client } = require('../tests/e2e/lib/server');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const url = arg('--url');
const conns = Number(arg('--conns', '100'));
if (!url || !(conns > 0 && conns <= 1000)) {
  console.error('usage: node bench/resume_burst.js --url ws://HOST:PORT/ws --conns N (1-1000)');
  process.exit(2);
}

async function main() {
  const tokens = [];
  for (let i = 0; i < conns; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, conns - i) }, async () => {
      const c = await Client.connect(url);
      const w = await c.hello();
      await c.say('khai sinh cần gì');
      await c.close();
      tokens.push(w.session);
    }));
  }
  const cs = await Promise.all(tokens.map(() => Client.connect(url)));
  const t0 = process.hrtime.bigint();
  const ms = await Promise.all(cs.map(async (c, i) => {
    c.send({ type: 'hello', session: tokens[i], channel: 'web' });
    const f = await c.nextReply(30000).catch(() => ({ type: 'timeout' }));
    return { ok: f.type === 'welcome' && f.resumed === true && f.session === tokens[i],
      ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  }));
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(cs.map((c) => c.close()));
  const s = ms.map((x) => x.ms).sort((a, b) => a - b);
  const ok = ms.filter((x) => x.ok).length;
  console.log(`resume conns=${conns} resumed=${ok} errors=${conns - ok} resume_s=${total.toFixed(3)} ` +
    `welcome_p50_ms=${s[Math.floor(s.length / 2)].toFixed(1)} welcome_max_ms=${s[s.length - 1].toFixed(1)}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
