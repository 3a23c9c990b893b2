// tests/e2e/knowledge.test.js - the whole knowledge base through the real
// server: every catalogue procedure served as a complete, cited guide and a
// printable page; localities by current and former name (issue 4).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, run, ROOT } = require('./lib/server');

const catalogue = fs.readFileSync(path.join(ROOT, 'data', 'catalogue.tsv'), 'utf8')
  .trim().split('\n').slice(1).map((l) => l.split('\t'));
const procedures = catalogue.filter((r) => r[1] === 'procedure');
let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

test('catalogue: one guide file per procedure id, the 42 original ids kept, 7 meta intents', () => {
  const files = fs.readdirSync(path.join(ROOT, 'data', 'procedures')).filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5)).sort();
  assert.deepEqual(files, procedures.map((r) => r[0]).sort());
  // the original public ids never change meaning (../shared/catalogue/procedures.tsv)
  const original = fs.readFileSync(path.join(ROOT, '..', 'shared', 'catalogue', 'procedures.tsv'), 'utf8')
    .trim().split('\n').slice(1).map((l) => l.split('\t'));
  for (const [id, kind, domain, name] of original) {
    const mine = catalogue.find((r) => r[0] === id);
    assert.ok(mine, id);
    assert.deepEqual(mine.slice(0, 4), [id, kind, domain, name], id);
  }
  assert.equal(original.filter((r) => r[1] === 'procedure').length, 42);
  assert.equal(catalogue.filter((r) => r[1] === 'meta').length, 7);
});

test('every procedure is served complete and cited', async () => {
  const list = await (await fetch(srv.url + '/api/v1/procedures')).json();
  assert.deepEqual(list.map((p) => p.id).sort(), procedures.map((r) => r[0]).sort());
  for (const [id, , domain, name] of procedures) {
    const r = await fetch(srv.url + '/api/v1/procedures/' + id);
    assert.equal(r.status, 200, id);
    const g = await r.json();
    assert.equal(g.id, id);
    assert.equal(g.name, name, id);
    assert.equal(g.domain, domain, id);
    assert.ok(g.steps.length >= 3, id + ' steps');
    g.steps.forEach((s, i) => assert.equal(s.n, i + 1));
    assert.ok(g.documents.length >= 1, id + ' documents');
    for (const d of g.documents) {
      assert.ok(d.id && d.name && d.kind && d.how_to_get, id + ' document fields');
      if (d.when) assert.match(d.ask, /\?$/, id + ' conditional document question');
    }
    assert.ok(g.legal_basis.length >= 1, id + ' legal basis');
    assert.ok(g.portal_codes.length >= 1 || g.sources_note, id + ' sources');
    // the date a person checked the guide, or null: nobody has yet (the page says so)
    assert.ok(g.reviewed === null || /^\d{4}-\d{2}-\d{2}$/.test(g.reviewed), id + ' reviewed');
    g.steps.forEach((st) => assert.equal(typeof st.verify, 'boolean', id + ' step verify'));
    g.faq.forEach((f) => assert.equal(typeof f.verify, 'boolean', id + ' faq verify'));
    for (const v of g.verify) assert.match(v, /^(where|processing_time|fee|(documents|who_may_submit|steps|faq)\[\d+\])$/, id);
    assert.ok(g.where && g.processing_time && g.fee && g.result, id + ' facts');
    assert.ok(g.faq.length >= 3 && g.faq.length <= 8, id + ' faq');
    assert.ok(g.return_reasons.length >= 2, id + ' return reasons');
    assert.ok(Array.isArray(g.verify));
    // where the text admits doubt about a fee, the field must be marked
    if (/chưa rõ|chưa xác định/i.test(g.fee)) assert.ok(g.verify.includes('fee'), id + ' fee doubt unmarked');
    const page = await fetch(srv.url + '/thu-tuc/' + id);
    assert.equal(page.status, 200, id + ' page');
    const html = await page.text();
    assert.ok(html.includes('<h1>'), id);
    assert.ok(!/<script/i.test(html), id + ' printable page has no script');
  }
  const index = await (await fetch(srv.url + '/thu-tuc')).text();
  for (const [id] of procedures) assert.ok(index.includes(`href="/thu-tuc/${id}"`), id + ' in index');
  assert.equal((await fetch(srv.url + '/thu-tuc/khong-co')).status, 404);
});

