"""The counting invariant of SPEC §6 under random histories (issue 11).

A hypothesis state machine submits reports and works them the way counsellors, the retention
task and reporters do - classify, reclassify, mark and unmark duplicates, reject, reopen,
transfer, delete, purge, self-delete - through the services and the staff and reporter APIs.
After every step the internal tables of both years equal an oracle written here, which knows
nothing of the project's incidents or tables; publishing compares every published cell too.

The seed is printed; set ``ORACLE_SEED`` to replay it, ``ORACLE_EXAMPLES`` for more examples.
"""

from __future__ import annotations

import csv
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    get_state_machine_test,
    invariant,
    precondition,
    rule,
)

from counselling.retention import retention_purge
from reporting.services import ReportInput, ServiceError, case_transfer, report_submit
from stats.selectors import DashboardFilter, internal_tables
from stats.services import Classification, incident_records_import, statistics_publish
from tests.helpers import logged_in

YEAR = timezone.localdate().year - 1
YEARS = (YEAR, YEAR - 1)
EXAMPLES = int(os.environ.get("ORACLE_EXAMPLES", "200"))
SEED = int(os.environ.get("ORACLE_SEED") or random.SystemRandom().randrange(2**32))

DISTRICTS = ("03241", "03101", "03459", "online")
TYPES = ("assault", "threat", "offensive_behaviour")
MOTIVES = ("racism", "antisemitism", "xenophobia")
FORMS = ("modern", "israel_related")
AREAS = ("public_space", "work")
CHANNELS = ("online_form", "phone")
CLOSING = {"closed", "rejected", "referred"}
# Background incidents (recorded without cases), so a year has enough to publish cells.
BACKGROUND = [
    dict(incident_type=TYPES[i % 3], motives=(MOTIVES[i % 3],), district=DISTRICTS[i % 2],
         area_of_life=AREAS[i % 2], channel=CHANNELS[0], month=1 + i % 4, year=YEAR,
         antisemitism_forms=("modern",) if MOTIVES[i % 3] == "antisemitism" else ())
    for i in range(14)
]


def _regions() -> dict[str, str]:
    path = Path(__file__).resolve().parents[2] / "reporting" / "data" / "districts.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["ags"]: row["nuts2"] for row in csv.DictReader(fh)}


REGION_OF = _regions()


# ------------------------------------------------------------------------------ the oracle


@dataclass
class Group:
    """An incident as the oracle sees it: its cases, its last classification, whether it counts."""

    cases: set[int] = field(default_factory=set)
    values: dict[str, Any] | None = None
    counts: bool = True


@dataclass
class OracleCase:
    pk: int
    reference: str
    receipt: str
    org: str
    group: int
    status: str = "new"
    duplicate_of: int | None = None
    alive: bool = True


class Oracle:
    def __init__(self) -> None:
        self.groups: dict[int, Group] = {}
        self.cases: dict[int, OracleCase] = {}
        self._next = 0

    def new_group(self, *, counts: bool = True, values: dict[str, Any] | None = None) -> int:
        self._next += 1
        self.groups[self._next] = Group(values=values, counts=counts)
        return self._next

    def refresh(self, gid: int) -> None:
        group = self.groups[gid]
        if group.cases:
            group.counts = any(self.cases[c].status != "rejected" for c in group.cases)

    def add_case(self, case: OracleCase) -> None:
        self.cases[case.pk] = case
        self.groups[case.group].cases.add(case.pk)

    def move(self, case: OracleCase, to_gid: int) -> None:
        old = case.group
        self.groups[old].cases.discard(case.pk)
        case.group = to_gid
        self.groups[to_gid].cases.add(case.pk)
        if not self.groups[old].cases:
            if self.groups[to_gid].values is None:
                self.groups[to_gid].values = self.groups[old].values
            del self.groups[old]
        else:
            self.refresh(old)
        self.refresh(to_gid)

    def remove(self, case: OracleCase) -> None:
        case.alive = False
        group = self.groups[case.group]
        group.cases.discard(case.pk)
        self.refresh(case.group)
        for other in self.cases.values():
            if other.duplicate_of == case.pk:
                other.duplicate_of = None

    def tables(self, year: int) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {name: Counter() for name in (
            "total", "incident_type", "area_of_life", "month", "district", "region", "channel",
            "motive", "antisemitism_form")}
        for group in self.groups.values():
            v = group.values
            if v is None or not group.counts or v["year"] != year:
                continue
            out["total"]["all"] += 1
            for name in ("incident_type", "area_of_life", "district", "channel"):
                out[name][v[name]] += 1
            out["month"][str(v["month"])] += 1
            out["region"][REGION_OF.get(v["district"], v["district"])] += 1
            for motive in set(v["motives"]):
                out["motive"][motive] += 1
            if "antisemitism" in v["motives"]:
                for form in set(v["antisemitism_forms"]):
                    out["antisemitism_form"][form] += 1
        return out


