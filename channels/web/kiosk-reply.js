/* motcua kiosk: what the kiosk adds to a rendered answer, and the printout (kiosk.js,
 * docs/widget.md). An answer gets its "Nghe" button (kiosk-voice.js), a QR code of its guide
 * under a procedure card, and under a pre-check checklist the print bar and a QR code; the
 * checklist prints on A4 or an 80 mm receipt with the commune's name, address, hours and
 * counters and a QR code of the guide. window.MotcuaKioskReply({voice, office}) returns
 * { decorate(reply, node), printChecklist(data, mode) }; office gives the commune as kiosk.js
 * loaded it (commune(), str, officeName, hoursText, counterList). Loaded after widget.js and
 * kiosk-voice.js, before kiosk.js. Split from kiosk.js. */
(function () {
  'use strict';

  window.MotcuaKioskReply = function (opts) {
    var M = window.Motcua;
    var el = M.el;
    var $ = function (id) { return document.getElementById(id); };
    var AUDIO_RE = opts.voice.AUDIO_RE;
    var listenButton = opts.voice.listenButton;
    var str = opts.office.str;
    var officeName = opts.office.officeName;
    var hoursText = opts.office.hoursText;
    var counterList = opts.office.counterList;

    function qrImg(id, cls) {
      return el('img', {
        class: cls || 'k-qr',
        src: '/api/v1/qr?path=' + encodeURIComponent('/thu-tuc/' + id),
        alt: 'Mã QR mở hướng dẫn này trên điện thoại',
        width: '160', height: '160', decoding: 'async'
      });
    }

    /* Kiosk additions to a rendered reply: "Nghe", QR codes and print buttons. */
    function decorate(r, node) {
      if (r && typeof r.audio === 'string' && AUDIO_RE.test(r.audio)) {
        var first = node.querySelector('.mc-bubble');
        var listen = listenButton(r.audio);
        if (first) first.after(listen); else node.appendChild(listen);
        $('k-voice').hidden = false;
      }
      var card = node.querySelector('.mc-card');
      if (card && r.card && /^[a-z0-9-]+$/.test(r.card.id || '')) {
        card.appendChild(el('figure', { class: 'k-qr-fig' }, [
          qrImg(r.card.id),
          el('figcaption', null, 'Quét mã bằng điện thoại để xem và lưu hướng dẫn đầy đủ.')
        ]));
      }
      var cl = node.querySelector('.mc-checklist');
      if (cl && r.checklist) {
        var data = r.checklist;
        var pid = /^[a-z0-9-]+$/.test(data.procedure || '') ? data.procedure : (r.procedure || null);
        var bar = el('div', { class: 'k-printbar', role: 'group', 'aria-label': 'In danh sách hồ sơ' }, [
          el('span', { class: 'k-printbar-label' }, 'In danh sách để mang theo:'),
          btn('In khổ A4', 'k-print-a4', function () { printChecklist(data, 'a4'); }),
          btn('In phiếu nhỏ (80 mm)', 'k-print-receipt', function () { printChecklist(data, 'receipt'); })
        ]);
        var summary = cl.querySelector('.mc-cl-summary');
        if (summary) summary.after(bar); else cl.appendChild(bar);
        if (pid) {
          cl.appendChild(el('figure', { class: 'k-qr-fig' }, [
            qrImg(pid),
            el('figcaption', null, 'Quét mã bằng điện thoại để mở hướng dẫn này.')
          ]));
        }
      }
    }
    function btn(text, cls, fn) {
      var b = el('button', { type: 'button', class: 'k-btn ' + cls }, text);
      b.addEventListener('click', fn);
      return b;
    }

    function pad(n) { return (n < 10 ? '0' : '') + n; }
    /* Builds the printout and prints it. mode: 'a4' | 'receipt'. */
    function printChecklist(data, mode) {
      var area = $('k-print');
      while (area.firstChild) area.removeChild(area.firstChild);
      var now = new Date();
      var commune = opts.office.commune(); /* kiosk.js's: null until GET /api/v1/commune answers */
      var pid = /^[a-z0-9-]+$/.test(data.procedure || '') ? data.procedure : null;
      var url = pid ? location.origin + '/thu-tuc/' + pid : '';
      var img = pid ? qrImg(pid, 'k-print-qr') : null;
      var counters = counterList().map(function (c) { return 'Quầy ' + c.number + ': ' + c.name; }).join('; ');
      area.appendChild(el('header', { class: 'kp-head' }, [
        el('p', { class: 'kp-org' }, officeName()),
        commune && str(commune.address) ? el('p', { class: 'kp-addr' }, 'Địa chỉ: ' + commune.address) : null,
        hoursText() ? el('p', { class: 'kp-hours' }, 'Giờ làm việc: ' + hoursText()) : null,
        counters ? el('p', { class: 'kp-counters' }, 'Nộp tại ' + counters) : null,
        el('h1', { class: 'kp-title' }, 'Danh sách hồ sơ cần chuẩn bị'),
        el('p', { class: 'kp-when' }, 'In lúc ' + pad(now.getHours()) + ':' + pad(now.getMinutes()) + ', ngày ' +
          pad(now.getDate()) + '/' + pad(now.getMonth() + 1) + '/' + now.getFullYear())
      ]));
      var body = el('div', { class: 'kp-body' }, [M.renderChecklist(data, { print: true })]);
      if (img) {
        body.appendChild(el('figure', { class: 'kp-qr' }, [
          img,
          el('figcaption', null, [
            'Quét mã QR bằng điện thoại để xem hướng dẫn đầy đủ:',
            el('br'),
            el('span', { class: 'kp-url' }, url)
          ])
        ]));
      }
      area.appendChild(body);
      area.appendChild(el('p', { class: 'kp-foot' }, 'Thông tin để tham khảo, do trợ lý tự động lập theo câu trả lời của bạn. ' +
        'Cán bộ tiếp nhận sẽ kiểm tra lại hồ sơ. Tổng đài Dịch vụ công: ' + (commune && str(commune.hotline) ? commune.hotline : '1800 1096') + '.'));
      document.body.classList.remove('k-print-a4', 'k-print-receipt');
      document.body.classList.add('k-printing', mode === 'receipt' ? 'k-print-receipt' : 'k-print-a4');
      $('k-page').textContent = mode === 'receipt'
        ? '@page { size: 80mm 297mm; margin: 3mm 2mm; }'
        : '@page { size: A4; margin: 15mm; }';
      var go = function () { try { window.print(); } catch (e) { /* no printer */ } };
      if (img && img.decode) img.decode().then(go, go); else go();
    }
    /* the printout stays in the DOM until the next wipe, so reprinting from the dialog works */

    return { decorate: decorate, printChecklist: printChecklist };
  };
})();
