"""Counting and statistical disclosure control for the public annual statistics.

This module needs no database and no request (its only import from the project is the
taxonomy, the one source of the codes): it turns classified incidents into the tables that
are frozen into a public snapshot, and it is the one place where the disclosure rules live,
so they can be tested exhaustively.

Pipeline::

    counts = aggregate(records, year=2025)       # one pass, collections.Counter
    published = publish(counts, year=2025, k=3)  # disclosure control of one release
    internal = publish_internal(counts, year=2025)  # same shape, nothing hidden

``build_tables`` and ``build_tables_internal`` are the two steps in one call.  Both
share the single counting function, so the public and the internal numbers can never
drift apart.

``publish`` protects one release on its own.  Anything that is actually released (a
version or a provisional snapshot) goes through ``stats.disclosure.publish_release``,
which calls ``protect_tables`` with the geography of the year's first release and the
cells to keep hidden (rule 6), and audits the result together with every earlier
release of the year.  Each release protected on its own is *not* safe: comparing two
of them, with the size of the change between them, pins cells.

Tables of a year
----------------
* partitions of the grand total (every incident is counted in exactly one cell):
  ``incident_type``, ``area_of_life``, ``month``, ``district`` (45 AGS keys + ``online``
  + ``unknown``; replaced by ``region`` when rolled up) and ``channel``;
* multi-valued tables (an incident counts once under *each* of its codes, so the cells
  do not add up to the total): ``motive`` and ``antisemitism_form`` (the latter only
  among incidents with the motive ``antisemitism``; its "total" is that motive's count).

Every code of a dimension is a cell, zeros included.

Disclosure control
------------------
Rules 1-5 protect one release against an attacker who knows every number of that
release, the rules below, that each partition table adds up to the published grand
total, that a multi-valued table satisfies ``max(cells) <= total <= sum(cells)`` (every
incident has at least one motive), that ``antisemitism_form`` cells are at most the
antisemitism count, and that published zeros are true zeros - so a suppressed cell is
known to be at least 1 (except in a blank table, rule 4, and for a cell kept hidden by
rule 6, which may be 0).

1. **Primary suppression.**  A cell with ``1 <= n < k`` is published as ``None`` with a
   flag.  Zeros are published (except under rules 2, 4 and 6).
2. **Small year.**  If the grand total is ``1 <= n < k``, *every* cell of every table
   (zeros too) and the total are suppressed.  Showing the zeros would otherwise spell
   out the profile of the one or two incidents (the only non-zero month, district,
   type, ...) even with every non-zero count hidden.
3. **Complementary (secondary) suppression.**  In every table that has at least one
   primary cell, all published non-zero cells with the *smallest* value (which is >= k)
   are suppressed as well.  This extends the basic rule "if exactly one cell is
   suppressed, also suppress the next-smallest non-zero cell" in two ways, both for an
   attacker who knows these rules:

   * it applies even when two or more cells are primary: with ``k=3`` and the pair
     ``2, 2`` hidden beside a published total, the attacker knows both are primary
     (otherwise a complementary cell would have been added), that each is ``<= 2`` and
     that they add up to 4 - so both are exactly 2;
   * all cells tied for the smallest value are taken, because picking one of them by
     position would tell the attacker which hidden cell is the complementary one.

   The price of choosing by value: every cell hidden by rules 1 and 3 is smaller than
   the smallest published non-zero cell of its table, and a rule-aware attacker knows
   it.  The bound alone leaves each hidden cell ``k`` or more possible values (the
   complement is ``>= k`` and below that smallest cell), but together with the table
   sum it can narrow cells further; the release audit only models the rule-blind
   bounds (see ``stats.disclosure``).

   Why it works within one release (the *swap argument*): exchange the values of any
   primary cell ``j`` and any complementary cell ``i`` (value ``c >= k``).  The swapped
   data set has the same published numbers, the same table sums and the same ``max``/``sum`` bounds, and
   running these rules on it suppresses exactly the same cells.  So the attacker cannot
   tell the two apart, and every suppressed cell has at least two possible values
   (``p_j < k <= c``).  Zeros are public and thus cannot serve as complementary cells.
   Linear algebra: each partition table with a published total contributes one
   equation ``sum(cells) = total`` whose unknowns are that table's suppressed cells;
   the tables share no unknowns and each equation has at least two unknowns, so no
   unit vector lies in the row space: no suppressed cell is determined by subtraction.
4. **Blank table.**  If a table has primary cells but no published non-zero cell is
   left to serve as complement (all non-zero cells are ``< k``), every cell of that
   table - zeros included - is suppressed.  Then each cell lies somewhere in
   ``0..k-1`` (or the table is indistinguishable from a fully suppressed table of
   non-zero cells), which with ``k >= 3`` leaves at least two values per cell.  This
   replaces "suppress the table total": the total of a partition table is the grand
   total, which the other tables publish anyway.
5. **Regional roll-up.**  If more than half of the non-zero AGS district cells would be
   suppressed (primary + complementary), the ``district`` table is replaced by a
   ``region`` table (the four statistical regions by NUTS-2 code + ``online`` +
   ``unknown``) protected by the same rules.  A release publishes only one of the two:
   both together would add the equations "region = sum of its districts".  The test is
   taken for the *first* release of a year only; later releases get the same geography
   (``geography=`` argument), because one late report can flip the test, and districts
   in one version with regions in the next would give those equations away.
6. **Kept hidden (later releases).**  ``forced`` names cells that must be hidden too:
   every cell hidden in the year's last release, and cells the release audit adds.  They stay hidden whatever their value now, zero included
   (``protect_with``).  A complement is added only where they do not already hide a
   cell ``>= k`` beside the primary cells, or where a forced cell would be the only
   hidden cell of its table.

The motive table is *not* a linear partition of the total, so it adds no equation
with the total.  It still gets complementary suppression: incidents usually have a
single motive, and then ``sum(cells) >= total`` pins a lone hidden cell (total 10,
``racism`` 8 published, ``antisemitism`` hidden: it must be ``>= 2`` and ``< 3``).  A
motive that covers all incidents (cell == total) reveals nothing the total does not.

``k`` must be at least 3: with ``k = 2`` every primary cell is known to be exactly 1.

Input formats for ``aggregate``
-------------------------------
Any iterable of one kind of row (the first row decides):

* ``IncidentRecord`` instances (or any object with the same attribute names);
* mappings with the field names as keys (e.g. ``QuerySet.values(...)``);
  ``antisemitism_forms`` may be missing;
* sequences in ``IncidentRecord`` field order (e.g. ``QuerySet.values_list(...)`` or
  ``dataclasses.astuple``); the trailing ``antisemitism_forms`` may be left out.

``motives`` and ``antisemitism_forms`` may be lists or tuples.  Counting runs in
chunks with C-level ``Counter.update`` per dimension, so no per-row Python objects are
created apart from a small ``(motives, forms)`` key; a million rows take well under a
second.  ``people_affected`` is carried for callers but not tabulated: it is a sum,
not a count, and would need its own disclosure rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import attrgetter, itemgetter
from typing import Any

from reporting import places
from reporting.taxonomy import (
    PLACE_ONLINE,
    PLACE_UNKNOWN,
    AntisemitismForm,
    AreaOfLife,
    Channel,
    IncidentType,
    Motive,
)

# The codes come from the taxonomy (SPEC §2), in its order: the one source of every list.
INCIDENT_TYPES: tuple[str, ...] = tuple(IncidentType.values)
MOTIVES: tuple[str, ...] = tuple(Motive.values)
ANTISEMITISM = Motive.ANTISEMITISM.value
ANTISEMITISM_FORMS: tuple[str, ...] = tuple(AntisemitismForm.values)
AREAS_OF_LIFE: tuple[str, ...] = tuple(AreaOfLife.values)
CHANNELS: tuple[str, ...] = tuple(Channel.values)
MONTHS: tuple[str, ...] = tuple(str(m) for m in range(1, 13))
ONLINE = PLACE_ONLINE
UNKNOWN = PLACE_UNKNOWN

#: Smallest threshold for which the guarantees above hold.
MIN_K = 3

# Partition tables in publication order; "district" may become "region".
PARTITIONS: tuple[str, ...] = ("incident_type", "area_of_life", "month", "district", "channel")

# Field order of IncidentRecord: rows given as tuples follow it (e.g. a DB values_list).
FIELDS: tuple[str, ...] = (
    "year",
    "month",
    "district",
    "incident_type",
    "motives",
    "area_of_life",
    "channel",
    "people_affected",
    "antisemitism_forms",
)

# Rows are pulled from the input in chunks: big enough that the per-chunk overhead
# vanishes, small enough that a DB cursor is never materialised as a whole.
_CHUNK = 16_384


@dataclass(frozen=True)
class IncidentRecord:
    """One classified incident; the unit of every table is the incident."""

    year: int
    month: int  # 1..12
    district: str  # 5-digit AGS key, "online" or "unknown"
    incident_type: str
    motives: tuple[str, ...]
    area_of_life: str
    channel: str
    people_affected: int | None
    antisemitism_forms: tuple[str, ...] = ()


@dataclass
class Cell:
    """A table cell.  ``count`` is the true count and must never leave the server
    when ``suppressed``; ``published`` is what may be shown."""

    key: str
    label_key: str
    count: int
    published: int | None
    suppressed: bool


@dataclass
class Table:
    name: str
    cells: list[Cell]
    total: int | None  # published total of the table's population
    total_suppressed: bool
    rolled_up_to_regions: bool = False


@dataclass
class Counts:
    """Result of the single counting pass; the input of ``publish``."""

    year: int | None
    total: int
    incident_type: Counter[str]
    area_of_life: Counter[str]
    month: Counter[str]
    district: Counter[str]
    channel: Counter[str]
    motive: Counter[str]
    antisemitism_form: Counter[str]
    antisemitic_total: int


# --------------------------------------------------------------------------- districts


def district_keys() -> tuple[str, ...]:
    """The 45 AGS keys of Lower Saxony's districts, in AGS order (reporting.places)."""
    return places.district_keys()


