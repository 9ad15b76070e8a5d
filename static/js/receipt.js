/*
 * Receipt page helpers. Everything here is optional: without JavaScript the code is on the page
 * to be written down, the copy and print buttons stay hidden and "Continue" is a plain link.
 *
 *   <button type="button" hidden data-copy-target="#receipt-code"
 *           data-copied-label="Copied" data-copy-failed-label="Please copy it by hand"
 *           data-status="#copy-status">...</button>
 *   <button type="button" hidden data-print>...</button>
 *   <input type="checkbox" id="saved-confirm"> ... <a id="continue-after-save" href="...">
 */
(function () {
  "use strict";

  function statusFor(button) {
    var selector = button.getAttribute("data-status");
    var found = selector ? document.querySelector(selector) : null;
    if (found) {
      if (!found.hasAttribute("aria-live")) {
        found.setAttribute("aria-live", "polite");
      }
      return found;
    }
    /* A live region has to exist before its text changes to be announced, so make it now. */
    var made = document.createElement("span");
    made.className = "copy-status";
    made.setAttribute("role", "status");
    button.insertAdjacentElement("afterend", made);
    return made;
  }

  function copyBySelection(element) {
    var selection = window.getSelection && window.getSelection();
    if (!selection || !document.execCommand) {
      return false;
    }
    selection.removeAllRanges();
    var range = document.createRange();
    range.selectNodeContents(element);
    selection.addRange(range);
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (ignored) {
      ok = false;
    }
    return ok; /* the code stays selected, which also helps copying by hand */
  }

  function setUpCopy(button) {
    var target = document.querySelector(button.getAttribute("data-copy-target"));
    if (!target) {
      return;
    }
    var hasClipboard = !!(navigator.clipboard && navigator.clipboard.writeText);
    if (!hasClipboard && !(document.queryCommandSupported && document.queryCommandSupported("copy"))) {
      return;
    }
    var status = statusFor(button);
    var clearTimer = null;

    function say(text) {
      status.textContent = "";
      clearTimeout(clearTimer);
      /* A short pause makes screen readers announce the same text again on a second copy. */
      setTimeout(function () {
        status.textContent = text;
        clearTimer = setTimeout(function () {
          status.textContent = "";
        }, 8000);
      }, 50);
    }

    button.addEventListener("click", function () {
      var text = (target.getAttribute("data-code") || target.textContent || "").replace(/\s+/g, " ").trim();
      var copied = button.getAttribute("data-copied-label") || "✓";
      var failed = button.getAttribute("data-copy-failed-label") || "";
      if (hasClipboard) {
        navigator.clipboard.writeText(text).then(
          function () {
            say(copied);
          },
          function () {
            say(copyBySelection(target) ? copied : failed);
          }
        );
      } else {
        say(copyBySelection(target) ? copied : failed);
      }
    });
    button.hidden = false;
  }

  function setUpPrint(button) {
    if (typeof window.print !== "function") {
      return;
    }
    button.addEventListener("click", function () {
      window.print();
    });
    button.hidden = false;
  }

  function setUpSavedGate() {
    var box = document.getElementById("saved-confirm");
    var next = document.getElementById("continue-after-save");
    if (!box || !next) {
      return;
    }
    function update() {
      if (box.checked) {
        next.removeAttribute("aria-disabled");
      } else {
        next.setAttribute("aria-disabled", "true");
      }
    }
    next.addEventListener("click", function (event) {
      if (!box.checked) {
        event.preventDefault();
        box.focus();
      }
    });
    box.addEventListener("change", update);
    update();
  }

  function setUpAll() {
    var copyButtons = document.querySelectorAll("[data-copy-target]");
    for (var i = 0; i < copyButtons.length; i++) {
      setUpCopy(copyButtons[i]);
    }
    var printButtons = document.querySelectorAll("[data-print]");
    for (var j = 0; j < printButtons.length; j++) {
      setUpPrint(printButtons[j]);
    }
    setUpSavedGate();
  }

  setUpAll();
  /* The report form shows the receipt in place after encrypting in the browser (seal.js). */
  document.addEventListener("meldestelle:receipt", setUpAll);
})();
