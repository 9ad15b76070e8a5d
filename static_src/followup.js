/*
 * The follow-up in the reporter's browser (SPEC §3.10, issue 17). Bundled by esbuild at set-up
 * (`make install`) into static_build/bundle/followup.js, served same-origin under the strict CSP.
 *
 * When the person enters the receipt code and this browser has WebCrypto, the code does not
 * leave the browser:
 *   1. Here: the code's look-up token (HKDF of the normalised code, as at submission).
 *   2. POST /api/v1/followup/sealed/ with the token (a POST: never in an address or a log),
 *      behind the follow-up entry's gate: status, and as ciphertext the case key wrapped under
 *      the code, the report, the messages and the reporter's file names.
 *   3. Here: the case key unwrapped with the code's key (HKDF(code, salt=binding)), everything
 *      decrypted and put into the page the server rendered in <template id="sealed-followup">
 *      (translated), as text only (textContent).
 *   4. A reply is padded and encrypted here under the case key, bound to the case and to
 *      "message:<random seal id>" exactly as the server binds a message to its id, and sent
 *      with the token to POST /api/v1/followup/sealed/messages/.
 *   5. Files added here are checked and prepared as on the report form (files.js: count, size,
 *      type, photos re-encoded on a canvas), sealed with formats.js's sealFile under the case
 *      key, bound to the case and to a random attachment id (128 bits) exactly as the server
 *      binds a file, and sent with the token to POST /api/v1/followup/sealed/files/.
 * The reporter's choices and deleting keep the server path (the code goes with those forms,
 * as without JavaScript). Anything else (no WebCrypto, a code the server must explain,
 * a refusal, no network, an exception) falls back to the ordinary form post with what the
 * person typed, which works as without JavaScript. Python reference: tests/helpers.py
 * (browser_followup_open, browser_reply) and tests/reporting/test_sealed_followup.py.
 */
import { chosenFiles, postFiles, prepareFiles } from "./files.js";
import {
  decrypt, encoder, encrypt, fromBase64, newSealId, normaliseReceipt, pad, receiptKek, receiptLookupToken,
  sealFile, toBase64, unpad,
} from "./formats.js";

const MESSAGE_MAX = 20000;
const decoder = new TextDecoder("utf-8", { fatal: true });

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "omit", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

function field(form, name) {
  const item = form.elements.namedItem(name);
  return item && typeof item.value === "string" ? item.value : "";
}

/* Submit `form` the ordinary way, as without JavaScript. */
function postAsUsual(form, submitter) {
  if (typeof form.requestSubmit === "function") {
    form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
  } else {
    form.submit();
  }
}

// ------------------------------------------------------------------------------ opening

async function opened(answer, code) {
  const binding = answer.binding;
  const open = (item, key) => decrypt(key, fromBase64(item.ciphertext), binding, item.purpose);
  const caseKey = await open(answer.reporter_wrap, await receiptKek(code, binding));
  const report = JSON.parse(decoder.decode(unpad(await open(answer.report, caseKey))));
  const messages = [];
  for (const message of answer.messages) {
    messages.push({
      mine: message.direction === "reporter", unread: message.unread, createdAt: message.created_at,
      text: decoder.decode(unpad(await open(message.body, caseKey))),
    });
  }
  const files = [];
  for (const item of answer.attachments) {
    files.push(String(JSON.parse(decoder.decode(unpad(await open(item, caseKey)))).name || ""));
  }
  return { caseKey, binding, report, messages, files };
}

// ------------------------------------------------------------------------------ the page

const language = () => document.documentElement.lang || undefined;

function when(iso) {
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? "" : new Intl.DateTimeFormat(language(), {
    dateStyle: "short", timeStyle: "short",
  }).format(moment);
}

function day(iso) {
  const moment = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(moment.getTime()) ? iso : new Intl.DateTimeFormat(language(), {
    dateStyle: "short", timeZone: "UTC",
  }).format(moment);
}

/* Text with its line breaks, as the server's `linebreaksbr`: text nodes and <br> only. */
function setLines(element, text) {
  element.replaceChildren();
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    if (index) {
      element.append(document.createElement("br"));
    }
    element.append(document.createTextNode(line));
  });
}

