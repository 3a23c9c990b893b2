/* motcua console (/admin): login for admin accounts, the sections of the console, and two of
 * them: the unanswered questions and teaching (docs/admin.md, API in docs/api.md).
 *
 * - Plain JS, no framework, no third-party request. Server text is inserted with textContent
 *   only; this file never assigns innerHTML.
 * - Session: the officer login (HttpOnly cookie); the CSRF token from the login or /me answer
 *   is kept in memory and sent as X-CSRF-Token on every POST and DELETE.
 * - The other sections are other files: /admin-office.js and /admin-feedback.js are loaded when
 *   present; each waits for the "motcua-admin-ready" event on document (fired once, after
 *   login, when both have loaded or failed to), then uses window.motcuaAdmin:
 *     { csrf, officer, api(method, path, body) }
 *   api() resolves to the parsed JSON answer and rejects with an Error whose message is the
 *   server's message (err.status, err.code, err.body set) on any status outside 2xx.
 */
(function () {
  'use strict';

  var EXTRA = ['/admin-office.js', '/admin-feedback.js'];
  var DAY_MS = 86400000;
  var DECISIONS = { none: 'không hiểu', clarify: 'phải hỏi lại', match: 'trả lời chưa chắc' };
  var CHANNELS = { web: 'Website', kiosk: 'Ki-ốt', messenger: 'Messenger', zalo: 'Zalo' };

  var $ = function (id) { return document.getElementById(id); };
  var csrf = null, me = null, names = {}, ready = false, extrasLeft = EXTRA.length;

  var dom = window.motcuaDom; /* /dom.js, loaded before this file */
  var el = dom.el, clear = dom.clear, str = dom.str, show = dom.show;
  function labelName(id) { return id === 'none' ? 'Ngoài phạm vi' : names[id] || id; }
  function pct(x) { return Math.round((Number(x) || 0) * 100) + ' %'; }
  function fmtTime(s) {
    var d = new Date(Number(s) * 1000);
    if (isNaN(d)) return '';
    try {
      return d.toLocaleString('vi-VN', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Asia/Ho_Chi_Minh' });
    } catch (e) {
      return d.toLocaleString('vi-VN');
    }
  }
  /* YYYY-MM-DD of the commune's day: the reports' days are Vietnam's (report.timezone, +07:00 by
   * default), whatever zone the office computer is set to. */
  function localDate(ms) {
    try {
      return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(ms));
    } catch (e) {
      return new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 10);
    }
  }

  /* ---- HTTP: the one helper every section uses --------------------------------------------- */

  function api(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') {
      if (csrf) headers['X-CSRF-Token'] = csrf;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
    }
    return fetch(path, {
      method: method, headers: headers, credentials: 'same-origin',
      body: body !== undefined && method !== 'GET' ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) return j;
        if (r.status === 401 && me) loggedOut('Phiên đăng nhập đã hết. Bạn đăng nhập lại giúp.');
        var err = new Error(str(j && j.message) || 'Máy chủ trả lời lỗi ' + r.status + '.');
        err.status = r.status;
        err.code = str(j && j.error);
        err.body = j || {};
        throw err;
      });
    });
  }
  window.motcuaAdmin = { csrf: null, officer: null, api: api };

  /* The other sections' files: loaded at once, the event waits for them. */
  EXTRA.forEach(function (src) {
    var s = document.createElement('script');
    s.src = src;
    s.onload = s.onerror = function () { extrasLeft--; announce(); };
    document.head.appendChild(s);
  });
  function announce() {
    if (ready || !me || extrasLeft > 0) return;
    ready = true;
    document.dispatchEvent(new CustomEvent('motcua-admin-ready', { detail: window.motcuaAdmin }));
  }

  /* ---- login ----------------------------------------------------------------------------- */

  function loggedIn(body) {
    var o = body.officer || {};
    csrf = str(body.csrf_token);
    if (o.role !== 'admin') {
      me = null;
      $('a-denied-who').textContent = 'Bạn đang đăng nhập là ' + (str(o.name) || str(o.username)) + ' (cán bộ một cửa).';
      show($('v-login'), false);
      show($('v-denied'), true);
      $('a-denied-logout').focus();
      return;
    }
    me = o;
    window.motcuaAdmin.csrf = csrf;
    window.motcuaAdmin.officer = me;
    $('a-me').textContent = str(me.name) || str(me.username);
    show($('v-login'), false);
    show($('v-denied'), false);
    show($('v-work'), true);
    fetch('/api/v1/procedures').then(function (r) { return r.ok ? r.json() : []; }).then(function (l) {
      (Array.isArray(l) ? l : []).forEach(function (p) { if (p && p.id) names[p.id] = str(p.short_name) || str(p.name); });
      fillLabels(l);
    }, function () { fillLabels([]); }).then(function () { loadUnanswered(); loadPhrases(); });
    announce();
    $('u-from').focus();
  }
  function loggedOut(msg) {
    csrf = null;
    me = null;
    window.motcuaAdmin.csrf = null;
    show($('v-work'), false);
    show($('v-denied'), false);
    show($('v-login'), true);
    var err = $('a-login-err');
    err.textContent = msg || '';
    show(err, !!msg);
    $('a-user').focus();
  }
  function logout() {
    api('POST', '/api/v1/officer/logout').then(function () { loggedOut('Bạn đã đăng xuất.'); },
      function () { loggedOut(''); });
  }
  $('a-login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var u = $('a-user').value.trim(), p = $('a-pass').value, err = $('a-login-err');
    if (!u || !p) { err.textContent = 'Nhập tên đăng nhập và mật khẩu.'; show(err, true); return; }
    api('POST', '/api/v1/officer/login', { username: u, password: p }).then(function (body) {
      $('a-pass').value = '';
      show(err, false);
      loggedIn(body);
    }, function (ex) {
      $('a-pass').value = '';
      err.textContent = ex.status === 429
        ? 'Đăng nhập sai nhiều lần. Bạn thử lại sau ' + (Number(ex.body.retry_after) || 30) + ' giây.'
        : ex.status ? ex.message : 'Không kết nối được máy chủ.';
      show(err, true);
      $('a-pass').focus();
    });
  });
  $('a-logout').addEventListener('click', logout);
  $('a-denied-logout').addEventListener('click', logout);

  /* ---- unanswered questions -------------------------------------------------------------- */

  function loadUnanswered() {
    var from = $('u-from').value, to = $('u-to').value, status = $('u-status');
    status.textContent = 'Đang tải…';
    api('GET', '/api/v1/admin/unanswered?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to))
      .then(renderGroups, function (ex) { status.textContent = ex.message; clear($('u-list')); });
  }
  function renderGroups(j) {
    var list = $('u-list'), groups = Array.isArray(j.groups) ? j.groups : [];
    clear(list);
    $('u-status').textContent = groups.length
      ? groups.length + ' nhóm câu hỏi, ' + j.messages + ' tin nhắn' + (j.truncated ? ' (chỉ xét các tin mới nhất)' : '') + '.'
      : 'Không có câu hỏi nào chatbot chưa trả lời được trong những ngày này.';
    groups.forEach(function (g) {
      var kinds = Object.keys(DECISIONS).filter(function (k) { return g.decisions && g.decisions[k]; })
        .map(function (k) { return DECISIONS[k] + ' ' + g.decisions[k]; }).join(', ');
      var cands = (Array.isArray(g.candidates) ? g.candidates : []).map(function (c) {
        return labelName(str(c.label)) + ' (' + pct(c.confidence) + ')';
      }).join('; ');
      var ex = el('ul', { class: 'a-examples' }, (g.examples || []).map(function (e) {
        return el('li', null, [el('q', null, str(e.text)), ' — ', CHANNELS[e.channel] || str(e.channel), ', ', fmtTime(e.ts)]);
      }));
      var teachBtn = el('button', { type: 'button', class: 'a-btn a-btn-small' }, 'Dạy câu này');
      teachBtn.addEventListener('click', function () { startTeach(str(g.text), g.candidates || []); });
      list.appendChild(el('li', { class: 'a-group a-card' }, [
        el('p', { class: 'a-group-text' }, el('q', null, str(g.text))),
        el('p', { class: 'a-muted' }, 'Hỏi ' + g.count + ' lần (' + kinds + '). Lần gần nhất: ' + fmtTime(g.last_ts) + '.'),
        cands ? el('p', null, 'Chatbot đã nghĩ tới: ' + cands) : null,
        el('details', null, [el('summary', null, 'Các câu hỏi gần nhất'), ex]),
        teachBtn
      ]));
    });
  }
  $('u-form').addEventListener('submit', function (e) { e.preventDefault(); loadUnanswered(); });

  /* ---- teaching -------------------------------------------------------------------------- */

  function fillLabels(list) {
    var sel = $('t-label');
    while (sel.options.length > 1) sel.remove(1);
    (Array.isArray(list) ? list : []).forEach(function (p) {
      if (p && p.id) sel.appendChild(el('option', { value: p.id }, labelName(p.id)));
    });
    sel.appendChild(el('option', { value: 'none' }, 'Ngoài phạm vi (không thuộc thủ tục nào của xã)'));
  }
  function teachMsg(text, ok) {
    var m = $('t-msg');
    m.textContent = text;
    m.className = ok ? 'a-ok' : 'a-err';
    show(m, !!text);
  }
  function startTeach(text, cands) {
    var sug = $('t-suggest');
    $('t-text').value = text;
    $('t-label').value = '';
    teachMsg('', true);
    clear(sug);
    cands = cands.filter(function (c) { return names[c.label]; });
    if (cands.length) {
      sug.appendChild(document.createTextNode('Gợi ý: '));
      cands.forEach(function (c) {
        var b = el('button', { type: 'button', class: 'a-btn a-btn-ghost a-btn-small' }, labelName(c.label));
        b.addEventListener('click', function () { $('t-label').value = c.label; $('t-label').focus(); });
        sug.appendChild(b);
      });
    }
    show(sug, cands.length > 0);
    $('teach').scrollIntoView();
    $('t-label').focus();
  }
  $('t-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = $('t-text').value.trim(), label = $('t-label').value;
    if (!text) { teachMsg('Nhập câu hỏi của người dân.', false); $('t-text').focus(); return; }
    if (!label) { teachMsg('Chọn thủ tục để gán câu hỏi vào.', false); $('t-label').focus(); return; }
    api('POST', '/api/v1/admin/phrases', { text: text, label: label }).then(function () {
      teachMsg('Đã dạy. Từ bây giờ chatbot hiểu câu "' + text + '" là: ' + labelName(label) + '.', true);
      $('t-text').value = '';
      show($('t-suggest'), false);
      loadPhrases();
      loadUnanswered();
    }, function (ex) {
      teachMsg(ex.status === 409 ? 'Không dạy được: ' + ex.message : ex.message, false);
      $('t-text').focus();
    });
  });
  function loadPhrases() {
    api('GET', '/api/v1/admin/phrases').then(function (j) {
      var rows = $('t-rows'), list = Array.isArray(j.phrases) ? j.phrases : [];
      clear(rows);
      show($('t-empty'), list.length === 0);
      show($('t-table'), list.length > 0);
      list.slice().reverse().forEach(function (p) {
        var del = el('button', { type: 'button', class: 'a-btn a-btn-ghost a-btn-small', 'aria-label': 'Xoá câu "' + str(p.text) + '"' }, 'Xoá');
        del.addEventListener('click', function () {
          if (!window.confirm('Xoá câu đã dạy "' + str(p.text) + '"? Chatbot sẽ không còn hiểu câu này như đã dạy.')) return;
          api('DELETE', '/api/v1/admin/phrases/' + encodeURIComponent(p.id)).then(function () {
            teachMsg('Đã xoá câu "' + str(p.text) + '".', true);
            loadPhrases();
          }, function (ex) { teachMsg(ex.message, false); });
        });
        rows.appendChild(el('tr', null, [el('td', null, str(p.text)), el('td', null, labelName(str(p.label))),
          el('td', null, str(p.officer)), el('td', null, fmtTime(p.created)), el('td', null, del)]));
      });
    }, function (ex) { teachMsg(ex.message, false); });
  }

  /* ---- keyboard: Alt+1..5 go to a section ------------------------------------------------- */

  function goTo(id) {
    var s = $(id);
    if (!s) return;
    s.scrollIntoView();
    s.focus();
  }
  document.addEventListener('keydown', function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || !me) return;
    var a = document.querySelector('.a-nav a[data-key="' + e.key + '"]');
    if (a) { e.preventDefault(); goTo(a.getAttribute('href').slice(1)); }
  });
  Array.prototype.forEach.call(document.querySelectorAll('.a-nav a[data-key]'), function (a) {
    a.addEventListener('click', function (e) { e.preventDefault(); goTo(a.getAttribute('href').slice(1)); });
  });

  /* ---- start: the last seven days, an open session comes back with its token --------------- */

  $('u-from').value = localDate(Date.now() - 6 * DAY_MS);
  $('u-to').value = localDate(Date.now());
  api('GET', '/api/v1/officer/me').then(loggedIn, function (ex) {
    loggedOut(ex.status === 401 || !ex.status ? (ex.status ? '' : 'Không kết nối được máy chủ.') : ex.message);
  });
})();
