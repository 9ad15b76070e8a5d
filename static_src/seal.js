/*
 * Encryption in the reporter's browser (SPEC §3.10, issue 17). Bundled by esbuild at set-up
 * (`make install`) from the pinned @hpke packages into static_build/bundle/seal.js, which is
 * git-ignored and served same-origin under the strict CSP; nothing here is vendored.
 *
 * When the person sends the report form and this browser has WebCrypto, the report does not
 * leave the browser in plain text:
 *   1. POST /api/v1/reports/bind/ with codes only (district, motives, language, chosen
 *      organisation, the proof of work): a case binding and the routed organisation's key.
 *   2. Here: a case key and an internal key; the report's answers as JSON, padded to a size
 *      bucket, AES-256-GCM under the case key; both keys HPKE-sealed (X-Wing) to the
 *      organisation; a receipt code, its look-up token and the case key wrapped under it.
 *      Every one of them is bound to the binding exactly as reporting/crypto.py binds them.
 *   3. POST /api/v1/reports/sealed/ with ciphertext, codes and the token; the receipt is shown
 *      on this page from a <template> the server rendered (translated). The code never leaves.
 * Chosen files are sealed too (issue 17): each is checked (files.js, shared with followup.js:
 * count, size, type by its first bytes, as reporting/uploads.py does), a photo is drawn on a canvas and encoded again, which
 * leaves its metadata (EXIF, GPS, XMP) behind; a PDF, or a photo whose metadata the person
 * keeps, is marked "not cleaned" in its encrypted metadata and cleaned by the server at the
 * first opening by a counsellor. Name, type and size are encrypted; the content goes in
 * reporting/crypto.py's attachment stream, all bound to the binding and the file's id.
 * Anything else (no WebCrypto, no createImageBitmap or canvas encoder, a file this browser
 * cannot re-encode, an answer the server must explain, a refusal, no network, anything that
 * throws) falls back to the ordinary form post, which works as without JavaScript and still
 * holds everything typed and chosen. Python reference: tests/helpers.py browser_seal.
 */
import { chosenFiles, postFiles, prepareFiles } from "./files.js";
import { sealReport } from "./formats.js";

const DESCRIPTION_MAX = 20000;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PHONE = /^\+?[0-9 ()/.\-]{5,40}$/;

// ------------------------------------------------------------------------------ the answers

function field(form, name) {
  const item = form.elements.namedItem(name);
  if (!item) {
    return "";
  }
  return typeof item.value === "string" ? item.value : "";
}

function checked(form, name, fallback) {
  const item = form.elements.namedItem(name);
  return item && item.type === "checkbox" ? item.checked : fallback;
}