def district_names() -> dict[str, str]:
    return places.district_names()


def district_regions() -> dict[str, str]:
    """AGS key -> NUTS-2 code of its statistical region (DE91..DE94)."""
    return {district.ags: district.nuts2 for district in places.districts()}


def region_keys() -> tuple[str, ...]:
    return tuple(sorted({district.nuts2 for district in places.districts()}))


def region_names() -> dict[str, str]:
    """NUTS-2 code -> name of the statistical region (Braunschweig, Hannover, ...)."""
    return {district.nuts2: district.statistical_region for district in places.districts()}


def _table_keys(name: str) -> tuple[str, ...]:
    if name == "district":
        return (*district_keys(), ONLINE, UNKNOWN)
    if name == "region":
        return (*region_keys(), ONLINE, UNKNOWN)
    return {
        "incident_type": INCIDENT_TYPES,
        "area_of_life": AREAS_OF_LIFE,
        "month": MONTHS,
        "channel": CHANNELS,
        "motive": MOTIVES,
        "antisemitism_form": ANTISEMITISM_FORMS,
    }[name]


# ---------------------------------------------------------------------------- counting


def _getters(first: Any) -> dict[str, Callable[[Any], Any] | None]:
    """Per-field accessors for the row kind of ``first`` (None: field absent)."""
    if isinstance(first, Mapping):
        return {f: itemgetter(f) if f in first else None for f in FIELDS}
    if isinstance(first, Sequence) and not isinstance(first, str):
        return {f: itemgetter(i) if i < len(first) else None for i, f in enumerate(FIELDS)}
    return {f: attrgetter(f) if hasattr(first, f) else None for f in FIELDS}


