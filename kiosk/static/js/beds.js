/* Bed board behaviour that htmx attributes cannot express (no inline script: the CSP forbids it).
   - Armband scans are recognised by scanner.js, which puts them into the form marked data-scan-target
     (the board's scan form): the number goes in a POST body and opens that patient.
   - The polled board answers 204 when nothing changed: the "Checked" time still moves on, and a
     failed poll (503, nothing swapped) says the board is not up to date instead of blanking it,
     until a poll succeeds again.
   - The detail panel closes with its Close button or Escape; the open bed is highlighted. */
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closePanel(); }
  });

  function panel() { return document.getElementById("panel"); }

  function markOpenBed() {
    var open = panel() && panel().querySelector("[data-panel^='bed:']");
    var id = open ? open.getAttribute("data-panel").slice(4) : null;
    document.querySelectorAll(".bed.is-open").forEach(function (el) { el.classList.remove("is-open"); });
    if (id) {
      document.querySelectorAll(".bed[data-bed-id='" + CSS.escape(id) + "']").forEach(function (el) {
        el.classList.add("is-open");
      });
    }
  }

  function closePanel() {
    var p = panel();
    if (p) {
      /* A request still on its way from the panel (Cancel tapped just before Close) must not bring it back. */
      if (typeof htmx !== "undefined") {
        p.querySelectorAll("[hx-get], [hx-post]").forEach(function (el) { htmx.trigger(el, "htmx:abort"); });
      }
      p.innerHTML = "";
    }
    markOpenBed();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-panel]")) { closePanel(); }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var p = panel();
    if (p && event.detail.target === p) { p.scrollTop = 0; }
    markOpenBed();
  });

  function isPoll(elt) { return elt && elt.hasAttribute && elt.hasAttribute("data-board-poll"); }

  function fresh(xhr) {
    var stale = document.getElementById("board-stale");
    var stamp = document.getElementById("board-refreshed");
    var refreshed = xhr && xhr.getResponseHeader("X-Board-Refreshed");
    if (refreshed && stamp) { stamp.textContent = refreshed; }
    if (stale) { stale.hidden = true; }
  }

  /* A poll that redraws the board replaces the element that asked, so its afterRequest never reaches
     the document: the board is marked up to date just before the swap. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isPoll(event.detail.elt) && event.detail.xhr && event.detail.xhr.status < 400) { fresh(event.detail.xhr); }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "scan-form") {
      var input = elt.querySelector("input[name=code]");
      if (input) { input.value = ""; }
      return;
    }
    if (!isPoll(elt)) { return; }
    var xhr = event.detail.xhr;
    if (event.detail.successful) {
      fresh(xhr);
      return;
    }
    var stale = document.getElementById("board-stale");
    var stamp = document.getElementById("board-refreshed");
    if (stale) {
      var since = stamp ? stamp.textContent : "";
      var problem = (xhr && xhr.getResponseHeader("X-Poll-Problem")) || "The kiosk cannot reach the server.";
      stale.textContent = "Not up to date: last checked " + since + ". " + problem;
      stale.hidden = false;
    }
  });
})();
