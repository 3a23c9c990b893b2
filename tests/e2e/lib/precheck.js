// tests/e2e/lib/precheck.js - a birth registration's pre-check walked to its checklist over
// one WebSocket (share.test.js, bench/unit_turns_rt.js): asks, starts the pre-check, answers
// yes and no in turn (at most 30 questions). The caller has said hello; resolves the last
// reply, which carries the checklist when the walk reached it.
'use strict';

async function walkToChecklist(c) {
  let r = await c.say('làm giấy khai sinh cho con', 'p0');
  let n = 0;
  c.send({ type: 'postback', payload: 'check:' + r.procedure, id: 'p' + ++n });
  r = await c.nextReply();
  for (let i = 0; i < 30 && !r.checklist; i++) {
    c.send({ type: 'postback', payload: i % 2 ? 'ans:no' : 'ans:yes', id: 'p' + ++n });
    r = await c.nextReply();
  }
  return r;
}

module.exports = { walkToChecklist };
