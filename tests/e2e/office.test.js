// tests/e2e/office.test.js - the commune's office data and guide notes, edited by an admin
// (issue 15), against the real server with listen.workers 2: an admin changes the hours and the
// phone, and citizens asking "giờ làm việc" over the WebSocket get the new ones from both worker
// processes (each logs the revision it serves; /metrics shows both answered); a wrong schedule
// is refused with 400 naming the field; removing the override gives the shipped value back; an
// officer gets 403, no session 401, no CSRF token 403; a local fee note appears, dated, in the
// guide card and on the /thu-tuc page while the reviewed fee stays; a note marked wrong is listed;
// the commune's name reaches /api/v1/commune and the printouts; and the console's script
// (admin-office.js, in a small page of the test's own) saves a phone typed in its form.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { startServer, tempDir, Client, stateQuery, waitFor: waitUntil, untilWorkers } = require('./lib/server');
const { addAccount, apiLogin } = require('./lib/console');
const { launch } = require('./lib/browser');

const PW = 'mật-khẩu-văn-phòng-1';
const HOURS = 'Thứ Hai đến thứ Sáu: 7:30–11:30 và 13:30–17:00 (giờ mới của phường)';
const PHONE = '024 3823 9876';
let srv, dir, admin, officer;

const add = (user, role) => addAccount(dir, user, role, PW);
const login = (username) => apiLogin(srv.url, username, PW);

// A console request: JSON body, the session's cookie and (unless told) its CSRF token.
async function api(who, method, p, body, opts = {}) {
  const headers = {};
  if (who) headers.cookie = who.cookie;
  if (who && !opts.noCsrf) headers['x-csrf-token'] = who.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(srv.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* an HTML page */ }
  return { status: r.status, json, text };
}

