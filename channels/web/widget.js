/* motcua chat widget, protocol v1 (docs/api.md, docs/widget.md).
 *
 * Embed on any site with one line:
 *   <script src="https://HOST/widget.js" data-title="Hỏi đáp thủ tục" defer></script>
 *
 * - No framework, no build step, no third-party request: the stylesheet (widget.css) and the
 *   WebSocket come from the origin this script was loaded from.
 * - The UI lives in a Shadow DOM so the host page's CSS cannot break it (and ours cannot leak).
 * - Every piece of text from the server or the citizen is inserted with textContent or as
 *   attribute values; this file never assigns innerHTML.
 * - Reliability: the session token is kept in localStorage; every message and postback carries a
 *   client-generated id and stays in a persisted outbox until its reply arrives; after a
 *   reconnect (exponential back-off with jitter) or a reload, unanswered frames are resent with
 *   the same id, the server answers a known id with the same reply, and replies whose id was
 *   already shown are dropped, so nothing is lost or shown twice.
 *
 * The code is in four files read in one sitting each (docs/widget.md, "Four files, one line to
 * embed"): widget-net.js (the connection), widget-render.js (bubbles, cards, lists),
 * widget-conv.js (the conversation view) and this one (the loader and the floating widget).
 * The embedding line stays one <script src=/widget.js>: this file loads the three others from
 * its own origin, in order (async=false), unless the page already listed them before it (the
 * kiosk does), then mounts.
 *
 * data-mount="none" loads only the library (window.Motcua: Chat, render helpers) without the
 * floating button; the kiosk (/kiosk) uses it that way.
 */
