"""Where k new cameras would cover most facts: a maximal-covering location problem (Church & ReVelle, 1974).

Demand: the facts of the last N semesters that no camera covers, gathered by H3 cell of resolution 12 (about
10 m across) at the cell's centre. Candidate sites: the centres of the resolution-10 cells (about 65 m across)
holding such facts, the busiest first. A site covers a demand point within its radius. The problem — choose k
sites maximising the facts covered — is solved with OR-Tools' CP-SAT, started from the greedy answer (so it is
never worse), within a time limit; its gap is the distance between its answer and its proven bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import h3
import numpy as np
from ortools.sat.python import cp_model

MAX_CANDIDATES = 200
TIME_LIMIT = 20.0


@dataclass(frozen=True)
class Site:
    """A candidate site: where, and the facts it alone would cover."""

    lon: float
    lat: float
    facts: int


@dataclass(frozen=True)
class Choice:
    """The k sites chosen by a method, the facts they cover together, and, for the solver, its bound and gap."""

    method: str
    sites: list[Site]
    covered: int
    bound: float | None = None
    gap: float | None = None
    optimal: bool = False


@dataclass(frozen=True)
class Problem:
    """Demand weights, candidate sites and which demand points each site covers."""

    weights: np.ndarray
    sites: list[tuple[float, float]]
    covers: list[np.ndarray]


def _metres(lons: np.ndarray, lats: np.ndarray, lon: float, lat: float) -> np.ndarray:
    east = (lons - lon) * 111_320 * math.cos(math.radians(lat))
    north = (lats - lat) * 110_574
    return np.hypot(east, north)


def problem(points: list[tuple[float, float]], radius: float) -> Problem:
    """The problem of covering ``points`` (uncovered facts, lon/lat) with sites of ``radius`` metres."""
    demand: dict[str, int] = {}
    for lon, lat in points:
        cell = h3.latlng_to_cell(lat, lon, 12)
        demand[cell] = demand.get(cell, 0) + 1
    centres = [h3.cell_to_latlng(cell) for cell in demand]
    lats, lons = np.array([c[0] for c in centres]), np.array([c[1] for c in centres])
    weights = np.array(list(demand.values()), dtype=np.int64)
    parents: dict[str, int] = {}
    for cell, weight in demand.items():
        parent = h3.cell_to_parent(cell, 10)
        parents[parent] = parents.get(parent, 0) + weight
    ranked = sorted(parents, key=lambda cell: -parents[cell])[:MAX_CANDIDATES]
    sites = [(lon, lat) for lat, lon in (h3.cell_to_latlng(cell) for cell in ranked)]
    covers = [np.flatnonzero(_metres(lons, lats, lon, lat) <= radius) for lon, lat in sites]
    return Problem(weights, sites, covers)


def _site(spec: Problem, index: int) -> Site:
    lon, lat = spec.sites[index]
    return Site(lon, lat, int(spec.weights[spec.covers[index]].sum()))


def greedy(spec: Problem, k: int) -> Choice:
    """The baseline: add, k times, the site covering most facts not yet covered."""
    taken: list[int] = []
    done = np.zeros(len(spec.weights), dtype=bool)
    for _ in range(min(k, len(spec.sites))):
        gains = [int(spec.weights[c[~done[c]]].sum()) if i not in taken else -1 for i, c in enumerate(spec.covers)]
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        taken.append(best)
        done[spec.covers[best]] = True
    return Choice("glouton", [_site(spec, i) for i in taken], int(spec.weights[done].sum()))


def solve(spec: Problem, k: int, *, start: Choice | None = None, time_limit: float = TIME_LIMIT) -> Choice:
    """The k sites covering most facts, by CP-SAT (hinted with ``start``'s sites), with its bound and gap."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"site{i}") for i in range(len(spec.sites))]
    y = [model.new_bool_var(f"demand{j}") for j in range(len(spec.weights))]
    by_demand: list[list[int]] = [[] for _ in spec.weights]
    for i, cover in enumerate(spec.covers):
        for j in cover:
            by_demand[j].append(i)
    for j, sites in enumerate(by_demand):
        model.add(y[j] <= sum(x[i] for i in sites))
    model.add(sum(x) <= k)
    model.maximize(sum(int(w) * y[j] for j, w in enumerate(spec.weights)))
    chosen = {(s.lon, s.lat) for s in start.sites} if start else set()
    for i, site in enumerate(spec.sites):
        model.add_hint(x[i], site in chosen)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 2024
    status = solver.solve(model)
    taken = [i for i in range(len(x)) if solver.value(x[i])]
    value, bound = round(solver.objective_value), float(solver.best_objective_bound)
    gap = (bound - value) / bound if bound > 0 else 0.0
    return Choice("CP-SAT (OR-Tools)", [_site(spec, i) for i in taken], value, bound, max(0.0, gap),
                  status == cp_model.OPTIMAL)  # fmt: skip
