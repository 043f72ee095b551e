/* The public receipt check: a receipt's QR code opens /receipts/verify#CODE. The code is
 * in the fragment, which the browser never sends to a server; take it out of the address
 * bar (and so of the history) and POST it, so it never appears in a URL. */
(function () {
  "use strict";

  var form = document.getElementById("verify-form");
  var code = window.location.hash.slice(1);
  try {
    code = decodeURIComponent(code).trim();
  } catch (e) {
    code = ""; // not a code we printed: the form is there to type one
  }
  if (!form || !code) return;
  history.replaceState(null, "", window.location.pathname);
  document.getElementById("verify-code").value = code;
  form.hidden = true;
  document.getElementById("verify-checking").hidden = false;
  form.submit();
})();
