"""The privacy documents in docs/privacy/ are what `make privacy-docs` writes from the code today
(issue 18), in German and English, and each says what an organisation must complete."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from privacy import documents, registry
from privacy.catalogue import KEYS, RETENTION
from privacy.risks import RISKS

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "privacy"


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.md"))}


def test_committed_privacy_documents_are_current(tmp_path: Path) -> None:
    call_command("privacy_docs", output=tmp_path)
    fresh, committed = _tree(tmp_path), _tree(COMMITTED)

    stale = sorted(path for path in fresh.keys() | committed.keys() if fresh.get(path) != committed.get(path))
    first = stale[0] if stale else ""
    diff = "\n".join(list(difflib.unified_diff(
        committed.get(first, "").splitlines(), fresh.get(first, "").splitlines(),
        f"committed/{first}", f"generated/{first}", lineterm="",
    ))[:40])
    assert stale == [], f"docs/privacy/ is out of date: run `make privacy-docs` and commit. Differs: {stale}\n{diff}"


def test_check_command_passes_on_fresh_documents_and_fails_on_a_stale_one(tmp_path: Path) -> None:
    call_command("privacy_docs", output=tmp_path)
    call_command("privacy_docs", "--check", output=tmp_path)

    record = tmp_path / "en" / documents.DOCUMENTS["record"]["en"]
    record.write_text(record.read_text(encoding="utf-8") + "\nEdited by hand.\n", encoding="utf-8")
    (tmp_path / "en" / "left-over.md").write_text("old", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("privacy_docs", "--check", output=tmp_path)
    assert "make privacy-docs" in str(refused.value)
    assert f"en/{record.name}: out of date" in str(refused.value)
    assert "en/left-over.md: no longer generated" in str(refused.value)

    call_command("privacy_docs", output=tmp_path)  # writing again removes what is not generated
    assert not (tmp_path / "en" / "left-over.md").exists()


@pytest.mark.parametrize("language", documents.LANGUAGES)
@pytest.mark.parametrize("document", ["record", "deletion", "toms", "dpia"])
def test_each_document_says_what_the_organisation_must_complete(document: str, language: str) -> None:
    text = documents.render(document, language)
    heading = "## Von Ihrer Organisation zu ergänzen" if language == "de" else "## To be completed by your organisation"
    assert heading in text
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    items = [line for line in section.splitlines() if line.startswith("- **O")]
    assert items, "each document has parts only the organisation can fill in"
    for number in range(1, len(items) + 1):
        assert f"⟦O{number}: " in text.split(heading, 1)[1], f"O{number} is listed but not placed in the text"


@pytest.mark.parametrize("language", documents.LANGUAGES)
def test_documents_state_the_facts_of_the_inventory(language: str) -> None:
    rendered = {document: documents.render(document, language) for document in documents.DOCUMENTS}
    inventory = rendered["inventory"]
    for item in registry.resolved():
        heading = f"### `{item.owner}`" if item.section == "model" else ""
        name = item.name.replace("|", "\\|")  # as a Markdown table cell spells it
        assert heading in inventory and f"`{name}`" in inventory, item.label
    for rule in RETENTION.values():
        assert rule.name.get(language) in rendered["deletion"]
        for mechanism in rule.mechanisms:
            assert f"`{mechanism}`" in rendered["deletion"]
    for key in KEYS.values():
        assert key.name.get(language) in rendered["toms"]
    for risk_id, risk in RISKS.items():
        assert f"| {risk_id} |" in rendered["dpia"] and risk.status.label.get(language) in rendered["dpia"]


def test_a_template_that_names_a_missing_fact_fails_to_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "record.md").write_text("{{ no_such_fact }}", encoding="utf-8")
    monkeypatch.setattr(documents, "TEMPLATES", tmp_path)
    with pytest.raises(ValueError, match="no_such_fact"):
        documents.render("record", "en")
