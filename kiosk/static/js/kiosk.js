/* Unit Coordinator Kiosk: behaviour shared by every page (no inline script: the CSP forbids it).
 * - idle lock: after data-idle-lock seconds without a touch the screen is hidden at once, every open
 *   tab of the kiosk is told, and the server session is locked. The server measures idleness itself
 *   from real requests (polls do not count) and locks an idle session even if this script stops;
 * - while someone works without making requests (typing a long count), a heartbeat tells the server
 *   the screen was touched; the server believes it only for a bounded time (auth.touch_grace_seconds);
 * - a polled fragment whose refresh failed says "Not up to date" (X-Poll-Problem) until one succeeds;
 * - the PIN keypad types into its field.
 * Barcode scans are scanner.js's.
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
}());