test('an unknown guide is a whole 404 page: valid UTF-8, every tag closed, the message', async () => {
  for (const id of ['khong-co', 'Khong_Co']) { // an unknown id, and one that is not an id at all
    const r = await fetch(srv.url + '/thu-tuc/' + id);
    assert.equal(r.status, 404, id);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    const bytes = new Uint8Array(await r.arrayBuffer());
    assert.equal(Number(r.headers.get('content-length')), bytes.length, 'content-length is the body');
    // fatal: a body cut inside a multi-byte character throws here
    const html = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    assert.match(html, /^<!doctype html>\n<html lang="vi">/);
    assert.match(html, /<meta charset="utf-8">/);
    assert.ok(html.includes('<p>Không có thủ tục này. <a href="/thu-tuc">Danh sách thủ tục</a></p>'), html);
    assert.match(html, /<\/body><\/html>\n$/, 'the page ends with its closing tags');
    for (const tag of ['html', 'head', 'title', 'body', 'p', 'a']) {
      const open = (html.match(new RegExp(`<${tag}[\\s>]`, 'g')) || []).length;
      const close = (html.match(new RegExp(`</${tag}>`, 'g')) || []).length;
      assert.equal(open, 1, `<${tag}> once`);
      assert.equal(close, 1, `</${tag}> once`);
    }
  }
});

