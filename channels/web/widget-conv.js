/* motcua widget, part 3 of 4: the conversation view
 * (docs/widget.md, "Four files, one line to embed").
 *
 * Conversation ties a Chat (widget-net.js) to a log element: the history after a reload,
 * questions still waiting ("Đang gửi…", the reply timeout and "Thử lại"), new turns, the
 * feedback buttons and the handoff state. HandoffBar is the "Gặp cán bộ" line. Shared by the
 * widget and the kiosk. Loaded after widget-render.js; it only adds to window.Motcua.
 */
(function () {
  'use strict';

  var M = window.Motcua = window.Motcua || {};
  M.parts = M.parts || {};
  if (M.parts.conv) return;
  M.parts.conv = true;

  var el = M.el, str = M.str, isPayload = M.isPayload, payloadTitle = M.payloadTitle;
  var renderReply = M.renderReply, renderQuickReplies = M.renderQuickReplies;
  var renderUser = M.renderUser, renderOfficer = M.renderOfficer, renderFeedback = M.renderFeedback;
  var HANDOFF_TEXT = M.HANDOFF_TEXT, REPLY_TIMEOUT_MS = M.REPLY_TIMEOUT_MS, TITLES_MAX = M.TITLES_MAX;

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
    /* opts.replyTimeoutMs: 0 never; opts.telLinks false: phone numbers as text, opts.links false:
     * URLs as text (the kiosk: nothing to dial with, no new tabs) */
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
    var node = renderReply(r, { live: live, onAction: onAction, tel: this.opts.telLinks !== false, links: this.opts.links !== false });
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
  M.Conversation = Conversation;
  M.HandoffBar = HandoffBar;
})();
