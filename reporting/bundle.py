"""The browser's encryption modules (static_build/bundle/*.js, SPEC §3.10) and their hashes.

The hashes are published (docs/deployment.md, `make seal-hash`) so that anyone can check that
the script the server sends is the one built from the pinned packages, and the report form loads
the module with its Subresource Integrity hash: a file that differs from the one this process
hashed (a half-finished deploy, a tampered static file, a cache in between) is not run by the
browser, and the form then works as without JavaScript (encryption on the server). This does
not protect against a server under an attacker's control, which can change the page as well;
the privacy page says so.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class BundleHash:
    name: str  # "seal.js": served as {% static 'bundle/seal.js' %}
    sha256: str  # hex, as `sha256sum` prints it
    integrity: str  # "sha384-<base64>", the value of the <script integrity> attribute
    size: int


_cache: dict[Path, tuple[tuple[int, int], BundleHash]] = {}


def bundle_dir() -> Path:
    return Path(settings.SEAL_BUNDLE).parent


def bundle_hash(path: Path) -> BundleHash:
    """The hashes of one built module; computed once per process and file version."""
    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    data = path.read_bytes()
    computed = BundleHash(
        name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        integrity="sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode(),
        size=len(data),
    )
    _cache[path] = (version, computed)
    return computed


def bundle_hashes() -> list[BundleHash]:
    """Every built module, by name; empty before `make install` built them."""
    folder = bundle_dir()
    return [bundle_hash(path) for path in sorted(folder.glob("*.js"))] if folder.is_dir() else []


def bundle_integrity(name: str) -> str:
    """The integrity attribute of bundle/<name>, or "" when it is not built."""
    path = bundle_dir() / "".join(name)  # a plain str: a SafeString from a template is no path part
    return bundle_hash(path).integrity if path.is_file() else ""