function slot(root, name) {
  return root.querySelector(`[data-slot="${name}"]`);
}

function addMessage(root, message) {
  const thread = slot(root, "thread");
  const item = slot(root, "message").content.firstElementChild.cloneNode(true);
  const author = slot(item, "author");
  author.textContent = author.getAttribute(message.mine ? "data-mine" : "data-theirs");
  if (message.mine) {
    item.classList.add("message--mine");
  }
  slot(item, "when").textContent = when(message.createdAt);
  slot(item, "new").hidden = !message.unread;
  setLines(slot(item, "body"), message.text);
  thread.append(item);
  thread.hidden = false;
  slot(root, "no-messages").hidden = true;
}

function render(answer, view) {
  const template = document.getElementById("sealed-followup");
  const body = template.content.cloneNode(true);
  const status = slot(body, "status-label");
  status.textContent = answer.status_label;
  status.setAttribute("data-status", answer.status);
  slot(body, "status-text").textContent = answer.status_text;
  const caseLine = slot(body, "case-line");
  caseLine.textContent = caseLine.getAttribute("data-text")
    .replace("{reference}", answer.reference).replace("{received}", day(answer.received_on));
  for (const message of view.messages) {
    addMessage(body, message);
  }
  const files = slot(body, "files");
  for (const name of view.files) {
    const item = document.createElement("li");
    item.textContent = name;
    files.append(item);
  }
  files.hidden = !view.files.length;
  slot(body, "no-files").hidden = view.files.length > 0;
  setLines(slot(body, "description"), String(view.report.description || ""));
  // What waits for an answer is on the page the server shows ("all choices", with the code).
  slot(body, "outcome-question").hidden = !answer.outcome_question;
  slot(body, "summaries-waiting").hidden = !(answer.summaries_waiting > 0);
  return { template, body };
}

function show(template, body) {
  const main = document.getElementById("main");
  main.replaceChildren(body);
  if (template.getAttribute("data-title")) {
    document.title = template.getAttribute("data-title");
  }
  window.scrollTo(0, 0);
  main.focus();
}

// ------------------------------------------------------------------------------ replying

