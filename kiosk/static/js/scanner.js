/* Barcode scanners, for every page that takes scans: badges at sign-in, armbands on the bed board and on
 * Labels, bin labels on Supplies (no inline script: the CSP forbids it).
 *
 * A keyboard-wedge scanner types what it reads. The station's settings ([scanner] in config/kiosk.toml) say
 * how its scanners are programmed; kiosk/scanner.py puts them on <body>:
 *   data-scan-prefix  JSON list of the keys the scanner sends first (["Control+b"] for <STX>); [] for none
 *   data-scan-suffix  JSON list of the keys it sends last (["Enter"] for <CR>)
 *   data-scan-aim     present when every code begins with its AIM symbology identifier (]C0, ]d2, ]Q3 ...)
 *
 * A scan is told from typing by these keys, never by how fast they come:
 *   - prefix, code, suffix: a scan wherever the focus is; none of its keys reach the focused field;
 *   - with no prefix but AIM identifiers: "]", a letter and a letter or digit begin a scan the same way;
 *   - keys typed while no text field has the focus, then the suffix or Enter: a scan (a person typing a
 *     number with nothing selected gets the same);
 *   - in a text field, keys go to that field, and Enter submits its form as usual. Only when neither a prefix
 *     nor AIM identifiers are configured, a burst of keys faster than a person types, ending in the suffix,
 *     is taken for a scan: a convenience for scanners nobody programmed, which no check relies on
 *     (docs/decisions.md, "Barcode scans are told from typing by the scanner's prefix").
 *
 * A scan goes into the page's [data-scan-target] form (its text field, then the form is submitted), unless
 * the focused field is marked [data-scan-input] (that field takes the scan). Every scan is announced as a
 * "kiosk:scan" event on the document, detail {code, symbology, handled}; symbology is the AIM identifier's
 * two characters ("d2") or null.
 */
