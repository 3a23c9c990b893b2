// tests/e2e/outbox-uncommitted.test.js - a reply leaves only once its turn is committed, even
// when the outbox's pump runs while the batch holding it is open (issue 18). On PostgreSQL a
// webhook's unit stays in the pass's open batch until the loop's group COMMIT; the pump runs
// inside lws_service() too (an outbox request ending, a held answer written, the tick), so a
// pump between a delivery's unit and the pass's COMMIT used to read that batch's own rows and
// send them. A constraint trigger deferred to COMMIT fails every batch holding a reply to a
// "doomed" citizen, while other citizens' deliveries keep the outbox busy (their replies end
// in the same passes): the platform must never receive a reply to a doomed citizen.
// Own throwaway cluster (tests/lib/pg.sh), as webhooks-commit.test.js.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('./lib/server');
const { startPg } = require('./lib/pg');
const { startFake } = require('./lib/fake_platform');

const APP_SECRET = 'test-app-secret';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ROUNDS = 60; // of 6 deliveries from citizens answered, and every third one from a doomed one

let pg;
before(async () => { pg = await startPg(); });
after(async () => { if (pg) await pg.stop(); });

let mid = 0;
function post(srv, psid, text) {
  mid++;
  const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
    { sender: { id: psid }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: 'mu_' + mid + '_' + psid, text } }] }] });
  return fetch(srv.url + '/webhooks/messenger', { method: 'POST', body, headers: { 'content-type': 'application/json',
    'x-hub-signature-256': 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex') } })
    .then((r) => r.status, () => 0);
}

test('PostgreSQL: a reply whose batch fails to commit never reaches the platform, even under load', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok' } });
  fake.answer = () => ({ status: 200, body: { recipient_id: 'x', message_id: 'ok' }, delayMs: Math.floor(Math.random() * 4) });
  const srv = await startServer({ env: {
    MOTCUA_DATA_STATE_URL: pg.url,
    MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'v',
    MOTCUA_MESSENGER_PAGE_TOKEN: 'PAGE-TOKEN', MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0',
  } });
  try {
    pg.sql("CREATE OR REPLACE FUNCTION doomed() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN " +
      "IF NEW.body LIKE '%psid-doomed%' THEN RAISE EXCEPTION 'disk full at commit'; END IF; RETURN NULL; END$$; " +
      'CREATE CONSTRAINT TRIGGER doomed AFTER INSERT ON outbox DEFERRABLE INITIALLY DEFERRED ' +
      'FOR EACH ROW EXECUTE FUNCTION doomed();');
    const texts = ['làm giấy khai sinh cần gì', 'đăng ký tạm trú', 'làm lại cccd', 'xin chào'];
    const jobs = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < 6; i++) jobs.push(post(srv, 'psid-ok-' + i, texts[(round + i) % texts.length]));
      if (round % 3 === 2) jobs.push(post(srv, 'psid-doomed-' + round, texts[round % texts.length]));
      await sleep(10 + Math.floor(Math.random() * 10));
    }
    const statuses = await Promise.all(jobs);
    await sleep(1500); // what the outbox had started is received by now
    const sent = fake.requests.filter((r) => r.url.startsWith('/v25.0/me/messages'));
    const doomed = sent.filter((r) => r.json.recipient.id.startsWith('psid-doomed'));
    const failed = statuses.filter((s) => s === 500).length;
    assert.ok(failed > 0 && statuses.some((s) => s === 200), `both outcomes happened: ${statuses.join(',')}`);
    assert.ok(sent.length > 0, 'the other citizens were answered meanwhile');
    // before the fix: 7-15 such replies in each of 4 runs; after it none in 4 runs
    assert.equal(doomed.length, 0, `${doomed.length} replies went out for deliveries whose commit failed`);
  } finally { await srv.stop(); await fake.close(); }
});
