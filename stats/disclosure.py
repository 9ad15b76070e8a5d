"""Release-aware disclosure control: the integer-programming audit and the release path.

Python plus scipy, no database (the codes come from the taxonomy).  ``stats.tables`` protects one release
on its own; this module protects a release against *everything already released for
the same year* (every version and every provisional snapshot), as SPEC §6 requires.

Releases and changes
--------------------
A *release* is a ``tables.publish``-shaped dict.  Only what it publishes is used here,
never a true count, so the audit sees exactly what an outsider sees.  Between two
consecutive releases the attacker is assumed to know the size of the change
(``Change``): how many incidents entered the year's counted set (``added``), left it
(``removed``) or were reclassified in place (``modified``).  Change notes tell them.

The attacker (what the audit models)
------------------------------------
One integer variable per cell of every table of every release and one per grand total.

* A published cell or total is fixed to its value.
* A suppressed cell is at least 1 (zeros are published), except when its whole table is
  suppressed (rule 4, small year) or when the release is ``release_aware`` and the same
  cell was suppressed in the release just before it (rule 6 hides such a cell even when
  it is 0 now); then it is at least 0.  A suppressed grand total (small year) lies
  in ``[1, k-1]``.
* Partition tables (``incident_type``, ``area_of_life``, ``month``, ``district``,
  ``channel``) add up to the grand total; a ``region`` cell is the sum of its districts
  (a release that publishes regions gets hidden district variables, so releases with
  different geographies are linked as the truth links them).
* ``motive``: every cell is at most the total and the cells add up to at least the total
  (every incident has at least one motive).  ``antisemitism_form``: every cell is at most
  the ``antisemitism`` motive cell.  A published table total is fixed too.
* Between release ``r`` and ``r+1``, for every cell of every table:
  ``x' = x + add - rem + in - out`` with non-negative integers and ``rem + out <= x``.
  Partition tables: ``sum(add) = added``, ``sum(rem) = removed``,
  ``sum(in) = sum(out) <= modified``.  ``motive``: ``add <= added``, ``rem <= removed``,
  ``in, out <= modified``, ``sum(add) >= added``, ``sum(rem) >= removed``.
  ``antisemitism_form``: ``add <= added``, ``rem <= removed``, ``in, out <= modified``,
  and a form is added (removed) only with an antisemitic incident:
  ``add_form <= add_antisemitism``, ``rem_form <= rem_antisemitism``.
  ``total' = total + added - removed``.

Protected
---------
For every suppressed cell (and suppressed grand total) of every release the audit
finds the smallest and the largest value the attacker cannot rule out (minimise and
maximise it with ``scipy.optimize.milp``, HiGHS).  A cell is **protected** when that
feasible interval holds at least ``k`` integer values, ``high - low + 1 >= k``; so a
protected cell is never pinned.  A suppressed grand total is announced as ``1..k-1`` by
the small-year rule, so it needs ``k - 1`` values: the attacker must not narrow it at all.
The interval is the attacker's range, not a claim that every value inside it is
feasible.

The audit is exact where it matters and skips work where it can prove the answer: every
solution the solver returns is checked in integer arithmetic and kept as a *witness*
(a published-data-consistent assignment of every cell).  A cell whose witnessed values
already span ``k`` integers is protected without solving for it; a minimum equal to the
cell's lower bound needs no solve.  So a protected cell's reported interval may be a
sub-interval of the attacker's (``exact: false``); an exposed cell's interval is always
exact.  LP relaxations are not used: they can only widen intervals, which is unsafe.

Time budget and failure
-----------------------
``audit_releases`` gets a global ``time_limit`` in seconds; each solve gets the time that
is left.  If any solve does not end optimal - time limit reached, or the model is
infeasible (the releases and change sizes contradict each other, so the model is wrong)
- the result has ``ok=False`` and the cells not yet audited are reported as
``unaudited``.  The caller refuses the release; nothing unaudited is ever published.

Release path (``publish_release``)
----------------------------------
1. **Fixed geography.**  The first release of a year decides ``district`` or ``region``
   (rule 5); every later release publishes the same (``"geography"`` in the output).
2. **Ordinary protection** of the new release (``tables.protect_tables``, rules 1-4).
3. **Sticky suppression** (rule 6): every cell suppressed in the year's last release
   stays suppressed, even if it is now 0 or large.  Without ``unstick`` the hidden cells
   of releases made this way only grow from release to release, so that is every cell
   suppressed in any earlier release of the year.  (A cell some earlier release hid but the last one showed again
   is not hidden again: the last release pins it within the change window already, and
   hiding it now would only add a narrow hidden cell.)  A table whose only hidden cell is
   such a cell also hides its smallest non-zero other cells.  The output carries
   ``"release_aware": true`` so that the audit (and anyone reading the rules) knows a
   sticky cell may be 0.
4. **Audit** the earlier releases together with the new one.  While cells fail: for a
   failing cell of the new release, suppress the smallest published non-zero cell (all
   ties) of the same table in the new release; for a failing cell of an earlier release,
   suppress the same cell in the new release if it is published, else the smallest
   published non-zero cell of that table.  A table with nothing left to hide behind is
   suppressed as a whole.  Cells that cannot help are never chosen: a cell the last
   release published lies within ``x - removed - modified .. x + added + modified`` once
   hidden, so when that window holds fewer than ``k`` values hiding it only adds a
   failure.  At most ``max_rounds`` rounds.
5. Optionally (``unstick=True``), once the release passes, cells hidden only because an
   earlier release hid them are shown again where the audit still passes with them
   shown: all at once, and after a failure all but those the failures point at, while
   time is left.
6. ``ReleaseRefused`` is raised with the audit result (which cells could not be
   protected) if cells still fail, if no round can add a useful cell, if a failing cell of
   the new release is beyond repair (the last release published it and, hidden now, its
   window ``max(1, x - removed - modified) .. x + added + modified`` holds fewer than
   ``k`` values: a late report in a cell published as 0, with ``k = 3``), or
   if the audit ran out of time or found the model infeasible.  Nothing is returned to
   publish then.

What the release path cannot do: with the change sizes known, a cell published as 0
that receives incidents lies in ``1 .. added + modified`` in the next release, so if
``added + modified < k`` (with ``k = 3``: one or two late reports or reclassifications)
the new small cell cannot be protected short of hiding its whole table, and the release
is refused; such corrections need to be batched until the change is larger.
Hiding the total change is out of scope too: with published totals and known change
sizes, a suppressed small-year total of an earlier release is pinned, and the release is
refused.  Complementary cells of rule 3 are still the smallest cells (all ties), so a
rule-aware attacker knows every cell hidden by rules 1 and 3 lies below the smallest
published non-zero cell of its table; the audit models the rule-blind attacker above,
not that order bound, nor what the choices of steps 4 and 5 (which depend on the audit)
tell a reader who knows the procedure.  Cells added by rule 6 and by the audit do not
follow that order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from reporting import places
from stats import tables

PARTITION_TABLES: frozenset[str] = frozenset(
    {"incident_type", "area_of_life", "month", "district", "region", "channel"}
)
MOTIVE = "motive"
FORMS = "antisemitism_form"
TOTAL_TABLE = "total"
TOTAL_KEY = "all"

# Status of an audited cell.
PROTECTED = "protected"
EXPOSED = "exposed"
UNAUDITED = "unaudited"

# Why an audit could not finish.
ERROR_TIME_LIMIT = "time_limit"
ERROR_INFEASIBLE = "infeasible"
ERROR_SOLVER = "solver_error"

_INF = np.inf


@dataclass(frozen=True)
class Change:
    """Size of the change between two consecutive releases of a year, as the attacker
    is assumed to know it: incidents that entered the counted set, left it, or were
    reclassified in place."""

    added: int
    removed: int
    modified: int

    def __post_init__(self) -> None:
        for name in ("added", "removed", "modified"):
            n = getattr(self, name)
            if type(n) is not int or n < 0:
                raise ValueError(f"Change.{name} must be a non-negative integer, got {n!r}")


@dataclass(frozen=True)
class CellInterval:
    """The attacker's range for one suppressed cell of one release.

    ``low``/``high`` are values the cell provably can take given everything published
    (``None`` when unaudited); with ``exact`` they are the attacker's bounds.
    ``required`` is the number of values the range must hold.
    """

    release: int
    table: str
    key: str
    low: int | None
    high: int | None
    required: int
    exact: bool
    status: str

    @property
    def width(self) -> int | None:
        """Number of integer values in ``[low, high]``."""
        if self.low is None or self.high is None:
            return None
        return self.high - self.low + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "table": self.table,
            "key": self.key,
            "low": self.low,
            "high": self.high,
            "width": self.width,
            "required": self.required,
            "exact": self.exact,
            "status": self.status,
        }


@dataclass(frozen=True)
class AuditResult:
    """Outcome of ``audit_releases``.  ``ok`` only if every suppressed cell of every
    release is protected and every solve finished optimal."""

    ok: bool
    timed_out: bool
    error: str | None
    k: int
    releases: int
    cells: tuple[CellInterval, ...]
    solves: int
    seconds: float
    time_limit: float

    @property
    def failures(self) -> tuple[CellInterval, ...]:
        """Cells that are exposed or could not be audited."""
        return tuple(c for c in self.cells if c.status != PROTECTED)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable record, to be stored with the release.  It holds only what
        follows from published numbers, so it reveals nothing a reader could not compute."""
        return {
            "ok": self.ok,
            "timed_out": self.timed_out,
            "error": self.error,
            "k": self.k,
            "releases": self.releases,
            "solves": self.solves,
            "seconds": round(self.seconds, 3),
            "time_limit": self.time_limit,
            "cells": [c.as_dict() for c in self.cells],
            "failures": [c.as_dict() for c in self.failures],
        }

    def summary(self) -> dict[str, Any]:
        widths = [c.width for c in self.cells if c.width is not None]
        return {
            "ok": self.ok,
            "timed_out": self.timed_out,
            "error": self.error,
            "cells_audited": sum(c.status != UNAUDITED for c in self.cells),
            "min_width": min(widths) if widths else None,
            "failures": len(self.failures),
            "seconds": round(self.seconds, 3),
        }


