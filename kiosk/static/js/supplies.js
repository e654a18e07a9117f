/* The count screen: steppers, the number pad, Enter to move on, and a scanned bin label jumping to
 * its item. scanner.js tells a scan from typing, keeps its keys out of the count fields and announces
 * it as "kiosk:scan"; here the item whose bin was scanned is brought into view and selected. Without
 * script the form still works: type the counts and save; the server checks every value.
 */
(function () {
  "use strict";
  var form = document.getElementById("count-form");
  if (!form) { return; }
  var list = form.querySelector(".count-list");
  var rows = Array.prototype.slice.call(form.querySelectorAll(".count-row"));
  var label = form.querySelector("[data-numpad-label]");
  var message = form.querySelector(".scan-message");
  var otherBins = {};
  try { otherBins = JSON.parse(list.getAttribute("data-other-bins") || "{}"); } catch (e) { otherBins = {}; }
  var selected = null;
  var MAX_DIGITS = 5;

  function inputOf(row) { return row.querySelector(".count-input"); }

  function select(row, focus) {
    if (!row) { return; }
    if (selected) { selected.classList.remove("is-selected"); }
    selected = row;
    row.classList.add("is-selected");
    if (label) { label.textContent = row.querySelector(".count-desc").textContent; }
    if (focus) { inputOf(row).focus({ preventScroll: true }); }
  }

  function next(row) {
    var i = rows.indexOf(row);
    var target = rows[i + 1] || rows[i];
    select(target, true);
    target.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function setValue(row, value) {
    var input = inputOf(row);
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  rows.forEach(function (row) {
    row.addEventListener("pointerdown", function () { select(row, false); });
    inputOf(row).addEventListener("focus", function () { select(row, false); });
    row.querySelectorAll("[data-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        var current = parseInt(inputOf(row).value, 10);
        if (isNaN(current)) { current = 0; }
        var value = Math.max(0, current + parseInt(button.getAttribute("data-step"), 10));
        setValue(row, String(value));
        select(row, false);
      });
    });
  });
  select(rows.filter(function (r) { return r.classList.contains("has-error"); })[0] || rows[0], false);

  form.querySelectorAll(".numpad [data-key]").forEach(function (key) {
    key.addEventListener("click", function () {
      if (!selected) { return; }
      var input = inputOf(selected);
      var k = key.getAttribute("data-key");
      if (k === "next") { next(selected); return; }
      if (k === "clear") { setValue(selected, ""); return; }
      if (k === "back") { setValue(selected, input.value.slice(0, -1)); return; }
      var digits = /^\d*$/.test(input.value) ? input.value : "";
      if (digits === "0") { digits = ""; }
      if (digits.length < MAX_DIGITS) { setValue(selected, digits + k); }
    });
  });

  function isCountInput(element) { return !!(element && element.classList && element.classList.contains("count-input")); }
  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    if (event.key !== "Enter") { return; }
    if (isCountInput(active)) {
      /* Enter never sends the form from a count field: it moves to the next item. */
      event.preventDefault();
      next(active.closest(".count-row"));
    }
  }, true);

  function say(text, html) {
    message.hidden = false;
    if (html) { message.innerHTML = ""; message.appendChild(html); } else { message.textContent = text; }
  }

  document.addEventListener("kiosk:scan", function (event) {
    var code = String(event.detail.code || "").trim();
    var row = rows.filter(function (r) {
      return (r.getAttribute("data-bin") || "").toUpperCase() === code.toUpperCase();
    })[0];
    if (row) {
      select(row, true);
      row.scrollIntoView({ block: "center", behavior: "smooth" });
      row.classList.remove("is-scanned");
      void row.offsetWidth;
      row.classList.add("is-scanned");
      say("Bin " + code + ": " + row.querySelector(".count-desc").textContent);
      return;
    }
    var other = otherBins[code] || otherBins[code.toUpperCase()];
    if (other) {
      var span = document.createElement("span");
      span.appendChild(document.createTextNode("Bin " + code + " belongs to " + other[1] + ". "));
      var link = document.createElement("a");
      link.href = list.getAttribute("data-count-url").replace("CODE", encodeURIComponent(other[0]));
      link.textContent = "Count " + other[1] + " instead";
      span.appendChild(link);
      say(null, span);
      return;
    }
    say("Bin " + code + " is not on this location's list.");
  });
}());