def aggregate(records: Iterable[Any], *, year: int | None = None) -> Counts:
    """Count incidents in one pass over ``records`` (see the module docstring for the
    accepted row kinds).  With ``year``, rows of other years are skipped.

    Raises ``ValueError`` on a code outside the taxonomy instead of inventing a cell:
    a silently dropped or misfiled incident would make the public numbers wrong.
    """
    dims: dict[str, Counter[Any]] = {
        name: Counter()
        for name in ("incident_type", "area_of_life", "month", "district", "channel")
    }
    combos: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    total = 0
    it: Iterator[Any] = iter(records)
    first = next(it, None)
    if first is not None:
        get = _getters(first)
        for required in ("year", "motives", *dims):
            if get[required] is None:
                raise ValueError(f"incident rows lack the field {required!r}")
        get_year = get["year"]
        get_motives = get["motives"]
        get_forms = get["antisemitism_forms"]
        assert get_year is not None and get_motives is not None  # checked above
        it = chain((first,), it)
        while chunk := list(islice(it, _CHUNK)):
            if year is not None and set(map(get_year, chunk)) != {year}:
                chunk = [row for row in chunk if get_year(row) == year]
                if not chunk:
                    continue
            total += len(chunk)
            for name, counter in dims.items():
                counter.update(map(get[name], chunk))  # type: ignore[arg-type]
            # Motive/form combinations are few, so counting them jointly is cheap and
            # lets us de-duplicate codes per incident once per combination, not per row.
            motives = map(tuple, map(get_motives, chunk))
            forms = map(tuple, map(get_forms, chunk)) if get_forms else repeat(())
            combos.update(zip(motives, forms, strict=False))  # repeat() is endless

    return _finish(year, total, dims, combos)