class ReleaseRefused(Exception):
    """The release could not be protected against the earlier releases of its year (or
    could not be audited in time).  ``audit`` holds the last audit; ``cells`` lists the
    ``(release index, table, key)`` of every cell that failed."""

    code = "release_refused"

    def __init__(self, audit: AuditResult) -> None:
        self.audit = audit
        super().__init__(
            f"{self.code}: error={audit.error} timed_out={audit.timed_out} cells={self.cells}"
        )

    @property
    def cells(self) -> list[tuple[int, str, str]]:
        return [(c.release, c.table, c.key) for c in self.audit.failures]


# ----------------------------------------------------------------------------- model


@dataclass(frozen=True)
class _Target:
    release: int
    table: str
    key: str
    var: int
    required: int


class _ModelBuilder:
    """Collects variables and constraint rows; ``matrix`` builds the sparse matrix once."""

    def __init__(self) -> None:
        self.lb: list[float] = []
        self.ub: list[float] = []
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._vals: list[float] = []
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []

    def var(self, lb: float, ub: float = _INF) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        return len(self.lb) - 1

    def fixed(self, value: Any) -> int:
        if type(value) is not int or value < 0:
            raise ValueError(f"published value must be a non-negative integer, got {value!r}")
        return self.var(value, value)

    def row(self, terms: Iterable[tuple[int, float]], lo: float, hi: float) -> None:
        index = len(self.row_lo)
        for col, coef in terms:
            self._rows.append(index)
            self._cols.append(col)
            self._vals.append(coef)
        self.row_lo.append(lo)
        self.row_hi.append(hi)

    def matrix(self) -> sparse.csr_array:
        shape = (len(self.row_lo), len(self.lb))
        return sparse.csr_array((self._vals, (self._rows, self._cols)), shape=shape)