def _as_counters(published: dict[str, Any]) -> dict[str, dict[str, int | None]]:
    """Cell values of a tables dict (internal or public): table -> key -> value (None if hidden)."""
    out: dict[str, dict[str, int | None]] = {"total": {"all": published["total"]["value"]}}
    for name, table in published["tables"].items():
        out[name] = {cell["key"]: cell["value"] for cell in table["cells"]}
    return out


def _assert_equal(actual: dict[str, dict[str, int | None]], expected: dict[str, Counter[str]],
                  *, skip_hidden: bool) -> None:
    for name, cells in actual.items():
        for key, value in cells.items():
            if value is None and skip_hidden:
                continue
            assert value == expected[name].get(key, 0), (name, key, value, expected[name].get(key, 0))


# ------------------------------------------------------------------------- the machine

# How often each step ran with an effect, printed at the end: a history that never marks a
# duplicate or purges would prove little.
STEPS: Counter[str] = Counter()


values_strategy = st.fixed_dictionaries({
    "incident_type": st.sampled_from(TYPES),
    "motives": st.lists(st.sampled_from(MOTIVES), min_size=1, max_size=2, unique=True),
    "antisemitism_forms": st.lists(st.sampled_from(FORMS), max_size=2, unique=True),
    "district": st.sampled_from(DISTRICTS),
    "area_of_life": st.sampled_from(AREAS),
    "channel": st.sampled_from(CHANNELS),
    "year": st.sampled_from(YEARS),
    "month": st.integers(1, 12),
})


