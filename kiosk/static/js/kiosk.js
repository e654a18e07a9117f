/* Unit Coordinator Kiosk: behaviour shared by every page (no inline script: the CSP forbids it).
 * - idle lock: after data-idle-lock seconds without a touch the screen is hidden at once, every open
 *   tab of the kiosk is told, and the server session is locked. The server measures idleness itself
 *   from real requests (polls do not count) and locks an idle session even if this script stops;
 * - unlock in place: the veil holds a PIN keypad; the right PIN lifts it and the page is as it was
 *   (a half-filled form included: it never leaves the page). While veiled no htmx request is sent
 *   (a poll would be answered with the lock screen and take the page away). "Someone else" leaves;
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

  var veilElement = document.querySelector(".lock-veil");
  var unlockForm = document.querySelector("[data-unlock-in-place]");
  var lockUrl = body.getAttribute("data-lock-url") || "/locked";

  function veil() {
    body.classList.add("is-locked");
    if (veilElement) { veilElement.setAttribute("aria-hidden", "false"); }
  }

  function unveil() {
    body.classList.remove("is-locked");
    if (veilElement) { veilElement.setAttribute("aria-hidden", "true"); }
    locking = false;
    lastTouch = Date.now();
  }

  function lockNow(tellOthers) {
    if (locking) { return; }
    locking = true;
    veil();
    if (tellOthers && channel) { channel.postMessage("lock"); }
    var form = document.getElementById("lock-form");
    if (form && unlockForm && window.fetch) {
      /* The server session is locked; the page stays under the veil. If this request is lost the
       * server locks the idle session by itself. */
      window.fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-Lock-In-Place": "1" }
      }).catch(function () { /* the server locks by idleness */ });
    } else if (form) {
      form.submit();
    } else {
      window.location.assign(lockUrl);
    }
  }

  if (unlockForm) {
    var unlockError = unlockForm.querySelector(".veil-error");
    var unlockPin = unlockForm.querySelector("input[name=pin]");
    var say = function (text) {
      unlockError.textContent = text;
      unlockError.hidden = !text;
    };
    unlockForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var sent = new FormData(unlockForm);
      unlockPin.value = "";
      window.fetch(unlockForm.action, {
        method: "POST", body: sent, credentials: "same-origin", headers: { "X-Lock-In-Place": "1" }
      }).then(function (response) {
        var go = response.headers.get("HX-Redirect");
        if (go) { window.location.assign(go); return; }
        if (response.status === 204) {
          say("");
          unveil();
          if (channel) { channel.postMessage("unlock"); }
          return;
        }
        if ((response.headers.get("Content-Type") || "").indexOf("text/plain") !== 0) {
          window.location.assign(lockUrl); /* an expired form or the like: the lock screen knows */
          return;
        }
        return response.text().then(say);
      }).catch(function () { say("The kiosk did not answer. Try again."); });
    });
  }

  /* Nothing is fetched while the screen is locked: no poll refreshes what the veil hides. */
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (locking) { event.preventDefault(); }
  });

  if (body.hasAttribute("data-signed-in")) {
    var limit = parseInt(body.getAttribute("data-idle-lock"), 10) * 1000;
    window.setInterval(function () {
      if (Date.now() - lastTouch >= limit) { lockNow(true); }
    }, 1000);
    if (channel) {
      channel.onmessage = function (event) {
        if (event.data === "lock") {
          /* Another tab locked the session on the server already: hide this one too. */
          locking = true;
          veil();
          if (!unlockForm) { window.location.assign(lockUrl); }
        } else if (event.data === "unlock" && locking && unlockForm) {
          unveil(); /* the PIN was typed in another tab of this kiosk: the session is unlocked */
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
        if (go) { locking = true; veil(); if (!unlockForm) { window.location.assign(go); } }
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
