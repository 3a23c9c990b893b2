/* channels/web/admin-office.js - the console's office data and guide notes (docs/admin-office.md).
 * Renders into <section id="office"> and <section id="notes"> of /admin once the console is
 * logged in (the "motcua-admin-ready" event; window.motcuaAdmin.api(method, path, body) returns
 * parsed JSON and throws on an error with the server's message). Only window.motcuaAdminOfficeInit
 * is global. Plain DOM, no library; every control is a native one, so the keyboard works. */
(function () {
  'use strict';

  var DAYS = [[1, 'T2'], [2, 'T3'], [3, 'T4'], [4, 'T5'], [5, 'T6'], [6, 'T7'], [7, 'CN']];
  var LABELS = {
    display_name: 'Tên xã/phường hiển thị (đầu ki-ốt, bản in, cửa sổ hỏi đáp)',
    office_name: 'Tên trung tâm',
    address: 'Địa chỉ',
    hours: 'Giờ làm việc',
    holidays: 'Ngày nghỉ (lễ, Tết, nghỉ bù)',
    phone: 'Điện thoại',
    hotline: 'Đường dây hỗ trợ',
    map_url: 'Đường dẫn bản đồ (https://…)',
    portal_url: 'Cổng dịch vụ công (https://…)',
    counters: 'Các quầy tiếp nhận (ki-ốt và câu trả lời "nộp tại quầy số …")'
  };
  /* counters as the admin types them: "1 | Hộ tịch, chứng thực | ho-tich, chung-thuc" a line */
  function countersText(list) {
    return (list || []).map(function (c) {
      return c.number + ' | ' + c.name + ((c.domains || []).length ? ' | ' + c.domains.join(', ') : '');
    }).join('\n');
  }
  function parseCounters(text) {
    return text.split('\n').map(function (l) { return l.trim(); }).filter(Boolean).map(function (l) {
      var parts = l.split('|').map(function (x) { return x.trim(); });
      var c = { number: parts[0] || '', name: parts[1] || '' };
      var doms = (parts[2] || '').split(/[\s,;]+/).filter(Boolean);
      if (doms.length) c.domains = doms;
      return c;
    });
  }
  var FACTS = { address: 1, hours: 1, phone: 1, hotline: 1 };
  var STYLE = '#office .ao-field,#notes .ao-field{margin:0 0 1.25rem}' +
    '#office label,#notes label{display:block;font-weight:600;margin-bottom:.25rem}' +
    '#office input[type=text],#office input[type=url],#office textarea,#notes textarea,#notes input[type=text],#notes select,#office select' +
    '{font:inherit;width:100%;max-width:40rem;padding:.4rem;box-sizing:border-box}' +
    '.ao-meta{color:#4a5260;font-size:.95em;margin:.25rem 0}.ao-err{color:#a4000f;font-weight:600}' +
    '.ao-slot,.ao-day{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.25rem 0}' +
    '.ao-ok{color:#0a6b2d;font-weight:600}.ao-list{padding-left:1.25rem}' +
    '#office button,#notes button{font:inherit;padding:.35rem .8rem;min-height:2.5rem}';

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') n.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) n.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    });
    (kids || []).forEach(function (k) { if (k) n.appendChild(typeof k === 'string' ? document.createTextNode(k) : k); });
    return n;
  }
  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' });
  }
  /* The field a server message names: "hours.schedule[0]: …" -> "hours". */
  function fieldOf(e) {
    if (e && e.field) return e.field;
    var m = /^([a-z_]+)[.[:]/.exec(e && e.message ? e.message : '');
    return m ? m[1] : '';
  }

  /* ---- office data ---------------------------------------------------------------------------- */

  function Office(section, api) {
    this.section = section;
    this.api = api;
    this.data = null;
    this.code = '';
  }

  Office.prototype.load = function () {
    var self = this;
    return this.api('GET', '/api/v1/admin/office').then(function (d) {
      self.data = d;
      if (!self.code) self.code = d.home || (d.offices[0] && d.offices[0].code) || '';
      self.render();
    }).catch(function (e) { self.fail(e); });
  };

  Office.prototype.fail = function (e) {
    this.section.replaceChildren(el('h2', { id: 'h-office', text: 'Thông tin trụ sở' }),
      el('p', { class: 'ao-err', role: 'alert', text: 'Không tải được: ' + (e && e.message ? e.message : e) }));
  };

  Office.prototype.item = function () {
    var code = this.code;
    return (this.data.offices || []).filter(function (o) { return o.code === code; })[0];
  };

  Office.prototype.render = function () {
    var self = this, item = this.item(), s = this.section;
    var picker = el('select', { id: 'ao-code' });
    (this.data.offices || []).forEach(function (o) {
      picker.appendChild(el('option', { value: o.code, selected: o.code === self.code, text: o.code + ' — ' + (o.name || '') }));
    });
    picker.addEventListener('change', function () { self.code = picker.value; self.render(); });
    var status = el('p', { class: 'ao-meta', role: 'status', 'aria-live': 'polite' });
    var form = el('form', { novalidate: true });
    s.replaceChildren(el('h2', { id: 'h-office', text: 'Thông tin trụ sở' }),
      el('p', { text: 'Sửa ở đây có hiệu lực ngay cho các câu hỏi mới. Giá trị gốc (đã rà soát trong data/offices) vẫn được giữ; bấm “Khôi phục” để quay về.' }),
      el('div', { class: 'ao-field' }, [el('label', { for: 'ao-code', text: 'Xã/phường' }), picker]), form, status);
    if (!item) return;
    var office = item.office || {};
    this.inputs = {};
    this.confirm = {};
    (this.data.fields || Object.keys(LABELS)).forEach(function (f) {
      form.appendChild(self.fieldBox(f, office, item.overridden[f]));
    });
    var save = el('button', { type: 'submit', text: 'Lưu thay đổi' });
    form.appendChild(save);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      self.save(status);
    });
  };

  Office.prototype.fieldBox = function (f, office, ov) {
    var self = this, id = 'ao-' + f, box = el('div', { class: 'ao-field', 'data-field': f });
    var fact = FACTS[f] ? office[f] || {} : null;
    var input;
    box.appendChild(el('label', { for: id, text: LABELS[f] || f }));
    if (f === 'hours') {
      input = el('textarea', { id: id, rows: '2' });
      input.value = fact.text || '';
      box.appendChild(input);
      box.appendChild(this.scheduleEditor(fact.schedule || []));
    } else if (f === 'counters') {
      input = el('textarea', { id: id, rows: '3', 'aria-describedby': id + '-help' });
      input.value = countersText(office.counters);
      box.appendChild(input);
      box.appendChild(el('p', { class: 'ao-meta', id: id + '-help', text: 'Mỗi dòng một quầy: số quầy | tên quầy | các lĩnh vực (ho-tich, chung-thuc, cu-tru, dat-dai…), ví dụ “1 | Hộ tịch, chứng thực | ho-tich, chung-thuc”. Ki-ốt hiện các quầy này, và trợ lý trên ki-ốt nói “nộp tại quầy số …”.' }));
    } else if (f === 'holidays') {
      input = el('textarea', { id: id, rows: '2', 'aria-describedby': id + '-help' });
      input.value = ((office.hours || {}).holidays || []).join('\n');
      box.appendChild(input);
      box.appendChild(el('p', { class: 'ao-meta', id: id + '-help', text: 'Mỗi dòng một ngày, dạng NĂM-THÁNG-NGÀY, ví dụ 2027-01-01. Ngày nghỉ không tính là giờ làm việc khi báo cho người dân.' }));
    } else {
      input = el(f === 'address' ? 'textarea' : 'input', { id: id, type: /url$/.test(f) ? 'url' : 'text', rows: f === 'address' ? '2' : null });
      input.value = fact ? fact.text || '' : office[f] || '';
      box.appendChild(input);
    }
    this.inputs[f] = input;
    if (fact && fact.verify) { /* confirming is a choice, never a side effect of saving another field */
      var cb = el('input', { type: 'checkbox', id: id + '-ok' });
      this.confirm = this.confirm || {};
      this.confirm[f] = cb;
      box.appendChild(el('p', { class: 'ao-meta' }, [cb, ' ', el('label', { for: id + '-ok', style: 'display:inline', text: 'Đang chờ xác minh — đánh dấu để xác nhận thông tin này là đúng' })]));
    }
    box.appendChild(el('p', { class: 'ao-err', role: 'alert', hidden: true }));
    if (ov) {
      var back = el('button', { type: 'button', text: 'Khôi phục giá trị gốc' });
      back.addEventListener('click', function () { self.restore(f); });
      box.appendChild(el('p', { class: 'ao-meta' }, ['Đã sửa bởi ' + ov.by + ' lúc ' + when(ov.at) + ' ', back]));
    }
    return box;
  };

  Office.prototype.scheduleEditor = function (slots) {
    var wrap = el('fieldset', { class: 'ao-schedule' }, [el('legend', { text: 'Lịch mở cửa (để báo “khi nào cán bộ trả lời”)' })]);
    var list = el('div');
    function addSlot(s) {
      var row = el('div', { class: 'ao-slot', role: 'group', 'aria-label': 'Một buổi làm việc' });
      DAYS.forEach(function (d) {
        var cb = el('input', { type: 'checkbox', value: String(d[0]), checked: (s.days || []).indexOf(d[0]) >= 0 });
        row.appendChild(el('label', { class: 'ao-day' }, [cb, d[1]]));
      });
      var from = el('input', { type: 'time', value: s.from || '08:00', 'aria-label': 'Từ giờ', 'data-k': 'from' });
      var to = el('input', { type: 'time', value: s.to || '11:30', 'aria-label': 'Đến giờ', 'data-k': 'to' });
      var del = el('button', { type: 'button', text: 'Xoá buổi này' });
      del.addEventListener('click', function () { row.remove(); });
      row.append('từ', from, 'đến', to, del);
      list.appendChild(row);
    }
    slots.forEach(addSlot);
    var add = el('button', { type: 'button', text: 'Thêm buổi làm việc' });
    add.addEventListener('click', function () { addSlot({ days: [1, 2, 3, 4, 5] }); });
    wrap.append(list, add);
    this.schedule = list;
    return wrap;
  };

  Office.prototype.readSchedule = function () {
    return Array.prototype.map.call(this.schedule.querySelectorAll('.ao-slot'), function (row) {
      return {
        days: Array.prototype.filter.call(row.querySelectorAll('input[type=checkbox]'), function (c) { return c.checked; })
          .map(function (c) { return Number(c.value); }),
        from: row.querySelector('[data-k=from]').value,
        to: row.querySelector('[data-k=to]').value
      };
    });
  };

  /* Only what changed goes to the server (a partial PUT). */
  Office.prototype.changes = function () {
    var office = this.item().office || {}, body = {}, self = this, confirm = this.confirm || {};
    function confirmed(f) { return confirm[f] && confirm[f].checked; }
    Object.keys(this.inputs).forEach(function (f) {
      var v = self.inputs[f].value.trim();
      if (f === 'hours') {
        var h = office.hours || {}, sched = self.readSchedule();
        if (v !== (h.text || '') || JSON.stringify(sched) !== JSON.stringify(h.schedule || []) || confirmed(f))
          body.hours = { text: v, schedule: sched, verify: false };
      } else if (f === 'counters') {
        var cs = parseCounters(self.inputs[f].value);
        if (JSON.stringify(cs) !== JSON.stringify(office.counters || [])) body.counters = cs;
      } else if (f === 'holidays') {
        var days = v ? v.split(/[\s,;]+/).filter(Boolean) : [];
        if (JSON.stringify(days) !== JSON.stringify((office.hours || {}).holidays || [])) body.holidays = days;
      } else if (FACTS[f]) {
        if (v && (v !== ((office[f] || {}).text || '') || confirmed(f))) body[f] = v;
      } else if (v && v !== (office[f] || '')) {
        body[f] = v;
      }
    });
    return body;
  };

  Office.prototype.save = function (status) {
    var self = this, body = this.changes();
    this.section.querySelectorAll('.ao-field .ao-err').forEach(function (p) { p.hidden = true; });
    if (!Object.keys(body).length) {
      status.textContent = 'Không có gì thay đổi.';
      return Promise.resolve();
    }
    status.textContent = 'Đang lưu…';
    return this.api('PUT', '/api/v1/admin/office/' + this.code, body).then(function () {
      return self.load();
    }).then(function () {
      self.section.querySelector('[role=status]').textContent = 'Đã lưu. Trợ lý dùng thông tin mới ngay.';
    }).catch(function (e) {
      var f = fieldOf(e), box = self.section.querySelector('.ao-field[data-field="' + f + '"] .ao-err');
      status.textContent = 'Chưa lưu: ' + (e && e.message ? e.message : e);
      if (box) {
        box.textContent = e.message;
        box.hidden = false;
        var input = self.inputs[f];
        if (input) input.focus();
      }
    });
  };

  Office.prototype.restore = function (f) {
    var self = this;
    return this.api('DELETE', '/api/v1/admin/office/' + this.code + '/' + f).then(function () {
      return self.load();
    }).catch(function (e) { self.section.querySelector('[role=status]').textContent = e.message; });
  };

  /* ---- guide notes ---------------------------------------------------------------------------- */

  function Notes(section, api) {
    this.section = section;
    this.api = api;
    this.id = '';
  }

  Notes.prototype.load = function () {
    var self = this;
    return fetch('/api/v1/procedures').then(function (r) { return r.json(); }).then(function (list) {
      self.list = list;
      self.render();
    }).catch(function (e) {
      self.section.replaceChildren(el('p', { class: 'ao-err', role: 'alert', text: 'Không tải được danh sách thủ tục: ' + e.message }));
    });
  };

  Notes.prototype.render = function () {
    var self = this, picker = el('select', { id: 'an-proc' }, [el('option', { value: '', text: '— chọn thủ tục —' })]);
    this.list.forEach(function (p) { picker.appendChild(el('option', { value: p.id, selected: p.id === self.id, text: p.name })); });
    this.body = el('div');
    picker.addEventListener('change', function () { self.id = picker.value; self.show(); });
    this.section.replaceChildren(el('h2', { id: 'h-notes', text: 'Ghi chú hướng dẫn thủ tục' }),
      el('p', { text: 'Đánh dấu từng mục của hướng dẫn là đúng hoặc sai (kèm lý do) để người rà soát sửa trong data/, và ghi thông báo của xã về lệ phí, thời hạn.' }),
      el('div', { class: 'ao-field' }, [el('label', { for: 'an-proc', text: 'Thủ tục' }), picker]), this.body);
    if (this.id) this.show();
  };

  Notes.prototype.show = function () {
    var self = this, id = this.id;
    this.body.replaceChildren();
    if (!id) return Promise.resolve();
    return Promise.all([
      fetch('/api/v1/procedures/' + id).then(function (r) { return r.json(); }),
      this.api('GET', '/api/v1/admin/notes?procedure=' + id),
      this.api('GET', '/api/v1/admin/guides/' + id + '/local')
    ]).then(function (r) {
      if (id !== self.id) return;
      self.body.replaceChildren(self.verifyBox(r[0]), self.localBox(r[2]), self.listBox(r[1].notes || []));
    }).catch(function (e) {
      self.body.replaceChildren(el('p', { class: 'ao-err', role: 'alert', text: e.message }));
    });
  };

  Notes.prototype.verifyBox = function (g) {
    var self = this, fields = (g.verify || []).slice();
    ['fee', 'processing_time', 'where'].forEach(function (f) { if (fields.indexOf(f) < 0) fields.push(f); });
    var field = el('select', { id: 'an-field' });
    fields.forEach(function (f) { field.appendChild(el('option', { value: f, text: f + ((g.verify || []).indexOf(f) >= 0 ? ' (chờ xác minh)' : '') })); });
    var other = el('input', { type: 'text', id: 'an-other', placeholder: 'hoặc gõ mục khác, ví dụ documents[2], faq[1].a' });
    var comment = el('textarea', { id: 'an-comment', rows: '3' });
    var msg = el('p', { role: 'status', 'aria-live': 'polite' });
    function send(status) {
      msg.className = '';
      return self.api('POST', '/api/v1/admin/notes', {
        procedure: self.id, field: other.value.trim() || field.value, status: status, comment: comment.value.trim()
      }).then(function () {
        msg.className = 'ao-ok';
        msg.textContent = 'Đã ghi nhận.';
        return self.show();
      }).catch(function (e) { msg.className = 'ao-err'; msg.textContent = e.message; });
    }
    var ok = el('button', { type: 'button', text: 'Đúng — xác nhận' });
    var bad = el('button', { type: 'button', text: 'Sai — cần sửa' });
    ok.addEventListener('click', function () { send('confirmed'); });
    bad.addEventListener('click', function () { send('wrong'); });
    return el('fieldset', null, [el('legend', { text: 'Xác nhận một mục' }),
      el('div', { class: 'ao-field' }, [el('label', { for: 'an-field', text: 'Mục' }), field, other]),
      el('div', { class: 'ao-field' }, [el('label', { for: 'an-comment', text: 'Nhận xét (bắt buộc khi chọn “Sai”)' }), comment]),
      ok, ' ', bad, msg]);
  };

  Notes.prototype.localBox = function (local) {
    var self = this, boxes = {}, msg = el('p', { role: 'status', 'aria-live': 'polite' });
    var kids = [el('legend', { text: 'Thông báo của xã về lệ phí, thời hạn (hiện kèm ngày cho người dân)' })];
    [['fee_note', 'Lệ phí'], ['time_note', 'Thời hạn giải quyết']].forEach(function (k) {
      var cur = local[k[0]], t = el('textarea', { id: 'an-' + k[0], rows: '2' });
      t.value = cur ? cur.text : '';
      boxes[k[0]] = t;
      kids.push(el('div', { class: 'ao-field' }, [el('label', { for: 'an-' + k[0], text: k[1] }), t,
        cur ? el('p', { class: 'ao-meta', text: 'Người dân thấy: ' + (cur.shown || cur.text) + ' (' + cur.by + ')' }) : null]));
    });
    var save = el('button', { type: 'button', text: 'Lưu thông báo' });
    save.addEventListener('click', function () {
      self.api('PUT', '/api/v1/admin/guides/' + self.id + '/local', {
        fee_note: boxes.fee_note.value.trim() || null, time_note: boxes.time_note.value.trim() || null
      }).then(function () { return self.show(); }).catch(function (e) { msg.className = 'ao-err'; msg.textContent = e.message; });
    });
    kids.push(save, msg);
    return el('fieldset', null, kids);
  };

  Notes.prototype.listBox = function (notes) {
    var list = el('ul', { class: 'ao-list' });
    notes.forEach(function (n) {
      list.appendChild(el('li', { 'data-status': n.status }, [
        el('strong', { text: n.field + ': ' + (n.status === 'wrong' ? 'SAI' : 'đúng') }),
        ' — ' + (n.comment || 'không có nhận xét') + ' (' + n.by + ', ' + when(n.at) + ')'
      ]));
    });
    return el('div', null, [el('h3', { text: 'Các ghi chú đã có' }), notes.length ? list : el('p', { text: 'Chưa có ghi chú nào.' })]);
  };

  /* ---- start ---------------------------------------------------------------------------------- */

  var started = false;
  function init() {
    var admin = window.motcuaAdmin, office = document.getElementById('office'), notes = document.getElementById('notes');
    if (started || !admin || typeof admin.api !== 'function') return;
    started = true;
    if (!document.getElementById('ao-style')) document.head.appendChild(el('style', { id: 'ao-style', text: STYLE }));
    var api = function (m, p, b) { return admin.api(m, p, b); };
    if (office) new Office(office, api).load();
    if (notes) new Notes(notes, api).load();
  }
  window.motcuaAdminOfficeInit = init;
  document.addEventListener('motcua-admin-ready', init);
  if (window.motcuaAdmin && window.motcuaAdmin.officer) init(); /* already logged in (a reload) */
}());
