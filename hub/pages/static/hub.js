// Kesos Hub pages: small behaviours shared by every page (no inline script: the CSP forbids it).
"use strict";
(function () {
  // The session's CSRF token, for fetch() calls: the hidden field every signed-in page carries.
  window.khubCsrf = function () {
    var field = document.querySelector('input[name="csrf"]');
    return field ? field.value : "";
  };
  // Forms that change data ask once: <form data-confirm="Yakin?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
