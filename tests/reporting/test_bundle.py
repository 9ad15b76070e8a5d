"""The browser's encryption module is sent with its Subresource Integrity hash, and `make
seal-hash` (manage.py seal_hash) prints the hashes docs/deployment.md publishes (SPEC §3.10,
issue 17). Every hash here is computed again with hashlib from the file, independently of
reporting.bundle."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r'<script src="(?P<src>[^"]*bundle/seal\.js)" integrity="(?P<integrity>[^"]+)" defer></script>')


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _form_script(client: Any) -> re.Match[str]:
    response = client.get("/de/report/")
    assert response.status_code == 200
    found = SCRIPT.search(response.content.decode())
    assert found is not None, "the report form does not load bundle/seal.js with an integrity hash"
    return found


def test_the_report_form_loads_the_built_module_with_its_integrity_hash(client: Any, settings: Any) -> None:
    if not settings.SEAL_BUNDLE.is_file():
        pytest.fail("static_build/bundle/seal.js is missing: `make install` builds it")
    found = _form_script(client)
    assert found["integrity"] == _sri(settings.SEAL_BUNDLE.read_bytes())
    # the file the static files serve under that name is the one hashed
    served = finders.find("bundle/seal.js")
    assert served is not None and _sri(Path(served).read_bytes()) == found["integrity"]


def test_a_rebuilt_module_gets_its_new_hash_and_without_one_there_is_no_script(
    client: Any, settings: Any, tmp_path: Path,
) -> None:
    bundle = tmp_path / "bundle" / "seal.js"
    bundle.parent.mkdir()
    bundle.write_bytes(b"console.log('first build');\n")
    settings.SEAL_BUNDLE = bundle
    assert _form_script(client)["integrity"] == _sri(b"console.log('first build');\n")
    bundle.write_bytes(b"console.log('second build, longer');\n")
    os.utime(bundle, ns=(1, 2))  # a new version even where the clock is coarse
    assert _form_script(client)["integrity"] == _sri(b"console.log('second build, longer');\n")
    bundle.unlink()
    page = client.get("/de/report/").content.decode()
    assert "bundle/seal.js" not in page and "data-seal-bind" not in page  # the form as without JavaScript


def test_seal_hash_prints_each_modules_sha256_and_integrity(settings: Any, tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    folder.mkdir()
    modules = {"seal.js": b"/* seal */\n", "other.js": b"/* another entry point */\n"}
    for name, data in modules.items():
        (folder / name).write_bytes(data)
    settings.SEAL_BUNDLE = folder / "seal.js"
    settings.STATIC_ROOT = tmp_path / "collected"
    out = io.StringIO()
    call_command("seal_hash", stdout=out)
    for name, data in modules.items():
        assert f"/static/bundle/{name}\n  sha256 {hashlib.sha256(data).hexdigest()}\n  integrity {_sri(data)}" \
            in out.getvalue()


def test_seal_hash_refuses_when_the_collected_copy_differs_from_the_build(settings: Any, tmp_path: Path) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "seal.js").write_bytes(b"/* new build */\n")
    (tmp_path / "collected" / "bundle").mkdir(parents=True)
    (tmp_path / "collected" / "bundle" / "seal.js").write_bytes(b"/* old build */\n")
    settings.SEAL_BUNDLE = tmp_path / "bundle" / "seal.js"
    settings.STATIC_ROOT = tmp_path / "collected"
    with pytest.raises(CommandError, match="collectstatic"):
        call_command("seal_hash", stdout=io.StringIO())
    (tmp_path / "bundle").rename(tmp_path / "gone")
    with pytest.raises(CommandError, match="make install"):
        call_command("seal_hash", stdout=io.StringIO())
