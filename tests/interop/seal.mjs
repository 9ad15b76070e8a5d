// JavaScript seals (tests/interop/test_interop.py): static_src/formats.js's sealReport, the
// function the report form runs, seals the vector's report to the vector's public key under the
// vector's binding; prints {sealed, code} as JSON for Python to open with reporting/crypto.py.
//   node tests/interop/seal.mjs tests/interop/vectors.json
import { readFileSync } from "node:fs";

import { sealReport } from "../../static_src/formats.js";

const vector = JSON.parse(readFileSync(process.argv[2], "utf8"));
const offer = { token: "interop-token", binding: vector.binding, public_key: vector.key.public_key };
const { sealed, code } = await sealReport(offer, { content: vector.report, plain: { consent: true } });
process.stdout.write(JSON.stringify({ sealed, code }));
