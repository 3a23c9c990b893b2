/* motcua kiosk: reading answers aloud (kiosk.speech; kiosk.js, docs/widget.md "Đọc to"). The
 * "Nghe" button of an answer, the one shared <audio> that plays its reply's "audio", the
 * volume and speed buttons of the chat's header, and the retries while the server is still
 * making the file. window.MotcuaKioskVoice({svgIcon, toast}) wires #k-audio and the .k-voicebtn
 * buttons and returns { audio, AUDIO_RE, setVoice(kind, value), stopAudio(), listenButton(url) }.
 * Loaded after widget.js, before kiosk.js. Split from kiosk.js. */
(function () {
  'use strict';

  window.MotcuaKioskVoice = function (ui) {
    var el = window.Motcua.el;
    var $ = function (id) { return document.getElementById(id); };
    var svgIcon = ui.svgIcon;
    var toast = ui.toast;

    /* ---- reading aloud (kiosk.speech) ---------------------------------------------------------
     * The reply's "audio" (/audio/<id>.wav, made by the server with espeak-ng) plays in one shared
     * <audio>; volume and speed are the element's volume and playbackRate (the browser keeps the
     * pitch), chosen in the chat's header and forgotten by wipe(). While the server is still
     * making the file it answers 503: the player tries again a few times. */
    var audio = $('k-audio');
    var voice = { volume: 1, rate: 1, tries: 0, button: null };
    var AUDIO_RE = /^\/audio\/[0-9a-f]{32}\.wav$/;
    function setVoice(kind, value) {
      voice[kind] = value;
      audio.volume = voice.volume;
      audio.playbackRate = voice.rate;
      Array.prototype.forEach.call(document.querySelectorAll('.k-voicebtn[data-' + (kind === 'volume' ? 'volume' : 'rate') + ']'), function (b) {
        b.setAttribute('aria-pressed', Number(b.getAttribute(kind === 'volume' ? 'data-volume' : 'data-rate')) === value ? 'true' : 'false');
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll('.k-voicebtn'), function (b) {
      b.addEventListener('click', function () {
        if (b.hasAttribute('data-volume')) setVoice('volume', Number(b.getAttribute('data-volume')));
        else setVoice('rate', Number(b.getAttribute('data-rate')));
      });
    });
    function stopAudio() {
      audio.pause();
      if (voice.button) { voice.button.setAttribute('aria-pressed', 'false'); voice.button.lastChild.textContent = 'Nghe'; }
      voice.button = null;
    }
    function play(url, button) {
      var same = voice.button === button;
      stopAudio();
      if (same) return; /* a second press stops it */
      voice.button = button;
      voice.tries = 0;
      button.setAttribute('aria-pressed', 'true');
      button.lastChild.textContent = 'Dừng';
      audio.src = url;
      audio.volume = voice.volume;
      audio.playbackRate = voice.rate;
      audio.play().catch(function () { /* an error event follows; retried there */ });
    }
    audio.addEventListener('ratechange', function () { if (audio.playbackRate !== voice.rate) audio.playbackRate = voice.rate; });
    audio.addEventListener('loadedmetadata', function () { audio.playbackRate = voice.rate; });
    audio.addEventListener('ended', stopAudio);
    audio.addEventListener('error', function () {
      if (!voice.button) return;
      if (voice.tries++ < 10) { /* 503 while the server is making it */
        var b = voice.button;
        setTimeout(function () { if (voice.button === b) { audio.load(); audio.play().catch(function () {}); } }, 600);
      } else {
        stopAudio();
        toast('Chưa đọc được câu trả lời này. Bạn đọc trên màn hình giúp.');
      }
    });
    function listenButton(url) {
      var b = el('button', { type: 'button', class: 'k-btn k-listen', 'aria-pressed': 'false' }, [
        svgIcon('M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z'),
        el('span', null, 'Nghe')
      ]);
      b.setAttribute('aria-label', 'Nghe đọc câu trả lời này');
      b.addEventListener('click', function () { play(url, b); });
      return b;
    }

    return { audio: audio, AUDIO_RE: AUDIO_RE, setVoice: setVoice, stopAudio: stopAudio, listenButton: listenButton };
  };
})();
