// bench/lat_probe.js - the side measurements of bench/bench_latency.sh (docs/performance.md,
// "A database at a distance"). Node.js only, no package.
//
//   node bench/lat_probe.js graph
//     a fake Messenger Graph API on a free 127.0.0.1 port ("port=N" on stdout): answers every
//     POST 200 with a message id, so a node's outbox has somewhere to send webhook replies.
//     Runs until SIGTERM; then prints "graph sends=N".
//   node bench/lat_probe.js probe --url http://127.0.0.1:PORT [--url ...] --duration S
//       [--interval-ms MS] [--webhooks RATE --secret SECRET [--senders N]]
//     asks GET /healthz of each URL in turn, one request at a time, a new connection each (as a
//     load balancer's health check), MS ms (20) after the previous answer, for S seconds: how
//     long the event loop leaves a request waiting (/healthz itself touches nothing). With
//     --webhooks, also POSTs RATE signed Messenger deliveries a second (open loop: sent on time
//     whether or not the earlier ones are answered) to the first URL, from N senders in turn
//     (20; each run's senders are new, so the first N are conversations' first turns, the rest
//     follow-ups). Prints one line:
//     "probe healthz_n=N healthz_p50_ms=… healthz_p99_ms=… healthz_max_ms=… healthz_errors=N
//      webhooks=N webhook_ok=N webhook_p50_ms=… webhook_p99_ms=…".
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');

const agent = new http.Agent({ keepAlive: false });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// one request; resolves { status, ms } (status 0: no answer within 10 s or an error)
function request(url, method, body, headers) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const done = (status) => resolve({ status, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    const req = http.request(url, { method, agent, headers, timeout: 10000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode));
      res.on('error', () => done(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
    req.end(body);
  });
}

function graph() {
  let sends = 0, n = 0;
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') sends++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ recipient_id: 'x', message_id: 'm' + ++n }));
    });
  });
  srv.listen(0, '127.0.0.1', () => console.log(`port=${srv.address().port}`));
  process.on('SIGTERM', () => {
    console.log(`graph sends=${sends}`);
    process.exit(0);
  });
}

async function probe(opts) {
  const end = Date.now() + opts.duration * 1000;
  const health = [], webhook = [];
  let healthErrors = 0;
  const checks = (async () => {
    for (let i = 0; Date.now() < end; i++) {
      const r = await request(opts.urls[i % opts.urls.length] + '/healthz', 'GET');
      if (r.status === 200) health.push(r.ms);
      else healthErrors++;
      await sleep(opts.intervalMs);
    }
  })();
  const posts = [];
  if (opts.webhooks > 0) {
    const gap = 1000 / opts.webhooks;
    const tag = `${process.pid}_${Date.now()}`;
    for (let i = 0, next = Date.now(); Date.now() < end; i++) {
      const psid = `lat_${tag}_${i % opts.senders}`;
      const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
        { sender: { id: psid }, recipient: { id: 'PAGE' }, timestamp: Date.now(),
          message: { mid: `m_${tag}_${i}`, text: 'làm giấy khai sinh cần gì' } }] }] });
      const sig = 'sha256=' + crypto.createHmac('sha256', opts.secret).update(body).digest('hex');
      posts.push(request(opts.urls[0] + '/webhooks/messenger', 'POST', body,
        { 'content-type': 'application/json', 'x-hub-signature-256': sig }).then((r) => webhook.push(r)));
      next += gap;
      await sleep(Math.max(0, next - Date.now()));
    }
  }
  await checks;
  await Promise.all(posts);
  const ok = webhook.filter((r) => r.status === 200).map((r) => r.ms);
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'nan');
  console.log(`probe healthz_n=${health.length} healthz_p50_ms=${f(pct(health, 50))} ` +
    `healthz_p99_ms=${f(pct(health, 99))} healthz_max_ms=${f(Math.max(...health))} ` +
    `healthz_errors=${healthErrors} webhooks=${webhook.length} webhook_ok=${ok.length} ` +
    `webhook_p50_ms=${f(pct(ok, 50))} webhook_p99_ms=${f(pct(ok, 99))}`);
}

function main(argv) {
  if (argv[0] === 'graph') return graph();
  if (argv[0] !== 'probe') throw new Error('usage: lat_probe.js graph | probe --url URL --duration S …');
  const opts = { urls: [], duration: 5, intervalMs: 20, webhooks: 0, secret: '', senders: 20 };
  for (let i = 1; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${argv[i]} needs a value`);
    if (argv[i] === '--url') {
      if (!/^http:\/\/127\.\d+\.\d+\.\d+:\d+$/.test(v)) throw new Error('--url: http://127.x.x.x:PORT only');
      opts.urls.push(v);
    } else if (argv[i] === '--duration') opts.duration = Number(v);
    else if (argv[i] === '--interval-ms') opts.intervalMs = Number(v);
    else if (argv[i] === '--webhooks') opts.webhooks = Number(v);
    else if (argv[i] === '--secret') opts.secret = v;
    else if (argv[i] === '--senders') opts.senders = Number(v);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!opts.urls.length || !(opts.duration > 0 && opts.duration <= 600)) throw new Error('--url and --duration (0-600 s)');
  if (!(Number.isInteger(opts.senders) && opts.senders >= 1)) throw new Error('--senders N (>= 1)');
  if (!(opts.webhooks >= 0 && opts.webhooks <= 1000) || (opts.webhooks > 0 && !opts.secret))
    throw new Error('--webhooks RATE (0-1000) needs --secret');
  return probe(opts);
}

Promise.resolve().then(() => main(process.argv.slice(2))).catch((e) => {
  console.error(`lat_probe: ${e.message}`);
  process.exit(2);
});
