/* Staff pages without full page reloads (issue 19).

Everything works without this script: forms post and redirect, links load pages. With it, the
inbox's tabs, sorting, filters and pages and every action on the case page fetch the same URLs
and swap the page's main region in place, keeping the scroll position; the server answers
exactly as it does without JavaScript. Reply templates fill the reply box when chosen.
*/
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js-enhanced");
  var busy = false;

  function main() { return document.getElementById("main"); }

  function toast() {
    var box = document.getElementById("staff-toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "staff-toast";
      box.className = "staff-toast";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    return box;
  }

  function moveMessages() {
    var messages = main().querySelector(".site-messages");
    var box = toast();
    box.textContent = "";
    if (messages) {
      box.appendChild(messages);
      // Read out once (role=status); then out of the way of the page.
      window.setTimeout(function () { if (messages.parentNode === box) { box.textContent = ""; } }, 8000);
    }
  }

  function swap(html, url, push, focusId) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var next = doc.getElementById("main");
    if (!next) {
      window.location.assign(url);
      return;
    }
    var y = window.scrollY;
    main().innerHTML = next.innerHTML;
    main().className = next.className;
    document.title = doc.title;
    if (push && url !== window.location.href) {
      window.history.pushState({ staff: true }, "", url);
    }
    window.scrollTo(0, y);
    moveMessages();
    var target = focusId && document.getElementById(focusId);
    var focusable = target && target.querySelector("button, select, textarea, input:not([type=hidden])");
    if (!focusable) {
      focusable = document.getElementById("actions-heading") || document.querySelector("#main h1");
      if (focusable) { focusable.setAttribute("tabindex", "-1"); }
    }
    if (focusable) { focusable.focus({ preventScroll: true }); }
  }

  function load(url, push) {
    if (busy) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text().then(function (text) { swap(text, response.url, push); }); })
      .catch(function () { window.location.assign(url); })
      .finally(function () { busy = false; });
  }

  function enhanced(form) {
    return form.closest("#inbox, #case-work") && !form.hasAttribute("data-no-enhance");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !enhanced(form)) { return; }
    var method = (form.getAttribute("method") || "get").toLowerCase();
    event.preventDefault();
    if (busy) { return; }
    var data = new FormData(form, event.submitter || undefined);
    if (method === "get") {
      var query = new URLSearchParams(data).toString();
      load(form.action.split("?")[0] + (query ? "?" + query : ""), true);
      return;
    }
    busy = true;
    var action = form.action;
    fetch(action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.text().then(function (text) {
          // A POST-only URL answered with a page (a form shown again): keep the address bar.
          swap(text, response.url, response.url !== action, form.id);
        });
      })
      .catch(function () {
        form.setAttribute("data-no-enhance", "");
        form.requestSubmit(event.submitter || undefined);
      })
      .finally(function () { busy = false; });
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("a");
    if (!link || !link.closest("#inbox") || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    var href = link.getAttribute("href") || "";
    if (href.charAt(0) !== "?") { return; }  // tabs, sorting and pages; a case opens as a page
    event.preventDefault();
    load(new URL(href, window.location.href).href, true);
  });

  window.addEventListener("popstate", function () {
    if (document.getElementById("inbox")) { load(window.location.href, false); }
  });

  // Reply templates: choosing one puts its text into the reply box, to be edited there.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || select.id !== "template-kind") { return; }
    var template = document.querySelector('template[data-reply-template="' + select.value + '"]');
    var box = document.querySelector("#message-form textarea");
    if (box) {
      box.value = template ? template.content.textContent : "";
      box.focus();
    }
  });

  // Inbox: arrow keys move between the cases.
  document.addEventListener("keydown", function (event) {
    var link = event.target instanceof Element && event.target.closest(".inbox-case");
    if (!link || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) { return; }
    var row = link.closest("tr");
    var next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
    var target = next && next.querySelector(".inbox-case");
    if (target) {
      event.preventDefault();
      target.focus();
    }
  });

  moveMessages();
})();
