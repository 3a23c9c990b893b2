/* motcua officials' pages (/officer, /admin): the few DOM helpers every script of theirs uses,
 * loaded before them as window.motcuaDom. Server text only ever becomes text nodes here: no
 * innerHTML.
 *   el(tag, attrs, content)  a new element; attrs: class -> className, true -> "" attribute,
 *                            null/undefined/false skipped; content: a string, number, node or
 *                            an array of them (null/undefined/false skipped)
 *   clear(node)              removes every child
 *   str(v)                   v when a string, a number as text, else ""
 *   show(node, on)           node.hidden = !on
 */
(function () {
  'use strict';

  function el(tag, attrs, content) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'class') e.className = v; else e.setAttribute(k, v === true ? '' : String(v));
    });
    (Array.isArray(content) ? content : [content]).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
  function str(v) { return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ''; }
  function show(n, on) { n.hidden = !on; }

  window.motcuaDom = { el: el, clear: clear, str: str, show: show };
})();