test('localities: a damaged unit row (NULL name) is never silent: start refused, or logged and left out', async () => {
  const fs2 = require('node:fs'), os = require('node:os');
  const { execFileSync } = require('node:child_process');
  const dir = fs2.mkdtempSync(path.join(os.tmpdir(), 'motcua-kb-'));
  const db = path.join(dir, 'kb.db');
  fs2.copyFileSync(process.env.MOTCUA_DB || path.join(ROOT, 'build', 'motcua.db'), db);
  // the same table without NOT NULL, then one unit's name lost
  execFileSync('python3', ['-c', `import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("""PRAGMA foreign_keys=OFF;
CREATE TABLE unit2 (code TEXT PRIMARY KEY, name TEXT, province_code TEXT, folded TEXT);
INSERT INTO unit2 SELECT * FROM unit; DROP TABLE unit; ALTER TABLE unit2 RENAME TO unit;
CREATE INDEX unit_folded ON unit (folded);
UPDATE unit SET name = NULL WHERE code = '00004';""")
c.commit()`, db]);
  let s2;
  try {
    s2 = await startServer({ env: { MOTCUA_DATA_KNOWLEDGE_DB: db } });
  } catch (e) {
    // the place index built at load checks every unit row: refusing to start, and
    // saying why, is as loud as it gets
    assert.equal(e.code, 1, e.message);
    assert.match(e.stderr, /level=error event=server\.start error="places: .*unit/);
    fs2.rmSync(dir, { recursive: true, force: true });
    return;
  }
  try {
    // three current units are named Ba Đình; Phường Ba Đình (00004) lost its name
    const r = await fetch(s2.url + '/api/v1/localities?q=' + encodeURIComponent('Ba Đình'));
    assert.equal(r.status, 200);
    const units = await r.json();
    assert.ok(units.every((u) => typeof u.name === 'string' && u.name), JSON.stringify(units));
    assert.ok(!units.some((u) => u.code === '00004'), 'the damaged row is left out');
    assert.ok(units.some((u) => u.code === '16171') && units.some((u) => u.code === '21499'), JSON.stringify(units));
    assert.match(s2.logs(), /level=error event=units\.bad_row code=00004 column=name/);
    const ok = await (await fetch(s2.url + '/api/v1/localities?q=' + encodeURIComponent('Hoàn Kiếm'))).json();
    assert.ok(ok.length >= 1, 'other units still answer');
  } finally { await s2.stop(); fs2.rmSync(dir, { recursive: true, force: true }); }
});

test('the validator accepts the shipped data and the verify report lists marked fields', async () => {
  const dir = fs.mkdtempSync('/tmp/motcua-kb-');
  let r = await run(['import', path.join(ROOT, 'data'), path.join(dir, 'kb.db')]);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['verify-report', path.join(ROOT, 'data')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^# Fields waiting for an official's check/m);
  const rows = r.stdout.split('\n').filter((l) => /^\| [a-z0-9-]+\.json \|/.test(l));
  assert.ok(rows.length > 10, 'verify rows: ' + rows.length);
  r = await run(['import', path.join(dir, 'nope'), path.join(dir, 'x.db')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /catalogue\.tsv/);
});

async function localities(q) {
  const r = await fetch(srv.url + '/api/v1/localities?q=' + encodeURIComponent(q));
  assert.equal(r.status, 200, q);
  return r.json();
}

test('localities: current names with or without diacritics', async () => {
  for (const q of ['Phường Hoàn Kiếm', 'phuong hoan kiem', 'HOÀN KIẾM', 'hoan kiem']) {
    const res = await localities(q);
    assert.ok(res.some((u) => u.code === '00070' && u.match === 'current'), q);
  }
  // tone style differs between sources: Hoà / Hòa meet
  const a = await localities('Thanh Hoá');
  const b = await localities('Thanh Hóa');
  assert.deepEqual(a.map((u) => u.code), b.map((u) => u.code));
});

test('localities: former communes resolve, split ones list every new unit', async () => {
  const res = await localities('phường Cống Vị quận Ba Đình cũ');
  const codes = res.map((u) => u.code).sort();
  assert.deepEqual(codes, ['00008', '00025']); // Ngọc Hà and Giảng Võ
  for (const u of res) {
    assert.equal(u.whole, false);
    assert.equal(u.former[0].name, 'Phường Cống Vị');
    assert.equal(u.former[0].district, 'Quận Ba Đình');
  }
  const whole = await localities('Phúc Xá');
  assert.ok(whole.some((u) => u.code === '00097' && u.former.some((f) => f.name === 'Phường Phúc Xá' && f.whole)));
});

test('localities: the data is all there (3,321 units, 10,599 mapping rows)', () => {
  const units = fs.readFileSync(path.join(ROOT, 'data/units/units-current.csv'), 'utf8').trim().split('\n');
  const map = fs.readFileSync(path.join(ROOT, 'data/units/old-to-new-2025.csv'), 'utf8').trim().split('\n');
  assert.equal(units.length - 1, 3321);
  assert.equal(map.length - 1, 10599);
  assert.ok(fs.existsSync(path.join(ROOT, 'data/units/LICENSE-dvhcvn-20250701')));
  assert.ok(fs.existsSync(path.join(ROOT, 'data/units/LICENSE-vietnamese-provinces-database')));
});

test("localities: every one of the 3,321 current units is findable by its own name", async () => {
  const units = fs.readFileSync(path.join(ROOT, 'data/units/units-current.csv'), 'utf8').trim().split('\n').slice(1);
  for (let i = 0; i < units.length; i++) {
    const [, prov, code, name] = units[i].split(',');
    const res = await localities(name);
    assert.ok(res.some((u) => u.code === code), `${name} (${prov}) not found`);
  }
});

test('localities: bad queries are clear errors', async () => {
  let r = await fetch(srv.url + '/api/v1/localities');
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'missing_query');
  r = await fetch(srv.url + '/api/v1/localities?q=%20%21%21');
  assert.equal(r.status, 400);
  r = await fetch(srv.url + '/api/v1/localities?q=%FF%FE');
  assert.equal(r.status, 400);
  assert.deepEqual(await localities('zzzzqqq'), []);
});

test('QR code of a guide page', async () => {
  const r = await fetch(srv.url + '/api/v1/qr?path=/thu-tuc/khai-sinh');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/svg+xml');
  assert.match(await r.text(), /^<svg[^>]*viewBox="0 0 \d+ \d+"/);
  for (const bad of ['//evil.example', 'http://x', '/a/../b', '/<script>']) {
    const b = await fetch(srv.url + '/api/v1/qr?path=' + encodeURIComponent(bad));
    assert.equal(b.status, 400, bad);
  }
});