function today() {
  const now = new Date();
  const pad2 = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad2(now.getMonth() + 1)}-${pad2(now.getDate())}`;
}

function orBlank(value) {
  return value === "unknown" ? "" : value;
}

/* The answers as ReportForm cleans them, or null: then the ordinary post lets the server
   explain what needs another look. The chosen files are prepared later (prepareFiles). */
export function collect(form) {
  const description = field(form, "description").trim();
  if (!description || [...description].length > DESCRIPTION_MAX || !checked(form, "consent", false)) {
    return null;
  }
  const known = field(form, "date_known");
  const day = field(form, "occurred_on").trim();
  const month = field(form, "occurred_month_month");
  const year = field(form, "occurred_month_year");
  let occurredOn = "";
  let occurredMonth = "";
  if (known === "day" || (!known && day)) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day > today()) {
      return null;
    }
    occurredOn = day;
  } else if (known === "month" || (!known && (month || year))) {
    if (!/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) {
      return null;
    }
    occurredMonth = `${year}-${month.padStart(2, "0")}`;
    if (occurredMonth > today().slice(0, 7)) {
      return null;
    }
  }
  const contact = field(form, "contact") || "mailbox";
  const email = contact === "email" ? field(form, "contact_email").trim() : "";
  const phone = contact === "phone" ? field(form, "contact_phone").trim() : "";
  if ((contact === "email" && !EMAIL.test(email)) || (contact === "phone" && !PHONE.test(phone))) {
    return null;
  }
  const notify = field(form, "notify_email").trim();
  if (notify && !EMAIL.test(notify)) {
    return null;
  }
  const peopleText = field(form, "people_affected").trim();
  let people = null;
  if (peopleText) {
    if (!/^\d{1,5}$/.test(peopleText) || +peopleText < 1 || +peopleText > 10000) {
      return null;
    }
    people = +peopleText;
  }
  const placeDetails = field(form, "place_details").trim();
  if ([...placeDetails].length > 1000) {
    return null;
  }
  const motives = [...new Set(
    [...form.querySelectorAll('input[name="motives"]:checked')].map((box) => box.value).filter((v) => v !== "unknown"),
  )].sort();
  const district = field(form, "district") || "unknown";
  const incidentType = orBlank(field(form, "incident_type"));
  const wantsCounselling = checked(form, "wants_counselling", false);
  return {
    ...chosenFiles(form),
    codes: {
      district, motives, language: field(form, "language") || document.documentElement.lang || "de",
      partner: field(form, "partner"), form_ts: field(form, "form_ts"), homepage: field(form, "homepage"),
    },
    plain: {
      incident_type: incidentType, wants_counselling: wantsCounselling, notify_email: notify, consent: true,
      consent_contact: checked(form, "consent_contact", true),
      consent_statistics: checked(form, "consent_statistics", true),
      consent_network: checked(form, "consent_network", false),
      consent_publication: checked(form, "consent_publication", false),
    },
    // ReportInput.content(): the encrypted part
    content: {
      description, incident_type: incidentType, occurred_on: occurredOn, occurred_month: occurredMonth,
      district, area_of_life: orBlank(field(form, "area_of_life")), place_details: placeDetails, motives,
      role: orBlank(field(form, "role")), people_affected: people, wants_counselling: wantsCounselling,
      contact_method: contact, contact_email: email, contact_phone: phone, channel: "online_form",
    },
  };
}

// ------------------------------------------------------------------------------ the page

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "omit", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

async function send(form, report) {
  const files = await prepareFiles(report);
  if (!files) {
    return null;
  }
  const bindUrl = form.getAttribute("data-seal-bind");
  const sealedUrl = form.getAttribute("data-seal-submit");
  const proof = { challenge: field(form, "challenge"), nonce: field(form, "nonce") };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const bound = await postJson(bindUrl, { ...report.codes, ...proof });
    if (bound.status !== 200) {
      return null;
    }
    if (files.length && (bound.body.attachment_ids || []).length < files.length) {
      return null;
    }
    const { sealed, code, streams } = await sealReport(bound.body, { ...report, files });
    const stored = streams.length ? await postFiles(sealedUrl, sealed, streams) : await postJson(sealedUrl, sealed);
    if (stored.status === 201 && stored.body.reference) {
      return { code, reference: stored.body.reference };
    }
    if (stored.status !== 409) {
      return null;
    }
    // the binding expired or the organisation's key changed: once more, with a new puzzle
    const fresh = await fetch(form.getAttribute("data-seal-challenge"), { credentials: "omit", cache: "no-store" });
    const challenge = await fresh.json();
    if (challenge.difficulty > 0) {
      return null;
    }
    proof.challenge = challenge.challenge;
    proof.nonce = "";
  }
  return null;
}

function showReceipt(form, result) {
  const template = document.getElementById("sealed-receipt");
  const main = document.getElementById("main");
  const body = template.content.cloneNode(true);
  const codeElement = body.querySelector("#receipt-code");
  codeElement.textContent = result.code;
  codeElement.setAttribute("data-code", result.code);
  for (const number of body.querySelectorAll(".case-reference__number")) {
    number.textContent = result.reference;
  }
  main.replaceChildren(body);
  if (template.getAttribute("data-title")) {
    document.title = template.getAttribute("data-title");
  }
  window.scrollTo(0, 0);
  main.focus();
  document.dispatchEvent(new CustomEvent("meldestelle:receipt"));
}

function start() {
  const form = document.getElementById("report-form");
  if (!form || !form.hasAttribute("data-seal-bind") || !document.getElementById("sealed-receipt")) {
    return;
  }
  if (!window.crypto || !crypto.subtle || !window.fetch || window.isSecureContext === false || !window.TextEncoder) {
    return;
  }
  let released = false;
  let busy = false;
  form.addEventListener("submit", (event) => {
    if (released || event.defaultPrevented) {
      return; // the ordinary post, or pow.js still looking for its nonce
    }
    const report = collect(form);
    if (!report) {
      return;
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    const submitter = event.submitter || null;
    form.setAttribute("aria-busy", "true");
    // In a task of its own: a fallback decided in a microtask of this very submit event would
    // otherwise run while the form still fires it, and the browser would drop the new submission.
    const fallBack = () => setTimeout(() => {
      busy = false;
      released = true;
      form.removeAttribute("aria-busy");
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      } else {
        form.submit();
      }
    }, 0);
    send(form, report).then((result) => (result ? showReceipt(form, result) : fallBack()), fallBack);
  });
}

start();
