/* motcua kiosk: Vietnamese input on the on-screen keyboard (kiosk.js, docs/widget.md).
 * Telex composition (aa â, ee ê, oo ô, aw ă, ow ơ, uw ư, uow ươ, w ư, dd đ; s f r x j tones, z
 * removes the tone) and tone placement by the modern rule, on the word being typed. A file of
 * its own because it is pure text logic with no page behind it: window.MotcuaTelex =
 * { telex(word, key) → word, applyTone(word, tone 0..5) → word }. Loaded before kiosk.js. */
(function () {
  'use strict';

  /* ---- Vietnamese input: Telex composition and tone placement ----------------------------- */

  var TONE_MARKS = ['', '\u0301', '\u0300', '\u0309', '\u0303', '\u0323']; /* -, sắc, huyền, hỏi, ngã, nặng */
  var TONE_KEYS = { z: 0, s: 1, f: 2, r: 3, x: 4, j: 5 };
  var VOWELS = 'aăâeêioôơuưy';
  var HATTED = 'ăâêôơư';

  /* one letter → {base (NFC, with hat/horn, case kept), tone 0..5} */
  function split(ch) {
    var d = ch.normalize('NFD'), tone = 0, rest = '';
    for (var i = 0; i < d.length; i++) {
      var t = TONE_MARKS.indexOf(d[i]);
      if (t > 0) tone = t; else rest += d[i];
    }
    return { base: rest.normalize('NFC'), tone: tone };
  }
  function compose(c) {
    return (c.base + TONE_MARKS[c.tone]).normalize('NFC');
  }
  function low(c) { return c.base.toLowerCase(); }
  function isVowel(c) { return VOWELS.indexOf(low(c)) >= 0; }
  function caseLike(ref, letter) {
    return ref !== ref.toLowerCase() ? letter.toUpperCase() : letter;
  }

  /* Index of the letter that carries the tone, or -1 (no vowel). Old style ("hòa", "thủy"),
   * the rule of ../shared/notes/vietnamese-text.md §2.1; qu- and gi- count as onsets. */
  function tonePosition(cs) {
    var s = cs.map(low).join('');
    var i = 0;
    while (i < cs.length && !isVowel(cs[i])) i++;
    if (i >= cs.length) return -1;
    if (i === 1 && (s[0] === 'q' && s[1] === 'u') && i + 1 < cs.length && isVowel(cs[i + 1])) i++;
    else if (i === 1 && s[0] === 'g' && s[1] === 'i' && i + 1 < cs.length && isVowel(cs[i + 1])) i++;
    var j = i;
    while (j < cs.length && isVowel(cs[j])) j++;
    var n = j - i, coda = j < cs.length;
    var horn = -1, hat = -1;
    for (var k = i; k < j; k++) {
      var l = low(cs[k]);
      if (l === 'ơ') horn = k;
      else if (HATTED.indexOf(l) >= 0 && hat < 0) hat = k;
    }
    if (horn >= 0) return horn; /* ươ, ươi, ươu: the ơ */
    if (hat >= 0) return hat;
    if (n === 1) return i;
    if (n >= 3) return i + 1;
    return coda ? i + 1 : i; /* oa, oe, uy open: old style, on the first */
  }
  function wordTone(cs) {
    for (var k = 0; k < cs.length; k++) if (cs[k].tone) return cs[k].tone;
    return 0;
  }
  function placeTone(cs, tone) {
    cs.forEach(function (c) { c.tone = 0; });
    var p = tonePosition(cs);
    if (p >= 0) cs[p].tone = tone;
    return cs;
  }
  function join(cs) { return cs.map(compose).join(''); }
  function letters(word) { return Array.from(word).map(split); }

  /* Applies a tone (0..5) to a word; the same tone again removes it. */
  function applyTone(word, tone) {
    var cs = letters(word);
    if (tonePosition(cs) < 0) return word;
    return join(placeTone(cs, wordTone(cs) === tone ? 0 : tone));
  }

  /* Telex: the word being typed + one key → the new word.
   * aa â, ee ê, oo ô, aw ă, ow ơ, uw ư, uow ươ, w ư, dd đ; s f r x j tones, z removes it;
   * typing the same modifier twice undoes it ("ass" → "as"). */
  function telex(word, key) {
    var k = key.toLowerCase();
    var cs = letters(word);
    var tone = wordTone(cs);
    var hasVowel = tonePosition(cs) >= 0;
    var i;
    if (TONE_KEYS.hasOwnProperty(k) && hasVowel) {
      var t = TONE_KEYS[k];
      if (t === 0) return tone ? join(placeTone(cs, 0)) : word + key;
      if (tone === t) return join(placeTone(cs, 0)) + key;
      return join(placeTone(cs, t));
    }
    if (k === 'a' || k === 'e' || k === 'o') {
      var hatOf = { a: 'â', e: 'ê', o: 'ô' }[k];
      for (i = cs.length - 1; i >= 0; i--) {
        var l = low(cs[i]);
        if (!isVowel(cs[i])) { if (i < cs.length - 3) break; continue; }
        if (l === k || (k === 'a' && l === 'ă') || (k === 'o' && l === 'ơ')) {
          cs[i].base = caseLike(cs[i].base, hatOf);
          return join(placeTone(cs, tone));
        }
        if (l === hatOf) {
          cs[i].base = caseLike(cs[i].base, k);
          return join(placeTone(cs, tone)) + key;
        }
        break;
      }
    }
    if (k === 'w') {
      var s = cs.map(low).join('');
      var uo = s.search(/[uư][oơ]/);
      if (uo >= 0 && !(uo === 1 && s[0] === 'q')) {
        var undo = s[uo] === 'ư' && s[uo + 1] === 'ơ';
        cs[uo].base = caseLike(cs[uo].base, undo ? 'u' : 'ư');
        cs[uo + 1].base = caseLike(cs[uo + 1].base, undo ? 'o' : 'ơ');
        return join(placeTone(cs, tone)) + (undo ? key : '');
      }
      for (i = cs.length - 1; i >= 0; i--) {
        var m = low(cs[i]);
        var to = { a: 'ă', o: 'ơ', u: 'ư' }[m];
        if (to) { cs[i].base = caseLike(cs[i].base, to); return join(placeTone(cs, tone)); }
        var back = { 'ă': 'a', 'ơ': 'o', 'ư': 'u' }[m];
        if (back) { cs[i].base = caseLike(cs[i].base, back); return join(placeTone(cs, tone)) + key; }
        if (isVowel(cs[i])) break;
      }
      if (!hasVowel) return word + caseLike(key, 'ư');
    }
    if (k === 'd' && cs.length) {
      if (low(cs[0]) === 'd') { cs[0].base = caseLike(cs[0].base, 'đ'); return join(cs); }
      if (low(cs[0]) === 'đ' && cs.length === 1) { cs[0].base = caseLike(cs[0].base, 'd'); return join(cs) + key; }
    }
    cs.push(split(key));
    return tone ? join(placeTone(cs, tone)) : join(cs);
  }

  window.MotcuaTelex = { telex: telex, applyTone: applyTone };
})();
