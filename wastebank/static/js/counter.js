/* The cashier's counter: running total, add/remove lines, one submit per form, camera
   scanning (jsQR, vendored, loaded only when the camera is used) and the receipt's roll
   length (app.js has the print button).
   Everything here is a convenience: the page works without it, the server decides. */
(function () {
  "use strict";

  // Quantities as the server reads them: "2,5" or "2.5"; with both marks the last is
  // the decimal one. Returns thousandths (integers keep the sum exact) or null.
  function parseMilli(text) {
    text = (text || "").trim().replace(/\s/g, "");
    if (text.indexOf(",") >= 0 && text.indexOf(".") >= 0) {
      var decimalMark = text.lastIndexOf(",") > text.lastIndexOf(".") ? "," : ".";
      text = text.split(decimalMark === "," ? "." : ",").join("");
    }
    var match = /^(\d{1,9})(?:[.,](\d{1,3}))?$/.exec(text);
    if (!match) return null;
    return parseInt(match[1], 10) * 1000 + parseInt(((match[2] || "") + "000").slice(0, 3), 10);
  }

  function formatRp(amount) {
    var digits = String(Math.abs(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (amount < 0 ? "-" : "") + "Rp" + digits;
  }

  // -- deposit lines and running total ----------------------------------------------
  var depositForm = document.getElementById("deposit-form");
  if (depositForm) {
    var body = depositForm.querySelector("#deposit-lines tbody");
    var template = document.getElementById("line-template");
    var totalCell = document.getElementById("deposit-total");

    var recompute = function () {
      var total = 0;
      body.querySelectorAll("tr.line").forEach(function (row) {
        var option = row.querySelector("select").selectedOptions[0];
        var price = option && option.dataset.price ? parseInt(option.dataset.price, 10) : null;
        var milli = parseMilli(row.querySelector("input[name=quantity]").value);
        var cell = row.querySelector(".line-value");
        if (price === null || milli === null) {
          cell.textContent = "";
          return;
        }
        // Half up to whole rupiah, once per line, as wastebank.ledger.line_value_rp does.
        var value = Math.floor((milli * price + 500) / 1000);
        cell.textContent = formatRp(value);
        total += value;
      });
      totalCell.textContent = formatRp(total);
    };

    document.getElementById("add-line").addEventListener("click", function () {
      body.appendChild(template.content.cloneNode(true));
      var rows = body.querySelectorAll("tr.line");
      rows[rows.length - 1].querySelector("select").focus();
      recompute();
    });
    body.addEventListener("click", function (event) {
      var button = event.target.closest(".remove-line");
      if (!button) return;
      var row = button.closest("tr");
      if (body.querySelectorAll("tr.line").length > 1) {
        row.remove();
      } else {
        row.querySelector("select").value = "";
        row.querySelector("input").value = "";
      }
      recompute();
    });
    body.addEventListener("input", recompute);
    body.addEventListener("change", recompute);
    recompute();
  }

  // -- one submit per rendered form (the idempotency key makes a second one harmless) --
  var postForms = document.querySelectorAll("form[method=post]");
  // Back to a page kept in the browser's cache: let its forms be sent again (a replay
  // with the same key only shows the first receipt).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    postForms.forEach(function (form) {
      delete form.dataset.submitted;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
        if (button.dataset.label) button.textContent = button.dataset.label;
      });
    });
  });
  postForms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted) {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        // Disable after this event: a button disabled now would drop out of the request.
        setTimeout(function () {
          button.disabled = true;
          if (button.dataset.busy) {
            button.dataset.label = button.textContent;
            button.textContent = button.dataset.busy;
          }
        }, 0);
      });
    });
  });

  // A scanner types into the box: select what is there so a new scan replaces it.
  var scanBox = document.getElementById("scan-input");
  if (scanBox) scanBox.addEventListener("focus", function () { scanBox.select(); });

  // -- camera scanning ----------------------------------------------------------------
  var startButton = document.getElementById("camera-start");
  if (startButton && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    var scanForm = document.getElementById("scan-form");
    var scanInput = document.getElementById("scan-input");
    var box = document.getElementById("camera");
    var video = document.getElementById("camera-video");
    var errorLine = document.getElementById("camera-error");
    var stream = null;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });

    var stop = function () {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      box.hidden = true;
    };
    var fail = function () {
      stop();
      errorLine.textContent = startButton.dataset.error;
      errorLine.hidden = false;
    };
    var loadJsQR = function () {
      return new Promise(function (resolve, reject) {
        if (window.jsQR) return resolve();
        var script = document.createElement("script");
        script.src = startButton.dataset.jsqr;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    };
    var tick = function () {
      if (!stream) return;
      if (video.readyState === video.HAVE_ENOUGH_DATA) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, {
          inversionAttempts: "dontInvert",
        });
        if (code && code.data) {
          stop();
          scanInput.value = code.data;
          scanForm.submit();
          return;
        }
      }
      requestAnimationFrame(tick);
    };

    startButton.hidden = false;
    startButton.addEventListener("click", function () {
      errorLine.hidden = true;
      loadJsQR()
        .then(function () {
          return navigator.mediaDevices.getUserMedia({
            video: { facingMode: "environment" },
            audio: false,
          });
        })
        .then(function (mediaStream) {
          stream = mediaStream;
          video.srcObject = stream;
          box.hidden = false;
          return video.play();
        })
        .then(function () { requestAnimationFrame(tick); })
        .catch(fail);
    });
    document.getElementById("camera-stop").addEventListener("click", stop);
  }

  // -- receipts: a roll exactly as long as the receipt -----------------------------
  // A stylesheet built through the CSSOM: the page's Content-Security-Policy allows no
  // <style> element. Browsers without constructable stylesheets print on the 297 mm
  // page of app.css.
  var receipt = document.getElementById("receipt");
  if (receipt && document.body.classList.contains("paper-58") && document.adoptedStyleSheets) {
    var roll = new CSSStyleSheet();
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([roll]);
    var fitRoll = function () {
      var heightMm = Math.ceil((receipt.getBoundingClientRect().height * 25.4) / 96) + 6;
      roll.replaceSync("@page receipt-58 { size: 58mm " + heightMm + "mm; margin: 0; }");
    };
    fitRoll();
    window.addEventListener("beforeprint", fitRoll);
  }
})();
