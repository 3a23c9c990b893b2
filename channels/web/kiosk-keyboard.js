/* motcua kiosk: the on-screen keyboard (kiosk.js, docs/widget.md). A row of tone marks and the
 * Vietnamese letters above a QWERTY layout, Shift, Telex on and off (kiosk-telex.js composes the
 * word being typed), shown and hidden by its toggle and by touching the input; a key never takes
 * the focus from the input. window.MotcuaKioskKeyboard(input) wires the toggle and the input and
 * returns { kbd: {shift, telex, open}, renderKeys() (draws it in #k-kbd), setKeyboard(open),
 * setValue(text) }. Loaded after widget.js and kiosk-telex.js, before kiosk.js. Split from
 * kiosk.js. */
(function () {
  'use strict';

  window.MotcuaKioskKeyboard = function (input) {
    var el = window.Motcua.el;
    var $ = function (id) { return document.getElementById(id); };
    var telex = window.MotcuaTelex.telex;
    var applyTone = window.MotcuaTelex.applyTone;

    /* ---- on-screen keyboard ---------------------------------------------------------------- */

    var kbd = { shift: false, telex: true, open: true };
    var ROWS = [
      ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'],
      ['q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p'],
      ['a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'BACK'],
      ['SHIFT', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '?'],
      ['TELEX', 'SPACE', 'CLEAR']
    ];
    var MARKS = [[1, 'á', 'dấu sắc'], [2, 'à', 'dấu huyền'], [3, 'ả', 'dấu hỏi'], [4, 'ã', 'dấu ngã'], [5, 'ạ', 'dấu nặng']];
    var LETTERS = ['â', 'ă', 'ê', 'ô', 'ơ', 'ư', 'đ'];

    function lastWord(v) {
      var m = /[\p{L}]+$/u.exec(v);
      return m ? m[0] : '';
    }
    function replaceLastWord(v, w) {
      return v.slice(0, v.length - lastWord(v).length) + w;
    }
    function setValue(v) {
      input.value = v;
      try { input.setSelectionRange(v.length, v.length); } catch (e) { /* not focused */ }
      input.scrollLeft = input.scrollWidth;
    }
    function press(key) {
      var v = input.value;
      if (key === 'BACK') { setValue(Array.from(v).slice(0, -1).join('')); return; }
      if (key === 'CLEAR') { setValue(''); return; }
      if (key === 'SPACE') { setValue(v + ' '); return; }
      if (key === 'SHIFT') { kbd.shift = !kbd.shift; renderKeys(); return; }
      if (key === 'TELEX') { kbd.telex = !kbd.telex; renderKeys(); return; }
      if (/^TONE[1-5]$/.test(key)) {
        var w = lastWord(v);
        if (w) setValue(replaceLastWord(v, applyTone(w, Number(key.slice(4)))));
        return;
      }
      var ch = kbd.shift ? key.toUpperCase() : key;
      if (kbd.shift) { kbd.shift = false; renderKeys(); }
      if (kbd.telex && /^[a-z]$/i.test(ch)) {
        setValue(replaceLastWord(v, telex(lastWord(v), ch)));
      } else {
        setValue(v + ch);
      }
    }
    function keyButton(key, label, aria, cls) {
      var b = el('button', { type: 'button', class: 'k-key' + (cls ? ' ' + cls : ''), 'data-key': String(key), 'aria-label': aria || null }, label);
      /* keep the caret in the input: a key never takes the focus away on touch */
      b.addEventListener('pointerdown', function (e) { if (e.pointerType !== 'mouse' || document.activeElement === input) e.preventDefault(); });
      b.addEventListener('click', function () { press(key); });
      return b;
    }
    function renderKeys() {
      var box = $('k-kbd');
      while (box.firstChild) box.removeChild(box.firstChild);
      var marks = el('div', { class: 'k-row k-row-marks' });
      MARKS.forEach(function (m) { marks.appendChild(keyButton('TONE' + m[0], m[1], m[2], 'k-key-mark')); });
      LETTERS.forEach(function (l) { var c = kbd.shift ? l.toUpperCase() : l; marks.appendChild(keyButton(l, c, null, 'k-key-vn')); });
      box.appendChild(marks);
      ROWS.forEach(function (row) {
        var r = el('div', { class: 'k-row' });
        row.forEach(function (k) {
          if (k === 'BACK') r.appendChild(keyButton(k, '⌫', 'Xoá lùi', 'k-key-wide'));
          else if (k === 'SHIFT') {
            var s = keyButton(k, '⇧', 'Chữ hoa', 'k-key-wide' + (kbd.shift ? ' k-on' : ''));
            s.setAttribute('aria-pressed', kbd.shift ? 'true' : 'false');
            r.appendChild(s);
          } else if (k === 'SPACE') r.appendChild(keyButton(k, 'Dấu cách', null, 'k-key-space'));
          else if (k === 'CLEAR') r.appendChild(keyButton(k, 'Xoá hết', null, 'k-key-wide'));
          else if (k === 'TELEX') {
            var t = keyButton(k, 'Gõ Telex: ' + (kbd.telex ? 'Bật' : 'Tắt'), null, 'k-key-wide k-key-telex' + (kbd.telex ? ' k-on' : ''));
            t.setAttribute('aria-pressed', kbd.telex ? 'true' : 'false');
            r.appendChild(t);
          } else r.appendChild(keyButton(k, kbd.shift ? k.toUpperCase() : k));
        });
        box.appendChild(r);
      });
      box.appendChild(el('p', { class: 'k-kbd-help' }, kbd.telex
        ? 'Telex: aa → â, aw → ă, ee → ê, oo → ô, ow → ơ, uw → ư, dd → đ; thêm s (sắc), f (huyền), r (hỏi), x (ngã), j (nặng) sau chữ. Hoặc chạm các phím dấu ở hàng trên.'
        : 'Telex đang tắt: chạm các phím dấu ở hàng trên để thêm dấu cho chữ vừa gõ.'));
    }
    function setKeyboard(open) {
      kbd.open = open;
      $('k-kbd').hidden = !open;
      var t = $('k-kbd-toggle');
      t.textContent = open ? 'Ẩn bàn phím' : 'Hiện bàn phím';
      t.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    $('k-kbd-toggle').addEventListener('click', function () { setKeyboard(!kbd.open); });
    input.addEventListener('focus', function () { if (!kbd.open) setKeyboard(true); });
    input.addEventListener('click', function () { if (!kbd.open) setKeyboard(true); });

    return { kbd: kbd, renderKeys: renderKeys, setKeyboard: setKeyboard, setValue: setValue };
  };
})();
