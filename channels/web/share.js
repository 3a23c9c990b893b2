/* The citizen's checklist page /p/<token> (gateway/share_http.c): "Chia sẻ qua Zalo" opens the
 * phone's share sheet (Web Share API, where Zalo is one of the apps) or, without it, copies the
 * link to paste into Zalo; "In trang này" prints. No third-party script. */
(function () {
  'use strict';
  var status = document.querySelector('.sh-status');
  function say(t) { if (status) status.textContent = t; }
  function copy(url) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(url).then(function () { return true; }, function () { return false; });
    }
    return Promise.resolve(false);
  }
  function done(ok, url) {
    say(ok ? 'Đã chép liên kết. Bạn mở Zalo và dán vào tin nhắn để gửi.'
      : 'Bạn hãy chép liên kết này để gửi qua Zalo: ' + url);
  }
  var share = document.querySelector('[data-share]');
  if (share) {
    share.addEventListener('click', function () {
      var url = location.href.split('#')[0];
      if (navigator.share) {
        navigator.share({ title: document.title, url: url }).catch(function (e) {
          if (e && e.name === 'AbortError') return;
          copy(url).then(function (ok) { done(ok, url); });
        });
        return;
      }
      copy(url).then(function (ok) { done(ok, url); });
    });
  }
  var pr = document.querySelector('[data-print]');
  if (pr) pr.addEventListener('click', function () { window.print(); });
}());
