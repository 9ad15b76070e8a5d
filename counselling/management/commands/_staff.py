"""Shared parts of the staff-account commands."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import CommandError

from counselling.services import NewMember


def read_password() -> str:
    password = os.environ.get("MELDESTELLE_PASSWORD")
    if not password:
        if sys.stdin is None or sys.stdin.isatty():
            import getpass

            password = getpass.getpass("Password: ")
        else:
            password = sys.stdin.readline().rstrip("\n")
    if not password or len(password) < 10:
        raise CommandError("The password must have at least 10 characters (stdin or MELDESTELLE_PASSWORD).")
    return password


def print_totp(command: Any, created: NewMember) -> None:
    command.stdout.write(f"Created {created.membership.user.username}.")
    command.stdout.write("TOTP provisioning URI (scan it into an authenticator app):")
    command.stdout.write(f"    {created.totp_device.config_url}")
