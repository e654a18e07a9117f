/* Timers that tick in the browser, so that time passing is not a change: the server draws a board once
   per change and the polls that follow answer 204, while the minutes still move on screen.
   - An element with data-since (an ISO instant) shows the time since then in the server's words
     ("just now", "18 min", "1 h 05", "2 d 3 h": kiosk.beds.board.duration_text); with data-phrase,
     "for 18 min" (HousekeepingTimer.phrase).
   - With data-amber and data-red (minutes), the closest ancestor matching data-level-on gets
     timer-ok / timer-amber / timer-red as the minutes pass those marks.
   It runs on load, after every htmx swap and every 15 s. */
(function () {
  "use strict";

  function words(minutes) {
    if (minutes < 1) { return "just now"; }
    if (minutes < 60) { return minutes + " min"; }
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (hours < 24) { return rest ? hours + " h " + (rest < 10 ? "0" : "") + rest : hours + " h"; }
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (isNaN(since)) { return; }
      var minutes = Math.max(0, Math.floor((now - since) / 60000));
      /* data-phrase: "for 18 min" (or "just now") after the state word, as the panel says it. */
      el.textContent = (el.hasAttribute("data-phrase") && minutes >= 1 ? "for " : "") + words(minutes);
      var amber = parseInt(el.getAttribute("data-amber"), 10), red = parseInt(el.getAttribute("data-red"), 10);
      var holder = el.closest(el.getAttribute("data-level-on") || "[data-since]");
      if (isNaN(amber) || isNaN(red) || !holder) { return; }
      var level = minutes >= red ? "red" : minutes >= amber ? "amber" : "ok";
      ["ok", "amber", "red"].forEach(function (l) { holder.classList.toggle("timer-" + l, l === level); });
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  window.setInterval(tick, 15000);
}());
