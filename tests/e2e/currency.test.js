// tests/e2e/currency.test.js - the audit findings of issue 16 (currency of the
// guides), each read back through GET /api/v1/procedures/{id} from the real
// server: what a citizen is told is what the law and the portal records say
// today. A guide rewritten so that a finding comes back fails here.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

async function guide(id) {
  const r = await fetch(srv.url + '/api/v1/procedures/' + id);
  assert.equal(r.status, 200, id);
  return r.json();
}
const all = (g) => [g.where, g.online.text, g.result, ...g.steps.map((s) => s.text),
  ...g.faq.map((f) => f.q + ' ' + f.a), ...g.documents.map((d) => d.name + ' ' + (d.when || ''))].join('\n');

test('vehicle registration: any commune police of the province; cars where the province decides (TT 51/2025/TT-BCA)', async () => {
  const g = await guide('dang-ky-xe');
  assert.ok(g.legal_basis.some((l) => l.includes('51/2025/TT-BCA')), g.legal_basis.join(' | '));
  assert.match(g.where, /bất kỳ Công an xã\/phường nào trong tỉnh/);
  assert.match(g.where, /Ô tô: Công an xã\/phường được Công an tỉnh giao/);
});

test('tạm vắng: 1 day away from the commune under supervision; 12 months away from the commune for others (Luật Cư trú art. 31(1))', async () => {
  const g = await guide('tam-vang');
  const who = g.faq.find((f) => /Ai bắt buộc phải khai báo tạm vắng/.test(f.q));
  assert.ok(who, 'the FAQ on who must declare');
  assert.match(who.a, /án treo/);
  assert.match(who.a, /đi khỏi xã\/phường nơi đang cư trú từ 1 ngày trở lên/);
  assert.match(who.a, /đi khỏi xã\/phường nơi thường trú từ 12 tháng liên tục/);
  assert.doesNotMatch(all(g), /khỏi tỉnh nơi thường trú từ 12 tháng/);
});

test('online hộ tịch filings: originals before the result, residence proof when the lookup fails, certified copies by post', async () => {
  for (const id of ['khai-sinh', 'khai-tu', 'ket-hon', 'xac-nhan-hon-nhan', 'nhan-cha-me-con',
    'cai-chinh-ho-tich', 'giam-ho', 'dang-ky-lai-khai-sinh', 'trich-luc-ho-tich']) {
    const g = await guide(id);
    const text = all(g);
    assert.match(text, /trước khi nhận kết quả[^.]*bản chính|bản chính[^.]*trước khi nhận kết quả/i, id + ': originals before the result');
    assert.match(text, /không tra được nơi cư trú|chứng minh nơi cư trú/i, id + ': residence proof');
    assert.match(text, /bưu điện[^.]*bản sao có chứng thực|bản sao có chứng thực[^.]*bưu điện/i, id + ': postal filings');
  }
});

test('a foreign-element marriage: the papers are handed in on collection (in ket-hon, whose id keeps its meaning)', async () => {
  const g = await guide('ket-hon');
  for (const c of ['1.000894', '2.000806', '1.000094']) assert.ok(g.portal_codes.includes(c), c);
  assert.match(all(g), /khi nhận giấy, nộp bản chính giấy tờ về tình trạng hôn nhân của người nước ngoài/);
  // the foreign party's papers are conditional: a couple of two citizens is not asked for them
  const foreign = g.documents.find((d) => d.id === 'xac-nhan-hon-nhan-nuoc-ngoai');
  assert.ok(foreign && foreign.when && /nước ngoài/.test(foreign.ask), JSON.stringify(foreign));
});

test('xác nhận tình trạng hôn nhân: valid until the status changes or 6 months', async () => {
  const g = await guide('xac-nhan-hon-nhan');
  assert.match(g.result, /đến khi tình trạng hôn nhân[^.]*thay đổi hoặc 6 tháng/);
});

test('trợ cấp hưu trí xã hội (NĐ 176/2025) kept apart from the NĐ 20/2021 groups', async () => {
  const g = await guide('tro-cap-xa-hoi');
  assert.ok(g.legal_basis.some((l) => l.includes('176/2025/NĐ-CP')));
  assert.ok(g.legal_basis.some((l) => l.includes('20/2021/NĐ-CP')));
  const steps = g.steps.map((s) => s.text).join('\n');
  assert.match(steps, /Trợ cấp hưu trí xã hội \(Nghị định 176\/2025\/NĐ-CP/);
  assert.match(steps, /Trợ cấp xã hội hằng tháng \(Nghị định 20\/2021\/NĐ-CP\)/);
});

test('legal bases: TT 08/2025/TT-BTP on the hộ tịch guides that follow it; the driving licence circular named right', async () => {
  for (const id of ['khai-sinh', 'ket-hon', 'khai-tu', 'xac-nhan-hon-nhan', 'cai-chinh-ho-tich']) {
    const g = await guide(id);
    assert.ok(g.legal_basis.some((l) => l.includes('08/2025/TT-BTP')), id);
  }
  const g = await guide('doi-bang-lai');
  const text = JSON.stringify(g);
  assert.ok(text.includes('35/2024/TT-BGTVT'));
  assert.ok(!text.includes('35/2024/TT-BCA'), 'the old circular was the transport ministry\'s');
  assert.ok(!text.includes('đề bài'), 'no drafting artefact reaches the API');
});

test('no guide carries a drafting artefact, and every unsure step or answer is listed in verify[]', async () => {
  const list = await (await fetch(srv.url + '/api/v1/procedures')).json();
  for (const { id } of list) {
    const g = await guide(id);
    assert.ok(!JSON.stringify(g).includes('đề bài'), id);
    g.steps.forEach((s, i) => assert.equal(s.verify, g.verify.includes(`steps[${i}]`), `${id} steps[${i}]`));
    g.faq.forEach((f, i) => assert.equal(f.verify, g.verify.includes(`faq[${i}]`), `${id} faq[${i}]`));
    assert.ok(g.reviewed === null || /^\d{4}-\d{2}-\d{2}$/.test(g.reviewed), id);
  }
});
