"""An independent differencing attacker against the releases of one year (a test helper).

The attacker is written from the published rules, with its own integer program (scipy
``milp``); it does not use the model of ``stats.disclosure``.  It differs from that model on
purpose:

* it follows each changed incident on its own (an added, removed or reclassified incident is
  a profile of 0/1 variables: one cell per partition table, at least one motive, forms only
  with its own antisemitism motive), where the audit counts flows; only a group of more than
  ``PER_INCIDENT`` incidents (a quarterly snapshot) is one profile of counts, to keep the
  program small;
* region cells are sums of district variables in the objective and the constraints, not
  variables of their own;
* it solves the minimum and the maximum of every suppressed cell, with no shortcut.

Pure Python: no database, no Django.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from stats import tables
from stats.disclosure import Change

K = 3
DISTRICTS = (*tables.district_keys(), "online", "unknown")
PARTITION_DIMS = {
    "incident_type": tables.INCIDENT_TYPES,
    "area_of_life": tables.AREAS_OF_LIFE,
    "month": tables.MONTHS,
    "district": DISTRICTS,
    "channel": tables.CHANNELS,
}
MOTIVES = tables.MOTIVES
FORMS = tables.ANTISEMITISM_FORMS


# ------------------------------------------------------------------------- attacker


class _Program:
    def __init__(self) -> None:
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.entries: list[tuple[int, int, float]] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def new(self, lb: float = 0, ub: float = np.inf) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        return len(self.lb) - 1

    def add(self, coefs: Mapping[int, float], lo: float, hi: float) -> None:
        row = len(self.lo)
        self.entries.extend((row, col, c) for col, c in coefs.items() if c)
        self.lo.append(lo)
        self.hi.append(hi)


@dataclass(frozen=True)
class Secret:
    release: int
    table: str
    key: str
    expression: dict[int, float]  # the cell as a sum of variables
    required: int


PER_INCIDENT = 3


def _profile(p: _Program, n: int = 1) -> dict[str, dict[str, int]]:
    """Variables describing ``n`` incidents together (0/1 for one incident): each
    partition adds up to n, each motive is at most n and they add up to at least n,
    each form is at most the antisemitism motive."""
    out: dict[str, dict[str, int]] = {}
    for dim, keys in PARTITION_DIMS.items():
        out[dim] = {key: p.new(0, n) for key in keys}
        p.add(dict.fromkeys(out[dim].values(), 1.0), n, n)
    out["motive"] = {m: p.new(0, n) for m in MOTIVES}
    p.add(dict.fromkeys(out["motive"].values(), 1.0), n, np.inf)
    out["antisemitism_form"] = {f: p.new(0, n) for f in FORMS}
    for var in out["antisemitism_form"].values():
        p.add({var: 1.0, out["motive"]["antisemitism"]: -1.0}, -np.inf, 0)
    return out


def _profiles(p: _Program, n: int) -> list[dict[str, dict[str, int]]]:
    if n > PER_INCIDENT:
        return [_profile(p, n)]
    return [_profile(p) for _ in range(n)]


def attack(
    releases: Sequence[Mapping[str, Any]], changes: Sequence[Change], k: int = K
) -> list[tuple[Secret, int, int]]:
    """Every suppressed cell of every release with the attacker's (min, max)."""
    p = _Program()
    base: list[dict[str, dict[str, int]]] = []  # per release: dimension -> key -> variable
    totals: list[int] = []
    secrets: list[Secret] = []
    hidden_earlier: set[tuple[str, str]] = set()
    for r, rel in enumerate(releases):
        if rel["total"]["suppressed"]:
            grand = p.new(1, rel["k"] - 1)
            secrets.append(Secret(r, "total", "all", {grand: 1.0}, rel["k"] - 1))
        else:
            grand = p.new(rel["total"]["value"], rel["total"]["value"])
        totals.append(grand)
        dims = {dim: {key: p.new() for key in keys} for dim, keys in PARTITION_DIMS.items()}
        dims["motive"] = {m: p.new() for m in MOTIVES}
        dims["antisemitism_form"] = {f: p.new() for f in FORMS}
        base.append(dims)
        for dim in PARTITION_DIMS:
            p.add({**dict.fromkeys(dims[dim].values(), 1.0), grand: -1.0}, 0, 0)
        for var in dims["motive"].values():
            p.add({var: 1.0, grand: -1.0}, -np.inf, 0)
        p.add({**dict.fromkeys(dims["motive"].values(), 1.0), grand: -1.0}, 0, np.inf)
        for var in dims["antisemitism_form"].values():
            p.add({var: 1.0, dims["motive"]["antisemitism"]: -1.0}, -np.inf, 0)

        for name, table in rel["tables"].items():
            whole_table_hidden = all(c["suppressed"] for c in table["cells"])
            for cell in table["cells"]:
                if name == "region":
                    members = [
                        d for d in DISTRICTS if tables.district_regions().get(d, d) == cell["key"]
                    ]
                    expr = {dims["district"][d]: 1.0 for d in members}
                else:
                    expr = {dims[name][cell["key"]]: 1.0}
                if not cell["suppressed"]:
                    p.add(expr, cell["value"], cell["value"])
                    continue
                may_be_zero = whole_table_hidden or (
                    rel.get("release_aware") and (name, cell["key"]) in hidden_earlier
                )
                p.add(expr, 0 if may_be_zero else 1, np.inf)
                secrets.append(Secret(r, name, cell["key"], expr, k))
            if not table["total"]["suppressed"]:
                if name == "antisemitism_form":
                    anti = dims["motive"]["antisemitism"]
                    p.add({anti: 1.0}, table["total"]["value"], table["total"]["value"])
                else:
                    p.add({grand: 1.0}, table["total"]["value"], table["total"]["value"])
        hidden_earlier = {  # rule 6 looks at the release just before
            (name, c["key"])
            for name, table in rel["tables"].items()
            for c in table["cells"]
            if c["suppressed"]
        }

    for r, change in enumerate(changes):
        before, after = base[r], base[r + 1]
        added = _profiles(p, change.added)
        removed = _profiles(p, change.removed)
        moved = list(zip(_profiles(p, change.modified), _profiles(p, change.modified),
                         strict=True))
        p.add({totals[r + 1]: 1.0, totals[r]: -1.0}, change.added - change.removed,
              change.added - change.removed)
        for dim, cells in before.items():
            for key, x in cells.items():
                row: Counter[int] = Counter({after[dim][key]: 1.0, x: -1.0})
                leaving: Counter[int] = Counter({x: -1.0})
                for prof in added:
                    row[prof[dim][key]] -= 1
                for prof in removed:
                    row[prof[dim][key]] += 1
                    leaving[prof[dim][key]] += 1
                for old, new in moved:
                    row[new[dim][key]] -= 1
                    row[old[dim][key]] += 1
                    leaving[old[dim][key]] += 1
                p.add(row, 0, 0)
                p.add(leaving, -np.inf, 0)

    n = len(p.lb)
    rows, cols, vals = zip(*p.entries, strict=True)
    matrix = sparse.coo_array((vals, (rows, cols)), shape=(len(p.lo), n)).tocsr()
    constraint = LinearConstraint(matrix, p.lo, p.hi)
    bounds = Bounds(p.lb, p.ub)
    out = []
    for secret in secrets:
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(n)
            for var, coef in secret.expression.items():
                objective[var] = sign * coef
            res = milp(objective, integrality=np.ones(n), bounds=bounds,
                       constraints=constraint, options={"mip_rel_gap": 0.0})
            assert res.status == 0, (secret, res.message)
            ends.append(round(sign * res.fun))
        out.append((secret, ends[0], ends[1]))
    return out


def narrowed(found: list[tuple[Secret, int, int]]) -> list[tuple[Secret, int, int]]:
    return [(s, lo, hi) for s, lo, hi in found if hi - lo + 1 < s.required]
