// bench/ws_load.js - end-to-end load on the real server over loopback:
// C WebSocket clients each send M messages one after another (hello, then
// message -> wait for its reply), and the figures are printed: messages/s,
// reply latency p50/p95/p99/max. Bounded in count and time; 127.0.0.1 only.
// Usage: node bench/ws_load.js [clients=20] [messages=200]   (make bench-server)
'use strict';
const path = require('node:path');
const { startServer, Client } = require(path.join(__dirname, '..', 'tests', 'e2e', 'lib', 'server'));

const CLIENTS = Number(process.argv[2] || 20);
const MESSAGES = Number(process.argv[3] || 200);
const LIMIT_MS = 120000; // the whole run stops after this, whatever is left
const texts = [
  'đăng ký khai sinh cho con cần giấy tờ gì', 'lam lai cccd bi mat', 'dk tam tru can j ad',
  'bố tôi mất rồi làm giấy tờ gì', 'lệ phí bao nhiêu', 'thủ tục tách thửa đất',
  'xin chào', 'giờ làm việc của phường', 'cam on ad nhieu', 'nộp hồ sơ online thế nào',
];

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

(async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_MAX_PER_IP: String(CLIENTS + 10) } });
  const deadline = Date.now() + LIMIT_MS;
  const lat = [];
  let errors = 0;
  const t0 = process.hrtime.bigint();
  try {
    await Promise.all(Array.from({ length: CLIENTS }, async (_, k) => {
      const c = await Client.connect(srv.wsUrl);
      await c.hello();
      for (let i = 0; i < MESSAGES && Date.now() < deadline; i++) {
        const s = process.hrtime.bigint();
        const r = await c.say(texts[(i + k) % texts.length], `b${k}-${i}`);
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
        if (r.type !== 'reply') errors++;
      }
      await c.close();
    }));
  } finally {
    await srv.stop();
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  console.log(`clients=${CLIENTS} messages=${lat.length} errors=${errors} seconds=${secs.toFixed(2)}`);
  console.log(`throughput=${(lat.length / secs).toFixed(0)} messages/s (each a full turn: understanding, conversation, state write, two turn records)`);
  console.log(`latency_ms p50=${pct(lat, 50).toFixed(2)} p95=${pct(lat, 95).toFixed(2)} p99=${pct(lat, 99).toFixed(2)} max=${lat[lat.length - 1].toFixed(2)}`);
})().catch((e) => { console.error(e); process.exit(1); });