def _region_of(key: str) -> str:
    return tables.district_regions().get(key, key)  # online/unknown are their own region


@dataclass
class _ReleaseVars:
    total: int
    cells: dict[str, dict[str, int]]


def _release_vars(
    b: _ModelBuilder,
    release: Mapping[str, Any],
    index: int,
    *,
    k: int,
    hidden_before: set[tuple[str, str]],
    targets: list[_Target],
) -> _ReleaseVars:
    release_k = release.get("k") or k
    total = release["total"]
    if total["suppressed"]:
        total_var = b.var(1, release_k - 1)
        targets.append(_Target(index, TOTAL_TABLE, TOTAL_KEY, total_var, min(k, release_k - 1)))
    else:
        total_var = b.fixed(total["value"])
    sticky = bool(release.get("release_aware"))
    cells: dict[str, dict[str, int]] = {}
    for name, table in release["tables"].items():
        entries = table["cells"]
        blank = all(c["suppressed"] for c in entries)
        cells[name] = {}
        for c in entries:
            if c["suppressed"]:
                may_be_zero = blank or (sticky and (name, c["key"]) in hidden_before)
                var = b.var(0 if may_be_zero else 1)
                targets.append(_Target(index, name, c["key"], var, k))
            else:
                var = b.fixed(c["value"])
            cells[name][c["key"]] = var
    if "region" in cells and "district" not in cells:
        # Hidden district variables: the truth behind the regions, which links this
        # release to releases that published districts.
        cells["district"] = {key: b.var(0) for key in places.place_keys()}

    for name, table in release["tables"].items():
        if table["total"]["suppressed"]:
            continue
        value = table["total"]["value"]
        if name == FORMS:
            if MOTIVE in cells and tables.ANTISEMITISM in cells[MOTIVE]:
                b.row([(cells[MOTIVE][tables.ANTISEMITISM], 1)], value, value)
        elif name in PARTITION_TABLES or name == MOTIVE:
            b.row([(total_var, 1)], value, value)

    for name, by_key in cells.items():
        if name == "region":
            for region_key, region_var in by_key.items():
                members = [v for d, v in cells["district"].items() if _region_of(d) == region_key]
                b.row([(region_var, 1), *((v, -1) for v in members)], 0, 0)
        elif name in PARTITION_TABLES:
            b.row([*((v, 1) for v in by_key.values()), (total_var, -1)], 0, 0)
        elif name == MOTIVE:
            for v in by_key.values():
                b.row([(v, 1), (total_var, -1)], -_INF, 0)
            b.row([*((v, 1) for v in by_key.values()), (total_var, -1)], 0, _INF)
        elif name == FORMS and MOTIVE in cells and tables.ANTISEMITISM in cells[MOTIVE]:
            antisemitic = cells[MOTIVE][tables.ANTISEMITISM]
            for v in by_key.values():
                b.row([(v, 1), (antisemitic, -1)], -_INF, 0)
    return _ReleaseVars(total_var, cells)