(function () {
  "use strict";
  var body = document.body;

  function keyList(name, fallback) {
    try {
      var list = JSON.parse(body.getAttribute(name) || "null");
      return Array.isArray(list) ? list : fallback;
    } catch (e) {
      return fallback;
    }
  }

  var PREFIX = keyList("data-scan-prefix", []);
  var SUFFIX = keyList("data-scan-suffix", ["Enter"]);
  var AIM = body.hasAttribute("data-scan-aim");
  var FRAMED = PREFIX.length > 0 || AIM;
  var AIM_ID = /^\](([A-Za-z])([0-9A-Za-z]))/;
  var MAX_LENGTH = 512;           /* a capture longer than any barcode is not a scan: let it go */
  var BURST_GAP_MS = 50;          /* the unframed convenience only: scanners send a key every few ms */
  var BURST_MIN_LENGTH = 4;
  var NAMED_KEYS = { Enter: true, Tab: true, Backspace: true, Escape: true };

  /* The key an event stands for, in the notation of data-scan-prefix / -suffix; null for keys that are no
   * part of a code (Shift, which scanners press for capitals, and the like). */
  function keyOf(event) {
    var key = event.key;
    if (!key || key.length !== 1 && !NAMED_KEYS[key]) { return null; }
    if (event.metaKey) { return null; }
    if (event.ctrlKey && event.altKey) { return key.length === 1 ? key : null; }  /* AltGr */
    if (event.ctrlKey) { return key.length === 1 ? "Control+" + key.toLowerCase() : null; }
    if (event.altKey) { return null; }
    return key;
  }

  function printable(key) { return key.length === 1; }

  function editable(el) {
    if (!el) { return false; }
    if (el.tagName === "TEXTAREA") { return true; }
    return el.tagName === "INPUT" && /^(text|search|tel|number|password|email|url|)$/.test(el.type || "");
  }

  /* Where a scan began: the focused field and what it held, given back if the scan's first keys reached it. */
  var origin = { field: null, value: null };
  function remember() {
    var field = document.activeElement;
    origin = { field: field, value: editable(field) ? field.value : null };
  }
  function restore() {
    if (editable(origin.field) && origin.value !== null && origin.field.value !== origin.value) {
      origin.field.value = origin.value;
    }
  }

  var capturing = false;   /* inside prefix ... suffix: every key is the scanner's */
  var code = "";           /* the characters captured so far */
  var prefixMatched = 0;
  var aimMatched = "";     /* "]", "]d" while an AIM identifier may be beginning (no prefix configured) */
  var suffixMatched = [];  /* suffix keys seen so far; they are code after all if the suffix does not complete */
  var loose = "";          /* keys typed while no text field has the focus */
  var burst = "";          /* the unframed convenience: keys that came fast */
  var lastKey = 0;

  function startCapture(initial) {
    restore();
    capturing = true;
    code = initial;
    suffixMatched = [];
    prefixMatched = 0;
    aimMatched = "";
    loose = "";
    burst = "";
  }

  function stopCapture() {
    capturing = false;
    code = "";
    suffixMatched = [];
  }

  function deliver(text) {
    var symbology = null;
    var aim = AIM ? AIM_ID.exec(text) : null;
    if (aim) {
      symbology = aim[1];
      text = text.slice(aim[0].length);
    }
    var field = origin.field;
    var target = document.querySelector("[data-scan-target]");
    var handled = false;
    if (editable(field) && field.hasAttribute("data-scan-input")) {
      field.value = text;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      handled = true;
    } else if (target) {
      var input = target.querySelector("input[type=text], input:not([type])");
      if (input) { input.value = text; }
      if (target.requestSubmit) { target.requestSubmit(); } else { target.submit(); }
      handled = true;
    }
    document.dispatchEvent(new CustomEvent("kiosk:scan", {
      detail: { code: text, symbology: symbology, handled: handled }
    }));
  }

  function swallow(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  /* Inside prefix ... suffix: collect the code until the suffix is complete. */
  function captureKey(event, key) {
    swallow(event);
    if (key === null) { return; }
    if (key === SUFFIX[suffixMatched.length]) {
      suffixMatched.push(key);
      if (suffixMatched.length === SUFFIX.length) {
        var text = code;
        stopCapture();
        deliver(text);
      }
      return;
    }
    /* What looked like the suffix's start was code. */
    suffixMatched.forEach(function (k) { if (printable(k)) { code += k; } });
    suffixMatched = [];
    if (key === SUFFIX[0]) {
      suffixMatched.push(key);
      if (SUFFIX.length === 1) { var whole = code; stopCapture(); deliver(whole); }
      return;
    }
    if (key === "Escape") { stopCapture(); return; }
    if (printable(key)) { code += key; }
    if (code.length > MAX_LENGTH) { stopCapture(); }
  }

  /* Does this key continue (or complete) the scanner's prefix? */
  function prefixKey(event, key) {
    if (PREFIX.length === 0) { return false; }
    if (key !== PREFIX[prefixMatched]) {
      prefixMatched = 0;
      if (key !== PREFIX[0]) { return false; }
    }
    if (prefixMatched === 0) { remember(); }
    prefixMatched += 1;
    if (!printable(key)) { event.preventDefault(); }  /* a control key is never text; printable ones may be */
    if (prefixMatched === PREFIX.length) {
      swallow(event);
      startCapture("");
    }
    return true;
  }

  /* With AIM identifiers and no prefix: "]", a letter, a letter or digit begin a scan. */
  function aimKey(event, key) {
    if (!AIM || PREFIX.length > 0 || key === null || !printable(key)) { aimMatched = ""; return false; }
    var next = aimMatched + key;
    if (/^\]([A-Za-z]([0-9A-Za-z])?)?$/.test(next)) {
      if (next === "]") { remember(); }
      aimMatched = next;
      if (next.length === 3) {
        swallow(event);
        startCapture(next);
      }
      return true;
    }
    aimMatched = "";
    if (key === "]") { return aimKey(event, key); }
    return false;
  }

  function endsFreeScan(key) {
    return key === "Enter" || (SUFFIX.length === 1 && key === SUFFIX[0]);
  }

  /* Keys that are not framed: typed with no text field focused (a scan at the suffix or Enter), or into a
   * field (the field's own, but for the unframed burst convenience). */
  function freeKey(event, key) {
    var active = document.activeElement;
    var now = Date.now();
    if (now - lastKey > BURST_GAP_MS) {
      burst = "";
      if (editable(active)) { remember(); }
    }
    lastKey = now;
    if (key === null) { return; }
    if (!editable(active)) {
      if (endsFreeScan(key) && loose) {
        var typed = loose;
        loose = "";
        swallow(event);
        origin = { field: active, value: null };
        deliver(typed);
        return;
      }
      if (printable(key)) { loose += key; } else if (key !== "Enter") { loose = ""; }
      return;
    }
    loose = "";
    if (FRAMED) { return; }
    if (endsFreeScan(key) && burst.length >= BURST_MIN_LENGTH) {
      var fast = burst;
      burst = "";
      var target = document.querySelector("[data-scan-target]");
      if (target && target.contains(active)) {
        /* Scanned into the scan form's own field: the form submits itself. */
        document.dispatchEvent(new CustomEvent("kiosk:scan", {
          detail: { code: fast, symbology: null, handled: true }
        }));
        return;
      }
      swallow(event);
      restore();
      deliver(fast);
      return;
    }
    if (printable(key)) { burst += key; } else { burst = ""; }
  }

  document.addEventListener("keydown", function (event) {
    var key = keyOf(event);
    if (capturing) { captureKey(event, key); return; }
    if (key === null) { return; }
    if (prefixKey(event, key)) { return; }
    if (aimKey(event, key)) { return; }
    freeKey(event, key);
  }, true);

  /* A touch or a new field starts afresh what was typed outside a field (not a scan in progress). */
  function reset() { loose = ""; burst = ""; aimMatched = ""; }
  document.addEventListener("pointerdown", reset, true);
  document.addEventListener("focusin", function () { if (!capturing) { reset(); } }, true);
}());