# Dimensions counted from pre-grouped rows; "motives" may carry "antisemitism_forms" beside it.
_WEIGHTED_DIMS: tuple[str, ...] = (
    "incident_type", "area_of_life", "month", "district", "channel", "motives"
)


def aggregate_weighted(
    groups: Iterable[Iterable[Mapping[str, Any]]], *, year: int | None = None
) -> Counts:
    """``aggregate`` for rows that were counted already (``GROUP BY`` in the database).

    ``groups`` holds one or more sets of weighted rows; a row is a mapping of some of the
    dimension fields plus ``"n"``, the number of incidents with exactly those values (e.g.
    ``QuerySet.values(*fields).annotate(n=Count("id"))``).  Each set is a complete
    count of the same incidents by its own fields, and together the sets name every
    dimension exactly once; ``antisemitism_forms`` must sit in the set of ``motives``
    (the forms only count among antisemitic incidents).  A single set with all fields is
    the same as passing every row ``n`` times to ``aggregate``; splitting the fields over
    several sets keeps the number of groups small (each table only needs the margin of its
    own dimension).  With ``year``, rows whose ``"year"`` differs are skipped.

    The result is identical to ``aggregate`` of the incidents, validation included.
    """
    dims: dict[str, Counter[Any]] = {name: Counter() for name in PARTITIONS}
    combos: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    totals: list[int] = []
    covered: list[str] = []
    for rows in groups:
        total = 0
        fields: set[str] | None = None
        for row in rows:
            if year is not None and row.get("year", year) != year:
                continue
            n = row["n"]
            if type(n) is not int or n < 0:
                raise ValueError(f"invalid weight {n!r}")
            if fields is None:
                fields = {f for f in _WEIGHTED_DIMS if f in row}
                if "antisemitism_forms" in row and "motives" not in row:
                    raise ValueError("antisemitism_forms must be grouped with motives")
                covered.extend(fields)
            total += n
            for name in fields:
                if name == "motives":
                    combos[tuple(row["motives"]), tuple(row.get("antisemitism_forms") or ())] += n
                else:
                    dims[name][row[name]] += n
        totals.append(total)
    grand = totals[0] if totals else 0
    if any(t != grand for t in totals):
        raise ValueError(f"the row sets count different totals: {totals}")
    if grand and sorted(covered) != sorted(_WEIGHTED_DIMS):
        raise ValueError(f"the row sets must cover each of {_WEIGHTED_DIMS} once, got {covered}")
    return _finish(year, grand, dims, combos)


