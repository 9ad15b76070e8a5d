"""Print the published hashes of the browser's encryption modules (`make seal-hash`).

For each static_build/bundle/*.js: the path it is served at, its SHA-256 (as `sha256sum`
prints it) and its Subresource Integrity value (sha384, base64), which the report form puts in
its <script integrity>. docs/deployment.md says how anyone checks a served script against
them. If collectstatic's copy (STATIC_ROOT) differs from the build, says so and exits 1: the
browser would then refuse the served script and the form would fall back to server-side
encryption.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.templatetags.static import static

from reporting.bundle import bundle_hash, bundle_hashes


class Command(BaseCommand):
    help = "Print the SHA-256 and SRI (sha384) hashes of the browser's encryption modules."

    def handle(self, *args: Any, **options: Any) -> None:
        hashes = bundle_hashes()
        if not hashes:
            raise CommandError("No module in static_build/bundle/: `make install` builds them.")
        stale = []
        for built in hashes:
            self.stdout.write(f"{static('bundle/' + built.name)}\n  sha256 {built.sha256}\n"
                              f"  integrity {built.integrity}\n  bytes {built.size}")
            collected = Path(settings.STATIC_ROOT) / "bundle" / built.name
            if collected.is_file() and bundle_hash(collected).sha256 != built.sha256:
                stale.append(str(collected))
        if stale:
            raise CommandError("collectstatic's copy differs from the build (run `manage.py collectstatic`): "
                               + ", ".join(stale))