// GET on a new connection each time (no keep-alive), so the kernel picks a worker afresh.
function getFresh(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

// Citizen messages each worker has counted, by pid (asked until both answered).
async function messagesByWorker() {
  const out = new Map();
  for (let i = 0; i < 80 && out.size < 2; i++) {
    const body = await getFresh(srv.url + '/metrics');
    const pid = Number(/^motcua_worker_pid (\d+)$/m.exec(body)[1]);
    const m = /^motcua_messages_in_total\{channel="web"\} (\d+)$/m.exec(body);
    out.set(pid, m ? Number(m[1]) : 0);
  }
  assert.equal(out.size, 2, 'both workers answered /metrics');
  return out;
}

async function ask(text) {
  const c = await Client.connect(srv.wsUrl);
  await c.hello(null, 'web');
  const r = await c.say(text);
  await c.close();
  assert.equal(r.type, 'reply', JSON.stringify(r));
  return r;
}

const workerPids = () => [...srv.logs().matchAll(/event=server\.listen host=\S+ port=\d+ pid=(\d+)/g)].map((m) => Number(m[1]));
const waitFor = (pred, ms, what) => waitUntil(pred, ms, what, { poll: 50, detail: () => srv.logs().slice(-3000) });
const appliedRevs = () => [...srv.logs().matchAll(/event=office\.apply rev=(\d+) pid=(\d+)/g)].map((m) => ({ rev: Number(m[1]), pid: Number(m[2]) }));


// Both workers serve revision rev (the one the writing worker answered with or later).
async function bothServe(rev) {
  await waitFor(() => {
    const pids = new Set(appliedRevs().filter((a) => a.rev >= rev).map((a) => a.pid));
    return workerPids().every((p) => pids.has(p));
  }, 3000, `office.apply rev=${rev} on both workers`);
}

const revNow = async () => Number(stateQuery(dir, 'SELECT rev FROM local_rev'));

before(async () => {
  dir = tempDir('motcua-office-');
  await add('quan.tri', 'admin');
  await add('can.bo', 'officer');
  srv = await startServer({ dir, env: { MOTCUA_LISTEN_WORKERS: '2', MOTCUA_LOCALITY_DEFAULT: '00008' } });
  await untilWorkers(srv, 2);
  assert.equal(workerPids().length, 2);
  admin = await login('quan.tri');
  officer = await login('can.bo');
});

after(async () => {
  if (srv) await srv.stop();
});

test('an admin changes the hours and the phone: every worker answers with them', async () => {
  const shipped = await api(admin, 'GET', '/api/v1/admin/office');
  assert.equal(shipped.status, 200);
  assert.equal(shipped.json.home, '00008');
  const before = shipped.json.offices.find((o) => o.code === '00008');
  assert.ok(before && before.shipped);
  assert.deepEqual(before.overridden, {});
  assert.equal(before.office.phone.text, null);
  const old = await ask('giờ làm việc');
  assert.ok(!old.messages.some((m) => m.text.includes(HOURS)));

  const r = await api(admin, 'PUT', '/api/v1/admin/office/00008', {
    hours: { text: HOURS, schedule: [{ days: [1, 2, 3, 4, 5], from: '07:30', to: '11:30' }, { days: [1, 2, 3, 4, 5], from: '13:30', to: '17:00' }] },
    phone: PHONE,
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.office.hours.text, HOURS);
  assert.equal(r.json.office.phone.text, PHONE);
  assert.equal(r.json.office.phone.verify, false, 'set by an official: confirmed');
  assert.equal(r.json.overridden.phone.by, 'quan.tri');
  assert.match(r.json.overridden.hours.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await bothServe(await revNow());

  const base = await messagesByWorker();
  let answered = new Map();
  for (let i = 0; i < 40; i++) {
    const reply = await ask('giờ làm việc');
    const text = reply.messages.map((m) => m.text).join('\n');
    assert.ok(text.includes(HOURS), 'the new hours: ' + text);
    assert.ok(text.includes(PHONE), 'the new phone: ' + text);
    if (i % 6 === 5) {
      answered = await messagesByWorker();
      if ([...answered].every(([pid, n]) => n > (base.get(pid) || 0))) break;
    }
  }
  for (const [pid, n] of answered) assert.ok(n > (base.get(pid) || 0), `worker ${pid} answered citizens`);
  // the GET shows who and when
  const now = await api(admin, 'GET', '/api/v1/admin/office');
  const item = now.json.offices.find((o) => o.code === '00008');
  assert.deepEqual(Object.keys(item.overridden).sort(), ['hours', 'phone']);
});

test('bad input is refused with the field named; officers and strangers are kept out', async () => {
  let r = await api(admin, 'PUT', '/api/v1/admin/office/00008', { hours: { schedule: [{ days: [1], from: '12:00', to: '08:00' }] } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'bad_field');
  assert.equal(r.json.field, 'hours');
  assert.match(r.json.message, /^hours\.schedule\[0\]: to must be after from$/);
  r = await api(admin, 'PUT', '/api/v1/admin/office/00008', { holidays: ['2027-02-30'] });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'holidays');
  r = await api(admin, 'PUT', '/api/v1/admin/office/00008', { map_url: 'http://maps.example' });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'map_url');
  r = await api(admin, 'PUT', '/api/v1/admin/office/00008', { fax: '1' });
  assert.equal(r.json.field, 'fax');
  r = await api(admin, 'PUT', '/api/v1/admin/office/00008', {});
  assert.equal(r.status, 400);
  r = await api(admin, 'PUT', '/api/v1/admin/office/99999', { phone: '1' });
  assert.equal(r.status, 404);
  r = await api(admin, 'DELETE', '/api/v1/admin/office/00008/fax');
  assert.equal(r.status, 400);
  r = await api(officer, 'GET', '/api/v1/admin/office');
  assert.equal(r.status, 403);
  r = await api(officer, 'PUT', '/api/v1/admin/office/00008', { phone: '1' });
  assert.equal(r.status, 403);
  r = await api(officer, 'POST', '/api/v1/admin/notes', { procedure: 'khai-sinh', field: 'fee', status: 'confirmed' });
  assert.equal(r.status, 403);
  r = await api(null, 'GET', '/api/v1/admin/office');
  assert.equal(r.status, 401);
  r = await api(admin, 'PUT', '/api/v1/admin/office/00008', { phone: '1' }, { noCsrf: true });
  assert.equal(r.json.error, 'csrf');
  // nothing of it was stored
  const now = await api(admin, 'GET', '/api/v1/admin/office');
  assert.equal(now.json.offices.find((o) => o.code === '00008').office.phone.text, PHONE);
});

test('removing an override gives the shipped value back', async () => {
  let r = await api(admin, 'DELETE', '/api/v1/admin/office/00008/phone');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.office.phone.text, null);
  assert.equal(r.json.overridden.phone, undefined);
  r = await api(admin, 'DELETE', '/api/v1/admin/office/00008/phone');
  assert.equal(r.status, 404);
  await bothServe(await revNow());
  for (let i = 0; i < 6; i++) {
    const text = (await ask('giờ làm việc')).messages.map((m) => m.text).join('\n');
    assert.ok(!text.includes(PHONE), text);
    assert.ok(text.includes(HOURS), 'the hours stay overridden');
  }
});

test('the commune\'s name reaches the API the kiosk and widget read, and the printouts', async () => {
  let r = await api(admin, 'PUT', '/api/v1/admin/office/00008', { display_name: 'Phường Ngọc Hà (thử nghiệm)' });
  assert.equal(r.status, 200, r.text);
  await bothServe(await revNow()); /* the GETs below may reach either worker */
  r = await api(null, 'GET', '/api/v1/commune');
  const { code, name, office_name: officeName, hours } = r.json;
  assert.deepEqual({ code, name, officeName }, { code: '00008', name: 'Phường Ngọc Hà (thử nghiệm)', officeName: 'Trung tâm phục vụ hành chính công phường Ngọc Hà' });
  assert.equal(hours, HOURS); // the hours the bot says (issue 19: the demo page and kiosk read them here)
  const page = await (await fetch(srv.url + '/thu-tuc')).text();
  assert.match(page, /<p class="commune">Phường Ngọc Hà \(thử nghiệm\)<\/p>/);
});

test('a local fee note shows with its date in the guide card and the /thu-tuc page', async () => {
  const NOTE = 'Miễn lệ phí cấp bản sao lần đầu theo Nghị quyết của HĐND thành phố.';
  let r = await api(admin, 'PUT', '/api/v1/admin/guides/khai-sinh/local', { fee_note: NOTE });
  assert.equal(r.status, 200, r.text);
  const today = new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10).split('-').reverse().join('/');
  const shown = `Theo thông báo của Phường Ngọc Hà (thử nghiệm) ngày ${today}: ${NOTE}`;
  assert.equal(r.json.fee_note.shown, shown);
  assert.equal(r.json.time_note, null);
  await bothServe(await revNow());
  const guide = await (await fetch(srv.url + '/api/v1/procedures/khai-sinh')).json();
  for (let i = 0; i < 4; i++) {
    const c = await Client.connect(srv.wsUrl);
    await c.hello(null, 'web');
    const reply = await c.say('đăng ký khai sinh cho con');
    assert.equal(reply.procedure, 'khai-sinh');
    assert.ok(reply.card, JSON.stringify(reply));
    assert.equal(reply.card.fee_note, shown);
    assert.equal(reply.card.fee, guide.fee, 'the reviewed fee is never changed');
    const fee = await c.say('lệ phí bao nhiêu');
    assert.equal(fee.procedure, 'khai-sinh');
    assert.ok(fee.messages.map((m) => m.text).join('\n').includes(shown), JSON.stringify(fee.messages));
    await c.close();
  }
  const page = await (await fetch(srv.url + '/thu-tuc/khai-sinh')).text();
  assert.ok(page.includes('<span class="local-note">' + shown + '</span>'), 'the note on the printout');
  assert.equal(guide.fee_note, undefined, 'the guide API stays the reviewed guide');
  r = await api(admin, 'PUT', '/api/v1/admin/guides/khai-sinh/local', { price: 'x' });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'price');
  r = await api(admin, 'PUT', '/api/v1/admin/guides/khong-co/local', { fee_note: 'x' });
  assert.equal(r.status, 404);
});

