/* motcua officer workspace (/officer): login, the handoff queue, one conversation, and the
 * officials' assistant (docs/officer.md, API in docs/api.md).
 *
 * - Plain JS, no framework, no third-party request. Text from the server is inserted with
 *   textContent only; this file never assigns innerHTML.
 * - Session: the HttpOnly cookie set at login; the CSRF token from the login (or /me) answer is
 *   kept in memory and sent as X-CSRF-Token on every POST.
 * - Live: /officer/ws pushes new pending conversations, messages and state changes; a new
 *   pending conversation plays a short tone made with WebAudio. While the socket is down the
 *   queue is polled every 15 s, and the socket is retried with back-off.
 */
(function () {
  'use strict';

  var API = '/api/v1/officer/';
  var POLL_MS = 15000; /* fallback poll while the socket is down */
  var RETRY_MAX_MS = 15000; /* socket back-off cap */
  var CLOCK_MS = 10000; /* waiting times refresh */
  var CHANNELS = { web: 'Website', kiosk: 'Ki-ốt', messenger: 'Messenger', zalo: 'Zalo' };
  var STATES = { bot: 'Trợ lý tự động', pending: 'Đang chờ cán bộ', officer: 'Cán bộ đang xử lý', closed: 'Đã đóng' };
  var FROM = { citizen: 'Người dân', bot: 'Trợ lý tự động', officer: 'Cán bộ', system: 'Hệ thống' };

  var $ = function (id) { return document.getElementById(id); };
  var csrf = null, me = null, ws = null, wsAttempt = 0, wsTimer = null, pollTimer = null;
  var tab = 'pending', lists = { pending: [], officer: [], closed: [] };
  var current = null; /* {id, conversation} of the open conversation */
  var seen = new Set(); /* message keys shown in the open transcript */
  var known = new Set(); /* pending ids already announced (sound) */
  var guide = null; /* the officer view on screen */
  var audio = null;
  var names = {}; /* procedure id -> name (the public list) */

  var dom = window.motcuaDom; /* /dom.js, loaded before this file */
  var el = dom.el, clear = dom.clear, str = dom.str, show = dom.show;

  /* ---- HTTP ------------------------------------------------------------------------------ */

  function api(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/json';
      if (csrf) headers['X-CSRF-Token'] = csrf;
    }
    return fetch(API + path, {
      method: method, headers: headers, credentials: 'same-origin',
      body: method === 'POST' ? JSON.stringify(body || {}) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401 && me) loggedOut('Phiên đăng nhập đã hết. Bạn đăng nhập lại giúp.');
        return { status: r.status, ok: r.ok, body: j || {} };
      });
    });
  }
  function errorText(res, fallback) {
    var e = res.body && res.body.error;
    var m = e && typeof e === 'object' ? e.message : res.body && res.body.message;
    return str(m) || fallback;
  }

  /* ---- login ----------------------------------------------------------------------------- */

  function loggedIn(body) {
    csrf = str(body.csrf_token);
    me = body.officer || {};
    $('o-me').textContent = (str(me.name) || str(me.username)) + (me.unit ? ' · ' + me.unit : '');
    show($('v-login'), false);
    show($('v-work'), true);
    connect();
    refresh();
    fetch('/api/v1/procedures').then(function (r) { return r.ok ? r.json() : []; }).then(function (l) {
      (Array.isArray(l) ? l : []).forEach(function (p) { if (p && p.id) names[p.id] = str(p.name); });
      renderQueue();
      if (current) renderHead();
    }, function () { /* ids are shown instead */ });
    $('o-q').focus();
  }
  function loggedOut(msg) {
    csrf = null;
    me = null;
    if (ws) { var w = ws; ws = null; try { w.close(1000); } catch (e) { /* gone */ } }
    clearTimeout(wsTimer);
    clearInterval(pollTimer);
    pollTimer = null;
    show($('v-work'), false);
    show($('v-login'), true);
    var err = $('o-login-err');
    err.textContent = msg || '';
    show(err, !!msg);
    $('o-user').focus();
  }
  $('o-login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    beep(true); /* a user gesture: the audio context may start now */
    var u = $('o-user').value.trim(), p = $('o-pass').value;
    var err = $('o-login-err');
    if (!u || !p) { err.textContent = 'Nhập tên đăng nhập và mật khẩu.'; show(err, true); return; }
    api('POST', 'login', { username: u, password: p }).then(function (res) {
      $('o-pass').value = '';
      if (res.ok) { show(err, false); loggedIn(res.body); return; }
      err.textContent = res.status === 429
        ? 'Đăng nhập sai nhiều lần. Bạn thử lại sau ' + (Number(res.body.retry_after) || 30) + ' giây.'
        : errorText(res, 'Không đăng nhập được.');
      show(err, true);
      $('o-pass').focus();
    }, function () { err.textContent = 'Không kết nối được máy chủ.'; show(err, true); });
  });
  $('o-logout').addEventListener('click', function () {
    api('POST', 'logout').then(function () { loggedOut('Bạn đã đăng xuất.'); });
  });
  $('o-help-btn').addEventListener('click', function () {
    var open = $('o-help').hidden;
    show($('o-help'), open);
    this.setAttribute('aria-expanded', open ? 'true' : 'false');
  });

  /* ---- sound: two short tones, made here (no audio file, no network) ---------------------- */

  function beep(silent) {
    try {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      if (!audio) audio = new AC();
      if (audio.state === 'suspended') audio.resume();
      if (silent) return;
      [0, 0.18].forEach(function (t, i) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = 'sine';
        o.frequency.value = i ? 880 : 660;
        g.gain.setValueAtTime(0.0001, audio.currentTime + t);
        g.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + t + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + t + 0.15);
        o.connect(g);
        g.connect(audio.destination);
        o.start(audio.currentTime + t);
        o.stop(audio.currentTime + t + 0.16);
      });
      document.body.setAttribute('data-beeps', String(Number(document.body.getAttribute('data-beeps') || 0) + 1));
    } catch (e) { /* no sound: the queue still shows it */ }
  }

  /* ---- live socket, with a poll while it is down ----------------------------------------- */

  function setConn(text, ok) {
    var c = $('o-conn');
    c.textContent = text;
    c.className = 'o-conn' + (ok ? ' o-ok' : ' o-bad');
  }
  function connect() {
    if (ws || !me) return;
    var url = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/officer/ws';
    var s;
    try { s = new WebSocket(url); } catch (e) { retry(); return; }
    ws = s;
    s.onopen = function () {
      if (ws !== s) return;
      wsAttempt = 0;
      setConn('Đang cập nhật trực tiếp', true);
      clearInterval(pollTimer);
      pollTimer = null;
      refresh(); /* whatever happened while the socket was down */
    };
    s.onmessage = function (ev) { if (ws === s) onFrame(ev.data); };
    s.onclose = function () {
      if (ws !== s) return;
      ws = null;
      if (me) retry();
    };
    s.onerror = function () { /* onclose follows */ };
  }
  function retry() {
    setConn('Mất kết nối trực tiếp — tự cập nhật mỗi 15 giây', false);
    if (!pollTimer) pollTimer = setInterval(refresh, POLL_MS);
    var step = Math.min(RETRY_MAX_MS, 1000 * Math.pow(2, wsAttempt++));
    clearTimeout(wsTimer);
    wsTimer = setTimeout(connect, step / 2 + Math.random() * step / 2);
  }
  function onFrame(raw) {
    var f;
    try { f = JSON.parse(raw); } catch (e) { return; }
    if (!f || typeof f !== 'object') return;
    if (f.type === 'pending' && f.conversation) {
      upsert(f.conversation);
      announce([f.conversation]);
    } else if (f.type === 'message' && f.message) {
      var id = Number(f.conversation_id);
      lists.pending.concat(lists.officer).forEach(function (c) {
        if (Number(c.id) === id) {
          c.last_messages = (Array.isArray(c.last_messages) ? c.last_messages : []).concat([f.message]).slice(-3);
        }
      });
      renderQueue();
      if (current && current.id === id) addLine(f.message);
    } else if (f.type === 'state') {
      var cid = Number(f.conversation_id);
      var c0 = find(cid) || { id: cid };
      c0.state = str(f.state);
      c0.officer = f.officer || null;
      upsert(c0);
      if (current && current.id === cid) {
        current.conversation.state = c0.state;
        current.conversation.officer = c0.officer;
        renderHead();
      }
    }
  }
  function find(id) {
    var all = lists.pending.concat(lists.officer, lists.closed);
    for (var i = 0; i < all.length; i++) if (Number(all[i].id) === id) return all[i];
    return null;
  }
  function upsert(c) {
    var id = Number(c.id);
    var old = find(id);
    if (old && old !== c) Object.keys(c).forEach(function (k) { old[k] = c[k]; });
    var conv = old || c;
    ['pending', 'officer', 'closed'].forEach(function (s) {
      lists[s] = lists[s].filter(function (x) { return Number(x.id) !== id; });
    });
    if (lists[conv.state]) lists[conv.state].push(conv);
    renderQueue();
  }
  function announce(convs) {
    var fresh = convs.filter(function (c) { return c.state === 'pending' && !known.has(Number(c.id)); });
    convs.forEach(function (c) { if (c.state === 'pending') known.add(Number(c.id)); });
    if (fresh.length) beep(false);
  }
  function refresh() {
    if (!me) return;
    ['pending', 'officer'].concat(tab === 'closed' ? ['closed'] : []).forEach(function (s) {
      api('GET', 'conversations?state=' + s).then(function (res) {
        if (!res.ok) return;
        lists[s] = Array.isArray(res.body.conversations) ? res.body.conversations : [];
        if (s === 'pending') announce(lists.pending);
        renderQueue();
      }, function () { /* the next poll tries again */ });
    });
  }

  /* ---- queue ----------------------------------------------------------------------------- */

  function waited(ms) {
    var s = Math.max(0, Math.round((Date.now() - Number(ms)) / 1000));
    if (!ms || isNaN(s)) return '';
    if (s < 60) return 'vừa xong';
    if (s < 3600) return Math.floor(s / 60) + ' phút';
    return Math.floor(s / 3600) + ' giờ ' + Math.floor((s % 3600) / 60) + ' phút';
  }
  function procName(id) { return names[id] || str(id); }
  function officerName(u) { return me && u === me.username ? str(me.name) || u : str(u); }
  function convTitle(c) {
    return '#' + c.id + ' · ' + (CHANNELS[c.channel] || str(c.channel) || 'Kênh không rõ');
  }
  function renderQueue() {
    $('o-count-pending').textContent = String(lists.pending.length);
    $('o-count-officer').textContent = String(lists.officer.length);
    var items = lists[tab].slice().sort(function (a, b) { return Number(a.waiting_since || 0) - Number(b.waiting_since || 0); });
    var list = $('o-list');
    var focused = document.activeElement && document.activeElement.getAttribute('data-id');
    clear(list);
    items.forEach(function (c) {
      var last = Array.isArray(c.last_messages) && c.last_messages.length ? c.last_messages[c.last_messages.length - 1] : null;
      var mine = me && c.officer && c.officer === me.username;
      var b = el('button', { type: 'button', class: 'o-item' + (current && current.id === Number(c.id) ? ' o-current' : ''), 'data-id': String(c.id), 'aria-current': current && current.id === Number(c.id) ? 'true' : null }, [
        el('span', { class: 'o-item-top' }, [
          el('strong', null, convTitle(c)),
          c.state === 'pending' ? el('span', { class: 'o-wait', 'data-since': str(c.waiting_since) }, 'chờ ' + waited(c.waiting_since)) : null
        ]),
        c.procedure ? el('span', { class: 'o-item-proc' }, procName(c.procedure)) : null,
        c.officer ? el('span', { class: 'o-item-who' }, mine ? 'Bạn đang xử lý' : 'Cán bộ: ' + officerName(c.officer)) : null,
        last ? el('span', { class: 'o-item-last' }, (FROM[last.from] || '') + ': ' + str(last.text)) : null
      ]);
      b.addEventListener('click', function () { open(Number(c.id)); });
      list.appendChild(el('li', null, b));
    });
    show($('o-queue-empty'), items.length === 0);
    $('o-queue-empty').textContent = tab === 'pending' ? 'Chưa có người dân nào đang chờ.' : 'Không có hội thoại nào.';
    if (focused) { var f = list.querySelector('[data-id="' + focused + '"]'); if (f) f.focus(); }
  }
  setInterval(function () {
    Array.prototype.forEach.call(document.querySelectorAll('.o-wait'), function (w) {
      w.textContent = 'chờ ' + waited(w.getAttribute('data-since'));
    });
  }, CLOCK_MS);
  Array.prototype.forEach.call(document.querySelectorAll('.o-tab'), function (t) {
    t.addEventListener('click', function () {
      tab = t.getAttribute('data-state');
      Array.prototype.forEach.call(document.querySelectorAll('.o-tab'), function (x) { x.setAttribute('aria-pressed', x === t ? 'true' : 'false'); });
      if (tab === 'closed') refresh();
      renderQueue();
    });
  });

  /* ---- one conversation ------------------------------------------------------------------ */

  function fmtTime(ts) {
    var d = new Date(Number(ts));
    if (isNaN(d.getTime())) return '';
    return d.toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit' });
  }
  function addLine(m) {
    var key = str(m.from) + '|' + str(m.ts) + '|' + str(m.text);
    if (seen.has(key)) return;
    seen.add(key);
    var who = FROM[m.from] || str(m.from);
    if (m.from === 'officer' && m.officer) who = 'Cán bộ ' + officerName(m.officer);
    var li = el('li', { class: 'o-line o-from-' + (FROM[m.from] ? m.from : 'system') }, [
      el('p', { class: 'o-line-who' }, [who, ' ', el('time', null, fmtTime(m.ts))]),
      el('p', { class: 'o-line-text' }, str(m.text))
    ]);
    var t = $('o-transcript');
    t.appendChild(li);
    t.scrollTop = t.scrollHeight;
  }
  function holding() {
    return !!(current && me && current.conversation.state === 'officer' && current.conversation.officer === me.username);
  }
  function renderHead() {
    var c = current ? current.conversation : null;
    $('h-conv').textContent = c ? 'Hội thoại ' + convTitle(c) : 'Chọn một hội thoại trong hàng chờ';
    $('o-conv-meta').textContent = c ? [STATES[c.state] || str(c.state), c.procedure ? 'Thủ tục: ' + procName(c.procedure) : '',
      c.locality ? 'Địa bàn: ' + c.locality : '', c.officer ? 'Cán bộ: ' + officerName(c.officer) : ''].filter(Boolean).join(' · ') : '';
    var mine = holding();
    $('o-claim').disabled = !c || c.state !== 'pending';
    $('o-release').disabled = !mine;
    $('o-close').disabled = !c || c.state === 'closed' || !(mine || c.state === 'pending');
    $('o-reply-text').disabled = !mine;
    $('o-send').disabled = !mine;
    $('o-reply-text').placeholder = mine ? 'Nhập câu trả lời cho người dân…' : 'Nhận hội thoại để trả lời người dân…';
    Array.prototype.forEach.call(document.querySelectorAll('[data-share]'), function (b) { b.disabled = !mine || !guide; });
  }
  function convError(msg) {
    var e = $('o-conv-err');
    e.textContent = msg || '';
    show(e, !!msg);
  }
  function open(id) {
    convError('');
    return api('GET', 'conversations/' + id).then(function (res) {
      if (!res.ok) { convError(errorText(res, 'Không mở được hội thoại.')); return; }
      current = { id: id, conversation: res.body.conversation || { id: id } };
      seen = new Set();
      clear($('o-transcript'));
      (Array.isArray(res.body.transcript) ? res.body.transcript : []).forEach(addLine);
      renderHead();
      renderQueue();
      if (current.conversation.procedure && (!guide || guide.id !== current.conversation.procedure)) loadGuide(current.conversation.procedure);
    });
  }
  function act(what) {
    if (!current) return Promise.resolve();
    var id = current.id;
    convError('');
    return api('POST', 'conversations/' + id + '/' + what).then(function (res) {
      if (res.status === 409) convError('Hội thoại này đang do cán bộ khác xử lý.');
      else if (!res.ok) convError(errorText(res, 'Không thực hiện được.'));
      if (res.ok && res.body.conversation) upsert(res.body.conversation);
      return open(id).then(function () {
        if (res.ok && what === 'claim') $('o-reply-text').focus();
      });
    });
  }
  $('o-claim').addEventListener('click', function () { act('claim'); });
  $('o-release').addEventListener('click', function () { act('release'); });
  $('o-close').addEventListener('click', function () { act('close'); });

  function sendReply() {
    var box = $('o-reply-text');
    var text = box.value.trim();
    if (!text || !holding()) return;
    box.disabled = true;
    api('POST', 'conversations/' + current.id + '/messages', { text: text }).then(function (res) {
      box.disabled = !holding();
      if (!res.ok) { convError(errorText(res, 'Chưa gửi được tin nhắn.')); return; }
      box.value = '';
      convError('');
      if (res.body.message) addLine(res.body.message);
      box.focus();
    }, function () { box.disabled = false; convError('Không kết nối được máy chủ, tin nhắn chưa gửi.'); });
  }
  $('o-reply').addEventListener('submit', function (e) { e.preventDefault(); sendReply(); });
  $('o-reply-text').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendReply(); }
  });

  /* ---- the assistant --------------------------------------------------------------------- */

  function section(title, content) {
    return content ? el('section', { class: 'o-gsec' }, [el('h4', null, title), content]) : null;
  }
  function list(items, ordered) {
    items = (items || []).filter(Boolean);
    return items.length ? el(ordered ? 'ol' : 'ul', null, items.map(function (i) { return el('li', null, i); })) : null;
  }
  var UNCONFIRMED = el('span', { class: 'o-verify' }, 'chưa xác nhận');
  function unconfirmed() { return UNCONFIRMED.cloneNode(true); }
  function renderGuide(v) {
    guide = v;
    show($('o-guide'), !!v);
    if (!v) return;
    $('o-guide-name').textContent = str(v.name);
    var body = $('o-guide-body');
    clear(body);
    var facts = el('dl', { class: 'o-facts' }, [
      el('dt', null, 'Thời gian giải quyết'), el('dd', null, [str(v.processing_time), v.processing_time_verify ? unconfirmed() : null]),
      el('dt', null, 'Lệ phí'), el('dd', null, [str(v.fee), v.fee_verify ? unconfirmed() : null]),
      v.fee_exemptions ? el('dt', null, 'Miễn, giảm') : null, v.fee_exemptions ? el('dd', null, str(v.fee_exemptions)) : null,
      el('dt', null, 'Nơi nộp'), el('dd', null, str(v.where)),
      el('dt', null, 'Cơ quan giải quyết'), el('dd', null, str(v.agency))
    ]);
    body.appendChild(facts);
    body.appendChild(section('Giấy tờ', list((v.documents || []).map(function (d) {
      return [el('span', { class: 'o-doc-name' }, str(d.name)),
        d.kind ? ' (' + str(d.kind) + (Number(d.count) > 1 ? ', ' + d.count + ' bản' : '') + ')' : '',
        d.condition ? el('span', { class: 'o-cond' }, ' — chỉ cần ' + str(d.condition)) : null,
        d.form ? el('span', { class: 'o-form' }, 'Mẫu: ' + str(d.form)) : null,
        d.verify ? unconfirmed() : null];
    }))));
    body.appendChild(section('Biểu mẫu', list((v.forms || []).map(function (f) {
      return [str(f.name), f.code ? ': ' + str(f.code) : ''];
    }))));
    body.appendChild(section('Hồ sơ hay bị trả lại vì', list(v.return_reasons)));
    body.appendChild(section('Các bước', list(v.steps, true)));
    body.appendChild(section('Căn cứ pháp lý', list(v.legal_basis)));
    var n = [];
    n.push(v.reviewed ? 'Cán bộ rà soát lần cuối: ' + v.reviewed
      : 'Hướng dẫn này chưa được cán bộ rà soát: đối chiếu bản ghi trên Cổng Dịch vụ công trước khi trả lời chắc chắn.');
    if (Array.isArray(v.verify) && v.verify.length) n.push('Mục “chưa xác nhận” đang chờ cán bộ chuyên môn xác nhận; đối chiếu văn bản trước khi trả lời chắc chắn.');
    if (n.length) body.appendChild(el('p', { class: 'o-muted' }, n.join(' ')));
    body.appendChild(el('p', null, el('a', { href: str(v.url), target: '_blank', rel: 'noopener' }, 'Mở bản in đầy đủ cho người dân')));
    renderDesk(v);
    renderHead();
  }
  function loadGuide(id) {
    return api('GET', 'assistant/procedures/' + encodeURIComponent(id)).then(function (res) {
      if (res.ok) renderGuide(res.body);
    });
  }
  $('o-search').addEventListener('submit', function (e) {
    e.preventDefault();
    var q = $('o-q').value.trim();
    var st = $('o-search-status');
    if (!q) { st.textContent = 'Nhập tên thủ tục hoặc câu hỏi của người dân.'; return; }
    st.textContent = 'Đang tra cứu…';
    api('GET', 'assistant?q=' + encodeURIComponent(q)).then(function (res) {
      var r = $('o-results');
      clear(r);
      if (!res.ok) { st.textContent = errorText(res, 'Không tra cứu được.'); return; }
      var results = Array.isArray(res.body.results) ? res.body.results : [];
      st.textContent = results.length ? 'Tìm thấy ' + results.length + ' thủ tục.' : 'Không tìm thấy thủ tục phù hợp. Thử từ khác, ví dụ “khai sinh”.';
      results.forEach(function (x, i) {
        var b = el('button', { type: 'button', class: 'o-result', 'aria-pressed': i === 0 ? 'true' : 'false', 'data-procedure': str(x.procedure) }, str(x.name) || str(x.procedure));
        b.addEventListener('click', function () {
          Array.prototype.forEach.call(r.querySelectorAll('.o-result'), function (y) { y.setAttribute('aria-pressed', y === b ? 'true' : 'false'); });
          loadGuide(str(x.procedure));
        });
        r.appendChild(el('li', null, b));
      });
      renderGuide(res.body.guide || null);
    }, function () { st.textContent = 'Không kết nối được máy chủ.'; });
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-share]'), function (b) {
    b.addEventListener('click', function () {
      if (!guide || !holding()) return;
      var part = b.getAttribute('data-share');
      var st = $('o-share-status');
      api('POST', 'conversations/' + current.id + '/messages', { share: { procedure: guide.id, part: part } }).then(function (res) {
        if (!res.ok) { st.textContent = errorText(res, 'Chưa gửi được.'); return; }
        st.textContent = 'Đã gửi ' + b.textContent.replace(/^Gửi /, '') + ' cho người dân.';
        if (res.body.message) addLine(res.body.message);
      });
    });
  });

  /* ---- desk check ------------------------------------------------------------------------ */

  function renderDesk(v) {
    var ul = $('o-desk-items');
    clear(ul);
    clear($('o-desk-result'));
    $('o-desk-print').disabled = true;
    (v.checklist || []).forEach(function (c, i) {
      var id = 'o-desk-' + i;
      ul.appendChild(el('li', null, [
        el('input', { type: 'checkbox', id: id, value: str(c.key) }),
        el('label', { for: id }, [str(c.text), c.required ? null : el('span', { class: 'o-cond' }, ' — ' + str(c.why))])
      ]));
    });
  }
  function deskLine(it) {
    return el('li', null, [el('strong', null, str(it.text)), el('span', { class: 'o-why' }, ' — ' + str(it.why)),
      it.how_to_get ? el('span', { class: 'o-how' }, 'Cách có: ' + str(it.how_to_get)) : null]);
  }
  $('o-desk-form').addEventListener('submit', function (e) {
    e.preventDefault();
    if (!guide) return;
    var have = Array.prototype.filter.call(document.querySelectorAll('#o-desk-items input'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    api('POST', 'assistant/check', { procedure: guide.id, have: have }).then(function (res) {
      var out = $('o-desk-result');
      clear(out);
      if (!res.ok) { out.appendChild(el('p', { class: 'o-err' }, errorText(res, 'Không kiểm tra được.'))); return; }
      var b = res.body;
      var req = (b.missing || []).filter(function (m) { return m.required; });
      var ask = (b.missing || []).filter(function (m) { return !m.required; });
      out.appendChild(el('p', { class: b.complete ? 'o-ok-text' : 'o-bad-text' },
        b.complete ? 'Hồ sơ đủ giấy tờ bắt buộc.' : 'Hồ sơ còn thiếu ' + req.length + ' giấy tờ bắt buộc.'));
      if (req.length) out.appendChild(section('Còn thiếu', el('ul', null, req.map(deskLine))));
      if (ask.length) out.appendChild(section('Hỏi thêm người dân (chỉ cần trong một số trường hợp)', el('ul', null, ask.map(deskLine))));
      if ((b.present || []).length) out.appendChild(section('Đã có', list(b.present.map(function (p) { return str(p.text); }))));
      $('o-desk-print').disabled = false;
      fillPrint(b);
    });
  });
  function fillPrint(b) {
    var p = $('o-print');
    clear(p);
    p.appendChild(el('h1', null, 'Phiếu kiểm tra hồ sơ: ' + str(guide.name)));
    p.appendChild(el('p', null, 'Ngày ' + new Date().toLocaleDateString('vi-VN') + (me ? ' · Cán bộ: ' + (str(me.name) || str(me.username)) : '')));
    var copy = $('o-desk-result').cloneNode(true);
    ['id', 'role', 'aria-live'].forEach(function (k) { copy.removeAttribute(k); }); /* one live region, unique ids */
    p.appendChild(copy);
    if ((guide.return_reasons || []).length) p.appendChild(section('Hồ sơ hay bị trả lại vì', list(guide.return_reasons)));
  }
  $('o-desk-print').addEventListener('click', function () { window.print(); });

  /* ---- keyboard shortcuts (listed under "Phím tắt") --------------------------------------- */

  document.addEventListener('keydown', function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || !me) return;
    var k = e.key.toLowerCase(), target = null;
    if (k === '1') target = $('o-list').querySelector('button') || document.querySelector('.o-tab[aria-pressed="true"]');
    else if (k === '2') target = $('o-reply-text').disabled ? $('o-claim') : $('o-reply-text');
    else if (k === '3') target = $('o-q');
    else if (k === '4') target = $('o-desk-items').querySelector('input') || $('o-q');
    else if (k === 'n' && !$('o-claim').disabled) { e.preventDefault(); act('claim'); return; }
    else if (k === 'r' && !$('o-release').disabled) { e.preventDefault(); act('release'); return; }
    else if (k === 'k' && !$('o-close').disabled) { e.preventDefault(); act('close'); return; }
    if (target && !target.disabled) { e.preventDefault(); target.focus(); }
  });

  /* ---- start: an open session comes back with its token ---------------------------------- */

  api('GET', 'me').then(function (res) {
    if (res.ok) loggedIn(res.body); else loggedOut('');
  }, function () { loggedOut('Không kết nối được máy chủ.'); });
})();
