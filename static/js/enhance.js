/*
 * Small improvements for the report form. Without JavaScript every field is shown and works.
 *
 * 1. Character counter: <textarea data-maxlength="5000" data-counter-label="%(remaining)s characters left">
 *    Adds a line under the field. Screen readers hear it only after typing pauses, and only when
 *    fewer than a tenth of the characters are left, so they are not interrupted at every key.
 * 2. Conditional parts: <div data-show-when="date_known=exact"> is shown only while the control
 *    named date_known in the same form has that value ("a|b" allows several values; a checkbox
 *    counts with its value while ticked). Hidden parts have their controls disabled, so they are
 *    neither validated nor sent.
 * 3. District filter: <input type="search" hidden data-filter-for="id_district"
 *    data-count-label="%(count)s matching"> before the <select>. Typing narrows the list.
 * 4. Error summary: an element with data-focus-on-load gets the focus, so keyboard and screen
 *    reader users start at the list of answers to look at again.
 * 5. Files: <input type="file" data-file-check data-max-bytes data-max-files data-msg-…> and
 *    <div data-file-list-for="id"> list each chosen file with its own state as soon as it is
 *    chosen: type (by its first bytes, as the server decides) and size. A refused file can be
 *    left out with one button; the form is not sent while one is still chosen.
 * 6. Progress: <div data-form-progress data-label="Part %(number)s of %(total)s: %(title)s">
 *    shows, while the form is long, which part the person is in (sections with data-part).
 * 7. After sending on the follow-up page, the one-time address is removed from the address bar.
 */
