/* Live screens (kiosk/push). An element with data-live holds the screen's event stream (htmx's SSE
   extension: hx-ext="sse" sse-connect="..."); the polled region inside it refreshes on each `census`
   event (its hx-trigger has sse:census). While the stream is open the screen says "Live" and still checks
   every data-live-check-seconds, in case an event was missed; when it is not open (the kiosk holds as many
   streams as it may, a proxy cuts it, the network drops) the screen checks every data-check-seconds and
   says so. A check is the element's data-live-event dispatched on the body (the region listens for it).
   The words go in every [data-live-status]. */
(function () {
  "use strict";

  var states = new WeakMap();

  function state(source) {
    var s = states.get(source);
    if (!s) {
      s = { live: false, timer: null, opened: false, retry: null };
      states.set(source, s);
    }
    return s;
  }

  function seconds(source, name, fallback) {
    var n = parseInt(source.getAttribute(name), 10);
    return n > 0 ? n : fallback;
  }

  function refresh(source) {
    htmx.trigger(document.body, source.getAttribute("data-live-event") || "board-changed");
  }

  function words(source) {
    return state(source).live ? "Live" : "Checking every " + seconds(source, "data-check-seconds", 15) + " s";
  }

  function paint() {
    document.querySelectorAll("[data-live]").forEach(function (source) {
      var s = state(source);
      source.setAttribute("data-live-state", s.live ? "live" : "checking");
      document.querySelectorAll("[data-live-status]").forEach(function (el) {
        el.textContent = words(source);
        el.classList.toggle("live-on", s.live);
      });
    });
  }

  function schedule(source) {
    var s = state(source);
    if (s.timer) window.clearInterval(s.timer);
    var every = s.live ? seconds(source, "data-live-check-seconds", 120) : seconds(source, "data-check-seconds", 15);
    s.timer = window.setInterval(function () { refresh(source); }, every * 1000);
  }

  function setLive(source, live) {
    var s = state(source);
    var was = s.live;
    s.live = live;
    if (live && !was && s.opened) refresh(source); // back after a drop: what changed meanwhile
    if (live) s.opened = true;
    if (live !== was || !s.timer) schedule(source);
    paint();
  }

  function sourceOf(evt) {
    var el = evt.detail && evt.detail.elt ? evt.detail.elt : evt.target;
    return el && el.closest ? el.closest("[data-live]") : null;
  }

  document.addEventListener("htmx:sseOpen", function (evt) {
    var source = sourceOf(evt);
    if (source) setLive(source, true);
  });
  ["htmx:sseError", "htmx:sseClose"].forEach(function (name) {
    document.addEventListener(name, function (evt) {
      var source = sourceOf(evt);
      if (source) setLive(source, false);
    });
  });
  document.addEventListener("htmx:afterSwap", paint);
  // A refresh that failed (the kiosk busy, "not up to date") is tried again in a few seconds, not only at
  // the next event or check: a live screen may otherwise wait minutes for both.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var source = sourceOf(evt);
    var xhr = evt.detail && evt.detail.xhr;
    if (!source || !xhr || xhr.status < 500) return;
    var s = state(source);
    if (s.retry) return;
    s.retry = window.setTimeout(function () { s.retry = null; refresh(source); }, 3000);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (source) {
      if (!state(source).timer) schedule(source);
    });
    paint();
  });
})();
