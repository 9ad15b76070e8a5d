"""Load the demo (idempotent): fictional organisations, logins, example statistics."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from counselling.demo import demo_logins_path, load_demo


class Command(BaseCommand):
    help = "Load demo organisations (marked as demo), staff logins and example statistics."

    def handle(self, *args: Any, **options: Any) -> None:
        lines = load_demo()
        path = demo_logins_path()
        if lines:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            path.chmod(0o600)
        if path.exists():
            self.stdout.write("Demo logins (kept in .local/demo_logins.txt, for this machine only):")
            self.stdout.write(path.read_text(encoding="utf-8"))
        else:
            self.stdout.write("Demo data present; no demo logins recorded on this machine.")
