"""The counting rules and the disclosure method, in plain words.

The English text is frozen into every publication (so a reader of an old version knows the
rules that applied); the pages show the same rules translated (templates/stats/_methodology.html).
"""

from __future__ import annotations

METHODOLOGY_VERSION = 1


def methodology_text(*, k: int) -> str:
    return f"""Counting rules (methodology version {METHODOLOGY_VERSION})

1. The unit is the incident, not the report. When several reports describe the same incident,
   counsellors mark them as duplicates and the incident is counted once.
2. Incidents are counted in the year (and month) in which they happened. If the date of the
   incident is unknown, the date the report was received is used.
3. Only incidents that a counsellor has classified are counted. Reports that were rejected
   (not relevant, spam) are never counted.
4. An incident with several motives counts once in the total and once under each of its
   motives, so the motive figures add up to more than the total.
5. Antisemitism forms are counted among antisemitic incidents only; an incident may show
   several forms.

Protecting the people concerned (disclosure control)

6. No figure between 1 and {k - 1} is published: such a cell shows "fewer than {k}"
   (null with a suppression flag in the data). Zeros are shown.
7. If one figure in a table is hidden, at least one more figure (the next smallest) is hidden
   too, so no hidden figure can be worked out by subtracting the others from the total.
   If a year has fewer than {k} incidents, all its figures are hidden.
8. If too many districts would have to be hidden, the map and the table show the four
   statistical regions of Lower Saxony instead of the 45 districts.

Versions

9. Published figures are frozen. A correction is published as a new version with a note that
   explains the change; all versions stay available.
10. The current year may be shown as provisional: computed from the classified incidents so
    far, with the same protection, and it changes until it is published.
"""
