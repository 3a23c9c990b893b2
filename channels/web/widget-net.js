/* motcua widget, part 1 of 4: the connection
 * (docs/widget.md, "Four files, one line to embed").
 *
 * Store (localStorage that survives being blocked) and Chat: one conversation over the
 * WebSocket /ws (protocol v1, docs/api.md) with a persisted outbox, client message ids,
 * reconnects with exponential back-off and jitter (the offline bar and the reply timeout live in
 * widget.js and widget-conv.js).
 * Loaded by widget.js (or listed by the page before it); it only adds to window.Motcua.
 */
(function () {
  'use strict';

  var M = window.Motcua = window.Motcua || {};
  M.parts = M.parts || {};
  if (M.parts.net) return;
  M.parts.net = true;
  /* every part comes from the same server: its own URL gives the origin (the kiosk and a
   * host page may also list the parts themselves, before widget.js) */
  var me = document.currentScript;
  var SRC = new URL(me && me.src ? me.src : '/widget.js', location.href);
  var ORIGIN = SRC.origin;
  var WS_URL = (SRC.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + SRC.host + '/ws';

  var RETRY_BASE_MS = 500; /* first reconnect delay */
  var RETRY_MAX_MS = 15000; /* back-off cap */
  var OUTBOX_MAX = 20; /* unanswered frames kept for resending */
  var TITLES_MAX = 200; /* msg id -> quick-reply title, to show postbacks in history */
  var TEXT_MAX_BYTES = 2048; /* server limit for one message (docs/api.md) */
  /* a question unanswered this long is shown as such, with "Thử lại": the server answers in
   * well under a second, so a silent wait means a stalled network or server */
  var REPLY_TIMEOUT_MS = 15000;

  function str(v) {
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  }
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

  M.origin = ORIGIN;
  M.wsUrl = WS_URL;
  M.version = 1;
  M.Chat = Chat;
  M.Store = Store;
  M.byteLength = byteLength;
  M.TEXT_MAX_BYTES = TEXT_MAX_BYTES;
  M.REPLY_TIMEOUT_MS = REPLY_TIMEOUT_MS;
  M.TITLES_MAX = TITLES_MAX;
})();
