/*
 * "Leave this page quickly".
 * Without JavaScript the button is an ordinary link to a neutral site. With it, leaving also
 * blanks the page first and replaces the history entry, so Back does not lead here.
 * Pressing Escape twice within one second does the same.
 *
 * So that Back does not lead to an earlier page of this site either, links between the
 * reporter's pages replace the current history entry instead of adding one: however many pages
 * a person opened, the visit takes one entry, and leaving replaces that one. (A sent form adds
 * an entry, as browsers do for every POST; its answer is never cached.)
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

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button > 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link === button || link.target || link.hasAttribute("download")) {
      return;
    }
    var url;
    try {
      url = new URL(link.href, window.location.href);
    } catch (ignored) {
      return;
    }
    if (url.origin !== window.location.origin || (url.pathname === window.location.pathname && url.hash)) {
      return; /* another site, or a jump within this page */
    }
    event.preventDefault();
    window.location.replace(url.href);
  });

  var hint = button.querySelector("[data-leave-hint]");
  if (hint) {
    hint.hidden = false;
  }
})();
