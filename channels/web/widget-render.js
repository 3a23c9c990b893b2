/* motcua widget, part 2 of 4: rendering the reply contract
 * (docs/widget.md, "Four files, one line to embed").
 *
 * Every bot turn becomes elements built with el(): all text from the server or the citizen
 * goes in as text nodes or attribute values, never as HTML. Shared by the widget and the
 * kiosk. Loaded after widget-net.js; it only adds to window.Motcua.
 */
(function () {
  'use strict';

  var M = window.Motcua = window.Motcua || {};
  M.parts = M.parts || {};
  if (M.parts.render) return;
  M.parts.render = true;
  /* every part comes from the same server: its own URL gives the origin (the kiosk and a
   * host page may also list the parts themselves, before widget.js) */
  var me = document.currentScript;
  var SRC = new URL(me && me.src ? me.src : '/widget.js', location.href);
  var ORIGIN = SRC.origin;

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

  function renderCard(c, show) {
    var rows = [];
    /* r[2]: the commune's own dated note beside the reviewed fact (docs/admin-office.md) */
    [['Nơi nộp', show && show.where === false ? '' : str(c.where)], ['Thời gian', str(c.time), str(c.time_note)], ['Lệ phí', str(c.fee), str(c.fee_note)],
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
      el('p', { class: 'mc-step-text' }, linkText(str(s.text), ctx)),
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
      href && !ctx.print ? el('p', { class: 'mc-card-foot' }, guideLink(href, 'Xem hướng dẫn đầy đủ (bản in)')) : null,
      /* the citizen's own page of this checklist (print, picture, share): docs/api.md */
      /^\/p\/[A-Za-z0-9_-]+$/.test(str(c.share_url)) && !ctx.print ? el('p', { class: 'mc-card-foot mc-share' }, guideLink(ORIGIN + c.share_url, 'Lưu danh sách (in, lưu ảnh, gửi qua Zalo)')) : null
    ]);
  }

  /* ---- links in answers ---------------------------------------------------------------------- */

  /* http(s) URLs, and Vietnamese phone numbers: 0xx… / +84… in groups of digits with spaces or
   * dots between them, and the 1800/1900 hotlines; not inside a longer number (an ID number is
   * 12 digits). A full stop or bracket after a URL ends it. */
  var LINK_RE = /(https?:\/\/[^\s<>"'`]+)|(?<![\d+])((?:\+84[ .]?|0)\d{2,3}(?:[ .]?\d{3,4}){1,2}|1[89]00[ .]?\d{3,4}(?:[ .]?\d{2,4})?)(?![\d])/g;
  var PHONE_DIGITS_MIN = 8, PHONE_DIGITS_MAX = 11; /* 1800 xxxx … 0xxx xxx xxxx (+84: 11) */
  var URL_TRAIL_RE = /[.,;:!?)\]}»"'…]+$/;

  /* One text as text nodes and links: each URL an <a> (http/https only, new tab,
   * rel="noopener noreferrer"), each phone number a tel: link unless ctx.tel is false (a kiosk
   * cannot dial), URLs plain text when ctx.links is false (no new tabs on a kiosk). Nothing is
   * parsed as HTML: the pieces are text nodes or attribute values. */
  function linkText(t, ctx) {
    ctx = ctx || {};
    var out = [], last = 0, m;
    LINK_RE.lastIndex = 0;
    while ((m = LINK_RE.exec(t)) !== null) {
      var text = m[0], start = m.index, node = null;
      if (m[1]) {
        var trail = URL_TRAIL_RE.exec(text);
        if (trail) text = text.slice(0, text.length - trail[0].length);
        var href = null;
        try {
          var u = new URL(text);
          if (u.protocol === 'https:' || u.protocol === 'http:') href = u.href;
        } catch (e) { href = null; }
        if (href && ctx.links !== false) {
          node = el('a', { class: 'mc-link', href: href, target: '_blank', rel: 'noopener noreferrer' }, [
            text, el('span', { class: 'mc-sr' }, ' (mở trong thẻ mới)')
          ]);
        }
      } else if (ctx.tel !== false) {
        var digits = text.replace(/\D/g, '').length;
        if (digits >= PHONE_DIGITS_MIN && digits <= PHONE_DIGITS_MAX) {
          node = el('a', { class: 'mc-link', href: 'tel:' + text.replace(/[^0-9+]/g, '') }, text);
        }
      }
      if (!node) continue;
      if (start > last) out.push(t.slice(last, start));
      out.push(node);
      last = start + text.length;
      LINK_RE.lastIndex = last;
    }
    if (last < t.length) out.push(t.slice(last));
    return out;
  }

  /* ---- documents and all steps: short on a phone ------------------------------------------------ */

  var uid = 0; /* ids for aria-controls, unique within the page */
  function nextId(prefix) { uid += 1; return prefix + uid; }

  function docItem(d, ctx) {
    var meta = itemMeta(d), when = str(d.when);
    return el('li', { class: 'mc-doc', 'data-doc': str(d.id) || null }, [
      el('span', { class: 'mc-doc-name' }, str(d.name)),
      meta ? el('span', { class: 'mc-doc-meta' }, meta) : null,
      when ? el('span', { class: 'mc-doc-when' }, linkText('Chỉ cần ' + when, ctx)) : null
    ]);
  }

  /* The reply's "documents" block: the papers everyone needs, then those the guide marks with
   * a condition ("when") folded behind "Trường hợp đặc biệt (N)" (aria-expanded). */
  function renderDocuments(d, ctx) {
    var items = (Array.isArray(d.items) ? d.items : []).filter(function (it) { return it && str(it.name); });
    var common = items.filter(function (it) { return !str(it.when); });
    var special = items.filter(function (it) { return str(it.when); });
    var parts = [
      el('h3', { class: 'mc-docs-title' }, 'Giấy tờ cần chuẩn bị' + (str(d.title) ? ' (' + str(d.title) + ')' : '')),
      common.length ? el('ol', { class: 'mc-docs-common' }, common.map(function (it) { return docItem(it, ctx); })) : null
    ];
    if (special.length) {
      var id = nextId('mc-docs-special-');
      var list = el('ul', { id: id, class: 'mc-docs-special', hidden: true }, special.map(function (it) { return docItem(it, ctx); }));
      var more = el('button', { type: 'button', class: 'mc-btn mc-btn-ghost mc-docs-more', 'aria-expanded': 'false', 'aria-controls': id },
        'Trường hợp đặc biệt (' + special.length + ')');
      more.addEventListener('click', function () {
        var open = more.getAttribute('aria-expanded') !== 'true';
        more.setAttribute('aria-expanded', open ? 'true' : 'false');
        list.hidden = !open;
      });
      if (!common.length) parts.push(el('p', { class: 'mc-docs-none' }, 'Mỗi giấy tờ chỉ cần trong một trường hợp:'));
      parts.push(more, list);
    }
    return el('section', { class: 'mc-docs', 'aria-label': 'Giấy tờ cần chuẩn bị' }, parts);
  }

  /* The reply's "steps" block (all the steps): one step at a time with "Bước trước" /
   * "Bước tiếp", and "Xem tất cả n bước" (aria-expanded) to see them all at once. Local
   * buttons: they work in the history too and send nothing to the server. */
  function renderSteps(s, ctx) {
    var items = (Array.isArray(s.items) ? s.items : []).filter(function (it) { return it && str(it.text); });
    ctx = ctx || {};
    var total = items.length, k = 0, all = false, moving = null;
    var lis = items.map(function (it, i) { return el('li', { value: Number(it.n) || i + 1 }, linkText(str(it.text), ctx)); });
    var counter = el('p', { class: 'mc-steps-n', 'aria-live': 'polite' }, '');
    var prev = el('button', { type: 'button', class: 'mc-btn mc-btn-ghost mc-steps-prev' }, 'Bước trước');
    var next = el('button', { type: 'button', class: 'mc-btn mc-steps-next' }, 'Bước tiếp');
    var nav = el('div', { class: 'mc-steps-nav', role: 'group', 'aria-label': 'Chuyển bước' }, [prev, next]);
    var list = el('ol', { id: nextId('mc-steps-'), class: 'mc-steps-list' }, lis);
    var showAll = el('button', { type: 'button', class: 'mc-btn mc-btn-ghost mc-steps-all', 'aria-expanded': 'false', 'aria-controls': list.id },
      'Xem tất cả ' + total + ' bước');
    function show() {
      lis.forEach(function (li, i) { li.hidden = !all && i !== k; });
      counter.textContent = all ? total + ' bước' : 'Bước ' + (k + 1) + '/' + total;
      nav.hidden = all;
      /* the focused button may become disabled at either end: focus moves to the other */
      var atStart = k === 0, atEnd = k >= total - 1;
      if (atStart && moving === prev) next.focus();
      if (atEnd && moving === next) prev.focus();
      prev.disabled = atStart;
      next.disabled = atEnd;
    }
    function move(d) {
      moving = d < 0 ? prev : next;
      k = Math.max(0, Math.min(total - 1, k + d));
      show();
      moving = null;
    }
    prev.addEventListener('click', function () { move(-1); });
    next.addEventListener('click', function () { move(1); });
    showAll.addEventListener('click', function () {
      all = !all;
      showAll.setAttribute('aria-expanded', all ? 'true' : 'false');
      show();
    });
    show();
    return el('section', { class: 'mc-steps', 'aria-label': 'Các bước thực hiện' }, [
      el('h3', { class: 'mc-steps-title' }, 'Các bước làm ' + (str(s.title) || 'thủ tục')),
      counter, list, total > 1 ? nav : null, total > 1 ? showAll : null
    ]);
  }

  /* A text that is the twin of a list block: it holds every item's text. */
  function holdsAll(t, items, key) {
    return items.length > 0 && items.every(function (it) { return it && str(it[key]) && t.indexOf(str(it[key])) >= 0; });
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
    var docs = r.documents && typeof r.documents === 'object' && Array.isArray(r.documents.items) ? r.documents : null;
    var steps = r.steps && typeof r.steps === 'object' && Array.isArray(r.steps.items) ? r.steps : null;
    var shown = '', docsNode = null, stepsNode = null;
    msgs.forEach(function (t, i) {
      if (!t) return;
      /* A structured part replaces its text twin (written for Messenger and Zalo): the
       * checklist all of the text, the card its summary, the step block its sentence, the
       * documents and steps blocks the list that holds every one of their items. */
      if (cl) return;
      if (card && i === 0 && str(card.title) && t.indexOf(str(card.title)) === 0 && t.indexOf('\n') > 0) return;
      if (step && str(step.text) && t.indexOf(str(step.text)) >= 0 && t.length <= str(step.text).length + 24) return;
      /* a list block takes its twin's place, before the texts that follow it ("Chọn …") */
      if (docs && !docsNode && holdsAll(t, docs.items, 'name')) { docsNode = box.appendChild(renderDocuments(docs, ctx)); return; }
      if (steps && !stepsNode && holdsAll(t, steps.items, 'text')) { stepsNode = box.appendChild(renderSteps(steps, ctx)); return; }
      shown += t + '\n';
      box.appendChild(el('p', { class: 'mc-bubble' }, linkText(t, ctx)));
    });
    if (r.type === 'error') box.appendChild(el('p', { class: 'mc-bubble', role: 'alert' }, str(r.message) || 'Có lỗi, bạn thử lại sau.'));
    if (docs && !docsNode) box.appendChild(renderDocuments(docs, ctx));
    if (steps && !stepsNode) box.appendChild(renderSteps(steps, ctx));
    /* "Nơi nộp" once: a bubble that already says where leaves it out of the card */
    if (card) box.appendChild(renderCard(card, { where: !(str(card.where) && shown.indexOf(str(card.where)) >= 0) }));
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

  M.el = el;
  M.append = append;
  M.icon = icon;
  M.ICONS = ICONS;
  M.str = str;
  M.isPayload = isPayload;
  M.payloadTitle = payloadTitle;
  M.HANDOFF_TEXT = HANDOFF_TEXT;
  M.renderReply = renderReply;
  M.linkText = linkText;
  M.renderChecklist = renderChecklist;
  M.renderQuickReplies = renderQuickReplies;
  M.renderUser = renderUser;
  M.renderOfficer = renderOfficer;
  M.renderFeedback = renderFeedback;
})();
