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

// ---- opening (interop, follow-up) -------------------------------------------------------------
// The inverse of the functions above, with the same bindings as reporting/crypto.py. The report
// form does not use them (it only seals); tests/interop/ opens the server's ciphertexts with them,
// and the follow-up page may decrypt with `decrypt`. Each throws on a wrong key, binding, purpose
// or altered bytes; none returns unauthenticated data.

/* crypto.decrypt: the inverse of `encrypt`. */
export async function decrypt(rawKey, blob, binding, purpose) {
  if (blob.length < 1 + 12 + 16 || blob[0] !== 1) {
    throw new Error("malformed ciphertext");
  }
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]);
  const additionalData = encoder.encode(`meldestelle/v1|${binding}|${purpose}`);
  return new Uint8Array(await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: blob.subarray(1, 13), additionalData }, key, blob.subarray(13),
  ));
}

/* crypto.unseal: the inverse of `seal`. `privateKey` is the 32-byte X-Wing seed (draft-06); the
   server stores the same key expanded (SHAKE256(seed, 96): ML-KEM-768 seed, X25519 key). */
export async function unseal(privateKey, blob, binding, purpose) {
  const suite = new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const recipientKey = await suite.kem.deserializePrivateKey(privateKey);
  const info = encoder.encode(`meldestelle/v1/seal|${binding}|${purpose}`);
  const encLength = 1120;
  if (blob.length < encLength + 16) {
    throw new Error("malformed seal");
  }
  const enc = blob.slice(0, encLength);
  return new Uint8Array(await suite.open({ recipientKey, enc, info }, blob.slice(encLength)));
}

/* reporting.traces.unpad: the inverse of `pad`; bytes without the padding header come back
   unchanged, as there. */
export function unpad(padded) {
  const header = encoder.encode("\u0000pad1");
  if (padded.length < 9 || !header.every((byte, i) => padded[i] === byte)) {
    return padded;
  }
  const length = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(5);
  if (9 + length > padded.length) {
    throw new Error("not padded");
  }
  return padded.slice(9, 9 + length);
}