def _finish(
    year: int | None,
    total: int,
    dims: Mapping[str, Counter[Any]],
    combos: Counter[tuple[tuple[str, ...], tuple[str, ...]]],
) -> Counts:
    """Counts from the per-dimension counters and the motive/form combinations; raises
    ``ValueError`` on codes outside the taxonomy."""
    month: Counter[str] = Counter()
    for m, n in dims["month"].items():
        if type(m) is not int or not 1 <= m <= 12:  # bool is not a month either
            raise ValueError(f"invalid month {m!r}")
        month[str(m)] += n

    motive: Counter[str] = Counter()
    form: Counter[str] = Counter()
    antisemitic = 0
    for (motive_codes, form_codes), n in combos.items():
        codes = set(motive_codes)
        for code in codes:
            motive[code] += n
        if ANTISEMITISM in codes:
            antisemitic += n
            for code in set(form_codes):
                form[code] += n

    counts = Counts(
        year=year,
        total=total,
        incident_type=dims["incident_type"],
        area_of_life=dims["area_of_life"],
        month=month,
        district=dims["district"],
        channel=dims["channel"],
        motive=motive,
        antisemitism_form=form,
        antisemitic_total=antisemitic,
    )
    for name in (*PARTITIONS, "motive", "antisemitism_form"):
        unknown = set(getattr(counts, name)) - set(_table_keys(name))
        if unknown:
            raise ValueError(f"unknown {name} codes: {sorted(map(str, unknown))}")
    return counts


# ------------------------------------------------------------------ disclosure control


def protect(values: Sequence[int], k: int) -> frozenset[int]:
    """Indices of the cells of one table to suppress (rules 1, 3 and 4 above).

    ``values`` are the true counts in the table's fixed cell order.
    """
    primary = [i for i, n in enumerate(values) if 0 < n < k]
    if not primary:
        return frozenset()
    complements = [n for n in values if n >= k]
    if not complements:
        # Rule 4: nothing >= k can hide the small cells, so hide the whole table.
        return frozenset(range(len(values)))
    smallest = min(complements)
    return frozenset(primary).union(i for i, n in enumerate(values) if n == smallest)


def protect_with(values: Sequence[int], k: int, forced: Collection[int]) -> frozenset[int]:
    """Rules 1, 3 and 4 for a table of a later release, where the cells in ``forced`` must
    stay hidden (rule 6: hidden in the year's last release, or added by the release
    audit).  A forced cell may hold any value, zero included.

    Without forced cells this is ``protect``.  With them, a complement is added only
    where the forced cells do not already provide one, because every cell hidden for the
    first time in a later release is narrowed by the earlier release that published it:

    * if primary cells are hidden but no hidden cell is ``>= k``, the smallest cells
      ``>= k`` (all ties) are hidden too; if there is none, the whole table (rule 4);
    * a table whose only hidden cell is a forced one would give it away by subtraction,
      so its smallest non-zero other cells (all ties) are hidden with it; if every other
      cell is zero, the whole table.
    """
    if not forced:
        return protect(values, k)
    everything = frozenset(range(len(values)))
    primary = {i for i, n in enumerate(values) if 0 < n < k}
    if primary and all(n < k for n in values):
        return everything  # rule 4
    hidden = primary.union(forced)
    if primary and all(values[i] < k for i in hidden):
        smallest = min(n for i, n in enumerate(values) if n >= k and i not in hidden)
        hidden.update(i for i, n in enumerate(values) if n == smallest and i not in hidden)
    if len(hidden) == 1:
        (only,) = hidden
        others = [n for i, n in enumerate(values) if i != only and n > 0]
        if not others:
            return everything
        smallest = min(others)
        hidden.update(i for i, n in enumerate(values) if i != only and n == smallest)
    return frozenset(hidden)


