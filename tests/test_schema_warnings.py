"""The OpenAPI schema builds without a warning (issue 20): every choice set that two fields share
or that collides by name has its name in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"], so client
generators get stable enum names (no ``Channel540Enum``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.core.management import call_command


def test_the_schema_validates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    # --fail-on-warn raises SchemaGenerationError on the first warning of the run.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    components = yaml.safe_load(target.read_text(encoding="utf-8"))["components"]["schemas"]
    for name in ("ChannelEnum", "ManualChannelEnum", "LanguageEnum"):
        assert name in components
    assert not [name for name in components if re.fullmatch(r".*\d+Enum", name)]  # no numbered fallbacks
