/* motcua kiosk (/kiosk): a full-screen touch UI for the public administrative service centre.
 *
 * Home: tiles by domain (from GET /api/v1/procedures) → procedures of the domain → the chat
 * (postback proc:<id>, channel "kiosk"); free text with an on-screen Vietnamese keyboard (Telex
 * composition + a diacritics row, see docs/widget.md); the pre-check checklist prints on A4 or an
 * 80 mm receipt with a QR code of the guide; after kiosk_idle_seconds without a touch a countdown
 * runs, then everything is wiped (session token, storage, DOM, history) and the home screen
 * returns. URL overrides for tests and set-up: ?idle=SECONDS&countdown=SECONDS.
 * The commune's identity (header, printouts), its counters and hours and the most-asked
 * procedures (the home screen's lower half) come from GET /api/v1/commune; with kiosk.speech on,
 * every answer has a "Nghe" button playing its reply's "audio" (docs/widget.md "Đọc to").
 * The protocol, outbox and rendering come from widget.js (loaded with data-mount="none"); the
 * kiosk's own parts, loaded before this file, from kiosk-telex.js (Telex composition),
 * kiosk-keyboard.js (the on-screen keyboard), kiosk-voice.js (reading aloud) and kiosk-reply.js
 * (what an answer gets: "Nghe", QR codes, the print bar; the printout). Here: the screens, the
 * commune's data, the conversation, the text size, the idle wipe and the start. */
