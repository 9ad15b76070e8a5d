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

  var areas = document.querySelectorAll("textarea[data-maxlength]");
  for (var a = 0; a < areas.length; a++) {
    setUpCounter(areas[a]);
  }
  setUpConditions();
  var boxes = document.querySelectorAll("input[data-filter-for]");
  for (var b = 0; b < boxes.length; b++) {
    setUpFilter(boxes[b]);
  }
})();