test('a guide field marked wrong is listed with who and why', async () => {
  let r = await api(admin, 'POST', '/api/v1/admin/notes', { procedure: 'khai-sinh', field: 'documents[2]', status: 'wrong', comment: 'Mẫu tờ khai đã thay bằng mẫu mới.' });
  assert.equal(r.status, 201, r.text);
  r = await api(admin, 'POST', '/api/v1/admin/notes', { procedure: 'khai-sinh', field: 'fee', status: 'confirmed', comment: '' });
  assert.equal(r.status, 201, r.text);
  r = await api(admin, 'GET', '/api/v1/admin/notes?procedure=khai-sinh');
  assert.equal(r.status, 200);
  assert.equal(r.json.notes.length, 2);
  assert.deepEqual(
    { field: r.json.notes[1].field, status: r.json.notes[1].status, comment: r.json.notes[1].comment, by: r.json.notes[1].by },
    { field: 'documents[2]', status: 'wrong', comment: 'Mẫu tờ khai đã thay bằng mẫu mới.', by: 'quan.tri' });
  assert.equal(r.json.notes[0].field, 'fee');
  r = await api(admin, 'POST', '/api/v1/admin/notes', { procedure: 'khai-sinh', field: 'documents[99]', status: 'wrong', comment: 'x' });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'field');
  r = await api(admin, 'POST', '/api/v1/admin/notes', { procedure: 'khai-sinh', field: 'fee', status: 'wrong' });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'comment');
  r = await api(admin, 'POST', '/api/v1/admin/notes', { procedure: 'khong-co', field: 'fee', status: 'wrong', comment: 'x' });
  assert.equal(r.status, 404);
  r = await api(admin, 'GET', '/api/v1/admin/notes?procedure=khong-co');
  assert.equal(r.status, 404);
});

