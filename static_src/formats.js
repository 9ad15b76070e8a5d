/*
 * reporting/crypto.py's formats in JavaScript (SPEC §3.10), shared by every module that
 * encrypts or decrypts in the reporter's browser (seal.js: the report form). Python reference:
 * reporting/crypto.py and tests/reporting/test_sealed.py. Bundled by esbuild at set-up.
 */
import { Aes256Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { XWing } from "@hpke/hybridkem-x-wing";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const encoder = new TextEncoder();

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function random(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

/* reporting.traces.pad: "\0pad1", the length (4 bytes), the text, zeros to a power of two. */
export function pad(plaintext) {
  let size = 1024;
  while (size < plaintext.length + 9) {
    size *= 2;
  }
  const out = new Uint8Array(size);
  out.set(encoder.encode("\u0000pad1"));
  new DataView(out.buffer).setUint32(5, plaintext.length);
  out.set(plaintext, 9);
  return out;
}

/* crypto.encrypt: version byte 1, 96-bit nonce, AES-256-GCM with "meldestelle/v1|binding|purpose". */
export async function encrypt(rawKey, plaintext, binding, purpose) {
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["encrypt"]);
  const nonce = random(12);
  const additionalData = encoder.encode(`meldestelle/v1|${binding}|${purpose}`);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData }, key, plaintext));
  return concat(new Uint8Array([1]), nonce, sealed);
}

export async function hkdf(material, salt, info) {
  const key = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode(salt), info: encoder.encode(info) }, key, 256,
  ));
}

/* crypto.seal: HPKE base mode, X-Wing, HKDF-SHA256, AES-256-GCM; enc followed by ciphertext. */
export async function seal(publicKey, secret, binding, purpose) {
  const suite = new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const recipientPublicKey = await suite.kem.deserializePublicKey(publicKey);
  const info = encoder.encode(`meldestelle/v1/seal|${binding}|${purpose}`);
  const { enc, ct } = await suite.seal({ recipientPublicKey, info }, secret);
  return concat(new Uint8Array(enc), new Uint8Array(ct));
}

/* crypto.new_receipt_code: 80 random bits, Crockford base32, XXXX-XXXX-XXXX-XXXX (normalised). */
export function newReceiptCode() {
  const chars = [...random(16)].map((byte) => CROCKFORD[byte & 31]).join("");
  return chars.match(/.{4}/g).join("-");
}

export function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

export async function sealReport(offer, report) {
  const binding = offer.binding;
  const publicKey = fromBase64(offer.public_key);
  const caseKey = random(32);
  const internalKey = random(32);
  const code = newReceiptCode();
  const sealed = {
    token: offer.token,
    sealed_case_key: toBase64(await seal(publicKey, caseKey, binding, "case-key")),
    sealed_internal_key: toBase64(await seal(publicKey, internalKey, binding, "internal-key")),
    report: toBase64(await encrypt(caseKey, pad(encoder.encode(JSON.stringify(report.content))), binding, "report")),
    lookup_token: toBase64(await hkdf(encoder.encode(code), "meldestelle/v1/receipt-lookup", "lookup")),
    reporter_wrap: toBase64(await encrypt(await hkdf(encoder.encode(code), binding, "receipt"), caseKey, binding, "reporter-wrap")),
    ...report.plain,
  };
  caseKey.fill(0);
  internalKey.fill(0);
  return { sealed, code };
}

/* ==========================================================================================
 * The follow-up in the browser (followup.js, SPEC §3.10): the receipt code's look-up token and
 * key, and opening what the server encrypted under the case key. Python reference:
 * reporting/crypto.py (normalise_receipt, receipt_lookup_token, receipt_kek, decrypt) and
 * reporting/traces.py (unpad); twin in tests/helpers.py (browser_followup_open, browser_reply).
 * ======================================================================================== */

const CROCKFORD_INPUT = { I: "1", L: "1", O: "0" };
const RECEIPT_IGNORED = " -_.\t\u00a0";

/* crypto.normalise_receipt: XXXX-XXXX-XXXX-XXXX, or null if the text cannot be a code. */
export function normaliseReceipt(text) {
  const cleaned = [];
  for (const ch of text.toUpperCase()) {
    if (RECEIPT_IGNORED.includes(ch)) {
      continue;
    }
    const mapped = CROCKFORD.includes(ch) ? ch : CROCKFORD_INPUT[ch];
    if (!mapped) {
      return null;
    }
    cleaned.push(mapped);
  }
  if (cleaned.length !== 16) {
    return null;
  }
  return cleaned.join("").match(/.{4}/g).join("-");
}

/* crypto.receipt_lookup_token: what the browser sends instead of the code. */
export function receiptLookupToken(normalisedCode) {
  return hkdf(encoder.encode(normalisedCode), "meldestelle/v1/receipt-lookup", "lookup");
}

/* crypto.receipt_kek: the key the case key is wrapped under for the reporter. */
export function receiptKek(normalisedCode, binding) {
  return hkdf(encoder.encode(normalisedCode), binding, "receipt");
}

/* crypto.decrypt: throws on a wrong key, case or purpose, or altered bytes. */
export async function decrypt(rawKey, ciphertext, binding, purpose) {
  if (ciphertext.length < 1 + 12 + 16 || ciphertext[0] !== 1) {
    throw new Error("malformed ciphertext");
  }
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]);
  const additionalData = encoder.encode(`meldestelle/v1|${binding}|${purpose}`);
  return new Uint8Array(await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: ciphertext.subarray(1, 13), additionalData }, key, ciphertext.subarray(13),
  ));
}

/* reporting.traces.unpad: the text `pad` was given; data without the header comes back as it is. */
export function unpad(data) {
  const header = encoder.encode("\u0000pad1");
  if (data.length < 9 || !header.every((byte, i) => data[i] === byte)) {
    return data;
  }
  const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(5);
  if (9 + length > data.length) {
    throw new Error("padded plaintext is shorter than its length says");
  }
  return data.subarray(9, 9 + length);
}

/* The random id a reply encrypted here is bound to ("message:<seal id>"): 32 hex digits. */
export function newSealId() {
  return [...random(16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
