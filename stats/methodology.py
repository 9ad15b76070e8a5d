"""The counting rules and the disclosure method, in plain words.

The English text is frozen into every publication (so a reader of an old version knows the
rules that applied); the pages show the same rules translated (templates/stats/_methodology.html).
Both are built from ``methodology_facts``, so the numbers in them (k, the districts and
regions, the provisional schedule) are the ones the code uses; tests/stats/test_methodology.py
holds text, page and settings together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stats import presentation, selectors, tables

# 2: one neutral label for every hidden figure, blank tables, geography fixed per year,
# protection across all releases of a year with an integer-programming audit, scheduled
# provisional releases instead of a live view.
# 3: consent by purpose (a withdrawal leaves later releases and exports, frozen ones stay) and
# the public chronicle stated.
METHODOLOGY_VERSION = 3

# The sentence on provisional releases, per STATS_PROVISIONAL_SCHEDULE.
_SCHEDULE_TEXT = {
    "quarterly": (
        "While a year is running, provisional figures are published every quarter, on the "
        "first day of the quarter."
    ),
    "monthly": (
        "While a year is running, provisional figures are published every month, on the "
        "first day of the month."
    ),
    "off": "At present no provisional figures are published while a year is running.",
}


def methodology_facts(*, k: int | None = None) -> dict[str, Any]:
    """The numbers and names the methodology states, from the settings and the code."""
    k = selectors.min_cell() if k is None else k
    regions = tables.region_names()
    return {
        "k": k,
        "k_minus_one": k - 1,
        "district_count": len(tables.district_keys()),
        "region_count": len(regions),
        "region_names": ", ".join(regions[code] for code in sorted(regions)),
        "schedule": selectors.provisional_schedule(),
        "methodology_version": METHODOLOGY_VERSION,
        "suppressed_mark": presentation.SUPPRESSED_MARK,
    }


def methodology_text(
    *, k: int, schedule: str | None = None, audit: Mapping[str, Any] | None = None
) -> str:
    """The English text frozen into a release; with ``audit`` (the summary of the release's
    own check) it ends with what the check found."""
    facts = methodology_facts(k=k)
    if schedule is not None:
        facts["schedule"] = schedule
    schedule_text = _SCHEDULE_TEXT[facts["schedule"]]
    return f"""Counting rules (methodology version {METHODOLOGY_VERSION})

1. The unit is the incident, not the report. Every report belongs to one incident. When
   several reports describe the same incident, counsellors mark them as duplicates: they then
   share one incident with one statistics record, and the incident is counted once. The
   record stays when one of the reports is deleted, so a deletion neither removes the
   incident nor counts it twice.
2. Incidents are counted in the year (and month) in which they happened. If the date of the
   incident is unknown, the date the report was received is used.
3. Only incidents that a counsellor has classified are counted; if an incident is classified
   again, its last classification counts. Reports that were rejected (not relevant, spam) are
   never counted.
4. An incident with several motives counts once in the total and once under each of its
   motives, so the motive figures add up to more than the total.
5. Antisemitism forms are counted among antisemitic incidents only; an incident may show
   several forms.
6. The number of people affected is recorded but not published.

Protecting the people concerned (disclosure control)

7. No figure from 1 to {k - 1} is published. Every figure that is not published, whatever the
   reason, is shown the same way: "not published to protect individuals" (in the data: an
   empty value or null, with suppressed = true). A hidden figure may be small or large.
8. When a table has a hidden figure, more figures of that table are hidden with it: at least
   the smallest of the other figures above zero, and every figure of the same size, so that
   hidden figures cannot be worked out from the others and the total.
9. Zeros are shown except in a table where every figure is hidden: when a table has figures
   from 1 to {k - 1} and no figure of {k} or more that could be hidden with them, all its
   figures are hidden, zeros included. If a year has from 1 to {k - 1} incidents in total,
   all its figures are hidden, zeros included.
10. Places are shown for the {facts["district_count"]} districts, or, if more than half of
    the districts with incidents would have to be hidden, for the {facts["region_count"]}
    statistical regions of Lower Saxony ({facts["region_names"]}), with "online" and "place
    unknown" beside them. This choice is made with the first release of a year and is never
    switched in a later release of that year.

Releases of a year

11. A release is anything published for a year: the annual release, each correction and each
    provisional release. Released figures are frozen and never change; a correction is a new
    version with a note that explains the change. All versions stay available.
12. The protection holds against all releases of a year taken together, not one release at a
    time: a figure hidden in one release stays hidden in every later release of that year,
    unless the check (13) shows that publishing it narrows no figure hidden before.
13. Before each release, an automatic check (an integer-programming audit) looks at all
    releases of the year together: every table, the totals, the bounds between the motive
    figures and the total, and the size of each change between releases, which it assumes to
    be known. It checks that every hidden figure still has at least {k} possible values. If
    not, more figures are hidden or the release is refused. If the check does not finish in
    time, the release is refused. The result of the check is stored with the release.
14. {schedule_text} A provisional release is a frozen snapshot of the incidents classified so
    far, checked in the same way as every other release. Final figures come with the annual
    release. There are no live figures.

Consent and the public chronicle

15. Reporters decide by purpose what may happen with their report: in the form, and later
    with their receipt code. For a case recorded by hand (phone, in person, letter) the
    counsellor enters what the person said, and enters any later change. An incident is
    counted only while every report of it consents to the anonymous statistics; an
    anonymised record of it (codes only) goes to a monitoring network such as RIAS only
    while every report of it consents to that. Withdrawn consent takes the incident out of
    every later release and every later export. Releases and exports made before the
    withdrawal stay as they were: published figures are frozen (11).
16. The public chronicle shows short anonymised descriptions of incidents, with the year and
    month only. A counsellor drafts one only for a report whose reporter agreed to
    publication, leaving out names, exact places and dates; it is published only after the
    reporter approved it with their receipt code. When the reporter withdraws that consent or
    deletes the report, the description leaves the chronicle at once. The chronicle is not
    part of the statistics.
""" + (_audit_paragraph(audit) if audit is not None else "")


def _audit_paragraph(audit: Mapping[str, Any]) -> str:
    return f"""
The check of this release

17. The check covered this release and every earlier release of its year: it examined
    {audit.get("cells_audited", 0)} hidden figures in {audit.get("seconds", 0)} seconds. Every
    hidden figure keeps at least {audit.get("min_values")} possible values; no hidden figure
    can be worked out.
"""
