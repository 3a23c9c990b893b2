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
 * data-mount="none" loads only the library (window.Motcua: Chat, render helpers) without the
 * floating button; the kiosk (/kiosk) uses it that way.
 */
(function () {
  'use strict';

  if (window.Motcua && window.Motcua.loaded) return; /* the one line pasted twice */

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1] || null;
  })();
  var SRC = new URL(script && script.src ? script.src : '/widget.js', location.href);
  var ORIGIN = SRC.origin;
  var WS_URL = (SRC.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + SRC.host + '/ws';

  function opt(name, dflt) {
    var v = script ? script.getAttribute('data-' + name) : null;
    return v === null || v === '' ? dflt : v;
  }

  /* ---- small helpers ---------------------------------------------------------------------- */

  var RETRY_BASE_MS = 500; /* first reconnect delay */
  var RETRY_MAX_MS = 15000; /* back-off cap */
  var OUTBOX_MAX = 20; /* unanswered frames kept for resending */
  var TITLES_MAX = 200; /* msg id -> quick-reply title, to show postbacks in history */
  var TEXT_MAX_BYTES = 2048; /* server limit for one message (docs/api.md) */
  /* a question unanswered this long is shown as such, with "Thử lại": the server answers in
   * well under a second, so a silent wait means a stalled network or server */
  var REPLY_TIMEOUT_MS = 15000;

  /* el('p', {class: 'x', 'aria-label': '…'}, 'text' | Node | [children]) — text is always
   * inserted as a text node. */
  function el(tag, attrs, content) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') e.className = v;
        else if (k === 'hidden') e.hidden = true;
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    append(e, content);
    return e;
  }
  function append(parent, content) {
    if (content === null || content === undefined || content === false) return;
    if (Array.isArray(content)) content.forEach(function (c) { append(parent, c); });
    else if (typeof content === 'string' || typeof content === 'number') parent.appendChild(document.createTextNode(String(content)));
    else parent.appendChild(content);
  }
  var SVG_NS = 'http://www.w3.org/2000/svg';
  /* A decorative icon from path data (never from the network). */
  function icon(d, cls) {
    var s = document.createElementNS(SVG_NS, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    s.setAttribute('class', 'mc-ico' + (cls ? ' ' + cls : ''));
    var p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    s.appendChild(p);
    return s;
  }
  var ICONS = {
    chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z',
    close: 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z',
    send: 'M3 20.5V14l9-2-9-2V3.5L22 12z',
    restart: 'M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z',
    ext: 'M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z'
  };

  function byteLength(s) {
    return new TextEncoder().encode(s).length;
  }
  function hex(n) {
    var a = new Uint8Array(n);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }
  /* Client message id: unique per device and time, <= 64 bytes (server limit). */
  function newId(prefix) {
    return (prefix || 'w') + Date.now().toString(36) + '-' + hex(6);
  }

  /* localStorage that survives being blocked (private mode, sandboxed iframes). */
  function Store(kind) {
    var mem = {};
    var ls = null;
    try {
      ls = kind === 'session' ? window.sessionStorage : window.localStorage;
      var k = '__motcua_probe';
      ls.setItem(k, '1');
      ls.removeItem(k);
    } catch (e) { ls = null; }
    this.get = function (k) {
      try { if (ls) return ls.getItem(k); } catch (e) { /* fall through */ }
      return Object.prototype.hasOwnProperty.call(mem, k) ? mem[k] : null;
    };
    this.set = function (k, v) {
      try { if (ls) { ls.setItem(k, v); return; } } catch (e) { /* fall through */ }
      mem[k] = String(v);
    };
    this.remove = function (k) {
      try { if (ls) ls.removeItem(k); } catch (e) { /* ignore */ }
      delete mem[k];
    };
    this.getJSON = function (k, dflt) {
      try { var v = JSON.parse(this.get(k)); return v === null ? dflt : v; } catch (e) { return dflt; }
    };
    this.setJSON = function (k, v) { this.set(k, JSON.stringify(v)); };
  }

  /* ---- transport: one conversation over /ws ------------------------------------------------ */

  /* new Chat({channel, url, store, key}) — events (chat.on(name, fn)):
   *   state('connecting'|'online'|'offline', retryMs?)   welcome(frame, {first, sameSession})
   *   reply(frame)   error(frame)   typing(frame)   outbox(items)
   * Frames are sent only after the welcome; unanswered ones are resent with their id after
   * every (re)connection; a reply whose id was already delivered is dropped. */
  function Chat(o) {
    this.channel = o.channel || 'web';
    this.url = o.url || WS_URL;
    this.store = o.store || new Store('local');
    this.key = o.key || 'motcua.' + this.channel;
    this.handlers = {};
    this.ws = null;
    this.ready = false;
    this.stopped = true;
    this.attempt = 0;
    this.timer = null;
    this.welcomed = false;
    this.session = this.store.get(this.key + '.session');
    this.outbox = this.store.getJSON(this.key + '.outbox', []);
    if (!Array.isArray(this.outbox)) this.outbox = [];
    this.delivered = new Set(); /* ids whose reply/error the UI has shown */
    this.settings = {};
    this.votes = this.store.getJSON(this.key + '.votes', {}); /* answer id -> 'up' | 'down' */
    if (!this.votes || typeof this.votes !== 'object') this.votes = {};
    this.voting = {}; /* answer id -> the vote sent, until its feedback_ack or error */
  }
  Chat.prototype.on = function (name, fn) {
    (this.handlers[name] = this.handlers[name] || []).push(fn);
    return this;
  };
  Chat.prototype.emit = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    (this.handlers[name] || []).forEach(function (fn) {
      try { fn.apply(null, args); } catch (e) { if (window.console) console.error('motcua:', e); }
    });
  };
  Chat.prototype.saveOutbox = function () {
    if (this.outbox.length) this.store.setJSON(this.key + '.outbox', this.outbox);
    else this.store.remove(this.key + '.outbox');
    this.emit('outbox', this.outbox);
  };
  Chat.prototype.start = function () {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  };
  Chat.prototype.connect = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.ws || this.stopped) return;
    var ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.schedule();
      return;
    }
    this.ws = ws;
    this.emit('state', 'connecting');
    ws.onopen = function () {
      if (self.ws !== ws) return;
      ws.send(JSON.stringify({ type: 'hello', session: self.session || null, channel: self.channel }));
    };
    ws.onmessage = function (ev) {
      if (self.ws === ws) self.onFrame(ev.data);
    };
    ws.onclose = function () {
      if (self.ws !== ws) return;
      self.ws = null;
      self.ready = false;
      if (self.stopped) return;
      self.schedule();
    };
    ws.onerror = function () { /* onclose follows */ };
  };
  /* Exponential back-off with "equal jitter": half the step fixed, half random, so a server
   * restart is not met by every browser at the same instant. */
  Chat.prototype.schedule = function () {
    var self = this;
    var step = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * Math.pow(2, this.attempt));
    var delay = Math.round(step / 2 + Math.random() * step / 2);
    this.attempt = Math.min(this.attempt + 1, 16);
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.connect(); }, delay);
    this.emit('state', 'offline', delay);
  };
  /* Reconnect now (button "Thử lại", the browser came back online, the tab became visible). */
  Chat.prototype.retryNow = function () {
    if (this.stopped || this.ws) return;
    this.connect();
  };
  /* "Thử lại" after a reply timed out: the socket may look open while the network under it is
   * dead, so it is dropped and a new one resends the outbox (same ids: never answered twice). */
  Chat.prototype.resend = function () {
    if (this.stopped) { this.start(); return; }
    var ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) { try { ws.close(4000, 'stalled'); } catch (e) { /* already closing */ } }
    this.attempt = 0;
    this.connect();
  };
  Chat.prototype.frameOf = function (item) {
    var f = { type: item.type, id: item.id };
    if (item.type === 'message') f.text = item.text; else f.payload = item.payload;
    return JSON.stringify(f);
  };
  Chat.prototype.flush = function () {
    var self = this;
    if (!this.ready || !this.ws) return;
    this.outbox.forEach(function (item) {
      try { self.ws.send(self.frameOf(item)); } catch (e) { /* the close handler reconnects */ }
    });
  };
  Chat.prototype.onFrame = function (raw) {
    var f;
    try { f = JSON.parse(raw); } catch (e) { return; }
    if (!f || typeof f !== 'object') return;
    if (f.type === 'welcome') {
      var prev = this.session;
      var first = !this.welcomed;
      this.session = typeof f.session === 'string' ? f.session : null;
      if (this.session) this.store.set(this.key + '.session', this.session);
      this.settings = f.settings && typeof f.settings === 'object' ? f.settings : {};
      this.ready = true;
      this.attempt = 0;
      this.welcomed = true;
      this.emit('welcome', f, { first: first, sameSession: !!f.resumed && prev === this.session });
      this.emit('state', 'online');
      this.flush();
      return;
    }
    var fid = typeof f.reply_to === 'string' ? f.reply_to : null;
    if ((f.type === 'feedback_ack' || f.type === 'error') && fid && this.voting[fid]) {
      /* the answer to a vote (docs/api.md): never a reply to a message */
      var v = this.voting[fid];
      delete this.voting[fid];
      if (f.type === 'feedback_ack') {
        this.votes[fid] = v;
        var ks = Object.keys(this.votes);
        if (ks.length > TITLES_MAX) delete this.votes[ks[0]];
        this.store.setJSON(this.key + '.votes', this.votes);
      }
      this.emit('feedback', { reply_to: fid, vote: v, ok: f.type === 'feedback_ack', message: str(f.message) });
      return;
    }
    if (f.type === 'reply' || f.type === 'error') {
      var id = typeof f.reply_to === 'string' ? f.reply_to : null;
      if (id) {
        var before = this.outbox.length;
        this.outbox = this.outbox.filter(function (it) { return it.id !== id; });
        if (this.outbox.length !== before) this.saveOutbox();
        if (this.delivered.has(id)) return; /* a resend answered twice: shown already */
        this.delivered.add(id);
      }
      this.emit(f.type, f);
      return;
    }
    if (f.type === 'delivered') {
      /* the message went to the commune's officers instead of the bot: it is answered */
      var did = typeof f.reply_to === 'string' ? f.reply_to : null;
      if (did) {
        var n0 = this.outbox.length;
        this.outbox = this.outbox.filter(function (it) { return it.id !== did; });
        if (this.outbox.length !== n0) this.saveOutbox();
        if (this.delivered.has(did)) return;
        this.delivered.add(did);
      }
      this.emit('delivered', f);
      return;
    }
    if (f.type === 'handoff') { this.emit('handoff', f); return; }
    if (f.type === 'typing') this.emit('typing', f);
  };
  /* Queues a message ('message', text) or postback ('postback', payload) and sends it when
   * connected. Returns the outbox item {id, type, text|payload, title, ts}. */
  Chat.prototype.send = function (type, value, title) {
    var item = { id: newId(this.channel === 'kiosk' ? 'k' : 'w'), type: type, title: title || null, ts: Date.now() };
    if (type === 'message') item.text = value; else item.payload = value;
    this.outbox.push(item);
    while (this.outbox.length > OUTBOX_MAX) this.outbox.shift();
    this.saveOutbox();
    if (this.ready && this.ws) {
      try { this.ws.send(this.frameOf(item)); } catch (e) { /* resent after reconnect */ }
    } else if (this.stopped) {
      this.start();
    }
    return item;
  };
  /* A vote on the answer to message id (docs/api.md, "feedback"); not queued like messages:
   * returns false when there is no connection to send it on now. */
  Chat.prototype.sendFeedback = function (id, vote, comment) {
    if (!this.ready || !this.ws || !id || (vote !== 'up' && vote !== 'down')) return false;
    var f = { type: 'feedback', reply_to: id, vote: vote };
    if (comment) f.comment = comment;
    try { this.ws.send(JSON.stringify(f)); } catch (e) { return false; }
    this.voting[id] = vote;
    return true;
  };
  /* Marks ids already on screen (history), so a resent frame's answer is not shown again. */
  Chat.prototype.markDelivered = function (id) {
    if (id) this.delivered.add(id);
  };
  Chat.prototype.dropFromOutbox = function (ids) {
    var before = this.outbox.length;
    this.outbox = this.outbox.filter(function (it) { return !ids.has(it.id); });
    if (this.outbox.length !== before) this.saveOutbox();
  };
  /* Forgets everything on this device: connection, session token, outbox (privacy). */
  Chat.prototype.reset = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
    var ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) { try { ws.close(1000, 'reset'); } catch (e) { /* ignore */ } }
    this.store.remove(this.key + '.session');
    this.store.remove(this.key + '.outbox');
    this.store.remove(this.key + '.titles');
    this.store.remove(this.key + '.votes');
    this.votes = {};
    this.voting = {};
    this.session = null;
    this.outbox = [];
    this.delivered = new Set();
    this.welcomed = false;
    this.attempt = 0;
    this.emit('state', 'stopped');
  };

  /* ---- rendering of the reply contract (shared by the widget and the kiosk) ----------------- */

  var KIND = {
    'original': 'Bản chính',
    'copy': 'Bản sao',
    'certified-copy': 'Bản sao có chứng thực',
    'present': 'Xuất trình, không nộp',
    'original-or-certified-copy': 'Bản chính hoặc bản sao có chứng thực'
  };
  var STATUS = {
    ready: { label: 'Đã có', mark: '✓' },
    missing: { label: 'Còn thiếu', mark: '✗' },
    unknown: { label: 'Chưa rõ', mark: '?' },
    not_needed: { label: 'Không cần', mark: '–' }
  };
  /* How a postback is shown when its title is not known (history after a reload). */
  var PAYLOAD_TITLES = {
    docs: 'Giấy tờ cần chuẩn bị', steps: 'Các bước thực hiện', check: 'Kiểm tra hồ sơ',
    where: 'Nộp ở đâu', online: 'Nộp trực tuyến', next: 'Bước tiếp', prev: 'Quay lại', all: 'Xem tất cả',
    checklist: 'Xem danh sách hồ sơ', cancel: 'Hủy', 'ans:yes': 'Có', 'ans:no': 'Chưa có',
    'ans:unknown': 'Không rõ', 'meta:gap-can-bo': 'Gặp cán bộ', proc: 'Chọn thủ tục',
    'handoff:request': 'Gặp cán bộ', 'handoff:cancel': 'Quay lại trợ lý tự động'
  };
  /* What the citizen reads about the handoff state (docs/officer.md). */
  var HANDOFF_TEXT = {
    pending: 'Câu hỏi của bạn đã được chuyển đến cán bộ xã/phường. Vui lòng chờ trong giây lát…',
    officer: 'Cán bộ đang hỗ trợ bạn',
    closed: 'Cán bộ đã kết thúc cuộc trò chuyện.'
  };
  var PAYLOAD_RE = /^(?:[a-z]+:[a-z0-9_-]+|next|prev|checklist|cancel|all)$/;
  function isPayload(text) { return PAYLOAD_RE.test(text || ''); }
  function payloadTitle(p) {
    if (PAYLOAD_TITLES[p]) return PAYLOAD_TITLES[p];
    var head = String(p).split(':')[0];
    return PAYLOAD_TITLES[head] || p;
  }

  /* Only our own pages become links: /thu-tuc/<id> on the server this script came from. */
  function guideUrl(u, id) {
    if (typeof u === 'string' && /^\/thu-tuc\/[a-z0-9-]+$/.test(u)) return ORIGIN + u;
    if (typeof id === 'string' && /^[a-z0-9-]+$/.test(id)) return ORIGIN + '/thu-tuc/' + id;
    return null;
  }
  function str(v) {
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  }
  function onlineText(v) {
    if (v === true) return 'Có';
    if (v === false) return 'Chưa hỗ trợ';
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      var a = { full: 'Có, toàn trình', partial: 'Có, một phần', none: 'Chưa hỗ trợ' }[v.available];
      return a || str(v.text);
    }
    return '';
  }

  function guideLink(href, text) {
    return el('a', { class: 'mc-link', href: href, target: '_blank', rel: 'noopener' }, [
      text, el('span', { class: 'mc-sr' }, ' (mở trong thẻ mới)'), icon(ICONS.ext, 'mc-ico-ext')
    ]);
  }

  function renderCard(c) {
    var rows = [];
    /* r[2]: the commune's own dated note beside the reviewed fact (docs/admin-office.md) */
    [['Nơi nộp', str(c.where)], ['Thời gian', str(c.time), str(c.time_note)], ['Lệ phí', str(c.fee), str(c.fee_note)],
      ['Nộp trực tuyến', onlineText(c.online)]]
      .forEach(function (r) {
        if (r[1]) rows.push(el('dt', null, r[0]), el('dd', null, r[1]));
        if (r[1] && r[2]) rows.push(el('dd', { class: 'mc-local-note' }, r[2]));
      });
    var href = guideUrl(c.url, c.id);
    return el('article', { class: 'mc-card', 'data-procedure': str(c.id) }, [
      el('h3', { class: 'mc-card-title' }, str(c.title) || 'Thủ tục'),
      rows.length ? el('dl', { class: 'mc-facts' }, rows) : null,
      href ? el('p', { class: 'mc-card-foot' }, guideLink(href, 'Xem hướng dẫn đầy đủ (bản in)')) : null
    ]);
  }

  function renderStep(s, ctx) {
    var n = Number(s.n) || 0, total = Number(s.total) || 0;
    var nav = null;
    if (ctx.live && ctx.onAction) {
      var prevT = ctx.stepTitles.prev || 'Quay lại', nextT = ctx.stepTitles.next || 'Bước tiếp';
      var prev = el('button', { type: 'button', class: 'mc-btn mc-btn-ghost mc-step-prev', disabled: n <= 1 }, prevT);
      var next = el('button', { type: 'button', class: 'mc-btn mc-step-next', disabled: total > 0 && n >= total }, nextT);
      prev.addEventListener('click', function () { ctx.onAction('prev', prevT); });
      next.addEventListener('click', function () { ctx.onAction('next', nextT); });
      nav = el('div', { class: 'mc-step-nav mc-live', role: 'group', 'aria-label': 'Chuyển bước' }, [prev, next]);
    }
    var pct = total > 0 ? Math.round(Math.min(n, total) * 100 / total) : 0;
    var fill = el('span');
    fill.style.width = pct + '%'; /* CSSOM, not a style attribute: fine under a strict CSP */
    var bar = el('div', { class: 'mc-progress', 'aria-hidden': 'true' }, fill);
    return el('section', { class: 'mc-step', 'aria-label': 'Bước ' + n + (total ? ' trên ' + total : '') }, [
      el('p', { class: 'mc-step-n' }, 'Bước ' + n + (total ? '/' + total : '')),
      total ? bar : null,
      el('p', { class: 'mc-step-text' }, str(s.text)),
      nav
    ]);
  }

  function itemMeta(it) {
    var parts = [];
    if (KIND[it.kind]) parts.push(KIND[it.kind]);
    var count = Number(it.count);
    if (count > 0) parts.push(count + ' bản');
    return parts.join(' · ');
  }

  /* The pre-check checklist; also used for the kiosk's printout (ctx.print). */
  function renderChecklist(c, ctx) {
    ctx = ctx || {};
    var items = Array.isArray(c.items) ? c.items : [];
    var counts = { ready: 0, missing: 0, unknown: 0, not_needed: 0 };
    items.forEach(function (it) { if (counts[it.status] !== undefined) counts[it.status]++; });
    var summary;
    if (c.complete || (items.length && !counts.missing && !counts.unknown)) {
      summary = 'Hồ sơ đã đủ giấy tờ cần thiết.';
    } else {
      var bits = [];
      if (counts.missing) bits.push('còn thiếu ' + counts.missing + ' giấy tờ');
      if (counts.unknown) bits.push(counts.unknown + ' giấy tờ chưa rõ');
      summary = bits.length ? 'Hồ sơ ' + bits.join(', ') + '.' : 'Danh sách giấy tờ cần chuẩn bị.';
    }
    var list = el('ul', { class: 'mc-cl-items' }, items.map(function (it) {
      var st = STATUS[it.status] || STATUS.unknown;
      var form = it.form && typeof it.form === 'object' ? [str(it.form.name), str(it.form.code)].filter(Boolean).join(' — ') : str(it.form);
      var meta = itemMeta(it);
      return el('li', { class: 'mc-cl-item mc-st-' + (STATUS[it.status] ? it.status : 'unknown'), 'data-doc': str(it.id) }, [
        el('span', { class: 'mc-cl-mark', 'aria-hidden': 'true' }, st.mark),
        el('div', { class: 'mc-cl-body' }, [
          el('p', { class: 'mc-cl-name' }, [
            el('span', { class: 'mc-cl-status' }, st.label + ': '),
            str(it.name)
          ]),
          meta ? el('p', { class: 'mc-cl-meta' }, meta) : null,
          form ? el('p', { class: 'mc-cl-form' }, 'Mẫu: ' + form) : null,
          (it.status === 'missing' || it.status === 'unknown') && str(it.how_to_get)
            ? el('p', { class: 'mc-cl-how' }, 'Cách có: ' + str(it.how_to_get)) : null
        ])
      ]);
    }));
    var reasons = Array.isArray(c.return_reasons) ? c.return_reasons.filter(function (r) { return typeof r === 'string' && r; }) : [];
    var href = guideUrl(c.url, c.procedure);
    return el('section', { class: 'mc-checklist' + (c.complete ? ' mc-complete' : ''), 'data-procedure': str(c.procedure), 'aria-label': 'Danh sách hồ sơ' }, [
      el('h3', { class: 'mc-cl-title' }, str(c.title) || 'Danh sách hồ sơ'),
      el('p', { class: 'mc-cl-summary ' + (summary.indexOf('đủ') >= 0 ? 'mc-ok' : 'mc-warn') }, summary),
      list,
      reasons.length ? el('div', { class: 'mc-cl-reasons' }, [
        el('h4', null, 'Lý do hồ sơ hay bị trả lại'),
        el('ul', null, reasons.map(function (r) { return el('li', null, r); }))
      ]) : null,
      href && !ctx.print ? el('p', { class: 'mc-card-foot' }, guideLink(href, 'Xem hướng dẫn đầy đủ (bản in)')) : null
    ]);
  }

  /* One bot turn as an element. ctx: {live, onAction(payload, title)} — live replies get
   * working step buttons; older ones are shown without controls. */
  function renderReply(r, ctx) {
    ctx = ctx || {};
    var qrs = Array.isArray(r.quick_replies) ? r.quick_replies : [];
    ctx.stepTitles = {};
    qrs.forEach(function (q) { if (q && (q.payload === 'next' || q.payload === 'prev')) ctx.stepTitles[q.payload] = str(q.title); });
    var box = el('div', { class: 'mc-msg mc-bot' + (r.type === 'error' ? ' mc-error' : ''), 'data-reply-to': str(r.reply_to) || null });
    box.appendChild(el('span', { class: 'mc-sr' }, 'Trợ lý: '));
    var card = r.card && typeof r.card === 'object' ? r.card : null;
    var step = r.step && typeof r.step === 'object' ? r.step : null;
    var cl = r.checklist && typeof r.checklist === 'object' ? r.checklist : null;
    var q = r.question && typeof r.question === 'object' ? r.question : null;
    var msgs = (Array.isArray(r.messages) ? r.messages : []).map(function (m) { return str(m && m.text); });
    var all = msgs.join('\n');
    if (q && Number(q.total) > 0 && all.indexOf(Number(q.n) + '/' + Number(q.total)) < 0) {
      box.appendChild(el('p', { class: 'mc-q-n' }, (q.kind === 'condition' ? 'Câu hỏi ' : 'Giấy tờ ') + (Number(q.n) || 0) + '/' + Number(q.total)));
    }
    msgs.forEach(function (t, i) {
      if (!t) return;
      /* A structured part replaces its text twin (written for Messenger and Zalo): the
       * checklist all of the text, the card its summary, the step block its sentence. */
      if (cl) return;
      if (card && i === 0 && str(card.title) && t.indexOf(str(card.title)) === 0 && t.indexOf('\n') > 0) return;
      if (step && str(step.text) && t.indexOf(str(step.text)) >= 0 && t.length <= str(step.text).length + 24) return;
      box.appendChild(el('p', { class: 'mc-bubble' }, t));
    });
    if (r.type === 'error') box.appendChild(el('p', { class: 'mc-bubble', role: 'alert' }, str(r.message) || 'Có lỗi, bạn thử lại sau.'));
    if (card) box.appendChild(renderCard(card));
    if (step) box.appendChild(renderStep(step, ctx));
    if (cl) box.appendChild(renderChecklist(cl, ctx));
    if (r.locality && typeof r.locality === 'object' && str(r.locality.name) && all.indexOf(str(r.locality.name)) < 0) {
      box.appendChild(el('p', { class: 'mc-note' }, 'Địa bàn: ' + [str(r.locality.name), str(r.locality.province)].filter(Boolean).join(', ')));
    }
    if (r.officer && typeof r.officer === 'object' && str(r.officer.hotline)) {
      var tel = str(r.officer.hotline).replace(/[^0-9+]/g, '');
      var office = str(r.officer.office_name);
      box.appendChild(el('p', { class: 'mc-note mc-officer' }, [
        office && all.indexOf(office) < 0 ? office + ' — gọi ' : 'Gọi cán bộ: ',
        /* a kiosk has no phone to dial with (ctx.tel false): the number is shown as text */
        tel && ctx.tel !== false ? el('a', { class: 'mc-link', href: 'tel:' + tel }, str(r.officer.hotline)) : str(r.officer.hotline)
      ]));
    }
    if (box.childNodes.length === 1) box.appendChild(el('p', { class: 'mc-bubble' }, '…'));
    return box;
  }

  /* The quick replies of the newest reply (next/prev live in the step block instead). */
  function renderQuickReplies(r, onAction, skipStepNav) {
    var qrs = (Array.isArray(r.quick_replies) ? r.quick_replies : []).filter(function (q) {
      return q && str(q.title) && str(q.payload) && !(skipStepNav && (q.payload === 'next' || q.payload === 'prev'));
    });
    if (!qrs.length) return null;
    return el('div', { class: 'mc-qr mc-live', role: 'group', 'aria-label': 'Gợi ý trả lời' }, qrs.map(function (q) {
      var b = el('button', { type: 'button', class: 'mc-chip', 'data-payload': q.payload }, str(q.title));
      b.addEventListener('click', function () { onAction(q.payload, str(q.title)); });
      return b;
    }));
  }

  /* Was this answer useful? 👍/👎 under an answer, or, where a pre-check ends (the reply's
   * "feedback" block), its question "Có giúp được bạn không?" with Có / Không. Both send the
   * feedback frame for the message id the answer replied to. */
  function renderFeedback(id, question, vote) {
    var up, down;
    if (question) {
      up = el('button', { type: 'button', class: 'mc-fb-btn mc-fb-up', 'data-vote': 'up' }, [el('span', { 'aria-hidden': 'true' }, '👍 '), 'Có']);
      down = el('button', { type: 'button', class: 'mc-fb-btn mc-fb-down', 'data-vote': 'down' }, [el('span', { 'aria-hidden': 'true' }, '👎 '), 'Không']);
    } else {
      up = el('button', { type: 'button', class: 'mc-fb-btn mc-fb-up', 'data-vote': 'up', 'aria-label': 'Câu trả lời này hữu ích', title: 'Hữu ích' }, el('span', { 'aria-hidden': 'true' }, '👍'));
      down = el('button', { type: 'button', class: 'mc-fb-btn mc-fb-down', 'data-vote': 'down', 'aria-label': 'Câu trả lời này chưa hữu ích', title: 'Chưa hữu ích' }, el('span', { 'aria-hidden': 'true' }, '👎'));
    }
    var status = el('span', { class: 'mc-fb-status', role: 'status' }, '');
    var node = el('div', { class: 'mc-fb' + (question ? ' mc-fb-ask' : ''), role: 'group', 'aria-label': question || 'Đánh giá câu trả lời', 'data-answer': id }, [
      question ? el('p', { class: 'mc-fb-q' }, question) : null, up, down, status
    ]);
    node.mcSet = function (v, text) {
      up.setAttribute('aria-pressed', v === 'up' ? 'true' : 'false');
      down.setAttribute('aria-pressed', v === 'down' ? 'true' : 'false');
      status.textContent = text || '';
    };
    node.mcSet(vote, '');
    return { node: node, up: up, down: down };
  }

  /* An officer's message: who is helping, then the text, styled apart from the bot's. */
  function renderOfficer(r) {
    var name = r.officer && typeof r.officer === 'object' ? str(r.officer.name) : '';
    var box = el('div', { class: 'mc-msg mc-officer-msg' }, [
      el('p', { class: 'mc-officer-name' }, name ? 'Cán bộ ' + name + ' đang hỗ trợ bạn' : 'Cán bộ đang hỗ trợ bạn')
    ]);
    (Array.isArray(r.messages) ? r.messages : []).forEach(function (m) {
      var t = str(m && m.text);
      if (t) box.appendChild(el('p', { class: 'mc-bubble' }, t));
    });
    return box;
  }

  function renderUser(text, id, pending) {
    return el('div', { class: 'mc-msg mc-user' + (pending ? ' mc-pending' : ''), 'data-msg-id': id || null }, [
      el('span', { class: 'mc-sr' }, 'Bạn: '),
      el('p', { class: 'mc-bubble' }, text),
      el('span', { class: 'mc-state' }, pending ? 'Đang gửi…' : '')
    ]);
  }

  /* A conversation view: a log element + what it needs to show history, pending and new
   * turns in order. Shared by the widget and the kiosk. */
  function Conversation(chat, log, opts) {
    this.chat = chat;
    this.log = log;
    this.opts = opts || {};
    this.titles = chat.store.getJSON(chat.key + '.titles', {});
    if (!this.titles || typeof this.titles !== 'object') this.titles = {};
    var self = this;
    chat.on('welcome', function (f, info) { self.onWelcome(f, info); });
    this.handoff = { state: 'bot', officer: null };
    /* opts.replyTimeoutMs: 0 never; opts.telLinks false: phone numbers as text (kiosk) */
    this.timeoutMs = typeof this.opts.replyTimeoutMs === 'number' ? this.opts.replyTimeoutMs : REPLY_TIMEOUT_MS;
    this.waits = {}; /* msg id -> timer of its reply timeout */
    chat.on('reply', function (f) {
      if (f.from === 'officer') self.addOfficer(f);
      else self.addBot(f, true, false);
    });
    chat.on('error', function (f) { self.addBot(f, true, false); });
    chat.on('delivered', function (f) { self.markAnswered(f.reply_to, 'Đã chuyển đến cán bộ'); });
    chat.on('handoff', function (f) { self.onHandoff(f); });
    chat.on('feedback', function (f) { self.onFeedback(f); });
  }
  /* The vote's answer: the buttons of that answer show it (or say it was not sent). */
  Conversation.prototype.onFeedback = function (f) {
    var bars = this.log.querySelectorAll('.mc-fb');
    for (var i = 0; i < bars.length; i++) {
      if (bars[i].getAttribute('data-answer') !== f.reply_to || !bars[i].mcSet) continue;
      if (f.ok) bars[i].mcSet(f.vote, 'Cảm ơn bạn đã góp ý!');
      else bars[i].mcSet(this.chat.votes[f.reply_to], 'Chưa gửi được góp ý, bạn thử lại.');
    }
  };
  /* The feedback buttons of the answer to message id (opts.feedback false: none). */
  Conversation.prototype.feedbackFor = function (r, id) {
    if (this.opts.feedback === false || !id || (r.type && r.type !== 'reply') || r.from) return null; /* history replies have no type */
    var self = this;
    var q = r.feedback && typeof r.feedback === 'object' ? str(r.feedback.question) : '';
    var fb = renderFeedback(id, q, this.chat.votes[id]);
    var cast = function (v) {
      if (self.chat.sendFeedback(id, v)) fb.node.mcSet(v, 'Đang gửi…');
      else fb.node.mcSet(self.chat.votes[id], 'Mất kết nối, chưa gửi được góp ý.');
    };
    fb.up.addEventListener('click', function () { cast('up'); });
    fb.down.addEventListener('click', function () { cast('down'); });
    return fb.node;
  };
  /* bot -> pending -> officer -> bot | closed (docs/api.md); opts.onHandoff(state, officerName). */
  Conversation.prototype.setHandoff = function (state, officer) {
    if (['bot', 'pending', 'officer', 'closed'].indexOf(state) < 0) return;
    var name = officer && typeof officer === 'object' ? str(officer.name) : '';
    if (state === 'officer' && !name && this.handoff.officer) name = this.handoff.officer;
    this.handoff = { state: state, officer: state === 'officer' ? name || null : null };
    if (this.opts.onHandoff) this.opts.onHandoff(this.handoff.state, this.handoff.officer);
  };
  Conversation.prototype.addOfficer = function (f) {
    this.retire();
    if (this.handoff.state !== 'officer' || (f.officer && str(f.officer.name) !== this.handoff.officer)) this.setHandoff('officer', f.officer);
    var node = renderOfficer(f);
    this.append(node);
    if (this.opts.onBot) this.opts.onBot(f, node, true);
    return node;
  };
  Conversation.prototype.onHandoff = function (f) {
    this.retire();
    var note = { type: 'reply', messages: f.messages, quick_replies: f.quick_replies };
    if ((Array.isArray(f.messages) && f.messages.length) || (Array.isArray(f.quick_replies) && f.quick_replies.length)) {
      this.addBot(note, true, false).classList.add('mc-handoff-note');
    }
    this.setHandoff(f.state, f.officer);
  };
  Conversation.prototype.rememberTitle = function (id, title) {
    if (!title) return;
    this.titles[id] = title;
    var keys = Object.keys(this.titles);
    if (keys.length > TITLES_MAX) delete this.titles[keys[0]];
    this.chat.store.setJSON(this.chat.key + '.titles', this.titles);
  };
  Conversation.prototype.userText = function (item) {
    var id = item.msg_id || item.id;
    if (id && this.titles[id]) return this.titles[id];
    if (item.title) return item.title;
    var t = item.type === 'postback' ? item.payload : item.text;
    if (item.type === 'postback' || isPayload(t)) return payloadTitle(t);
    return str(t);
  };
  Conversation.prototype.retire = function () {
    var live = this.log.querySelectorAll('.mc-live');
    for (var i = 0; i < live.length; i++) live[i].remove();
  };
  Conversation.prototype.act = function (payload, title) {
    this.say('postback', payload, title);
  };
  /* The citizen sends text ('message') or taps a quick reply ('postback'). */
  Conversation.prototype.say = function (type, value, title) {
    var item = this.chat.send(type, value, title);
    if (title) this.rememberTitle(item.id, title);
    this.retire();
    this.append(renderUser(this.userText(item), item.id, true));
    this.wait(item.id);
    if (this.opts.onUser) this.opts.onUser(item);
    return item;
  };
  /* Starts (again) the reply timeout of message id. */
  Conversation.prototype.wait = function (id) {
    var self = this;
    if (!id || !(this.timeoutMs > 0)) return;
    clearTimeout(this.waits[id]);
    this.waits[id] = setTimeout(function () { delete self.waits[id]; self.late(id); }, this.timeoutMs);
  };
  Conversation.prototype.pendingNode = function (id) {
    var nodes = this.log.querySelectorAll('.mc-user.mc-pending');
    for (var i = 0; i < nodes.length; i++) if (nodes[i].getAttribute('data-msg-id') === id) return nodes[i];
    return null;
  };
  /* No reply in time: say so under the question, with "Thử lại" (reconnect and resend). */
  Conversation.prototype.late = function (id) {
    var self = this;
    var node = this.pendingNode(id);
    if (!node || node.querySelector('.mc-late')) return;
    node.classList.add('mc-timeout');
    var s = node.querySelector('.mc-state');
    if (s) s.textContent = '';
    var retry = el('button', { type: 'button', class: 'mc-btn mc-btn-small mc-retry' }, 'Thử lại');
    var box = el('p', { class: 'mc-late', role: 'alert' }, [
      'Chưa nhận được trả lời: mạng chậm hoặc máy chủ đang bận. ', retry
    ]);
    retry.addEventListener('click', function () {
      box.remove();
      node.classList.remove('mc-timeout');
      if (s) s.textContent = 'Đang gửi…';
      /* every question still waiting starts its wait again: they are all resent */
      var nodes = self.log.querySelectorAll('.mc-user.mc-pending');
      for (var i = 0; i < nodes.length; i++) self.wait(nodes[i].getAttribute('data-msg-id'));
      self.chat.resend();
      if (self.opts.onRetry) self.opts.onRetry();
    });
    node.appendChild(box);
  };
  Conversation.prototype.append = function (node) {
    this.log.appendChild(node);
    if (this.opts.onAppend) this.opts.onAppend(node);
  };
  Conversation.prototype.markAnswered = function (id, note) {
    if (!id) return;
    clearTimeout(this.waits[id]);
    delete this.waits[id];
    var nodes = this.log.querySelectorAll('.mc-user.mc-pending');
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute('data-msg-id') === id) {
        nodes[i].classList.remove('mc-pending');
        nodes[i].classList.remove('mc-timeout');
        if (note) nodes[i].classList.add('mc-delivered');
        var s = nodes[i].querySelector('.mc-state');
        if (s) s.textContent = note || '';
        var late = nodes[i].querySelector('.mc-late');
        if (late) late.remove();
      }
    }
  };
  Conversation.prototype.addBot = function (r, live, restored, id) {
    var self = this;
    this.markAnswered(r.reply_to);
    if (live) this.retire();
    var onAction = function (p, t) { self.act(p, t); };
    var node = renderReply(r, { live: live, onAction: onAction, tel: this.opts.telLinks !== false });
    var fb = this.feedbackFor(r, str(r.reply_to) || id); /* before the quick replies: Shift+Tab from the input reaches those first */
    if (fb) node.appendChild(fb);
    if (live) {
      var qr = renderQuickReplies(r, onAction, !!r.step);
      if (qr) node.appendChild(qr);
    }
    this.append(node);
    /* a bot answer means the bot has the conversation, unless it says it handed it on */
    if (live && !restored && r.type === 'reply' && !node.classList.contains('mc-handoff-note')) {
      var h = r.handoff && typeof r.handoff === 'object' ? r.handoff : null;
      if (h) this.setHandoff(str(h.state), h.officer);
      else if (this.handoff.state !== 'bot' && r.reply_to) this.setHandoff('bot', null);
    }
    if (this.opts.onBot) this.opts.onBot(r, node, live && !restored);
    return node;
  };
  Conversation.prototype.clear = function () {
    var w = this.waits;
    Object.keys(w).forEach(function (id) { clearTimeout(w[id]); });
    this.waits = {};
    while (this.log.firstChild) this.log.removeChild(this.log.firstChild);
  };
  Conversation.prototype.onWelcome = function (f, info) {
    var self = this;
    var hist = Array.isArray(f.history) ? f.history : [];
    if (info.first) {
      /* rebuild from the server's record + what is still waiting to be sent */
      this.log.setAttribute('aria-busy', 'true');
      this.clear();
      var answered = new Set(), users = new Set();
      var lastBot = -1;
      hist.forEach(function (h, i) { if (h && h.role === 'bot') lastBot = i; });
      hist.forEach(function (h, i) {
        if (!h || typeof h !== 'object') return;
        if (h.role === 'user') {
          if (h.msg_id) users.add(h.msg_id);
          self.append(renderUser(self.userText(h), h.msg_id, false));
        } else if (h.role === 'bot' && h.reply && typeof h.reply === 'object') {
          if (h.msg_id) { answered.add(h.msg_id); self.chat.markDelivered(h.msg_id); }
          self.addBot(h.reply, i === lastBot && i === hist.length - 1, true, str(h.msg_id));
        } else if (h.role === 'officer' && typeof h.text === 'string') {
          self.append(renderOfficer({ officer: h.officer, messages: [{ text: h.text }] }));
        }
      });
      this.chat.dropFromOutbox(answered);
      this.chat.outbox.forEach(function (item) {
        if (users.has(item.id)) return;
        self.append(renderUser(self.userText(item), item.id, true));
        self.wait(item.id);
      });
      this.log.removeAttribute('aria-busy');
      var hs = f.handoff && typeof f.handoff === 'object' ? f.handoff : null;
      if (hs) this.setHandoff(str(hs.state), hs.officer);
      if (this.opts.onRestored) this.opts.onRestored(hist, f);
    } else if (!info.sameSession) {
      this.append(el('p', { class: 'mc-divider', role: 'note' }, 'Phiên trò chuyện cũ đã hết hạn — bắt đầu phiên mới.'));
    }
  };

  /* The handoff line under the conversation: "Gặp cán bộ" while the bot answers, the state
   * and "Quay lại trợ lý tự động" while an officer is asked or answers. cls: {bar, text, btn}
   * class names of the page using it (widget or kiosk). Returns {node, update(state, name)}. */
  function HandoffBar(conv, cls) {
    cls = cls || {};
    var text = el('p', { class: cls.text || 'mc-handoff-text', role: 'status', 'aria-live': 'polite' }, '');
    var ask = el('button', { type: 'button', class: cls.ask || 'mc-btn mc-btn-small mc-handoff-ask', 'data-payload': 'handoff:request' }, 'Gặp cán bộ');
    var back = el('button', { type: 'button', class: cls.back || 'mc-btn mc-btn-small mc-btn-ghost mc-handoff-cancel', 'data-payload': 'handoff:cancel', hidden: true }, 'Quay lại trợ lý tự động');
    var node = el('div', { class: cls.bar || 'mc-handoff', 'data-state': 'bot' }, [text, ask, back]);
    ask.addEventListener('click', function () { conv.act('handoff:request', 'Gặp cán bộ'); });
    back.addEventListener('click', function () { conv.act('handoff:cancel', 'Quay lại trợ lý tự động'); });
    function update(state, name) {
      node.setAttribute('data-state', state);
      var withPerson = state === 'pending' || state === 'officer';
      ask.hidden = withPerson;
      back.hidden = !withPerson;
      if (state === 'officer') text.textContent = name ? 'Cán bộ ' + name + ' đang hỗ trợ bạn' : HANDOFF_TEXT.officer;
      else text.textContent = HANDOFF_TEXT[state] || '';
      text.hidden = !text.textContent;
    }
    update(conv.handoff.state, conv.handoff.officer);
    return { node: node, update: update };
  }

  var Motcua = {
    loaded: true,
    version: 1,
    origin: ORIGIN,
    wsUrl: WS_URL,
    Chat: Chat,
    Store: Store,
    Conversation: Conversation,
    el: el,
    icon: icon,
    ICONS: ICONS,
    renderReply: renderReply,
    renderChecklist: renderChecklist,
    renderQuickReplies: renderQuickReplies,
    renderUser: renderUser,
    renderOfficer: renderOfficer,
    renderFeedback: renderFeedback,
    HandoffBar: HandoffBar,
    byteLength: byteLength,
    TEXT_MAX_BYTES: TEXT_MAX_BYTES
  };
  window.Motcua = Motcua;

  if (opt('mount', '') === 'none') return;

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
      el('header', { class: 'mc-head' }, [
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
    /* the commune's name, as its admins set it in the console (GET /api/v1/commune), where the
     * embedding page did not choose its own title or subtitle */
    if (window.fetch) {
      fetch(ORIGIN + '/api/v1/commune').then(function (r) { return r.ok ? r.json() : null; }).then(function (c) {
        if (c && !contactInfo.phone && typeof c.phone === 'string') contactInfo.phone = c.phone;
        if (c && !contactInfo.hours && typeof c.hours === 'string') contactInfo.hours = c.hours;
        var name = c && typeof c.name === 'string' ? c.name : '';
        if (!name || (opt('title', '') !== '' && opt('subtitle', '') !== '')) return;
        if (opt('title', '') === '') panel.querySelector('#mc-title').textContent = TITLE + ' — ' + name;
        else panel.querySelector('#mc-sub').textContent = name + ' · ' + SUBTITLE;
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

    Motcua.widget = { open: open, close: close, chat: chat, conversation: conv, host: host };
  }

  mount();
})();