def _link(b: _ModelBuilder, before: _ReleaseVars, after: _ReleaseVars, change: Change) -> None:
    """Constraints between two consecutive releases (see the module docstring)."""
    added, removed, modified = change.added, change.removed, change.modified
    b.row([(after.total, 1), (before.total, -1)], added - removed, added - removed)
    flows: dict[str, dict[str, tuple[int, int, int, int]]] = {}
    # Lists, not set intersections: the same releases must give the same model (and the
    # same witnesses) in every process, whatever the hash seed.
    for name in [n for n in before.cells if n in after.cells and n != "region"]:
        flows[name] = {}  # regions follow from the districts
        for key in [key for key in before.cells[name] if key in after.cells[name]]:
            x, x_next = before.cells[name][key], after.cells[name][key]
            add, rem = b.var(0, added), b.var(0, removed)
            inflow, outflow = b.var(0, modified), b.var(0, modified)
            b.row(
                [(x_next, 1), (x, -1), (add, -1), (rem, 1), (inflow, -1), (outflow, 1)], 0, 0
            )
            b.row([(rem, 1), (outflow, 1), (x, -1)], -_INF, 0)
            flows[name][key] = (add, rem, inflow, outflow)
    for name, by_key in flows.items():
        adds = [(f[0], 1) for f in by_key.values()]
        rems = [(f[1], 1) for f in by_key.values()]
        if name in PARTITION_TABLES:
            b.row(adds, added, added)
            b.row(rems, removed, removed)
            ins = [(f[2], 1) for f in by_key.values()]
            outs = [(f[3], -1) for f in by_key.values()]
            b.row([*ins, *outs], 0, 0)
            b.row(ins, -_INF, modified)
        elif name == MOTIVE:
            b.row(adds, added, _INF)
            b.row(rems, removed, _INF)
    antisemitic = flows.get(MOTIVE, {}).get(tables.ANTISEMITISM)
    if antisemitic is not None:
        for add, rem, _in, _out in flows.get(FORMS, {}).values():
            b.row([(add, 1), (antisemitic[0], -1)], -_INF, 0)
            b.row([(rem, 1), (antisemitic[1], -1)], -_INF, 0)