function replies(root, session) {
  const form = root.querySelector('form[data-slot="reply"]');
  const thread = root.querySelector('[data-slot="thread"]').parentElement;
  const notice = root.querySelector("#notice");
  let busy = false;
  form.addEventListener("submit", (event) => {
    if (form.hasAttribute("data-as-usual")) {
      return;
    }
    const textarea = form.elements.namedItem("body");
    const text = textarea.value.trim();
    if (!text || [...text].length > MESSAGE_MAX) {
      form.setAttribute("data-as-usual", "");
      return; // the server explains, and keeps the text
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    form.setAttribute("aria-busy", "true");
    const submitter = event.submitter || null;
    const fallBack = () => {
      busy = false;
      form.removeAttribute("aria-busy");
      form.setAttribute("data-as-usual", "");
      postAsUsual(form, submitter); // with the typed text, and the code, as without JavaScript
    };
    const sealId = newSealId();
    encrypt(session.caseKey, pad(encoder.encode(text)), session.binding, `message:${sealId}`)
      .then((ciphertext) => postJson(session.replyUrl, {
        lookup_token: session.token, seal_id: sealId, body: toBase64(ciphertext),
      }))
      .then((sent) => {
        if (sent.status !== 201) {
          fallBack();
          return;
        }
        busy = false;
        form.removeAttribute("aria-busy");
        // Sent and stored: from here on nothing may send it again.
        textarea.value = "";
        try {
          addMessage(thread, { mine: true, unread: false, createdAt: sent.body.created_at, text });
          const title = slot(notice, "notice");
          title.textContent = title.getAttribute("data-sent");
          notice.hidden = false;
          notice.focus();
        } catch (error) {
          // only the showing failed; the thread shows the message the next time
        }
      }, fallBack);
  });
}

// ------------------------------------------------------------------------------ adding files

async function sendFiles(session, picked) {
  const files = await prepareFiles(picked);
  if (!files || !files.length) {
    return null;
  }
  const attachments = [];
  const streams = [];
  for (const file of files) {
    const id = newSealId(); // 128 random bits: the attachment's id, which everything is bound to
    const sealed = await sealFile(session.caseKey, session.binding, id, file);
    attachments.push({ id, meta: toBase64(sealed.meta) });
    streams.push(sealed.stream);
  }
  const stored = await postFiles(session.filesUrl, { lookup_token: session.token, attachments }, streams);
  return stored.status === 201 ? files.map((file) => file.name) : null;
}

function addingFiles(root, session) {
  const form = root.querySelector('form[data-slot="add-files"]');
  const list = root.querySelector('[data-slot="files"]');
  const none = root.querySelector('[data-slot="no-files"]');
  const notice = root.querySelector("#notice");
  if (!form || !session.filesUrl) {
    return;
  }
  let busy = false;
  form.addEventListener("submit", (event) => {
    if (form.hasAttribute("data-as-usual")) {
      return;
    }
    const picked = chosenFiles(form);
    if (!picked.chosen.length) {
      form.setAttribute("data-as-usual", "");
      return; // the server explains
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    form.setAttribute("aria-busy", "true");
    const submitter = event.submitter || null;
    // In a task of its own (as in seal.js): the browser drops a submission started while the
    // form still fires this one.
    const fallBack = () => setTimeout(() => {
      busy = false;
      form.removeAttribute("aria-busy");
      form.setAttribute("data-as-usual", "");
      postAsUsual(form, submitter); // the chosen files and the code, as without JavaScript
    }, 0);
    sendFiles(session, picked).then((names) => {
      if (!names) {
        fallBack();
        return;
      }
      busy = false;
      form.removeAttribute("aria-busy");
      // Stored: from here on nothing may send them again.
      form.reset();
      for (const hidden of form.querySelectorAll('input[type="hidden"][name="receipt"]')) {
        hidden.value = session.typed;
      }
      try {
        for (const name of names) {
          const item = document.createElement("li");
          item.textContent = name;
          list.append(item);
        }
        list.hidden = false;
        none.hidden = true;
        const title = slot(notice, "notice");
        title.textContent = title.getAttribute("data-files");
        notice.hidden = false;
        notice.focus();
      } catch (error) {
        // only the showing failed; the page shows the files the next time
      }
    }, fallBack);
  });
}

// ------------------------------------------------------------------------------ the entry form

function start() {
  const form = document.getElementById("followup-enter");
  if (!form || !form.hasAttribute("data-followup-open") || !document.getElementById("sealed-followup")) {
    return;
  }
  if (!window.crypto || !crypto.subtle || !window.fetch || window.isSecureContext === false
      || !window.TextEncoder || !window.TextDecoder || !window.Intl) {
    return;
  }
  let released = false;
  let busy = false;
  form.addEventListener("submit", (event) => {
    if (released || event.defaultPrevented) {
      return; // the ordinary post, or pow.js still solving its puzzle
    }
    const typed = field(form, "receipt");
    const code = normaliseReceipt(typed);
    if (!code) {
      return; // the server explains what a code looks like
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    form.setAttribute("aria-busy", "true");
    const submitter = event.submitter || null;
    const fallBack = () => {
      busy = false;
      released = true;
      form.removeAttribute("aria-busy");
      postAsUsual(form, submitter);
    };
    (async () => {
      const token = toBase64(await receiptLookupToken(code));
      const answer = await postJson(form.getAttribute("data-followup-open"), {
        lookup_token: token, challenge: field(form, "challenge"), nonce: field(form, "nonce"),
      });
      if (answer.status !== 200) {
        return false; // a wrong code, a puzzle to solve, a refusal: the server's page says it
      }
      const view = await opened(answer.body, code);
      const { template, body } = render(answer.body, view);
      // Choices and deleting keep the server path, and files when this browser cannot seal
      // them: those forms carry the code, as without JavaScript, and only when sent.
      for (const hidden of body.querySelectorAll('input[type="hidden"][name="receipt"]')) {
        hidden.value = typed;
      }
      const session = {
        caseKey: view.caseKey, binding: view.binding, token, typed,
        replyUrl: form.getAttribute("data-followup-reply"), filesUrl: form.getAttribute("data-followup-files"),
      };
      replies(body, session);
      addingFiles(body, session);
      show(template, body);
      return true;
    })().then((done) => (done ? null : fallBack()), fallBack);
  });
}

start();
