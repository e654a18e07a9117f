/* The whiteboard and the shift assignments: what htmx attributes cannot express (no inline script: the
   CSP forbids it).
   - The polled whiteboard answers 204 when nothing changed: the "Updated" time still moves on; a failed
     poll (503, nothing swapped) says since when the screen is not up to date, until a poll succeeds.
   - Assignments are chosen on the screen and saved in one POST: tap beds, then a person (or "No nurse")
     to give them those beds; tap a person with no bed chosen to choose their beds; "Copy last shift"
     fills every bed from the shift before; the charge nurse is one tap. Each choice is written into the
     form's hidden inputs; the server checks everything again when it is saved. */
(function () {
  "use strict";

  /* ---------- the polled whiteboard ---------- */
  function isPoll(elt) { return elt && elt.hasAttribute && elt.hasAttribute("data-wb-poll"); }

  function fresh(xhr) {
    var stale = document.getElementById("wb-stale");
    var stamp = document.getElementById("wb-refreshed");
    var refreshed = xhr && xhr.getResponseHeader("X-Board-Refreshed");
    if (refreshed && stamp) { stamp.textContent = refreshed; }
    if (stale) { stale.hidden = true; }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isPoll(event.detail.elt) && event.detail.xhr && event.detail.xhr.status < 400) { fresh(event.detail.xhr); }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!isPoll(event.detail.elt)) { return; }
    if (event.detail.successful) { fresh(event.detail.xhr); return; }
    var stale = document.getElementById("wb-stale");
    var stamp = document.getElementById("wb-refreshed");
    if (!stale) { return; }
    var problem = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Poll-Problem");
    var text = stale.querySelector(".notice-text") || stale;
    text.textContent = "Not up to date: the last refresh was at " + (stamp ? stamp.textContent : "?") +
      ". " + (problem || "The kiosk could not be reached.") + " It keeps trying.";
    stale.hidden = false;
  });

  /* ---------- assignments ---------- */
  function form() { return document.querySelector("[data-assign-form]"); }
  function beds(f) { return Array.prototype.slice.call(f.querySelectorAll(".assign-bed")); }
  function chosen(f) { return beds(f).filter(function (b) { return b.getAttribute("aria-pressed") === "true"; }); }
  function input(f, slot, bed) { return f.querySelector("input[name='" + slot + "-" + bed.getAttribute("data-bed") + "']"); }

  function nameOf(f, slot, ref) {
    if (!ref) { return "—"; }
    var person = f.querySelector(".person[data-slot='" + slot + "'][data-person='" + CSS.escape(ref) + "']");
    return person ? person.getAttribute("data-short") : null;
  }

  function put(f, bed, slot, ref, name) {
    var field = input(f, slot, bed);
    if (!field) { return; }
    field.value = ref;
    var shown = bed.querySelector(".ab-slot[data-slot='" + slot + "'] .ab-name");
    if (shown) { shown.textContent = nameOf(f, slot, ref) || name || "someone"; }
  }

  function refresh(f) {
    var changed = 0;
    beds(f).forEach(function (bed) {
      var differs = ["nurse", "aide"].some(function (slot) {
        var field = input(f, slot, bed);
        return field && field.value !== field.getAttribute("data-original");
      });
      bed.classList.toggle("is-changed", differs);
      if (differs) { changed += 1; }
    });
    f.querySelectorAll(".person[data-person]").forEach(function (person) {
      var ref = person.getAttribute("data-person");
      var slot = person.getAttribute("data-slot");
      var count = person.querySelector("[data-count]");
      if (!count) { return; }
      count.textContent = beds(f).filter(function (bed) {
        var field = input(f, slot, bed);
        return field && field.value === ref;
      }).length;
    });
    var charge = f.querySelector("input[name='charge']");
    var chargeChanged = charge && charge.value !== charge.getAttribute("data-original");
    var save = f.querySelector("[data-save]");
    if (save) {
      var parts = [];
      if (changed) { parts.push(changed + (changed === 1 ? " bed" : " beds")); }
      if (chargeChanged) { parts.push("charge nurse"); }
      save.textContent = parts.length ? "Save (" + parts.join(", ") + ")" : "Save assignments";
    }
    var hint = f.querySelector("[data-hint]");
    var picked = chosen(f).length;
    if (hint) {
      hint.textContent = picked ? picked + (picked === 1 ? " bed" : " beds") + " chosen: tap the person who takes " +
        (picked === 1 ? "it" : "them") + "." : "Tap beds, then a person. Tap a person first to pick their beds.";
      hint.classList.toggle("is-active", picked > 0);
    }
  }

  function choose(bed, on) { bed.setAttribute("aria-pressed", on ? "true" : "false"); }

  document.addEventListener("click", function (event) {
    var f = form();
    if (!f || !f.contains(event.target)) { return; }
    var bed = event.target.closest(".assign-bed");
    var person = event.target.closest(".person");
    var leader = event.target.closest(".leader");
    if (bed && !bed.disabled) {
      choose(bed, bed.getAttribute("aria-pressed") !== "true");
    } else if (person && !person.disabled) {
      var slot = person.getAttribute("data-slot");
      var ref = person.getAttribute("data-person");
      var picked = chosen(f);
      if (picked.length) {
        picked.forEach(function (b) { put(f, b, slot, ref); choose(b, false); });
      } else {
        beds(f).forEach(function (b) { var field = input(f, slot, b); choose(b, field && field.value === ref); });
      }
    } else if (leader && !leader.disabled) {
      f.querySelector("input[name='charge']").value = leader.getAttribute("data-charge");
      f.querySelectorAll(".leader").forEach(function (l) { l.setAttribute("aria-checked", l === leader ? "true" : "false"); });
      var shown = f.querySelector("[data-charge-name]");
      if (shown) { shown.textContent = leader.getAttribute("data-short"); }
      var pick = leader.closest("details");
      if (pick) { pick.open = false; }
    } else if (event.target.closest("[data-copy-last]")) {
      beds(f).forEach(function (b) {
        ["nurse", "aide"].forEach(function (s) {
          var ref = b.getAttribute("data-prev-" + s);
          if (ref) { put(f, b, s, ref, b.getAttribute("data-prev-" + s + "-name")); }
        });
        choose(b, false);
      });
      var previous = f.getAttribute("data-prev-charge");
      var match = previous && f.querySelector(".leader[data-charge='" + CSS.escape(previous) + "']");
      if (match) { match.click(); }
    } else if (event.target.closest("[data-select-all]")) {
      beds(f).forEach(function (b) { choose(b, true); });
    } else if (event.target.closest("[data-clear]")) {
      beds(f).forEach(function (b) { choose(b, false); });
    } else {
      return;
    }
    refresh(f);
  });

  function start() { var f = form(); if (f) { refresh(f); } }
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSettle", start);
})();
