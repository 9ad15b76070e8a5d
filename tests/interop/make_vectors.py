"""Write tests/interop/vectors.json, the fixed interoperability vectors (issue 17).

    .venv/bin/python tests/interop/make_vectors.py

Run it only when a format changes on purpose: the committed file is what catches a regression
on either side without randomness. It holds a fixed X-Wing key (the 32-byte seed the browser
library stores; the server's 96-byte form is SHAKE256 of it), a fixed binding and report, what
reporting/crypto.py sealed for them with a fixed case key, internal key and receipt code
(`python_sealed`; HPKE is randomized, so the ciphertexts are fixed by being committed), and
what static_src/formats.js's sealReport sealed under Node (`javascript_sealed`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldestelle.settings_test")
    import django

    django.setup()
    from reporting import crypto
    from tests.helpers import INTEROP_VECTORS, interop_seal, node_run, xwing_private_key

    seed = bytes.fromhex("6d656c64657374656c6c652d696e7465726f702d746573742d6b65792d303031")
    vector = {
        "about": "Fixed interop vectors, written by tests/interop/make_vectors.py; see its docstring.",
        "key": {
            "seed": seed.hex(),
            "private_key": xwing_private_key(seed).hex(),
            "public_key": __import__("base64").b64encode(crypto.public_key_of(xwing_private_key(seed))).decode(),
        },
        "binding": "S-0123456789abcdef0123456789abcdef",
        "report": {
            "description": "Im Bus beschimpft: „Geh zurück!“ – Ärger, Öl, Straße. في الحافلة. 🚌",
            "incident_type": "offensive_behaviour", "occurred_on": "2025-03-14", "occurred_month": "",
            "district": "03241", "area_of_life": "", "place_details": "Linie 100", "motives": ["antisemitism"],
            "role": "", "people_affected": None, "wants_counselling": True, "contact_method": "mailbox",
            "contact_email": "", "contact_phone": "", "channel": "online_form",
        },
    }
    case_key = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
    internal_key = bytes.fromhex("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100")
    vector["python_sealed"] = {
        "case_key": case_key.hex(), "internal_key": internal_key.hex(),
        **interop_seal(public_key=crypto.public_key_of(xwing_private_key(seed)), binding=vector["binding"],
                       content=vector["report"], case_key=case_key, internal_key=internal_key,
                       code="7K3M-Q9ZD-2HPX-4W8N"),
    }
    INTEROP_VECTORS.write_text(json.dumps(vector, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    produced = node_run("seal.mjs", str(INTEROP_VECTORS))
    vector["javascript_sealed"] = {**produced["sealed"], "code": produced["code"]}
    INTEROP_VECTORS.write_text(json.dumps(vector, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {INTEROP_VECTORS.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