(function () {
  "use strict";

  function fill(template, name, value) {
    return template.split("%(" + name + ")s").join(String(value));
  }

  function fold(text) {
    var plain = String(text).toLowerCase();
    if (plain.normalize) {
      plain = plain.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    }
    return plain.replace(/ß/g, "ss").trim();
  }

  var counter = 0;
  function uniqueId(prefix) {
    counter += 1;
    return prefix + "-" + counter;
  }

  function addDescribedBy(element, id) {
    var ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) {
      ids.push(id);
      element.setAttribute("aria-describedby", ids.join(" "));
    }
  }

  /* ---------- 1. character counter ---------- */
  function setUpCounter(area) {
    var max = parseInt(area.getAttribute("data-maxlength"), 10);
    if (!(max > 0)) {
      return;
    }
    var label = area.getAttribute("data-counter-label") || "%(remaining)s / " + max;
    var line = document.createElement("p");
    line.className = "char-count";
    line.id = uniqueId("char-count");
    var spoken = document.createElement("span");
    spoken.className = "visually-hidden--always";
    spoken.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", line);
    line.insertAdjacentElement("afterend", spoken);
    addDescribedBy(area, line.id);

    var pause = null;
    function update() {
      var remaining = max - area.value.length;
      var text = fill(label, "remaining", remaining);
      line.textContent = text;
      line.classList.toggle("char-count--over", remaining < 0);
      clearTimeout(pause);
      pause = setTimeout(function () {
        spoken.textContent = remaining < max / 10 ? text : "";
      }, 1200);
    }
    area.addEventListener("input", update);
    update();
    spoken.textContent = "";
  }

  /* ---------- 2. conditional parts ---------- */
  function currentValues(scope, name) {
    var control = scope.elements ? scope.elements.namedItem(name) : null;
    var values = [];
    if (!control) {
      return values;
    }
    var list = control.length !== undefined && !control.options ? control : [control];
    for (var i = 0; i < list.length; i++) {
      var item = list[i];
      if (item.type === "radio" || item.type === "checkbox") {
        if (item.checked) {
          values.push(item.value);
        }
      } else if (item.options && item.multiple) {
        for (var k = 0; k < item.options.length; k++) {
          if (item.options[k].selected) {
            values.push(item.options[k].value);
          }
        }
      } else {
        values.push(item.value);
      }
    }
    return values;
  }

  function setControlsDisabled(part, off) {
    var controls = part.querySelectorAll("input, select, textarea, button, fieldset");
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (off) {
        if (control.disabled && !control.hasAttribute("data-hidden-disabled")) {
          continue; /* disabled by the page itself: leave it as it is */
        }
        control.disabled = true;
        control.setAttribute("data-hidden-disabled", "");
      } else if (control.hasAttribute("data-hidden-disabled")) {
        control.disabled = false;
        control.removeAttribute("data-hidden-disabled");
      }
    }
  }

  function setUpConditions() {
    var parts = document.querySelectorAll("[data-show-when]");
    var byForm = [];
    for (var i = 0; i < parts.length; i++) {
      var rule = parts[i].getAttribute("data-show-when");
      var cut = rule.indexOf("=");
      if (cut < 1) {
        continue;
      }
      var scope = parts[i].closest("form") || document.forms[0];
      if (!scope) {
        continue;
      }
      byForm.push({
        part: parts[i],
        scope: scope,
        name: rule.slice(0, cut).trim(),
        wanted: rule.slice(cut + 1).split("|").map(function (value) {
          return value.trim();
        })
      });
    }
    if (!byForm.length) {
      return;
    }
    function apply() {
      /* Outer parts first, so a part inside a hidden part stays hidden. */
      for (var j = 0; j < byForm.length; j++) {
        var entry = byForm[j];
        var values = currentValues(entry.scope, entry.name);
        var show = values.some(function (value) {
          return entry.wanted.indexOf(value) >= 0;
        });
        var insideHidden = entry.part.parentElement && entry.part.parentElement.closest("[data-show-when][hidden]");
        show = show && !insideHidden;
        entry.part.hidden = !show;
        setControlsDisabled(entry.part, !show);
      }
    }
    var scopes = [];
    for (var k = 0; k < byForm.length; k++) {
      if (scopes.indexOf(byForm[k].scope) < 0) {
        scopes.push(byForm[k].scope);
        byForm[k].scope.addEventListener("change", apply);
        byForm[k].scope.addEventListener("input", apply);
      }
    }
    apply();
  }

  /* ---------- 3. select filter ---------- */
  function setUpFilter(box) {
    var select = document.getElementById(box.getAttribute("data-filter-for"));
    if (!select || select.multiple) {
      return;
    }
    /* Some phones ignore hidden <option>s, so the list is rebuilt from a copy instead. */
    var original = [];
    for (var i = 0; i < select.children.length; i++) {
      original.push(select.children[i].cloneNode(true));
    }
    var countLabel = box.getAttribute("data-count-label");
    var spoken = null;
    if (countLabel) {
      spoken = document.createElement("span");
      spoken.className = "visually-hidden--always";
      spoken.setAttribute("aria-live", "polite");
      box.insertAdjacentElement("afterend", spoken);
    }

    function keep(option, query, chosen) {
      return !query || option.value === "" || option.value === chosen || fold(option.textContent).indexOf(query) >= 0;
    }

    var pause = null;
    function filter() {
      var query = fold(box.value);
      var chosen = select.value;
      var matches = 0;
      var fresh = document.createDocumentFragment();
      original.forEach(function (node) {
        if (node.tagName === "OPTGROUP") {
          var group = node.cloneNode(false);
          Array.prototype.forEach.call(node.children, function (option) {
            if (keep(option, query, chosen)) {
              group.appendChild(option.cloneNode(true));
              if (option.value !== "") {
                matches += 1;
              }
            }
          });
          if (group.children.length) {
            fresh.appendChild(group);
          }
        } else if (keep(node, query, chosen)) {
          fresh.appendChild(node.cloneNode(true));
          if (node.value !== "") {
            matches += 1;
          }
        }
      });
      select.textContent = "";
      select.appendChild(fresh);
      select.value = chosen;
      if (spoken) {
        clearTimeout(pause);
        pause = setTimeout(function () {
          spoken.textContent = query ? fill(countLabel, "count", matches) : "";
        }, 600);
      }
    }

    box.addEventListener("input", filter);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); /* do not send the form from the filter box */
        select.focus();
      }
    });
    box.hidden = false;
    var wrapper = box.closest("[data-filter-wrapper]");
    if (wrapper) {
      wrapper.hidden = false;
    }
  }

  /* ---------- 4. error summary ---------- */
  function focusSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  }

  /* ---------- 5. files ---------- */
  var ACCEPTED = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

  function sniff(bytes) {
    function starts(list) {
      for (var i = 0; i < list.length; i++) {
        if (bytes[i] !== list[i]) {
          return false;
        }
      }
      return bytes.length >= list.length;
    }
    if (starts([0xff, 0xd8, 0xff])) {
      return "image/jpeg";
    }
    if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
      return "image/png";
    }
    if (starts([0x52, 0x49, 0x46, 0x46]) && bytes.length >= 12 &&
        bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) {
      return "image/webp";
    }
    if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) {
      return "application/pdf";
    }
    return null;
  }

  function fileType(file) {
    /* The first bytes decide, as on the server; the browser's guess only when they cannot be read. */
    if (!file.slice || !window.Blob || !window.Blob.prototype.arrayBuffer) {
      return Promise.resolve(ACCEPTED.indexOf(file.type) >= 0 ? file.type : null);
    }
    return file.slice(0, 16).arrayBuffer().then(function (buffer) {
      return sniff(new Uint8Array(buffer));
    }, function () {
      return null;
    });
  }

  function setUpFileCheck(input) {
    var list = document.querySelector('[data-file-list-for="' + input.id + '"]');
    if (!list || !window.Promise) {
      return;
    }
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10) || 0;
    var leaveOutLabel = input.getAttribute("data-msg-leave-out") || "";
    var form = input.form;
    var problems = 0;
    list.id = list.id || uniqueId("file-list");
    list.setAttribute("aria-live", "polite");
    addDescribedBy(input, list.id);

    function message(name, key) {
      return fill(input.getAttribute("data-msg-" + key) || "", "name", name);
    }

    function leaveOut(index) {
      if (!window.DataTransfer) {
        return;
      }
      var keep = new DataTransfer();
      for (var i = 0; i < input.files.length; i++) {
        if (i !== index) {
          keep.items.add(input.files[i]);
        }
      }
      input.files = keep.files;
      check();
      input.focus();
    }

    function check() {
      var files = Array.prototype.slice.call(input.files || []);
      return Promise.all(files.map(fileType)).then(function (types) {
        list.textContent = "";
        problems = 0;
        if (!files.length) {
          return;
        }
        var title = document.createElement("p");
        title.className = "kern-body file-list__title";
        title.textContent = input.getAttribute("data-msg-list") || "";
        list.appendChild(title);
        var items = document.createElement("ul");
        items.className = "file-list__items";
        if (maxFiles && files.length > maxFiles) {
          problems += 1;
          var many = document.createElement("li");
          many.className = "file-state file-state--error";
          many.textContent = input.getAttribute("data-msg-too-many") || "";
          items.appendChild(many);
        }
        files.forEach(function (file, index) {
          var item = document.createElement("li");
          var text = document.createElement("span");
          var bad = "";
          if (maxBytes && file.size > maxBytes) {
            bad = message(file.name, "too-large");
          } else if (!types[index]) {
            bad = message(file.name, "wrong-type");
          }
          item.className = "file-state " + (bad ? "file-state--error" : "file-state--ok");
          item.setAttribute("data-file-state", bad ? "error" : "ok");
          text.textContent = bad || message(file.name, "ok");
          item.appendChild(text);
          if (bad) {
            problems += 1;
            if (window.DataTransfer && leaveOutLabel) {
              var button = document.createElement("button");
              button.type = "button";
              button.className = "kern-btn kern-btn--tertiary file-state__leave-out";
              button.textContent = fill(leaveOutLabel, "name", file.name);
              button.addEventListener("click", function () {
                leaveOut(index);
              });
              item.appendChild(document.createTextNode(" "));
              item.appendChild(button);
            }
          }
          items.appendChild(item);
        });
        list.appendChild(items);
        list.classList.toggle("file-list--error", problems > 0);
      });
    }

    input.addEventListener("change", check);
    if (form) {
      form.addEventListener("submit", function (event) {
        if (problems > 0) {
          event.preventDefault();
          var blocked = input.getAttribute("data-msg-blocked");
          if (blocked && !list.querySelector(".file-list__blocked")) {
            var note = document.createElement("p");
            note.className = "kern-error file-list__blocked";
            note.textContent = blocked;
            list.insertBefore(note, list.firstChild);
          }
          input.focus();
        }
      });
    }
    check();
  }

  /* ---------- 6. progress through the parts of a long form ---------- */
  function setUpProgress(box) {
    var parts = Array.prototype.slice.call(document.querySelectorAll("[data-part]"));
    var text = box.querySelector("[data-progress-text]");
    var bar = box.querySelector("[data-progress-bar]");
    var label = box.getAttribute("data-label") || "";
    if (!parts.length || !text) {
      return;
    }
    var current = -1;

    function answered(part) {
      var controls = part.querySelectorAll("input, select, textarea");
      for (var i = 0; i < controls.length; i++) {
        var control = controls[i];
        if (control.disabled || control.type === "hidden") {
          continue;
        }
        if (control.type === "radio" || control.type === "checkbox") {
          if (control.checked) {
            return true;
          }
        } else if (control.type === "file") {
          if (control.files && control.files.length) {
            return true;
          }
        } else if (control.value && control.tagName !== "SELECT") {
          return true;
        } else if (control.tagName === "SELECT" && control.selectedIndex > 0) {
          return true;
        }
      }
      return false;
    }

    function show(index) {
      if (index === current || index < 0) {
        return;
      }
      current = index;
      var part = parts[index];
      text.textContent = fill(fill(fill(label, "number", index + 1), "total", parts.length),
        "title", part.getAttribute("data-part-title") || "");
      if (bar) {
        bar.style.width = Math.round(((index + 1) / parts.length) * 100) + "%";
      }
    }

    function marks() {
      parts.forEach(function (part) {
        var link = document.querySelector('[data-part-link="' + part.getAttribute("data-part") + '"]');
        if (link) {
          link.classList.toggle("form-parts__item--answered", answered(part));
        }
      });
    }

    function fromScroll() {
      var line = window.innerHeight * 0.35;
      var index = 0;
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].getBoundingClientRect().top <= line) {
          index = i;
        }
      }
      show(index);
    }

    var pending = false;
    window.addEventListener("scroll", function () {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(function () {
          pending = false;
          fromScroll();
        });
      }
    }, { passive: true });
    document.addEventListener("focusin", function (event) {
      var part = event.target.closest ? event.target.closest("[data-part]") : null;
      if (part) {
        show(parts.indexOf(part));
      }
    });
    var form = parts[0].closest("form");
    if (form) {
      form.addEventListener("change", marks);
    }
    box.hidden = false;
    fromScroll();
    marks();
  }

  var areas = document.querySelectorAll("textarea[data-maxlength]");
  for (var a = 0; a < areas.length; a++) {
    setUpCounter(areas[a]);
  }
  setUpConditions();
  var boxes = document.querySelectorAll("input[data-filter-for]");
  for (var b = 0; b < boxes.length; b++) {
    setUpFilter(boxes[b]);
  }
  var fileInputs = document.querySelectorAll("input[type=file][data-file-check]");
  for (var f = 0; f < fileInputs.length; f++) {
    setUpFileCheck(fileInputs[f]);
  }
  var progress = document.querySelector("[data-form-progress]");
  if (progress) {
    setUpProgress(progress);
  }
  focusSummary();
  /* The follow-up page after sending opens only once (post/redirect/get): its address is
   * useless afterwards, so it is not kept in the address bar either. */
  if (window.history && history.replaceState && /[?&]resume=/.test(window.location.search)) {
    history.replaceState(null, "", window.location.pathname);
  }
})();