# ----------------------------------------------------------------------------- audit


class _Solver:
    """One model, many objectives; every returned solution is verified and kept as a
    witness of the values each variable can take."""

    def __init__(self, b: _ModelBuilder, deadline: float) -> None:
        self.matrix = b.matrix()
        self.lb = np.array(b.lb, dtype=float)
        self.ub = np.array(b.ub, dtype=float)
        self.row_lo = np.array(b.row_lo, dtype=float)
        self.row_hi = np.array(b.row_hi, dtype=float)
        self.bounds = Bounds(self.lb, self.ub)
        self.constraints = (
            [LinearConstraint(self.matrix, self.row_lo, self.row_hi)] if b.row_lo else []
        )
        self.integrality = np.ones(len(self.lb))
        self.deadline = deadline
        self.solves = 0
        self.low = np.full(len(self.lb), _INF)
        self.high = np.full(len(self.lb), -_INF)

    def solve(self, objective: np.ndarray) -> tuple[str | None, np.ndarray | None]:
        """Returns (error, solution); error is None when the solve ended optimal."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return ERROR_TIME_LIMIT, None
        self.solves += 1
        res = milp(
            objective,
            integrality=self.integrality,
            bounds=self.bounds,
            constraints=self.constraints,
            options={"time_limit": remaining, "mip_rel_gap": 0.0},
        )
        if res.status == 1:
            return ERROR_TIME_LIMIT, None
        if res.status == 2:
            return ERROR_INFEASIBLE, None
        if res.status != 0 or res.x is None:
            return ERROR_SOLVER, None
        x = np.rint(res.x)
        if not self._feasible(x):
            return ERROR_SOLVER, None
        np.minimum(self.low, x, out=self.low)
        np.maximum(self.high, x, out=self.high)
        return None, x

    def _feasible(self, x: np.ndarray) -> bool:
        # Integers below 2**53 are exact in float64, so this check is exact.
        if np.any(x < self.lb) or np.any(x > self.ub):
            return False
        if not self.constraints:
            return True
        ax = self.matrix @ x
        return bool(np.all(ax >= self.row_lo) and np.all(ax <= self.row_hi))


def audit_releases(
    releases: Sequence[Mapping[str, Any]],
    changes: Sequence[Change],
    *,
    k: int | None = None,
    time_limit: float = 60.0,
    exact: bool = False,
) -> AuditResult:
    """Audit the releases of one year, in publication order, against the attacker of the
    module docstring.  ``changes[i]`` is the change between ``releases[i]`` and
    ``releases[i + 1]``.  ``k`` defaults to the last release's threshold.  ``exact``
    solves both bounds of every cell (slower; for measurements and tests)."""
    start = time.monotonic()
    if not releases:
        raise ValueError("nothing to audit")
    if len(changes) != len(releases) - 1:
        raise ValueError("one change per pair of consecutive releases is needed")
    k = k if k is not None else releases[-1]["k"]
    if type(k) is not int or k < tables.MIN_K:
        raise ValueError(f"k must be an integer >= {tables.MIN_K}, got {k!r}")

    b = _ModelBuilder()
    targets: list[_Target] = []
    hidden_before: set[tuple[str, str]] = set()  # in the release just before
    previous: _ReleaseVars | None = None
    for index, release in enumerate(releases):
        current = _release_vars(
            b, release, index, k=k, hidden_before=hidden_before, targets=targets
        )
        if previous is not None:
            _link(b, previous, current, changes[index - 1])
        hidden_before = _hidden_cells(release)
        previous = current

    solver = _Solver(b, deadline=start + time_limit)
    n = len(b.lb)
    results: list[CellInterval] = []
    error: str | None = None

    # Feasibility first (an inconsistent model must never pass), pushing hidden cells
    # low so that their witnessed minimum is often their lower bound already.
    objective = np.zeros(n)
    for t in targets:
        objective[t.var] = 1.0
    error, _ = solver.solve(objective)

    for t in targets:
        if error is not None:
            results.append(_unaudited(t))
            continue
        v = t.var
        low_exact = bool(solver.low[v] == solver.lb[v])
        high_exact = bool(solver.high[v] == solver.ub[v])
        if not exact and _width(solver, v) >= t.required:
            results.append(_interval(t, solver, low_exact and high_exact, PROTECTED))
            continue
        objective = np.zeros(n)
        objective[v] = -1.0
        error, x = solver.solve(objective)
        if error is not None or x is None:
            results.append(_unaudited(t))
            continue
        high = int(x[v])
        high_exact = True
        low_exact = bool(solver.low[v] == solver.lb[v])
        if not low_exact and (exact or high - solver.low[v] + 1 < t.required):
            objective[v] = 1.0
            error, x = solver.solve(objective)
            if error is not None or x is None:
                results.append(_unaudited(t))
                continue
            low_exact = True
        # The witnessed minimum is the solved one when it was solved.
        low = int(solver.low[v])
        status = PROTECTED if high - low + 1 >= t.required else EXPOSED
        results.append(
            CellInterval(
                t.release, t.table, t.key, low, high, t.required, low_exact and high_exact, status
            )
        )

    ok = error is None and all(c.status == PROTECTED for c in results)
    return AuditResult(
        ok=ok,
        timed_out=error == ERROR_TIME_LIMIT,
        error=error,
        k=k,
        releases=len(releases),
        cells=tuple(results),
        solves=solver.solves,
        seconds=time.monotonic() - start,
        time_limit=time_limit,
    )


def _width(solver: _Solver, var: int) -> float:
    return float(solver.high[var] - solver.low[var] + 1)


def _interval(t: _Target, solver: _Solver, exact: bool, status: str) -> CellInterval:
    return CellInterval(
        t.release,
        t.table,
        t.key,
        int(solver.low[t.var]),
        int(solver.high[t.var]),
        t.required,
        exact,
        status,
    )


def _unaudited(t: _Target) -> CellInterval:
    return CellInterval(t.release, t.table, t.key, None, None, t.required, False, UNAUDITED)


# ---------------------------------------------------------------------- release path


def _hidden_cells(release: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {
        (name, c["key"])
        for name, table in release["tables"].items()
        for c in table["cells"]
        if c["suppressed"]
    }


def geography_of(release: Mapping[str, Any]) -> str:
    """``"district"`` or ``"region"``: how ``release`` publishes the place."""
    recorded = release.get("geography")
    if recorded in tables.GEOGRAPHIES:
        return str(recorded)
    return "region" if "region" in release["tables"] else "district"


def publish_release(
    counts: tables.Counts,
    *,
    year: int,
    k: int = 3,
    previous: Sequence[Mapping[str, Any]] = (),
    changes: Sequence[Change] = (),
    time_limit: float = 60.0,
    max_rounds: int = 10,
    unstick: bool = False,
) -> tuple[dict[str, Any], AuditResult]:
    """The public tables of a new release of ``year``, protected together with the
    ``previous`` releases of that year (in publication order; ``changes[i]`` is the change
    from ``previous[i]`` to the next release, the new one for the last).

    Returns the release (``publish`` shape plus ``"geography"`` and ``"release_aware"``)
    and its passing audit.  Raises ``ReleaseRefused`` when it cannot be protected within
    ``max_rounds`` rounds of added suppression or ``time_limit`` seconds in total.

    With ``unstick``, once a release passes, cells kept hidden only by rule 6 are
    published again where the audit still passes with them shown (SPEC §6: "unless its
    value can be published without narrowing any earlier suppressed cell"): all of them
    at once, and after a failure all but those the failures point at, while time is left.  This matters after
    large changes (quarterly snapshots); after a correction of a few incidents nothing
    can be shown again.  Whether a cell is shown then depends on the audit, which a
    rule-aware attacker can reason about; the audit does not model that.
    """
    if len(changes) != len(previous):
        raise ValueError("one change per previous release is needed")
    for release in previous:
        if release.get("year") != year:
            raise ValueError(f"a previous release is of {release.get('year')}, not {year}")
    if counts.year is not None and counts.year != year:
        raise ValueError(f"counts are for {counts.year}, not {year}")
    deadline = time.monotonic() + time_limit
    geography = geography_of(previous[0]) if previous else None
    forced: dict[str, set[str]] = {}
    if previous:
        for name, key in _hidden_cells(previous[-1]):
            forced.setdefault(name, set()).add(key)
    sticky = {(name, key) for name, keys in forced.items() for key in keys}

    def attempt(
        hide: Mapping[str, set[str]],
    ) -> tuple[dict[str, Any], list[tables.Table], AuditResult]:
        # ``geography`` is read when called: None only until the first attempt decides it.
        total, protected = tables.protect_tables(counts, k=k, geography=geography, forced=hide)
        release = tables.serialise(year, k, total, protected)
        release["geography"] = geography_of(release)
        release["release_aware"] = True
        audit = audit_releases(
            [*previous, release],
            changes,
            k=k,
            time_limit=max(deadline - time.monotonic(), 0.0),
        )
        return release, protected, audit

    audit: AuditResult | None = None
    for _round in range(max_rounds + 1):
        release, protected, audit = attempt(forced)
        geography = release["geography"]
        if audit.ok:
            # A cell shown again lies within the last change's window around its shown
            # value in the release before; below k values that always fails.
            if unstick and sticky and _window(changes[-1]) >= k:
                return _unstick(attempt, release, protected, audit, forced, sticky, k, deadline)
            return release, audit
        if audit.error is not None or _beyond_repair(
            audit.failures,
            new_release=len(previous),
            last=previous[-1] if previous else None,
            change=changes[-1] if changes else None,
            k=k,
        ):
            break
        more = _more_suppression(
            audit.failures,
            protected,
            new_release=len(previous),
            last=previous[-1] if previous else None,
            change=changes[-1] if changes else None,
            k=k,
        )
        grown = False
        for name, keys in more.items():
            known = forced.setdefault(name, set())
            grown |= not keys <= known
            known.update(keys)
        if not grown:
            break
    assert audit is not None
    raise ReleaseRefused(audit)


_Attempt = Callable[
    [Mapping[str, set[str]]], tuple[dict[str, Any], list[tables.Table], AuditResult]
]


def _unstick(
    attempt: _Attempt,
    release: dict[str, Any],
    protected: list[tables.Table],
    audit: AuditResult,
    forced: dict[str, set[str]],
    sticky: set[tuple[str, str]],
    k: int,
    deadline: float,
) -> tuple[dict[str, Any], AuditResult]:
    """Show again the cells hidden only by rule 6 where the audit still passes; returns
    the last release that passed (never one that did not).

    Tries all candidates at once; when that fails, drops the candidates the failures
    point at (the same cell, else the failing tables) and tries the rest, until a try
    passes or nothing is left.
    """
    candidates = {
        (t.name, c.key)
        for t in protected
        for c in t.cells
        if c.suppressed and (t.name, c.key) in sticky and not 0 < c.count < k
    }
    while candidates and time.monotonic() < deadline:
        trial = {name: set(keys) for name, keys in forced.items()}
        for name, key in candidates:
            trial[name].discard(key)
        trial_release, _protected, trial_audit = attempt(trial)
        if trial_audit.ok:
            return trial_release, trial_audit
        if trial_audit.error is not None:
            break
        failing = {(c.table, c.key) for c in trial_audit.failures}
        blamed = candidates & failing or {
            cell for cell in candidates if cell[0] in {table for table, _key in failing}
        }
        if not blamed:
            break
        candidates -= blamed
    return release, audit


def _window(change: Change) -> int:
    """Values a cell can take in one release given its value in the other: it moves by at
    most ``added + modified`` up and ``removed + modified`` down."""
    return change.added + change.removed + 2 * change.modified + 1


def _beyond_repair(
    failures: Sequence[CellInterval],
    *,
    new_release: int,
    last: Mapping[str, Any] | None,
    change: Change | None,
    k: int,
) -> bool:
    """Whether a failing cell of the new release was published by the last release with
    a value ``x`` whose change window ``max(1, x - removed - modified) .. x + added +
    modified`` holds fewer than ``k`` values: hiding other cells cannot widen it (a late
    report that lands in a cell published as 0, with ``k = 3``).  The lower end is 1
    because a newly hidden cell is known to be non-zero; only hiding its whole table
    (zeros too) would lower it to 0, and a release is refused rather than published
    with a whole table blanked to save one cell."""
    if last is None or change is None:
        return False
    for failure in failures:
        if failure.release != new_release or failure.table not in last["tables"]:
            continue
        cell = next(
            (c for c in last["tables"][failure.table]["cells"] if c["key"] == failure.key), None
        )
        if cell is None or cell["suppressed"]:
            continue
        x = cell["value"]
        low = max(1, x - change.removed - change.modified)
        if x + change.added + change.modified - low + 1 < k:
            return True
    return False


def _more_suppression(
    failures: Sequence[CellInterval],
    protected: Sequence[tables.Table],
    *,
    new_release: int,
    last: Mapping[str, Any] | None,
    change: Change | None,
    k: int,
) -> dict[str, set[str]]:
    """Cells of the new release to hide next, per table (step 4 of the release path).

    A cell that the last release published and this one would hide for the first time is
    known to lie within ``x - removed - modified .. x + added + modified``; when that
    window holds fewer than ``k`` values, hiding it cannot pass the audit, so it is never
    chosen (hiding it would only add a failure).
    """
    by_name = {t.name: t for t in protected}
    shown_before: set[tuple[str, str]] = set()
    if last is not None and change is not None:
        if _window(change) < k:
            shown_before = {
                (name, c["key"])
                for name, table in last["tables"].items()
                for c in table["cells"]
                if not c["suppressed"]
            }
    out: dict[str, set[str]] = {}
    for failure in failures:
        if failure.table == TOTAL_TABLE:
            continue  # nothing in the tables can widen a total
        name, key = failure.table, failure.key
        within: str | None = None  # restrict the choice to one region's districts
        if failure.release != new_release and name not in by_name:
            # An earlier release with the other geography (published before the
            # geography was fixed per year).
            if name == "region" and "district" in by_name:
                name, within, key = "district", key, ""
            elif name == "district" and "region" in by_name:
                name, key = "region", _region_of(key)
        table = by_name.get(name)
        if table is None:
            continue
        usable = [c for c in table.cells if (name, c.key) not in shown_before]
        if failure.release != new_release:
            same = next((c for c in usable if c.key == key), None)
            if same is not None and not same.suppressed:
                out.setdefault(name, set()).add(same.key)
                continue
        candidates = [c for c in usable if not c.suppressed and c.count > 0]
        if within is not None:
            candidates = [c for c in candidates if _region_of(c.key) == within] or candidates
        if candidates:
            smallest = min(c.count for c in candidates)
            out.setdefault(name, set()).update(c.key for c in candidates if c.count == smallest)
        elif len(usable) == len(table.cells):
            # Nothing left to hide behind: the whole table (zeros too, as in rule 4).
            out.setdefault(name, set()).update(c.key for c in table.cells)
    return out