(function () {
  'use strict';

  var M = window.Motcua = window.Motcua || {};
  if (M.loaded) return; /* the one line pasted twice */
  M.loaded = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1] || null;
  })();
  var SRC = new URL(script && script.src ? script.src : '/widget.js', location.href);
  var ORIGIN = SRC.origin;

  function opt(name, dflt) {
    var v = script ? script.getAttribute('data-' + name) : null;
    return v === null || v === '' ? dflt : v;
  }

  /* the parts, in the order they need each other; each marks itself in Motcua.parts */
  var PARTS = [['net', 'widget-net.js'], ['render', 'widget-render.js'], ['conv', 'widget-conv.js']];

  /* Runs done() once every part is there: those the page did not list are added as scripts
   * of this origin with async=false, which keeps their order of execution. */
  function loadParts(done) {
    var missing = PARTS.filter(function (p) { return !(M.parts && M.parts[p[0]]); });
    var left = missing.length;
    if (!left) { done(); return; }
    missing.forEach(function (p) {
      var s = document.createElement('script');
      s.src = ORIGIN + '/' + p[1];
      s.async = false;
      s.addEventListener('load', function () { if (--left === 0) done(); });
      s.addEventListener('error', function () { console.error('motcua: ' + p[1] + ' did not load'); });
      (document.head || document.documentElement).appendChild(s);
    });
  }

  /* ---- the floating widget ------------------------------------------------------------------ */

  var CSS_WAIT_MS = 4000;
  var FALLBACK_CSS = '.mc-root{font:1em/1.5 system-ui,sans-serif;color:#1f1f1f}' +
    '.mc-launcher{position:fixed;bottom:1em;right:1em;min-height:3.5em;padding:.75em 1.125em;background:#0b57d0;color:#fff;' +
    'border:.125em solid #fff;border-radius:1.75em;font:inherit;font-weight:600;cursor:pointer}' +
    '.mc-root[data-pos="left"] .mc-launcher{right:auto;left:1em}.mc-launcher svg{display:none}' +
    '.mc-open .mc-launcher,[hidden]{display:none!important}.mc-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}' +
    '.mc-panel{position:fixed;bottom:1em;right:1em;width:min(25em,calc(100vw - 2em));max-height:calc(100vh - 2em);overflow:auto;' +
    'background:#fff;border:1px solid #7a8494;border-radius:1em;display:flex;flex-direction:column}' +
    '.mc-head{display:flex;gap:.5em;align-items:center;padding:.5em 1em;background:#0b57d0;color:#fff}.mc-head-text{flex:1}' +
    '.mc-title,.mc-sub{margin:0}.mc-icon-btn{min-width:2.75em;min-height:2.75em}.mc-icon-btn svg{width:1.25em;height:1.25em;fill:currentColor}' +
    '.mc-conn{padding:.5em 1em;background:#fef7e0;color:#5c4400}.mc-log{padding:.75em;min-height:6em}' +
    '.mc-form{display:flex;gap:.5em;padding:.5em}.mc-input{flex:1;font:inherit}.mc-send svg{width:1.25em;height:1.25em}' +
    '.mc-contact a,.mc-link{color:#0b57d0;font-weight:600}';

  function mount() {
    var el = M.el, append = M.append, icon = M.icon, ICONS = M.ICONS;
    var Store = M.Store, Chat = M.Chat, Conversation = M.Conversation, HandoffBar = M.HandoffBar;
    var byteLength = M.byteLength, TEXT_MAX_BYTES = M.TEXT_MAX_BYTES, REPLY_TIMEOUT_MS = M.REPLY_TIMEOUT_MS;
    var TITLE = opt('title', 'Hỏi đáp thủ tục hành chính');
    var SUBTITLE = opt('subtitle', 'Trợ lý tự động, trả lời 24/7');
    var POS = opt('position', 'right') === 'left' ? 'left' : 'right';
    var store = new Store(opt('storage', 'local') === 'session' ? 'session' : 'local');
    var ui = new Store('session');
    var chat = new Chat({ channel: 'web', store: store, key: 'motcua.web' });
    var timeoutS = Number(opt('reply-timeout', ''));
    var replyTimeoutMs = timeoutS >= 1 && timeoutS <= 600 ? timeoutS * 1000 : REPLY_TIMEOUT_MS;
    /* the commune's phone and hours: the embedding page's data-phone / data-hours (known even
     * when the server is down), else GET /api/v1/commune's phone / hours when it has them */
    var contactInfo = { phone: opt('phone', ''), hours: opt('hours', '') };

    var host = document.createElement('motcua-widget');
    host.setAttribute('data-motcua', '');
    var shadow = host.attachShadow({ mode: 'open' });

    var css = el('link', { rel: 'stylesheet', href: ORIGIN + '/widget.css?v=1' });
    var root = el('div', { class: 'mc-root', 'data-pos': POS });
    /* nothing is shown until widget.css arrives (no flash of an unstyled widget); CSSOM rather
     * than an inline <style>, so a host page's strict Content-Security-Policy is no obstacle */
    root.style.display = 'none';
    /* With the server down or stalled, widget.css never comes: after CSS_WAIT_MS (or its error)
     * a small built-in sheet shows the launcher and a usable panel anyway, so the citizen still
     * finds the commune's phone number; a late widget.css takes over. */
    var fallback = null, cssTimer = null;
    var showRoot = function (ok) {
      clearTimeout(cssTimer);
      if (ok === true && fallback) { shadow.adoptedStyleSheets = []; fallback = null; }
      else if (ok !== true && !fallback && !cssLoaded) useFallback();
      root.style.display = '';
    };
    var cssLoaded = false;
    css.addEventListener('load', function () { cssLoaded = true; showRoot(true); });
    css.addEventListener('error', function () { showRoot(false); });
    cssTimer = setTimeout(function () { showRoot(false); }, CSS_WAIT_MS);
    function useFallback() {
      try {
        fallback = new CSSStyleSheet();
        fallback.replaceSync(FALLBACK_CSS);
        shadow.adoptedStyleSheets = [fallback];
      } catch (e) { fallback = null; /* an old browser: the unstyled launcher still works */ }
    }

    var badge = el('span', { class: 'mc-badge', hidden: true, 'aria-hidden': 'true' });
    var launcherSr = el('span', { class: 'mc-sr' }, '');
    var launcher = el('button', { type: 'button', class: 'mc-launcher', 'aria-expanded': 'false', 'aria-controls': 'mc-panel', 'aria-haspopup': 'dialog' }, [
      icon(ICONS.chat), el('span', { class: 'mc-launcher-label' }, TITLE), launcherSr, badge
    ]);

    var closeBtn = el('button', { type: 'button', class: 'mc-icon-btn mc-close', 'aria-label': 'Đóng cửa sổ trò chuyện', title: 'Đóng (Esc)' }, icon(ICONS.close));
    var newBtn = el('button', { type: 'button', class: 'mc-icon-btn mc-new', 'aria-label': 'Bắt đầu cuộc trò chuyện mới', title: 'Cuộc trò chuyện mới' }, icon(ICONS.restart));
    var conn = el('div', { class: 'mc-conn', role: 'status', 'aria-live': 'polite', hidden: true });
    var connText = el('span', null, '');
    var retryBtn = el('button', { type: 'button', class: 'mc-btn mc-btn-small' }, 'Thử lại ngay');
    var contact = el('p', { class: 'mc-contact', hidden: true });
    conn.appendChild(connText);
    conn.appendChild(retryBtn);
    conn.appendChild(contact);
    var log = el('div', { class: 'mc-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Nội dung trò chuyện', tabindex: '0' });
    var typing = el('div', { class: 'mc-typing', role: 'status', hidden: true }, [
      el('span', { class: 'mc-dots', 'aria-hidden': 'true' }, [el('i'), el('i'), el('i')]),
      el('span', null, 'Trợ lý đang trả lời…')
    ]);
    var input = el('textarea', { id: 'mc-input', class: 'mc-input', rows: '1', autocomplete: 'off', enterkeyhint: 'send', placeholder: 'Nhập câu hỏi của bạn…', 'aria-describedby': 'mc-hint' });
    var sendBtn = el('button', { type: 'submit', class: 'mc-send', 'aria-label': 'Gửi' }, icon(ICONS.send));
    var hint = el('p', { id: 'mc-hint', class: 'mc-hint' }, [
      el('span', { class: 'mc-sr' }, 'Enter để gửi, Shift+Enter để xuống dòng. '),
      'Trả lời tự động để tham khảo. Đừng nhập số căn cước, số điện thoại.'
    ]);
    var formErr = el('p', { class: 'mc-form-err', role: 'alert', hidden: true });
    var form = el('form', { class: 'mc-form', novalidate: true }, [
      el('label', { for: 'mc-input', class: 'mc-sr' }, 'Câu hỏi của bạn'), input, sendBtn
    ]);
    var panel = el('div', { id: 'mc-panel', class: 'mc-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'mc-title', 'aria-describedby': 'mc-sub', hidden: true }, [
      /* a div, not a header: inside the page a second banner landmark */
      el('div', { class: 'mc-head' }, [
        el('div', { class: 'mc-head-text' }, [
          el('h2', { id: 'mc-title', class: 'mc-title' }, TITLE),
          el('p', { id: 'mc-sub', class: 'mc-sub' }, SUBTITLE)
        ]),
        newBtn, closeBtn
      ]),
      conn, log, typing, formErr, form, hint
    ]);
    root.appendChild(panel);
    root.appendChild(launcher);
    /* The panel's title is the commune office's own name from the office data, as its admins
     * set it in the console (GET /api/v1/commune "office_name", e.g. "Trung tâm phục vụ hành
     * chính công phường Hoàn Kiếm"); without it, the generic title with the commune's name;
     * without either (no commune configured, server down), data-title. The launcher keeps
     * data-title: it is the embedding page's short label. */
    if (window.fetch) {
      fetch(ORIGIN + '/api/v1/commune').then(function (r) { return r.ok ? r.json() : null; }).then(function (c) {
        if (!c || typeof c !== 'object') return;
        if (!contactInfo.phone && typeof c.phone === 'string') contactInfo.phone = c.phone;
        if (!contactInfo.hours && typeof c.hours === 'string') contactInfo.hours = c.hours;
        var office = typeof c.office_name === 'string' ? c.office_name.trim() : '';
        var name = typeof c.name === 'string' ? c.name.trim() : '';
        if (office) panel.querySelector('#mc-title').textContent = office;
        else if (name) panel.querySelector('#mc-title').textContent = TITLE + ' — ' + name;
      }).catch(function () { /* the generic title stays */ });
    }
    shadow.appendChild(css);
    shadow.appendChild(root);

    var isOpen = false, unread = 0, typingFrame = false;

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }
    /* a long answer is read from its top, not its end */
    function reveal(node) {
      if (node.classList.contains('mc-bot') && node.offsetHeight > log.clientHeight * 0.6) {
        var prev = node.previousElementSibling;
        var top = prev && prev.classList.contains('mc-user') && prev.offsetHeight < log.clientHeight * 0.25 ? prev : node;
        log.scrollTop = top.offsetTop - 8;
      } else {
        scrollDown();
      }
    }
    function setUnread(n) {
      unread = n;
      badge.hidden = n === 0;
      badge.textContent = n > 9 ? '9+' : String(n);
      launcherSr.textContent = n ? ' (' + n + ' tin nhắn mới)' : '';
    }
    function updateTyping() {
      var waiting = chat.outbox.length > 0 && chat.ready;
      typing.hidden = !(waiting || typingFrame);
    }
    var bar = null;
    var conv = new Conversation(chat, log, {
      replyTimeoutMs: replyTimeoutMs,
      onRetry: function () { input.focus(); },
      onAppend: function (node) { reveal(node); },
      onHandoff: function (state, name) { if (bar) bar.update(state, name); },
      onBot: function (r, node, live) {
        typingFrame = false;
        updateTyping();
        if (live && !isOpen) setUnread(unread + 1);
      },
      onRestored: function (hist) {
        if (!hist.length && !chat.outbox.length) greet();
        scrollDown();
      }
    });

    bar = HandoffBar(conv);
    panel.insertBefore(bar.node, conn); /* under the title: Shift+Tab from the input still reaches the quick replies */
    var origAct0 = conv.act;
    conv.act = function (p, t) {
      /* the citizen asked: show it at once (the server's answer confirms it) */
      if (p === 'handoff:request' && conv.handoff.state === 'bot') conv.setHandoff('pending', null);
      origAct0.call(conv, p, t);
    };

    function greet() {
      var starters = ['Làm giấy khai sinh cho con', 'Làm lại căn cước bị mất', 'Đăng ký tạm trú'];
      var chips = el('div', { class: 'mc-qr mc-live', role: 'group', 'aria-label': 'Câu hỏi gợi ý' }, starters.map(function (s) {
        var b = el('button', { type: 'button', class: 'mc-chip' }, s);
        b.addEventListener('click', function () { submitText(s); });
        return b;
      }));
      conv.append(el('div', { class: 'mc-msg mc-bot mc-local' }, [
        el('span', { class: 'mc-sr' }, 'Trợ lý: '),
        el('p', { class: 'mc-bubble' }, 'Xin chào! Tôi hướng dẫn bạn làm thủ tục hành chính: giấy tờ cần chuẩn bị, các bước, nơi nộp, lệ phí, và kiểm tra hồ sơ trước khi đi nộp. Bạn cần làm gì?'),
        chips
      ]));
    }

    /* The connection line: the browser's own offline state first (the socket may not notice a
     * dead network for minutes), then the server's; with the commune's phone and hours. */
    var net = { down: navigator.onLine === false, server: false, back: false, delay: 0 };
    function renderContact() {
      while (contact.firstChild) contact.removeChild(contact.firstChild);
      var phone = contactInfo.phone, tel = phone.replace(/[^0-9+]/g, '');
      if (phone) append(contact, ['Bạn có thể gọi ', tel ? el('a', { class: 'mc-link', href: 'tel:' + tel }, phone) : phone]);
      if (contactInfo.hours) append(contact, (phone ? ' (' : 'Giờ làm việc: ') + contactInfo.hours + (phone ? ')' : ''));
      if (phone) append(contact, '.');
      contact.hidden = !contact.firstChild;
    }
    function renderConn() {
      if (!net.down && !net.server && !net.back) { conn.hidden = true; return; }
      conn.hidden = false;
      retryBtn.hidden = net.down || net.back;
      if (net.down) {
        connText.textContent = 'Mất kết nối mạng. ' +
          (chat.outbox.length ? 'Tin nhắn của bạn sẽ được gửi khi có mạng trở lại.' : 'Bạn kiểm tra Wi-Fi hoặc dữ liệu di động.');
      } else if (net.back) {
        connText.textContent = 'Đã có mạng trở lại. Đang kết nối lại…';
      } else {
        var s = Math.max(1, Math.round((net.delay || 0) / 1000));
        connText.textContent = 'Mất kết nối. Đang thử lại sau ' + s + ' giây… ' +
          (chat.outbox.length ? 'Tin nhắn của bạn sẽ được gửi khi có kết nối. ' : '');
      }
      renderContact();
    }
    chat.on('state', function (state, delay) {
      if (state === 'online' || state === 'stopped') {
        net.server = false;
        net.back = false;
      } else if (state === 'offline') {
        net.server = true;
        net.back = false;
        net.delay = delay;
      }
      renderConn();
      updateTyping();
    });
    chat.on('outbox', updateTyping);
    chat.on('typing', function () { typingFrame = true; updateTyping(); });
    retryBtn.addEventListener('click', function () { chat.retryNow(); });
    window.addEventListener('offline', function () { net.down = true; renderConn(); });
    window.addEventListener('online', function () {
      net.down = false;
      /* the old socket may be dead without knowing it: a new one resends what is waiting */
      net.back = !chat.stopped;
      renderConn();
      if (!chat.stopped) chat.resend();
    });
    document.addEventListener('visibilitychange', function () { if (!document.hidden) chat.retryNow(); });

    function showError(msg) {
      formErr.textContent = msg;
      formErr.hidden = !msg;
    }
    function submitText(text) {
      text = text.replace(/\s+$/, '').replace(/^\s+/, '');
      if (!text) { showError('Bạn chưa nhập nội dung.'); return false; }
      if (byteLength(text) > TEXT_MAX_BYTES) { showError('Tin nhắn quá dài, bạn rút gọn giúp (tối đa khoảng 700 chữ).'); return false; }
      showError('');
      conv.say('message', text);
      updateTyping();
      return true;
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (submitText(input.value)) { input.value = ''; autosize(); }
      input.focus();
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (submitText(input.value)) { input.value = ''; autosize(); }
      }
    });
    function autosize() {
      input.style.height = 'auto';
      input.style.height = Math.min(input.scrollHeight, 160) + 'px';
    }
    input.addEventListener('input', function () { autosize(); if (!formErr.hidden) showError(''); });

    /* after a quick reply the buttons vanish: keep keyboard focus in the panel */
    var origAct = conv.act;
    conv.act = function (p, t) {
      origAct.call(conv, p, t);
      updateTyping();
      input.focus();
    };

    var smallScreen = window.matchMedia('(max-width: 29.99em)');
    function open(focus) {
      if (isOpen) return;
      isOpen = true;
      panel.hidden = false;
      root.classList.add('mc-open');
      launcher.setAttribute('aria-expanded', 'true');
      panel.setAttribute('aria-modal', smallScreen.matches ? 'true' : 'false');
      setUnread(0);
      ui.set('motcua.web.open', '1');
      chat.start();
      scrollDown();
      if (focus !== false) input.focus();
    }
    function close() {
      if (!isOpen) return;
      isOpen = false;
      panel.hidden = true;
      root.classList.remove('mc-open');
      launcher.setAttribute('aria-expanded', 'false');
      ui.remove('motcua.web.open');
      launcher.focus();
    }
    launcher.addEventListener('click', function () { if (isOpen) close(); else open(); });
    closeBtn.addEventListener('click', close);
    newBtn.addEventListener('click', function () {
      chat.reset();
      conv.clear();
      conv.titles = {};
      chat.start();
      input.focus();
    });
    panel.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' || e.key === 'Esc') {
        e.preventDefault();
        e.stopPropagation();
        close();
        return;
      }
      /* full-screen on phones: keep Tab inside the panel (it covers the page) */
      if (e.key === 'Tab' && smallScreen.matches) {
        var f = panel.querySelectorAll('button:not([disabled]), a[href], textarea, [tabindex="0"]');
        var vis = Array.prototype.filter.call(f, function (n) { return n.offsetParent !== null; });
        if (!vis.length) return;
        var first = vis[0], last = vis[vis.length - 1], cur = shadow.activeElement;
        if (e.shiftKey && cur === first) { e.preventDefault(); last.focus(); }
        else if (!e.shiftKey && cur === last) { e.preventDefault(); first.focus(); }
      }
    });

    function attach() {
      document.body.appendChild(host);
      /* reopen after a reload if it was open, or deliver what is still waiting to be sent */
      if (opt('open', '') === 'true' || ui.get('motcua.web.open') === '1') open(false);
      else if (chat.outbox.length) chat.start();
    }
    if (document.body) attach();
    else document.addEventListener('DOMContentLoaded', attach);

    M.widget = { open: open, close: close, chat: chat, conversation: conv, host: host };
  }

  loadParts(function () {
    var evt;
    try { evt = new Event('motcua:ready'); } catch (e) { evt = null; }
    if (opt('mount', '') !== 'none') mount();
    if (evt) window.dispatchEvent(evt); /* for pages that loaded only widget.js and use the library */
  });
})();