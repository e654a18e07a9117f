/* Unit Coordinator Kiosk: behaviour shared by every page (no inline script: the CSP forbids it).
 * - idle lock: after data-idle-lock seconds without a touch the screen is hidden at once, every open
 *   tab of the kiosk is told, and the server session is locked. The server measures idleness itself
 *   from real requests (polls do not count) and locks an idle session even if this script stops;
 * - while someone works without making requests (typing a long count), a heartbeat tells the server
 *   the screen was touched; the server believes it only for a bounded time (auth.touch_grace_seconds);
 * - a polled fragment whose refresh failed says "Not up to date" (X-Poll-Problem) until one succeeds;
 * - the PIN keypad types into its field;
 * - a barcode scanner (fast keystrokes ending in Enter) is recognised and announced as a
 *   "kiosk:scan" event; on pages with a [data-scan-target] form the scan goes into that form.
 */
(function () {
  "use strict";
  var body = document.body;
  var lastTouch = Date.now();
  var locking = false;
  var channel = ("BroadcastChannel" in window) ? new BroadcastChannel("kiosk-lock") : null;

  function touched() { lastTouch = Date.now(); }
  ["pointerdown", "touchstart", "keydown", "wheel"].forEach(function (type) {
    document.addEventListener(type, touched, { passive: true, capture: true });
  });

  function veil() {
    body.classList.add("is-locked");
  }

  function lockNow(tellOthers) {
    if (locking) { return; }
    locking = true;
    veil();
    if (tellOthers && channel) { channel.postMessage("lock"); }
    var form = document.getElementById("lock-form");
    if (form) {
      form.submit();
    } else {
      window.location.assign(body.getAttribute("data-lock-url") || "/locked");
    }
  }

  if (body.hasAttribute("data-signed-in")) {
    var limit = parseInt(body.getAttribute("data-idle-lock"), 10) * 1000;
    window.setInterval(function () {
      if (Date.now() - lastTouch >= limit) { lockNow(true); }
    }, 1000);
    if (channel) {
      channel.onmessage = function (event) {
        if (event.data === "lock") {
          /* Another tab locked the session on the server already: hide, then show the lock screen. */
          locking = true;
          veil();
          window.location.assign(body.getAttribute("data-lock-url") || "/locked");
        }
      };
    }
    /* Tell the server the screen is in use while nothing else does (a page with no background
     * requests would otherwise look idle to it and lock on the next save). */
    var lastBeat = Date.now();
    var beatEvery = Math.max(2000, Math.min(30000, limit / 3));
    window.setInterval(function () {
      if (locking || lastTouch <= lastBeat) { return; }
      lastBeat = Date.now();
      window.fetch(body.getAttribute("data-alive-url"), {
        credentials: "same-origin",
        headers: { "HX-Request": "true" }
      }).then(function (response) {
        var go = response.headers.get("HX-Redirect");
        if (go) { locking = true; veil(); window.location.assign(go); }
      }).catch(function () { /* the server is away: the next beat or request tries again */ });
    }, beatEvery);
    var lockButton = document.querySelector("[data-lock-now]");
    if (lockButton) {
      lockButton.addEventListener("click", function (event) {
        event.preventDefault();
        lockNow(true);
      });
    }
  }

  /* Polled fragments: a refresh that failed leaves the fragment as it was and marks it "Not up to date"
   * with the server's reason, until a refresh succeeds. */
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!elt || !elt.setAttribute || !xhr) { return; }
    var problem = xhr.getResponseHeader("X-Poll-Problem");
    if (problem) { elt.setAttribute("data-stale", problem); }
    else if (event.detail.successful) { elt.removeAttribute("data-stale"); }
  });

  /* PIN keypads */
  document.querySelectorAll("[data-keypad-for]").forEach(function (pad) {
    var field = document.getElementById(pad.getAttribute("data-keypad-for"));
    if (!field) { return; }
    pad.addEventListener("click", function (event) {
      var key = event.target.closest("[data-key]");
      if (!key) { return; }
      var value = key.getAttribute("data-key");
      if (value === "clear") { field.value = ""; }
      else if (value === "back") { field.value = field.value.slice(0, -1); }
      else if (field.value.length < (parseInt(field.getAttribute("maxlength"), 10) || 12)) { field.value += value; }
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  /* Barcode scanners type like a very fast keyboard and end with Enter. On a page with a scan form
   * ([data-scan-target]), a scan goes there even when another field has the focus: that field gets
   * back what it held before the scan (fields marked [data-scan-input] keep scans, e.g. an accession
   * number field). */
  var SCAN_GAP_MS = 50;  /* scanners send a key every few ms; people rarely type faster than 80 ms */
  var SCAN_MIN_LENGTH = 4;
  var buffer = "";
  var lastKey = 0;
  var burstField = null;
  var burstValue = null;

  function editable(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA") && typeof el.value === "string";
  }

  document.addEventListener("keydown", function (event) {
    var now = Date.now();
    if (now - lastKey > SCAN_GAP_MS) {  /* a person typing is slower than this: a new burst starts */
      buffer = "";
      burstField = document.activeElement;
      burstValue = editable(burstField) ? burstField.value : null;
    }
    lastKey = now;
    if (event.key === "Enter") {
      if (buffer.length >= SCAN_MIN_LENGTH) {
        var code = buffer;
        buffer = "";
        var target = document.querySelector("[data-scan-target]");
        var field = burstField;
        var inTarget = target && field && target.contains(field);
        var keeps = field && field.hasAttribute && field.hasAttribute("data-scan-input");
        if (target && !inTarget && !keeps) {
          event.preventDefault();
          if (editable(field) && burstValue !== null) { field.value = burstValue; }
          var input = target.querySelector("input[type=text], input:not([type])");
          if (input) { input.value = code; }
          if (target.requestSubmit) { target.requestSubmit(); } else { target.submit(); }
        }
        document.dispatchEvent(new CustomEvent("kiosk:scan", { detail: { code: code, handled: !!(target && !keeps) } }));
      }
      buffer = "";
      return;
    }
    if (event.key && event.key.length === 1) { buffer += event.key; }
  }, true);
}());
