/* motcua console, part "Đánh giá của người dân" (issue 15; docs/admin-feedback.md).
 *
 * Renders into <section id="feedback"> of the /admin page (admin.html, admin.js). It waits for
 * the page's "motcua-admin-ready" event on document (fired after the admin logged in), then
 * reads GET /api/v1/admin/feedback?from=&to= through window.motcuaAdmin.api(method, path), which
 * returns the parsed JSON or throws with the server's message (or at once, when this file is
 * loaded after that). The one global it adds is window.motcuaAdminFeedbackInit, the function
 * that event runs (callable again: it starts over).
 * Every text from the server goes in with textContent; this file never assigns innerHTML.
 */
(function () {
  'use strict';

  var CHANNELS = { web: 'Trang web', kiosk: 'Ki-ốt', messenger: 'Messenger', zalo: 'Zalo' };

  var el = window.motcuaDom.el; /* /dom.js, loaded by admin.html */
  /* Days and times are Vietnam's (the reports' default zone, report.timezone), whatever
   * zone the admin's computer is set to: "today" is the commune's today. */
  var ZONE = 'Asia/Ho_Chi_Minh';
  function parts(ms) {
    var o = {};
    new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(ms)).forEach(function (p) { o[p.type] = p.value; });
    return o;
  }
  /* A local date "YYYY-MM-DD", days from today. */
  function isoDay(days) {
    var p = parts(Date.now() + days * 86400000);
    return p.year + '-' + p.month + '-' + p.day;
  }
  function when(ms) {
    var p = parts(ms);
    return p.day + '/' + p.month + '/' + p.year + ' ' + p.hour + ':' + p.minute;
  }
  function str(v) { return typeof v === 'string' ? v : ''; }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }

  function init() {
    var section = document.getElementById('feedback');
    var admin = window.motcuaAdmin;
    if (!section || !admin || typeof admin.api !== 'function') return;
    while (section.firstChild) section.removeChild(section.firstChild);

    var from = el('input', { type: 'date', id: 'fb-from', required: true, value: isoDay(-6) });
    var to = el('input', { type: 'date', id: 'fb-to', required: true, value: isoDay(0) });
    var form = el('form', { class: 'fb-form' }, [
      el('label', { for: 'fb-from' }, 'Từ ngày'), from,
      el('label', { for: 'fb-to' }, 'Đến ngày'), to,
      el('button', { type: 'submit' }, 'Xem đánh giá')
    ]);
    var status = el('p', { class: 'fb-status', role: 'status', 'aria-live': 'polite' }, '');
    var error = el('p', { class: 'fb-error', role: 'alert', hidden: true }, '');
    var out = el('div', { class: 'fb-out' });
    section.appendChild(el('h2', { id: 'h-feedback' }, 'Ý kiến người dân'));
    section.appendChild(el('p', { class: 'fb-intro' },
      'Người dân bấm 👍 (hữu ích) hoặc 👎 (chưa hữu ích) dưới câu trả lời của trợ lý, và trả lời “Có giúp được bạn không?” sau khi kiểm tra hồ sơ. ' +
      'Những câu bị 👎 nên được xem lại để sửa hướng dẫn hoặc dạy thêm cho trợ lý.'));
    section.appendChild(form);
    section.appendChild(status);
    section.appendChild(error);
    section.appendChild(out);

    function show(j) {
      while (out.firstChild) out.removeChild(out.firstChild);
      var up = num(j.total && j.total.up), down = num(j.total && j.total.down);
      var share = up + down ? Math.round(100 * up / (up + down)) + ' % hữu ích' : 'chưa có đánh giá nào';
      out.appendChild(el('p', { class: 'fb-total' }, [
        el('strong', null, '👍 Hữu ích: ' + up), ' · ', el('strong', null, '👎 Chưa hữu ích: ' + down), ' (' + share + ')'
      ]));

      var procs = Array.isArray(j.by_procedure) ? j.by_procedure : [];
      if (procs.length) {
        out.appendChild(el('table', { class: 'fb-procs' }, [
          el('caption', null, 'Theo thủ tục'),
          el('thead', null, el('tr', null, [el('th', { scope: 'col' }, 'Thủ tục'), el('th', { scope: 'col' }, '👍 Hữu ích'), el('th', { scope: 'col' }, '👎 Chưa hữu ích')])),
          el('tbody', null, procs.map(function (p) {
            return el('tr', null, [
              el('th', { scope: 'row' }, str(p.name) || str(p.id) || 'Chưa rõ thủ tục'),
              el('td', null, String(num(p.up))), el('td', null, String(num(p.down)))
            ]);
          }))
        ]));
      }

      var downs = Array.isArray(j.latest_down) ? j.latest_down : [];
      out.appendChild(el('h3', null, 'Những câu trả lời bị 👎 gần đây'));
      if (!downs.length) {
        out.appendChild(el('p', null, 'Không có câu trả lời nào bị 👎 trong khoảng thời gian này.'));
        return;
      }
      out.appendChild(el('ol', { class: 'fb-downs' }, downs.map(function (d) {
        var proc = str(d.name) || str(d.procedure);
        return el('li', { class: 'fb-down' }, [
          el('p', { class: 'fb-meta' }, [when(num(d.ts)), ' · ', CHANNELS[str(d.channel)] || str(d.channel), proc ? ' · ' + proc : '']),
          el('p', { class: 'fb-q' }, [el('strong', null, 'Người dân hỏi: '), str(d.question) || '(bấm nút)']),
          el('details', { class: 'fb-a' }, [el('summary', null, 'Trợ lý đã trả lời'), el('p', null, str(d.answer))]),
          str(d.comment) ? el('p', { class: 'fb-c' }, [el('strong', null, 'Góp ý: '), str(d.comment)]) : null
        ]);
      })));
    }

    function load() {
      error.hidden = true;
      status.textContent = 'Đang tải…';
      var q = '?from=' + encodeURIComponent(from.value) + '&to=' + encodeURIComponent(to.value);
      return Promise.resolve()
        .then(function () { return admin.api('GET', '/api/v1/admin/feedback' + q); })
        .then(function (j) {
          status.textContent = 'Đánh giá từ ' + str(j.from) + ' đến ' + str(j.to) + '.';
          show(j || {});
        })
        .catch(function (e) {
          status.textContent = '';
          error.textContent = 'Không tải được đánh giá: ' + (e && e.message ? e.message : 'lỗi không rõ');
          error.hidden = false;
        });
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      load();
    });
    return load();
  }

  window.motcuaAdminFeedbackInit = init;
  document.addEventListener('motcua-admin-ready', function () { init(); });
  if (window.motcuaAdmin && window.motcuaAdmin.officer) init(); /* loaded after the event */
})();
