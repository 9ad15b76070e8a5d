/* Staff pages without full page reloads (issue 19).

Everything works without this script: forms post and redirect, links load pages. With it, the
inbox's tabs, sorting, filters and pages and every action on the case page fetch the same URLs
and swap the page's main region in place, keeping the scroll position; the server answers
exactly as it does without JavaScript. Reply templates fill the reply box when chosen.

While one form's answer is on its way, the page stays usable: what is typed or chosen meanwhile
in another form (and which of the folded forms are open) is carried over into the page that
comes back, and a form sent meanwhile is sent once the answer is in, never dropped. Only the
form that was sent starts empty again.
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
    var kept = document.getElementById("case-work") ? unsaved(focusId) : { fields: [], details: [] };
    main().innerHTML = next.innerHTML;
    restore(kept);
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

  // What the person changed in the forms of the page (other than the one just sent), by form id
  // and field position, and which folded forms they had opened or closed.
  function unsaved(sentId) {
    var kept = { fields: [], details: [] };
    var forms = main().querySelectorAll("form[id]");
    for (var f = 0; f < forms.length; f++) {
      var form = forms[f];
      if (form.id === sentId) { continue; }
      var details = form.closest("details");
      if (details && details.open !== details.hasAttribute("open")) {
        kept.details.push({ form: form.id, open: details.open });
      }
      for (var i = 0; i < form.elements.length; i++) {
        var field = form.elements[i];
        if (!field.name || field.type === "hidden" || field.type === "file" || field.type === "submit") { continue; }
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.checked !== field.defaultChecked) {
            kept.fields.push({ form: form.id, index: i, name: field.name, checked: field.checked });
          }
        } else if (field instanceof HTMLSelectElement) {
          var changed = false;
          for (var o = 0; o < field.options.length; o++) {
            if (field.options[o].selected !== field.options[o].defaultSelected) { changed = true; }
          }
          if (changed) {
            var values = [];
            for (var k = 0; k < field.options.length; k++) {
              if (field.options[k].selected) { values.push(field.options[k].value); }
            }
            kept.fields.push({ form: form.id, index: i, name: field.name, values: values });
          }
        } else if (field.value !== field.defaultValue) {
          kept.fields.push({ form: form.id, index: i, name: field.name, value: field.value });
        }
      }
    }
    return kept;
  }

  function restore(kept) {
    kept.details.forEach(function (item) {
      var form = document.getElementById(item.form);
      var details = form && form.closest("details");
      if (details) { details.open = item.open; }
    });
    kept.fields.forEach(function (item) {
      var form = document.getElementById(item.form);
      var field = form instanceof HTMLFormElement && form.elements[item.index];
      if (!field || field.name !== item.name) { return; }  // the form came back different
      if (item.checked !== undefined) {
        field.checked = item.checked;
      } else if (item.values) {
        for (var o = 0; o < field.options.length; o++) {
          field.options[o].selected = item.values.indexOf(field.options[o].value) >= 0;
        }
      } else {
        field.value = item.value;
      }
    });
  }

  // A form sent while another answer is on its way: sent again, from the page that comes back.
  var waiting = null;

  function sendWaiting() {
    var next = waiting;
    waiting = null;
    if (!next) { return; }
    var form = document.getElementById(next.form);
    if (!(form instanceof HTMLFormElement)) { return; }
    var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    var submitter = next.button >= 0 ? buttons[next.button] : undefined;
    form.requestSubmit(submitter || undefined);
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
    if (busy) {
      if (form.id && method === "post") {
        var buttons = Array.prototype.slice.call(
          form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]"));
        waiting = { form: form.id, button: event.submitter ? buttons.indexOf(event.submitter) : -1 };
      }
      return;
    }
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
      .finally(function () { busy = false; sendWaiting(); });
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