def _make_table(
    name: str,
    counter: Mapping[str, int],
    *,
    hidden: Iterable[int],
    total: int,
    total_suppressed: bool,
    rolled_up: bool = False,
) -> Table:
    hidden = set(hidden)
    cells = []
    for i, key in enumerate(_table_keys(name)):
        n = counter.get(key, 0)
        suppressed = i in hidden
        cells.append(Cell(key, key, n, None if suppressed else n, suppressed))
    return Table(
        name=name,
        cells=cells,
        total=None if total_suppressed else total,
        total_suppressed=total_suppressed,
        rolled_up_to_regions=rolled_up,
    )


def _protected_table(
    name: str,
    counter: Mapping[str, int],
    *,
    k: int,
    blank: bool,
    total: int,
    total_suppressed: bool,
    rolled_up: bool = False,
    forced: Collection[str] = (),
) -> Table:
    keys = _table_keys(name)
    values = [counter.get(key, 0) for key in keys]
    if blank:
        hidden: Iterable[int] = range(len(keys))
    else:
        forced_index = {i for i, key in enumerate(keys) if key in forced}
        hidden = protect_with(values, k, forced_index)
    return _make_table(
        name,
        counter,
        hidden=hidden,
        total=total,
        total_suppressed=total_suppressed,
        rolled_up=rolled_up,
    )


def _region_counter(district: Mapping[str, int]) -> Counter[str]:
    regions = district_regions()
    out: Counter[str] = Counter()
    for key, n in district.items():
        out[regions.get(key, key)] += n  # online/unknown keep their key
    return out


#: The two ways of publishing the place of the incidents (rule 5).
GEOGRAPHIES: tuple[str, ...] = ("district", "region")


def protect_tables(
    counts: Counts,
    *,
    k: int = 3,
    geography: str | None = None,
    forced: Mapping[str, Collection[str]] | None = None,
) -> tuple[Cell, list[Table]]:
    """Apply the disclosure rules; returns the grand-total cell and the tables.

    ``geography`` (``"district"`` or ``"region"``) overrides rule 5; a later release of a
    year passes the geography of the first one.  ``forced`` maps table names to cell keys
    that must be hidden as well (rule 6); it does not apply in a small year, where
    everything is hidden anyway.

    The result still holds the true counts (``Cell.count``) - use ``publish`` for
    anything that leaves the server.
    """
    if type(k) is not int or k < MIN_K:
        raise ValueError(f"k must be an integer >= {MIN_K}, got {k!r}")
    if geography is not None and geography not in GEOGRAPHIES:
        raise ValueError(f"geography must be one of {GEOGRAPHIES}, got {geography!r}")
    forced = forced or {}
    t = counts.total
    small = 0 < t < k  # rule 2
    total_cell = Cell("all", "all", t, None if small else t, small)

    def protected(name: str, counter: Mapping[str, int], rolled_up: bool = False) -> Table:
        return _protected_table(
            name,
            counter,
            k=k,
            blank=small,
            total=t,
            total_suppressed=small,
            rolled_up=rolled_up,
            forced=forced.get(name, ()),
        )

    motive = protected("motive", counts.motive)
    antisemitism_cell = motive.cells[MOTIVES.index(ANTISEMITISM)]
    # The forms' population is the antisemitic incidents: its total is that motive
    # cell and must be hidden exactly when the cell is.
    forms = _protected_table(
        "antisemitism_form",
        counts.antisemitism_form,
        k=k,
        blank=small,
        total=counts.antisemitic_total,
        total_suppressed=antisemitism_cell.suppressed,
        forced=forced.get("antisemitism_form", ()),
    )
    tables = [motive, forms]
    for name in PARTITIONS:
        if name != "district":
            tables.append(protected(name, getattr(counts, name)))
            continue
        if geography == "region":
            tables.append(protected("region", _region_counter(counts.district), rolled_up=True))
            continue
        district = protected(name, counts.district)
        if geography is None:
            ags_cells = district.cells[: len(district_keys())]
            nonzero = [c for c in ags_cells if c.count > 0]
            hidden = [c for c in nonzero if c.suppressed]
            if nonzero and 2 * len(hidden) > len(nonzero):  # rule 5
                region = _region_counter(counts.district)
                tables.append(protected("region", region, rolled_up=True))
                continue
        tables.append(district)
    return total_cell, tables


