/*
 * "Leave this page quickly".
 * Without JavaScript the button is an ordinary link to a neutral site. With it, leaving also
 * blanks the page first and replaces the history entry, so Back does not lead straight here.
 * Pressing Escape twice within one second does the same.
 */
(function () {
  "use strict";

  var button = document.querySelector("a.leave-quickly");
  if (!button) {
    return;
  }
  var target = button.getAttribute("data-leave-url") || button.href;
  var leaving = false;

  function leave() {
    if (leaving) {
      return;
    }
    leaving = true;
    try {
      document.title = "";
      document.body.textContent = "";
    } catch (ignored) {
      /* leave anyway */
    }
    window.location.replace(target);
  }

  button.addEventListener("click", function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button > 0) {
      return; /* a deliberate new tab or window: let the browser do it */
    }
    event.preventDefault();
    leave();
  });

  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      lastEscape = 0;
      return;
    }
    var now = Date.now();
    if (lastEscape && now - lastEscape <= 1000) {
      leave();
    } else {
      lastEscape = now;
    }
  });

  var hint = button.querySelector("[data-leave-hint]");
  if (hint) {
    hint.hidden = false;
  }
})();
