// bench/ws_echo_node.js - a Node.js `ws` echo server, a peer for bench/bench_ws.sh.
// It upgrades /ws (any path), sends every message back as it came (text stays text),
// and does nothing else. Listens on 127.0.0.1 only; the port (0: any free) is the first
// argument, and the chosen one is printed on stdout as "port=N". Ends on SIGTERM/SIGINT.
// Usage: node bench/ws_echo_node.js [port]
'use strict';
const path = require('node:path');
const http = require('node:http');
const WebSocket = require(path.join(__dirname, '..', 'tests', 'node_modules', 'ws'));

const port = Number(process.argv[2] || 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node bench/ws_echo_node.js [port]');
  process.exit(2);
}
const server = http.createServer((req, res) => res.writeHead(404).end());
// perMessageDeflate off (ws's server default too), so no peer compresses and the
// comparison is frame for frame; no payload above 1 MiB, like bench/ws_echo.c.
const wss = new WebSocket.WebSocketServer({ server, perMessageDeflate: false, maxPayload: 1 << 20 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => ws.terminate());
});
server.listen(port, '127.0.0.1', () => {
  console.log(`port=${server.address().port} ws=${require(path.join(__dirname, '..', 'tests', 'node_modules', 'ws', 'package.json')).version} node=${process.version}`);
});
const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