def serialise(year: int, k: int | None, total: Cell, tables: list[Table]) -> dict[str, Any]:
    """The JSON shape of ``publish`` from protected tables."""
    # Built from Cell.published only, so a suppressed true count cannot leak here.
    out_tables: dict[str, Any] = {}
    suppressed_cells = 0
    for table in tables:
        cells = [
            {"key": c.key, "value": c.published, "suppressed": c.suppressed} for c in table.cells
        ]
        suppressed_cells += sum(c.suppressed for c in table.cells)
        out_tables[table.name] = {
            "cells": cells,
            "total": {"value": table.total, "suppressed": table.total_suppressed},
            "rolled_up_to_regions": table.rolled_up_to_regions,
        }
    return {
        "year": year,
        "k": k,
        "total": {"value": total.published, "suppressed": total.suppressed},
        "tables": out_tables,
        "suppressed_cells": suppressed_cells,
    }


def _check_year(counts: Counts, year: int) -> None:
    if counts.year is not None and counts.year != year:
        raise ValueError(f"counts are for {counts.year}, not {year}")


def publish(
    counts: Counts,
    *,
    year: int,
    k: int = 3,
    geography: str | None = None,
    forced: Mapping[str, Collection[str]] | None = None,
) -> dict[str, Any]:
    """The public, JSON-serialisable tables of ``year`` with disclosure control.

    This protects one release on its own (rules 1-5, plus ``forced`` cells, rule 6).
    A release that is actually published goes through
    ``stats.disclosure.publish_release``, which also protects it against every earlier
    release of the year.  The result records ``"geography"``: ``"district"`` or
    ``"region"``, whichever table it publishes.
    """
    _check_year(counts, year)
    total, tables = protect_tables(counts, k=k, geography=geography, forced=forced)
    out = serialise(year, k, total, tables)
    out["geography"] = "region" if "region" in out["tables"] else "district"
    return out


def publish_internal(counts: Counts, *, year: int) -> dict[str, Any]:
    """Same shape as ``publish`` but nothing suppressed (``"k": None``), for the
    internal dashboard.  Carries both ``district`` and ``region`` tables - never hand
    this to the public side, where that pair would add equations between tables."""
    _check_year(counts, year)
    t = counts.total
    total = Cell("all", "all", t, t, False)

    def plain(name: str, counter: Mapping[str, int]) -> Table:
        return _make_table(name, counter, hidden=(), total=t, total_suppressed=False)

    tables = [
        plain("motive", counts.motive),
        _make_table(
            "antisemitism_form",
            counts.antisemitism_form,
            hidden=(),
            total=counts.antisemitic_total,
            total_suppressed=False,
        ),
    ]
    for name in PARTITIONS:
        tables.append(plain(name, getattr(counts, name)))
        if name == "district":
            tables.append(plain("region", _region_counter(counts.district)))
    return serialise(year, None, total, tables)


def build_tables(records: Iterable[Any], *, year: int, k: int = 3) -> dict[str, Any]:
    """Public tables of ``year``: ``publish(aggregate(records, year=year), ...)``."""
    return publish(aggregate(records, year=year), year=year, k=k)


def build_tables_internal(records: Iterable[Any], *, year: int) -> dict[str, Any]:
    """Unsuppressed tables of ``year`` for the internal dashboard."""
    return publish_internal(aggregate(records, year=year), year=year)
