/* motcua chat widget (placeholder for the foundation issue: one panel, protocol v1).
 * Embed: <script src="https://HOST/widget.js" data-title="..." defer></script> */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = new URL(script.src, location.href);
  var wsUrl = (base.protocol === 'https:' ? 'wss://' : 'ws://') + base.host + '/ws';
  var title = script.getAttribute('data-title') || 'Hỏi đáp thủ tục';
  var KEY = 'motcua.session';
  var ws, queue = [];

  var root = document.createElement('div');
  root.setAttribute('style', 'position:fixed;right:16px;bottom:16px;z-index:2147483000;font:16px system-ui,sans-serif');
  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = title;
  button.setAttribute('style', 'background:#0b57d0;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:16px');
  var panel = document.createElement('div');
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', title);
  panel.setAttribute('style', 'width:min(360px,92vw);height:min(520px,70vh);background:#fff;border:1px solid #888;border-radius:12px;display:flex;flex-direction:column;overflow:hidden');
  var log = document.createElement('div');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('style', 'flex:1;overflow:auto;padding:8px');
  var form = document.createElement('form');
  form.setAttribute('style', 'display:flex;border-top:1px solid #ccc');
  var input = document.createElement('input');
  input.setAttribute('aria-label', 'Câu hỏi của bạn');
  input.setAttribute('style', 'flex:1;padding:10px;font-size:16px;border:0');
  var send = document.createElement('button');
  send.textContent = 'Gửi';
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(button);

  function add(text, who) {
    var p = document.createElement('p');
    p.textContent = text; /* text, never HTML */
    p.setAttribute('style', 'white-space:pre-wrap;margin:6px 0;padding:8px;border-radius:8px;background:' + (who === 'user' ? '#e8f0fe' : '#f1f1f1'));
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
  }
  function connect() {
    ws = new WebSocket(wsUrl);
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: 'hello', session: localStorage.getItem(KEY), channel: 'web' }));
    };
    ws.onmessage = function (ev) {
      var f = JSON.parse(ev.data);
      if (f.type === 'welcome') {
        localStorage.setItem(KEY, f.session);
        while (queue.length) ws.send(queue.shift());
      } else if (f.type === 'reply') {
        f.messages.forEach(function (m) { add(m.text, 'bot'); });
      } else if (f.type === 'error') {
        add(f.message, 'bot');
      }
    };
    ws.onclose = function () { setTimeout(connect, 2000); };
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    add(text, 'user');
    input.value = '';
    var frame = JSON.stringify({ type: 'message', text: text });
    if (ws && ws.readyState === 1) ws.send(frame); else queue.push(frame);
  });
  button.addEventListener('click', function () {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) { input.focus(); if (!ws) connect(); }
  });
  document.body.appendChild(root);
})();