class CountingMachine(RuleBasedStateMachine):
    orgs: dict[str, Any]
    clients: dict[str, Client]

    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.oracle = Oracle()
        self.publications = 0
        incident_records_import(
            actor=None, is_demo=False,
            rows=[(Classification(people_affected=None, **row), None) for row in BACKGROUND],
        )
        for row in BACKGROUND:
            values = {**row, "motives": list(row["motives"]),
                      "antisemitism_forms": list(row["antisemitism_forms"])}
            self.oracle.new_group(values=values)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers

    def _api(self, case: OracleCase, path: str, body: dict[str, Any]) -> Any:
        return self.clients[case.org].post(
            f"/api/v1/cases/{case.pk}/{path}/", body, content_type="application/json"
        )

    # -- rules

    @rule(target=cases, org=st.sampled_from(("a", "b")))
    def submit(self, org: str) -> OracleCase:
        STEPS["submit"] += 1
        submitted = report_submit(report=ReportInput(
            description="oracle", district="03241", motives=["racism"],
            partner=self.orgs[org].organisation.slug,
        ))
        assert submitted.case.organisation_id == self.orgs[org].organisation.pk
        case = OracleCase(pk=submitted.case.pk, reference=submitted.case.reference,
                          receipt=submitted.receipt_code or "", org=org,
                          group=self.oracle.new_group())
        self.oracle.add_case(case)
        return case

    @rule(case=cases, values=values_strategy)
    def classify(self, case: OracleCase, values: dict[str, Any]) -> None:
        if not case.alive:
            return
        STEPS["classify"] += 1
        response = self._api(case, "classification", values)
        assert response.status_code in (200, 201), response.content
        stored = dict(values, motives=sorted(values["motives"]))
        if "antisemitism" not in values["motives"]:
            stored["antisemitism_forms"] = []
        self.oracle.groups[case.group].values = stored

    @rule(case=cases, original=cases)
    def mark_duplicate(self, case: OracleCase, original: OracleCase) -> None:
        if not (case.alive and original.alive):
            return
        response = self._api(case, "duplicate", {"original": original.reference})
        refused = (case.pk == original.pk or case.org != original.org
                   or original.duplicate_of == case.pk)
        if refused:
            assert response.status_code == 400, response.content
            return
        assert response.status_code == 200, response.content
        STEPS["mark_duplicate"] += 1
        case.duplicate_of = original.pk
        if case.group != original.group:
            self.oracle.move(case, original.group)

    @rule(case=cases)
    def unmark_duplicate(self, case: OracleCase) -> None:
        if not case.alive:
            return
        response = self._api(case, "duplicate", {"original": None})
        if case.duplicate_of is None:
            assert response.status_code == 400, response.content
            return
        assert response.status_code == 200, response.content
        STEPS["unmark_duplicate"] += 1
        case.duplicate_of = None
        self.oracle.move(case, self.oracle.new_group(counts=case.status != "rejected"))

    @rule(case=cases, status=st.sampled_from(("rejected", "in_progress", "closed", "referred")))
    def set_status(self, case: OracleCase, status: str) -> None:
        if not case.alive:
            return
        STEPS["set_status"] += 1
        response = self._api(case, "status", {"status": status})
        assert response.status_code == 200, response.content
        case.status = status
        self.oracle.refresh(case.group)

    @rule(case=cases, keep_copy=st.booleans())
    def transfer(self, case: OracleCase, keep_copy: bool) -> None:
        if not case.alive:
            return
        STEPS["transfer"] += 1
        target = "b" if case.org == "a" else "a"
        from reporting.models import Case

        case_transfer(actor=None, case=Case.objects.get(pk=case.pk),
                      to_organisation=self.orgs[target].organisation,
                      org_private_key=self.orgs[case.org].private_key, keep_copy=keep_copy)
        case.org = target

    @rule(case=cases, by_reporter=st.booleans())
    def delete(self, case: OracleCase, by_reporter: bool) -> None:
        """A counsellor deletes the case now (staff API), or the reporter does (reporter API)."""
        if not case.alive:
            return
        STEPS["reporter_deletes" if by_reporter else "delete"] += 1
        if by_reporter:
            response = Client().post("/api/v1/followup/delete/", {"receipt": case.receipt},
                                     content_type="application/json")
            assert response.status_code == 200, response.content
        else:
            response = self._api(case, "delete", {"reason": "spam", "confirm": True})
            assert response.status_code == 204, response.content
        self.oracle.remove(case)

    @rule()
    def retention_purge(self) -> None:
        due = [c for c in self.oracle.cases.values() if c.alive and c.status in CLOSING]
        assert retention_purge(now=timezone.now() + timedelta(days=400)) == len(due)
        STEPS["retention_purge"] += bool(due)
        for case in due:
            self.oracle.remove(case)

    @precondition(lambda self: self.publications < 2)
    @rule()
    def publish(self) -> None:
        try:
            publication = statistics_publish(actor=None, year=YEAR, note="oracle step")
        except ServiceError:
            return  # refused by the disclosure audit: nothing published, nothing to compare
        self.publications += 1
        STEPS["publish"] += 1
        _assert_equal(_as_counters(publication.tables), self.oracle.tables(YEAR), skip_hidden=True)

    @invariant()
    def internal_tables_equal_the_oracle(self) -> None:
        for year in YEARS:
            internal = internal_tables(DashboardFilter(year=year))
            _assert_equal(_as_counters(internal), self.oracle.tables(year), skip_hidden=False)


@pytest.mark.django_db
def test_published_counts_equal_the_oracle_in_every_history(make_org: Any, make_member: Any) -> None:
    print(f"counting oracle: seed {SEED} (replay with ORACLE_SEED={SEED})")
    org_a = make_org("oracle-a", is_fallback=True)
    org_b = make_org("oracle-b", statewide=True)
    CountingMachine.orgs = {"a": org_a, "b": org_b}
    CountingMachine.clients = {
        name: logged_in(make_member(org), Client()) for name, org in (("a", org_a), ("b", org_b))
    }
    test = get_state_machine_test(
        CountingMachine,
        settings=settings(
            max_examples=EXAMPLES, stateful_step_count=30, deadline=None, database=None,
            print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    seed(SEED)(test)()
    print(f"counting oracle: steps with an effect {dict(STEPS)}")
