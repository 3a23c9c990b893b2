// tests/e2e/lib/drive.js - the WebSocket load of the crash tests (crash.test.js,
// crash-mixed.test.js): one client sends turns one after another until its
// connection ends, and records every reply it received.
'use strict';
const assert = require('node:assert/strict');

// The messages the load sends, in turn.
const TEXTS = [
  'đăng ký khai sinh cho con cần giấy tờ gì', 'lam lai cccd bi mat', 'dk tam tru can j ad',
  'lệ phí bao nhiêu', 'xin chào', 'giờ làm việc của phường', 'thủ tục tách thửa đất',
];

// Client c (number k, in this round, holding session token) sends until the
// connection ends; every reply received is pushed to received as
// {token, id, text, messages}. Returns the count of error frames.
async function drive(c, k, round, token, received) {
  let errors = 0;
  for (let i = 0; ; i++) {
    const id = `c${k}-r${round}-${i}`;
    const text = TEXTS[(i + k) % TEXTS.length];
    try {
      c.send({ type: 'message', text, id });
    } catch {
      return errors;
    }
    const r = await Promise.race([c.nextReply(3000).catch(() => null), c.closed.then(() => null)]);
    if (!r) return errors;
    if (r.type === 'reply') {
      assert.equal(r.reply_to, id);
      received.push({ token, id, text, messages: r.messages });
    } else {
      errors++;
    }
  }
}

module.exports = { drive, TEXTS };
