/* Unit Coordinator Kiosk: an on-screen keyboard for the text fields of a touch screen that has no keyboard
 * of its own (accession number, block reason, MRN, an order search). A field (input or textarea) opts in with
 * data-osk ("text", or "upper" to start in capitals) and gets a toggle button from the template macro
 * (templates/_keyboard.html); a tap on the field or its button opens the keyboard at the foot of the
 * screen, Done closes it. The keyboard echoes what the field holds, so it can be read even where the
 * keyboard covers the field. Keys type where the
 * caret is, respect maxlength, and fire "input" (and "change" on Done, for fields that redraw on change).
 * Nothing typed is kept or sent anywhere by this script.
 */
(function () {
  "use strict";
  var ROWS = ["1234567890", "qwertyuiop", "asdfghjkl-", "zxcvbnm,./"];
  var board = null;
  var echo = null;
  var field = null;
  var upper = false;

  function key(value, label, extra, aria) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "osk-key " + (extra || "");
    button.setAttribute("data-osk-key", value);
    button.textContent = label;
    if (aria) { button.setAttribute("aria-label", aria); }
    return button;
  }

  function build() {
    board = document.createElement("div");
    board.className = "osk";
    board.setAttribute("role", "group");
    board.setAttribute("aria-label", "On-screen keyboard");
    board.hidden = true;
    echo = document.createElement("p");
    echo.className = "osk-echo";
    echo.setAttribute("aria-live", "polite");
    board.appendChild(echo);
    ROWS.forEach(function (row) {
      var line = document.createElement("div");
      line.className = "osk-row";
      row.split("").forEach(function (ch) { line.appendChild(key(ch, ch, "osk-char")); });
      board.appendChild(line);
    });
    var last = document.createElement("div");
    last.className = "osk-row";
    last.appendChild(key("shift", "ABC", "osk-wide osk-shift", "Capitals"));
    last.appendChild(key("space", "Space", "osk-space"));
    last.appendChild(key("back", "⌫", "osk-wide", "Delete"));
    last.appendChild(key("done", "Done", "osk-wide osk-done"));
    board.appendChild(last);
    /* A key must not take the focus (nor the caret) from the field. */
    board.addEventListener("pointerdown", function (event) { event.preventDefault(); });
    board.addEventListener("mousedown", function (event) { event.preventDefault(); });
    board.addEventListener("click", press);
    document.body.appendChild(board);
  }

  function labelOf(input) {
    var label = input.id ? document.querySelector("label[for='" + input.id + "']") : null;
    return (label && label.textContent.trim()) || input.getAttribute("aria-label") || input.placeholder || "";
  }

  function show() {
    echo.textContent = "";
    var name = document.createElement("span");
    name.className = "osk-echo-label";
    name.textContent = labelOf(field);
    var value = document.createElement("span");
    value.className = "osk-echo-value";
    value.textContent = field.value;
    echo.appendChild(name);
    echo.appendChild(value);
    board.querySelectorAll(".osk-char").forEach(function (button) {
      var ch = button.getAttribute("data-osk-key");
      button.textContent = upper ? ch.toUpperCase() : ch;
    });
    board.querySelector(".osk-shift").textContent = upper ? "abc" : "ABC";
  }

  function edited() {
    field.dispatchEvent(new Event("input", { bubbles: true }));
    show();
  }

  function caret() {
    var start = field.selectionStart;
    var end = field.selectionEnd;
    if (start === null || start === undefined || document.activeElement !== field) {
      start = end = field.value.length;
    }
    return [start, end];
  }

  function place(at) {
    try { field.setSelectionRange(at, at); } catch (ignored) { /* some input types have no caret */ }
  }

  function insert(text) {
    var range = caret();
    var max = parseInt(field.getAttribute("maxlength"), 10) || 10000;
    if (field.value.length - (range[1] - range[0]) + text.length > max) { return; }
    field.value = field.value.slice(0, range[0]) + text + field.value.slice(range[1]);
    place(range[0] + text.length);
    edited();
  }

  function backspace() {
    var range = caret();
    if (range[0] === range[1] && range[0] === 0) { return; }
    var from = range[0] === range[1] ? range[0] - 1 : range[0];
    field.value = field.value.slice(0, from) + field.value.slice(range[1]);
    place(from);
    edited();
  }

  function press(event) {
    var pressed = event.target.closest("[data-osk-key]");
    if (!pressed || !field) { return; }
    var value = pressed.getAttribute("data-osk-key");
    if (value === "shift") { upper = !upper; show(); }
    else if (value === "space") { insert(" "); }
    else if (value === "back") { backspace(); }
    else if (value === "done") { close(true); }
    else { insert(upper ? value.toUpperCase() : value); }
  }

  function open(input) {
    if (!board) { build(); }
    if (field !== input) { upper = input.getAttribute("data-osk") === "upper"; }
    field = input;
    board.hidden = false;
    document.body.classList.add("osk-open");
    input.focus();
    show();
    input.scrollIntoView({ block: "center" });
  }

  function close(changed) {
    if (!board || board.hidden) { return; }
    board.hidden = true;
    document.body.classList.remove("osk-open");
    if (changed && field && document.body.contains(field)) {
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
    field = null;
  }

  /* Opened on the click that ends a tap (not on pointerup: a keyboard shown then would take the tap's
   * click on the key that appeared under the finger); a click with a mouse opens it from the button only. */
  var lastPointer = "";
  document.addEventListener("pointerdown", function (event) { lastPointer = event.pointerType; }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    var toggle = event.target.closest("[data-osk-for]");
    if (toggle) {
      var target = document.getElementById(toggle.getAttribute("data-osk-for"));
      if (!target) { return; }
      if (board && !board.hidden && field === target) { close(true); } else { open(target); }
      return;
    }
    var input = event.target.closest("input[data-osk], textarea[data-osk]");
    if (input && lastPointer !== "mouse") { open(input); }
  });
  /* A field a swap took away, or the lock veil: the keyboard goes with it. */
  document.addEventListener("htmx:afterSwap", function () {
    if (field && !document.body.contains(field)) { close(false); }
  });
  document.addEventListener("input", function (event) {
    if (board && !board.hidden && event.target === field) { show(); }
  });
}());
