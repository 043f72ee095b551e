/* Behaviour every page may use, declared in the markup (the Content-Security-Policy
 * allows no inline script or on…= handler):
 *   <button data-print>                   prints the page;
 *   <form data-confirm="Question?">       asks before it is sent. */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
