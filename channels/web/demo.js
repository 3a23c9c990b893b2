/* channels/web/demo.js - the demo commune page (/) shows the deployment's own office: its name,
 * address, hours and phone come from GET /api/v1/commune, the office data the assistant answers
 * from (data/offices, as admins edit it in the console), so the page never states hours the bot
 * contradicts. Without the server the page keeps its neutral words. */
(function () {
  'use strict';
  function set(sel, text, prefix) {
    Array.prototype.forEach.call(document.querySelectorAll(sel), function (n) {
      n.textContent = (prefix || '') + text;
      n.hidden = false;
    });
  }
  fetch('/api/v1/commune', { headers: { accept: 'application/json' } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (c) {
      if (!c) return;
      if (typeof c.name === 'string' && c.name) {
        set('[data-office="name"]', c.name);
        document.title = 'Cổng thông tin điện tử UBND ' + c.name + ' (trang minh họa)';
      }
      if (typeof c.office_name === 'string' && c.office_name) set('[data-office="office_name"]', c.office_name);
      if (typeof c.address === 'string' && c.address) set('[data-office="address"]', c.address, 'Địa chỉ: ');
      if (typeof c.hours === 'string' && c.hours) {
        set('#d-hours', c.hours + (c.hours_verify ? ' (đang chờ xác minh)' : ''), 'Giờ làm việc: ');
      }
      if (typeof c.phone === 'string' && c.phone) set('[data-office="phone"]', c.phone, 'Điện thoại: ');
    })
    .catch(function () { /* the neutral words stay */ });
})();
