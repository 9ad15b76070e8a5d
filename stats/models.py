"""Statistics records and publications (SPEC §6)."""

from __future__ import annotations
