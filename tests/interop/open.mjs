// JavaScript opens (tests/interop/test_interop.py): what reporting/crypto.py sealed, opened with
// static_src/formats.js only (unseal, decrypt, unpad, hkdf). Prints what it found as JSON; the
// Python test compares it with what was sealed. Also tries the case key under another purpose
// and another binding, which must both be refused.
//   node tests/interop/open.mjs tests/interop/vectors.json SEALED.json
import { readFileSync } from "node:fs";

import { XWing } from "@hpke/hybridkem-x-wing";

import { decrypt, encoder, fromBase64, hkdf, toBase64, unpad, unseal } from "../../static_src/formats.js";

const vector = JSON.parse(readFileSync(process.argv[2], "utf8"));
const sealed = JSON.parse(readFileSync(process.argv[3], "utf8"));
const seed = Uint8Array.from(Buffer.from(vector.key.seed, "hex"));
const binding = vector.binding;
const hex = (bytes) => Buffer.from(bytes).toString("hex");

async function refused(action) {
  try {
    await action();
    return false;
  } catch {
    return true;
  }
}

const caseKey = await unseal(seed, fromBase64(sealed.sealed_case_key), binding, "case-key");
const internalKey = await unseal(seed, fromBase64(sealed.sealed_internal_key), binding, "internal-key");
const padded = await decrypt(caseKey, fromBase64(sealed.report), binding, "report");
const report = JSON.parse(new TextDecoder().decode(unpad(padded)));
const code = sealed.code;
const receiptKek = await hkdf(encoder.encode(code), binding, "receipt");
const wrapped = await decrypt(receiptKek, fromBase64(sealed.reporter_wrap), binding, "reporter-wrap");
const lookupToken = await hkdf(encoder.encode(code), "meldestelle/v1/receipt-lookup", "lookup");

const { publicKey } = await new XWing().generateKeyPairDerand(seed);

process.stdout.write(JSON.stringify({
  public_key: toBase64(new Uint8Array(await new XWing().serializePublicKey(publicKey))),
  case_key: hex(caseKey),
  internal_key: hex(internalKey),
  padded_length: padded.length,
  report,
  reporter_wrap_case_key: hex(wrapped),
  lookup_token: hex(lookupToken),
  refused: {
    report_as_other_purpose: await refused(() => decrypt(caseKey, fromBase64(sealed.report), binding, "message")),
    report_in_other_case: await refused(() => decrypt(caseKey, fromBase64(sealed.report), `${binding}x`, "report")),
    case_key_as_internal_key: await refused(() => unseal(seed, fromBase64(sealed.sealed_case_key), binding, "internal-key")),
  },
}));
