/* Armbands and labels: a print form is sent once. A second tap on Print (touch screens double-tap) does
 * nothing in the browser; the server also refuses to print the same form twice (its one-time token), so
 * this is the first of two guards, not the only one. The button comes back if the page is shown again
 * from the browser's history. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
    });
  });
}());