(function () {
  'use strict';

  var M = window.Motcua;
  var el = M.el;
  var $ = function (id) { return document.getElementById(id); };

  /* Vietnamese input (kiosk-telex.js): Telex composition and tone placement */
  var telex = window.MotcuaTelex.telex;
  var applyTone = window.MotcuaTelex.applyTone;

  /* ---- state -------------------------------------------------------------------------------- */

  var params = new URLSearchParams(location.search);
  function intParam(name, min, max) {
    var v = parseInt(params.get(name), 10);
    return isFinite(v) && v >= min && v <= max ? v : null;
  }
  var IDLE_OVERRIDE = intParam('idle', 1, 86400);
  var COUNTDOWN_OVERRIDE = intParam('countdown', 1, 600);
  var COUNTDOWN_DEFAULT = 15;

  var DOMAINS = [
    ['ho-tich', 'Hộ tịch', 'Khai sinh, kết hôn, khai tử, nhận cha mẹ con…', 'M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm0 2c-2.3 0-7 1.2-7 3.5V19h14v-2.5C15 14.2 10.3 13 8 13zm8 0c-.3 0-.6 0-1 .1 1.2.8 2 2 2 3.4V19h6v-2.5c0-2.3-4.7-3.5-7-3.5z'],
    ['chung-thuc', 'Chứng thực', 'Bản sao, chữ ký, hợp đồng', 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm2 16H8v-2h8v2zm0-4H8v-2h8v2zm-3-5V3.5L18.5 9H13z'],
    ['cu-tru', 'Cư trú', 'Thường trú, tạm trú, căn cước, hộ chiếu', 'M10 20v-6h4v6h5v-8h3L12 3 2 12h3v8z'],
    ['tu-phap', 'Tư pháp', 'Phiếu lý lịch tư pháp', 'M1 21h12v2H1zM5.2 8.1 8 5.2l14.2 14.2-2.8 2.8zM12.3 1 18 6.7l-2.8 2.8-5.7-5.7zM3.8 9.5l5.7 5.7-2.8 2.8L1 12.3z'],
    ['giao-thong', 'Giao thông', 'Đăng ký xe, đổi bằng lái', 'M18.9 6c-.2-.6-.8-1-1.4-1h-11c-.7 0-1.2.4-1.4 1L3 12v8a1 1 0 0 0 1 1h1a1 1 0 0 0 1-1v-1h12v1a1 1 0 0 0 1 1h1a1 1 0 0 0 1-1v-8l-2.1-6zM6.5 16a1.5 1.5 0 1 1 0-3 1.5 1.5 0 0 1 0 3zm11 0a1.5 1.5 0 1 1 0-3 1.5 1.5 0 0 1 0 3zM5 11l1.5-4.5h11L19 11H5z'],
    ['dat-dai', 'Đất đai', 'Sổ đỏ, chuyển nhượng, tách thửa', 'M14 6l-3.8 5 2.9 3.8-1.6 1.2C9.8 13.8 7 10 7 10l-6 8h22L14 6z'],
    ['xay-dung', 'Xây dựng', 'Giấy phép xây dựng', 'M12 7V3H2v18h20V7H12zM6 19H4v-2h2v2zm0-4H4v-2h2v2zm0-4H4V9h2v2zm0-4H4V5h2v2zm4 12H8v-2h2v2zm0-4H8v-2h2v2zm0-4H8V9h2v2zm0-4H8V5h2v2zm10 12h-8v-2h2v-2h-2v-2h2v-2h-2V9h8v10zm-2-8h-2v2h2v-2zm0 4h-2v2h2v-2z'],
    ['kinh-doanh', 'Kinh doanh', 'Hộ kinh doanh, doanh nghiệp, an toàn thực phẩm', 'M20 4H4v2h16V4zm1 10v-2l-1-5H4l-1 5v2h1v6h10v-6h4v6h2v-6h1zm-9 4H6v-4h6v4z'],
    ['xa-hoi', 'Xã hội', 'Trợ cấp xã hội, khuyết tật, hộ nghèo, mai táng phí', 'M12 21.4l-1.5-1.3C5.4 15.4 2 12.3 2 8.5 2 5.4 4.4 3 7.5 3c1.7 0 3.4.8 4.5 2.1C13.1 3.8 14.8 3 16.5 3 19.6 3 22 5.4 22 8.5c0 3.8-3.4 6.9-8.5 11.5L12 21.4z'],
    ['lao-dong', 'Lao động', 'Trợ cấp thất nghiệp', 'M20 6h-4V4a2 2 0 0 0-2-2h-4a2 2 0 0 0-2 2v2H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2zm-6 0h-4V4h4v2z'],
    ['bao-hiem', 'Bảo hiểm', 'BHXH một lần, thẻ BHYT', 'M12 1 3 5v6c0 5.6 3.8 10.7 9 12 5.2-1.3 9-6.4 9-12V5l-9-4z'],
    ['giao-duc', 'Giáo dục', 'Chuyển trường, bản sao văn bằng', 'M5 13.2v4L12 21l7-3.8v-4L12 17l-7-3.8zM12 3 1 9l11 6 9-4.9V17h2V9L12 3z']
  ];

  var store = new M.Store('local');
  var KEY = 'motcua.kiosk';
  var chat = new M.Chat({ channel: 'kiosk', store: store, key: KEY });
  var procedures = [];
  var byId = {};
  var currentDomain = null;
  var dirty = false;
  var lastActivity = Date.now();
  var idleTimer = null, countTimer = null, countLeft = 0;

  var log = $('k-log');
  var input = $('k-input');

  function svgIcon(d) {
    var s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    var p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    p.setAttribute('d', d);
    s.appendChild(p);
    return s;
  }

  /* ---- views -------------------------------------------------------------------------------- */

  var views = { home: $('v-home'), domain: $('v-domain'), chat: $('v-chat') };
  var currentView = 'home';
  var chatBack = 'home';
  function show(name, focusEl) {
    Object.keys(views).forEach(function (k) { views[k].hidden = k !== name; });
    currentView = name;
    document.body.setAttribute('data-view', name);
    window.scrollTo(0, 0);
    var h = focusEl || views[name].querySelector('h2');
    if (h) {
      if (!h.hasAttribute('tabindex') && h.tagName === 'H2') h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
    }
  }

  function domainTiles() {
    var box = $('k-tiles');
    while (box.firstChild) box.removeChild(box.firstChild);
    DOMAINS.forEach(function (d) {
      var n = procedures.filter(function (p) { return p.domain === d[0]; }).length;
      if (!n) return;
      var b = el('button', { type: 'button', class: 'k-tile', 'data-domain': d[0] }, [
        svgIcon(d[3]),
        el('span', { class: 'k-tile-name' }, d[1]),
        el('span', { class: 'k-tile-sub' }, d[2]),
        el('span', { class: 'k-tile-n' }, n + ' thủ tục')
      ]);
      b.addEventListener('click', function () { openDomain(d[0]); });
      box.appendChild(el('div', { role: 'listitem', class: 'k-tile-wrap' }, b));
    });
  }

  function loadProcedures() {
    $('k-load-err').hidden = true;
    return fetch('/api/v1/procedures', { headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (list) {
        procedures = Array.isArray(list) ? list.filter(function (p) { return p && typeof p.id === 'string'; }) : [];
        byId = {};
        procedures.forEach(function (p) { byId[p.id] = p; });
        domainTiles();
      })
      .catch(function () {
        $('k-load-err').hidden = false;
        setTimeout(loadProcedures, 10000);
      });
  }

  /* The commune as its admins set it in the console (GET /api/v1/commune): the header names the
   * centre, its address and hours; the home screen's lower half lists the most-asked procedures
   * and the counters; the printouts carry the same. The generic words stay without data. */
  var commune = null;
  function str(v) { return typeof v === 'string' && v ? v : ''; }
  function officeName() {
    if (!commune) return 'Trung tâm phục vụ hành chính công';
    return str(commune.office_name) || ('Trung tâm phục vụ hành chính công' + (str(commune.name) ? ' — ' + commune.name : ''));
  }
  function hoursText() {
    return commune && str(commune.hours) ? commune.hours + (commune.hours_verify ? ' (đang chờ xác minh)' : '') : '';
  }
  function counterList() {
    return commune && Array.isArray(commune.counters) ? commune.counters.filter(function (c) {
      return c && str(c.number) && str(c.name);
    }) : [];
  }
  function renderCommune() {
    $('k-office').textContent = officeName();
    var sub = [str(commune && commune.address), hoursText() ? 'Giờ làm việc: ' + hoursText() : ''].filter(Boolean).join(' · ');
    $('k-office-sub').textContent = sub;
    $('k-office-sub').hidden = !sub;
    if (commune && str(commune.name)) document.title = 'Ki-ốt hướng dẫn thủ tục hành chính — ' + commune.name;
    var ul = $('k-popular');
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    (commune && Array.isArray(commune.popular) ? commune.popular : []).forEach(function (p) {
      if (!p || !/^[a-z0-9-]+$/.test(p.id || '')) return;
      var b = el('button', { type: 'button', class: 'k-pop', 'data-procedure': p.id }, str(p.short_name) || str(p.name) || p.id);
      b.addEventListener('click', function () { openProcedure(p.id, 'home'); });
      ul.appendChild(el('li', null, b));
    });
    $('h-popular').parentNode.hidden = !ul.firstChild;
    var cl = $('k-counters');
    while (cl.firstChild) cl.removeChild(cl.firstChild);
    counterList().forEach(function (c) {
      cl.appendChild(el('li', { class: 'k-counter' }, [
        el('span', { class: 'k-counter-no' }, 'Quầy ' + c.number),
        el('span', { class: 'k-counter-name' }, c.name)
      ]));
    });
    if (!cl.firstChild) cl.appendChild(el('li', { class: 'k-counter' }, [el('span', { class: 'k-counter-name' }, 'Quầy tiếp nhận hồ sơ')]));
    $('k-hours').textContent = hoursText() ? 'Giờ làm việc: ' + hoursText() : '';
    $('k-hours').hidden = !hoursText();
  }
  function loadCommune() {
    return fetch('/api/v1/commune', { headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (c && typeof c === 'object') commune = c;
        renderCommune();
      })
      .catch(function () { renderCommune(); /* the generic words stay */ });
  }

  function openDomain(id) {
    var d = DOMAINS.filter(function (x) { return x[0] === id; })[0];
    currentDomain = id;
    dirty = true;
    $('h-domain').textContent = d ? d[1] : id;
    var ul = $('k-procs');
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    procedures.filter(function (p) { return p.domain === id; }).forEach(function (p) {
      var b = el('button', { type: 'button', class: 'k-proc', 'data-procedure': p.id }, [
        el('span', { class: 'k-proc-name' }, p.short_name || p.name),
        p.short_name && p.name !== p.short_name ? el('span', { class: 'k-proc-full' }, p.name) : null
      ]);
      b.addEventListener('click', function () { openProcedure(p.id); });
      ul.appendChild(el('li', null, b));
    });
    show('domain');
  }

  function openChat(back) {
    dirty = true;
    chatBack = back || 'home';
    chat.start();
    show('chat', $('h-chat'));
  }

  function openProcedure(id, back) {
    var p = byId[id];
    openChat(back || 'domain');
    $('h-chat').textContent = p ? (p.short_name || p.name) : 'Trợ lý thủ tục';
    setKeyboard(false); /* the answer needs the room; touching the input brings the keyboard */
    conv.say('postback', 'proc:' + id, p ? (p.short_name || p.name) : id);
  }

  /* ---- the conversation --------------------------------------------------------------------- */

  var conv = new M.Conversation(chat, log, {
    telLinks: false, /* nothing to dial with: phone numbers are text */
    links: false, /* no new tabs on a kiosk: URLs in answers are text */
    onRetry: function () { log.focus({ preventScroll: true }); },
    onAppend: function (node) {
      if (node.classList.contains('mc-bot') && node.offsetHeight > log.clientHeight * 0.6) {
        var prev = node.previousElementSibling;
        var top = prev && prev.classList.contains('mc-user') && prev.offsetHeight < log.clientHeight * 0.25 ? prev : node;
        log.scrollTop = top.offsetTop - 8;
      } else {
        log.scrollTop = log.scrollHeight;
      }
    },
    onBot: function (r, node) { decorate(r, node); updateStatus(); },
    onUser: function () { updateStatus(); },
    onHandoff: function (state, name) { if (handoffBar) handoffBar.update(state, name); },
    onRestored: function (hist) {
      if (!hist.length && !chat.outbox.length) greet();
      log.scrollTop = log.scrollHeight;
    }
  });

  /* "Gặp cán bộ" and, while an officer is asked or answers, the way back to the bot
   * (widget.js HandoffBar); its few rules live here so kiosk.css stays the kiosk's own. */
  var handoffCss = document.createElement('style');
  handoffCss.textContent = '.k-handoff{display:flex;flex-wrap:wrap;align-items:center;justify-content:flex-end;gap:.75rem;padding:.5rem 1rem}' +
    '.k-handoff[data-state="pending"],.k-handoff[data-state="officer"]{background:#e6f4ea}' +
    '.k-handoff-text{flex:1 1 16rem;margin:0;font-size:1.125rem}' +
    '.mc-officer-msg{align-self:flex-start}.mc-officer-name{margin:0;font-weight:600;color:#1b6e34}' +
    '.mc-officer-msg .mc-bubble{background:#e6f4ea;border-left:.3rem solid #1b6e34}' +
    /* 👍/👎 under each answer, "Có giúp được bạn không?" after a pre-check (widget.js renderFeedback) */
    '.mc-fb{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem;margin:.5rem 0}' +
    '.mc-fb-q{flex:1 0 100%;margin:0;font-size:1.25rem;font-weight:600}' +
    '.mc-fb-btn{min-width:4rem;min-height:3.5rem;padding:.5rem 1.25rem;border-radius:1.75rem;background:#fff;' +
    'color:#0a4aa8;border:.15rem solid #0b57d0;font-size:1.25rem;font-weight:600}' +
    '.mc-fb-btn[aria-pressed="true"]{background:#e8f0fe;border-color:#0a4aa8;border-width:.25rem}' +
    '.mc-fb-status{font-size:1.125rem;color:#3f4651}';
  document.head.appendChild(handoffCss);
  var handoffBar = M.HandoffBar(conv, { bar: 'k-handoff', text: 'k-handoff-text', ask: 'k-btn k-handoff-ask', back: 'k-btn k-btn-ghost k-handoff-cancel' });
  $('k-form').parentNode.insertBefore(handoffBar.node, $('k-form'));

  function greet() {
    conv.append(el('div', { class: 'mc-msg mc-bot mc-local' }, [
      el('span', { class: 'k-sr' }, 'Trợ lý: '),
      el('p', { class: 'mc-bubble' }, 'Xin chào! Bạn hãy gõ câu hỏi, ví dụ: “làm giấy khai sinh cho con”, “đăng ký tạm trú”, “chứng thực bản sao”.')
    ]));
  }

  /* reading aloud (kiosk-voice.js); an answer's additions and the printout (kiosk-reply.js) */
  var voice = window.MotcuaKioskVoice({ svgIcon: svgIcon, toast: toast });
  var audio = voice.audio, setVoice = voice.setVoice, stopAudio = voice.stopAudio;
  var reply = window.MotcuaKioskReply({
    voice: voice,
    office: {
      commune: function () { return commune; },
      str: str, officeName: officeName, hoursText: hoursText, counterList: counterList
    }
  });
  var decorate = reply.decorate, printChecklist = reply.printChecklist;

  function updateStatus() {
    var s = $('k-status');
    if (!chat.ready && !chat.stopped && currentView === 'chat' && chat.ws === null) {
      s.hidden = false;
      s.textContent = 'Đang kết nối lại với máy chủ… Câu hỏi của bạn sẽ được gửi khi có kết nối.';
      s.className = 'k-status k-offline';
    } else if (chat.outbox.length && chat.ready) {
      s.hidden = false;
      s.textContent = 'Trợ lý đang trả lời…';
      s.className = 'k-status k-typing';
    } else {
      s.hidden = true;
    }
  }
  chat.on('state', updateStatus);
  chat.on('outbox', updateStatus);
  chat.on('welcome', function () {
    var sec = Number(chat.settings.kiosk_idle_seconds);
    if (sec > 0 && IDLE_OVERRIDE === null) idleSeconds = sec;
    $('k-voice').hidden = chat.settings.kiosk_speech !== true;
  });

  $('k-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (M.byteLength(text) > M.TEXT_MAX_BYTES) { toast('Câu hỏi quá dài, bạn rút gọn giúp.'); return; }
    conv.say('message', text);
    input.value = '';
    kbd.shift = false;
    renderKeys();
    setKeyboard(false); /* room for the answer; touching the input brings the keyboard back */
  });
  /* a quick reply keeps the keyboard user inside the chat */
  var origAct = conv.act;
  conv.act = function (p, t) { origAct.call(conv, p, t); updateStatus(); };

  $('k-chat-back').addEventListener('click', function () {
    if (chatBack === 'domain' && currentDomain) openDomain(currentDomain); else show('home');
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-back="home"]'), function (b) {
    b.addEventListener('click', function () { show('home'); });
  });
  $('k-home').addEventListener('click', function () { show('home'); });
  $('k-ask').addEventListener('click', function () {
    openChat('home');
    $('h-chat').textContent = 'Hỏi trợ lý';
    setKeyboard(true);
    input.focus({ preventScroll: true });
  });
  $('k-reload').addEventListener('click', loadProcedures);
  $('k-end').addEventListener('click', function () { wipe('end'); });

  /* ---- text size: three steps, for the session of this visit ------------------------------- */

  /* html[data-text-size] scales every rem (kiosk.css --k-scale); kept in sessionStorage under
   * motcua.kiosk.* so a reload keeps it and wipe() (idle or "Kết thúc") forgets it */
  var SIZES = ['normal', 'large', 'xlarge'];
  var SIZE_KEY = KEY + '.textsize';
  var textSize = 'normal';
  function setTextSize(size) {
    textSize = SIZES.indexOf(size) >= 0 ? size : 'normal';
    if (textSize === 'normal') document.documentElement.removeAttribute('data-text-size');
    else document.documentElement.setAttribute('data-text-size', textSize);
    Array.prototype.forEach.call(document.querySelectorAll('.k-sizebtn'), function (b) {
      b.setAttribute('aria-pressed', b.getAttribute('data-size') === textSize ? 'true' : 'false');
    });
    try {
      if (textSize === 'normal') sessionStorage.removeItem(SIZE_KEY);
      else sessionStorage.setItem(SIZE_KEY, textSize);
    } catch (e) { /* storage blocked: the size lasts until the page reloads */ }
  }
  Array.prototype.forEach.call(document.querySelectorAll('.k-sizebtn'), function (b) {
    b.addEventListener('click', function () { setTextSize(b.getAttribute('data-size')); });
  });
  try { setTextSize(sessionStorage.getItem(SIZE_KEY)); } catch (e) { setTextSize('normal'); }

  /* ---- on-screen keyboard (kiosk-keyboard.js) ---------------------------------------------- */

  var keyboard = window.MotcuaKioskKeyboard(input);
  var kbd = keyboard.kbd, renderKeys = keyboard.renderKeys, setKeyboard = keyboard.setKeyboard;
  var setValue = keyboard.setValue;

  /* ---- idle: countdown, then wipe ----------------------------------------------------------- */

  var idleSeconds = IDLE_OVERRIDE !== null ? IDLE_OVERRIDE : 120;
  function countdownSeconds() {
    return COUNTDOWN_OVERRIDE !== null ? COUNTDOWN_OVERRIDE : Math.min(COUNTDOWN_DEFAULT, idleSeconds);
  }
  function hasState() {
    return dirty || textSize !== 'normal' || currentView !== 'home' || chat.session !== null || log.childNodes.length > 0 || input.value !== '';
  }
  function activity() {
    lastActivity = Date.now();
    if (!$('k-idle').hidden) stopCountdown();
  }
  ['pointerdown', 'keydown', 'touchstart', 'input', 'wheel'].forEach(function (t) {
    document.addEventListener(t, activity, { capture: true, passive: true });
  });
  function tick() {
    if (!$('k-idle').hidden) return;
    if (!hasState()) { lastActivity = Date.now(); return; }
    if (Date.now() - lastActivity >= idleSeconds * 1000) startCountdown();
  }
  function startCountdown() {
    countLeft = countdownSeconds();
    $('k-count').textContent = String(countLeft);
    $('k-idle').hidden = false;
    $('k-stay').focus({ preventScroll: true });
    clearInterval(countTimer);
    countTimer = setInterval(function () {
      countLeft--;
      $('k-count').textContent = String(Math.max(0, countLeft));
      if (countLeft <= 0) wipe('idle');
    }, 1000);
  }
  function stopCountdown() {
    clearInterval(countTimer);
    countTimer = null;
    $('k-idle').hidden = true;
    lastActivity = Date.now();
  }
  $('k-stay').addEventListener('click', stopCountdown);
  $('k-wipe').addEventListener('click', function () { wipe('end'); });

  /* Forgets everything: connection and session token, every motcua.kiosk.* key, the chat DOM,
   * the printout, what was typed; back to the home screen. */
  function wipe(reason) {
    clearInterval(countTimer);
    countTimer = null;
    /* the next person at the kiosk must not receive an officer's answer to this one */
    if (conv.handoff.state === 'pending' || conv.handoff.state === 'officer') conv.act('handoff:cancel', 'Quay lại trợ lý tự động');
    chat.reset();
    conv.setHandoff('bot', null);
    try {
      Object.keys(localStorage).forEach(function (k) { if (k.indexOf(KEY) === 0) localStorage.removeItem(k); });
      Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf(KEY) === 0) sessionStorage.removeItem(k); });
    } catch (e) { /* storage blocked: nothing was kept */ }
    conv.clear();
    conv.titles = {};
    var area = $('k-print');
    while (area.firstChild) area.removeChild(area.firstChild);
    document.body.classList.remove('k-printing', 'k-print-a4', 'k-print-receipt');
    $('k-page').textContent = '@page { size: A4; margin: 15mm; }';
    setValue('');
    kbd.shift = false;
    kbd.telex = true;
    renderKeys();
    setKeyboard(true);
    setTextSize('normal'); /* the next person starts with the usual size */
    stopAudio();
    audio.removeAttribute('src');
    setVoice('volume', 1);
    setVoice('rate', 1);
    currentDomain = null;
    $('h-chat').textContent = 'Trợ lý thủ tục';
    dirty = false;
    $('k-idle').hidden = true;
    $('k-status').hidden = true;
    show('home');
    lastActivity = Date.now();
    toast(reason === 'idle'
      ? 'Đã tự động xoá nội dung của lượt trước để bảo vệ thông tin cá nhân.'
      : 'Đã xoá toàn bộ nội dung. Cảm ơn bạn!');
  }

  var toastTimer = null;
  function toast(text) {
    var t = $('k-toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; t.textContent = ''; }, 6000);
  }

  /* ---- start -------------------------------------------------------------------------------- */

  renderKeys();
  loadProcedures();
  loadCommune();
  setInterval(tick, 250);
  /* a reload in the middle of a visit keeps the visit; a stale one left by someone else does not */
  var last = Number(store.get(KEY + '.last')) || 0;
  if (chat.session && Date.now() - last < idleSeconds * 1000) {
    openChat('home');
  } else if (chat.session || chat.outbox.length) {
    chat.reset();
  }
  setInterval(function () {
    if (chat.session) store.set(KEY + '.last', String(lastActivity));
  }, 1000);

  window.MotcuaKiosk = {
    telex: telex, applyTone: applyTone, wipe: wipe, chat: chat, audio: audio, printChecklist: printChecklist,
    get idleSeconds() { return idleSeconds; }
  };
})();