test('the console script saves a phone typed in its form', async () => {
  // a page of the test's own, at the server's origin, with the console's contract
  const PAGE = `<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body>
    <section id="office"></section><section id="notes"></section>
    <script>
      window.motcuaAdmin = { csrf: ${JSON.stringify(admin.csrf)}, api: function (method, p, body) {
        return fetch(p, { method: method, headers: Object.assign({ 'x-csrf-token': window.motcuaAdmin.csrf },
          body === undefined ? {} : { 'content-type': 'application/json' }),
          body: body === undefined ? undefined : JSON.stringify(body) })
          .then(function (r) { return r.json().then(function (j) {
            if (!r.ok) { var e = new Error(j.message); e.field = j.field; throw e; } return j; }); });
      } };
    </script>
    <script src="/admin-office.js"></script>
    <script>document.dispatchEvent(new Event('motcua-admin-ready'));</script></body></html>`;
  const b = await launch();
  try {
    await b.context.addCookies([{ name: 'motcua_officer', value: admin.cookie.split('=')[1], url: srv.url }]);
    await b.page.route(srv.url + '/__office-test', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: PAGE }));
    await b.page.goto(srv.url + '/__office-test');
    await b.page.locator('#ao-phone').fill('024 3999 0001');
    await b.page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await b.page.getByText('Đã lưu. Trợ lý dùng thông tin mới ngay.').waitFor();
    const r = await api(admin, 'GET', '/api/v1/admin/office');
    const item = r.json.offices.find((o) => o.code === '00008');
    assert.equal(item.office.phone.text, '024 3999 0001');
    assert.equal(item.office.hours.text, HOURS, 'only the changed field was sent');
    // a wrong holiday is shown beside its field
    await b.page.locator('#ao-holidays').fill('2027-02-30');
    await b.page.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await b.page.locator('.ao-field[data-field="holidays"] .ao-err').getByText('hours.holidays[0]').waitFor();
    // the notes section lists the note of the test before
    await b.page.locator('#an-proc').selectOption('khai-sinh');
    await b.page.getByText('documents[2]: SAI').waitFor();
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});
