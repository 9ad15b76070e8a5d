/*
 * Proof-of-work for the report form (load with `defer`).
 *
 * The form carries
 *   <input type="hidden" name="challenge" value="..." data-difficulty="N">
 *   <input type="hidden" name="nonce" value="">
 * A Web Worker (pow-worker.js) looks for the nonce in the background and this script writes it
 * into the nonce field. If the person submits before it is found, the submission waits at most
 * about three seconds (or data-wait milliseconds, given on the challenge input where the server
 * insists on the proof, as on the follow-up form after wrong codes) and then goes ahead without
 * a nonce (the server applies its stricter limits for browsers without JavaScript). Without
 * Worker or crypto.subtle nothing happens.
 *
 * The worker's address comes from data-worker on this <script> element when given (needed if
 * static file names are hashed); otherwise it is pow-worker.js next to this file.
 */
(function () {
  "use strict";

  var MAX_WAIT_MS = 3000;
  var script = document.currentScript;

  function workerUrl() {
    var given = script && script.getAttribute("data-worker");
    if (given) {
      return given;
    }
    var own = script && script.src;
    return own ? own.replace(/pow\.js(\?.*)?$/, "pow-worker.js") : null;
  }

  function start() {
    if (!window.Worker || !window.crypto || !window.crypto.subtle || window.isSecureContext === false) {
      return;
    }
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      var challenge = forms[i].querySelector('input[name="challenge"][data-difficulty]');
      var nonce = forms[i].querySelector('input[name="nonce"]');
      if (challenge && nonce) {
        protect(forms[i], challenge, nonce);
      }
    }
  }

  function protect(form, challengeInput, nonceInput) {
    var difficulty = parseInt(challengeInput.getAttribute("data-difficulty"), 10);
    var maxWait = parseInt(challengeInput.getAttribute("data-wait"), 10) || MAX_WAIT_MS;
    var url = workerUrl();
    if (!(difficulty > 0) || !challengeInput.value || !url) {
      return;
    }

    var done = false;
    var waiters = [];
    var worker;

    function finish() {
      if (done) {
        return;
      }
      done = true;
      if (worker) {
        worker.terminate();
      }
      while (waiters.length) {
        waiters.shift()();
      }
    }

    try {
      worker = new Worker(url);
    } catch (ignored) {
      return; /* e.g. blocked by policy: submit without a nonce */
    }
    worker.onmessage = function (event) {
      var data = event.data || {};
      if (typeof data.nonce === "string") {
        nonceInput.value = data.nonce;
      }
      finish();
    };
    worker.onerror = function () {
      finish();
    };
    worker.postMessage({ challenge: challengeInput.value, difficulty: difficulty });

    var released = false;
    var waiting = false;
    form.addEventListener("submit", function (event) {
      if (done || released || event.defaultPrevented) {
        return;
      }
      event.preventDefault();
      if (waiting) {
        return; /* a second press while we wait: the first one will go through */
      }
      waiting = true;
      var submitter = event.submitter || null;
      form.setAttribute("aria-busy", "true");
      if (submitter) {
        submitter.setAttribute("aria-disabled", "true");
      }

      var sent = false;
      function send() {
        if (sent) {
          return;
        }
        sent = true;
        released = true;
        clearTimeout(timer);
        form.removeAttribute("aria-busy");
        if (submitter) {
          submitter.removeAttribute("aria-disabled");
        }
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        } else {
          if (submitter && submitter.name) {
            var carry = document.createElement("input");
            carry.type = "hidden";
            carry.name = submitter.name;
            carry.value = submitter.value;
            form.appendChild(carry);
          }
          form.submit();
        }
      }
      var timer = setTimeout(send, maxWait);
      waiters.push(send);
    });
  }

  start();
})();
