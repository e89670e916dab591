"""Disclosure control for the roles below the police: the cell-key method, rounding to the threshold.

Why this method. OLS builds its tables on demand: any period, resolution, family, category,
source, zone or hour asked for. Primary and secondary suppression protect a *fixed* set of tables;
over tables built on demand, a hidden cell comes back as a total minus its visible parts through
some other table (issue 11 found it so: all families minus each family, hot spots minus the heatmap,
totals and rates). The statistical offices that publish flexible tables — the Australian Bureau of
Statistics (TableBuilder) and the ONS (Census 2021) — use the *cell-key method* for that reason:
each published count is perturbed by a draw that depends only on the set of records it counts.

How OLS applies it, for every count a suppressed audience receives:

- each fact has a *record key*: a 32-bit hash of its id (itself a hash of the fact);
- a cell's key is the sum of the record keys of the facts it counts, modulo 2**32: the same facts
  reached through any table, filter or resolution get the same key, hence the same published value
  (asking again, or otherwise, teaches nothing new);
- a count below the threshold, zero included, is hidden ("< 5"): a hidden count must not tell
  "nothing" from "a few", or four hidden parts of a hidden total would each be exactly 1 (a
  reviewer of this module pinned 229 hidden counts so, with an integer program, while zeros were
  shown); where a table lists only what it holds (the heatmap's cells, tiles, OGC features), such
  cells are left out, so that absence means "fewer than 5" too;
- any other count is rounded to a multiple of the threshold, up with probability ``(count mod
  threshold) / threshold`` (so that it is unbiased), the draw being a keyed hash of the cell key
  and of the observatory's secret (``disclosure_key``, random, drawn when the database is created);
- rates, evolutions and shares are computed from the published counts only.

What it guarantees. Every count a suppressed reader gets is a multiple of the threshold, so every
sum or difference of such counts is too, while a hidden count lies between 0 and the threshold
minus one: no linear combination of published tables gives a hidden count back. Bounds can still
meet in rare corners — a rounded count is within ``threshold - 1`` of the truth, a hidden one below
the threshold — so the test suite also solves, for every hidden count, the integer program of
everything a role receives, and counts how many it pins down (``tests/routes/test_disclosure.py``).
Averaging many differently rounded views of the same facts could narrow a count down; the cell key
makes every view of the same facts identical, and suppressed readers may only ask for calendar
periods (no day ranges to slide), which leaves too few distinct views to average. The price: the
figures of the élu and public versions are rounded to the nearest 5 and do not always add up.

Breakdowns by commune and sector (issue 18) are more tables over the same facts: a commune's cell
key is the sum of its sectors', so the observatory, its communes, a commune and its sectors are
published as consistently as a total and its families, and a hidden sector stays between 0 and 4
whatever its commune and its other sectors show (``tests/routes/test_area_disclosure.py`` runs the
attack and the integer program over them). No finer rule (a minimum sector size) is needed for
counts; what a cut says besides its counts goes through the audience too (:meth:`Audience.filed`).
"""

from __future__ import annotations

import threading

import numpy as np
from sqlalchemy import ColumnElement, Connection, func, select

from ols.store.models import DisclosureKey
from ols.store.sql import Rows, column_of

MODULUS = 1 << 32
MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_secrets: dict[str, int] = {}
_lock = threading.Lock()


def record_key(events: Rows = "e") -> ColumnElement[int]:
    """The record key of events: PostgreSQL's 32-bit hash of their id (``uuid_hash``, the hash of hash
    partitioning: stable, uniform, and nearly free to compute)."""
    return func.uuid_hash(column_of(events, "id"))


def cell_key(events: Rows = "e") -> ColumnElement[int]:
    """The cell key of a group of events, an aggregate: the sum of their record keys (reduced in Python)."""
    return func.sum(record_key(events))


def secret(connection: Connection) -> int:
    """The observatory's disclosure secret (read once per database and process)."""
    url = connection.engine.url.render_as_string(hide_password=True)
    with _lock:
        if url not in _secrets:
            _secrets[url] = int(connection.execute(select(DisclosureKey.secret)).scalar_one())
        return _secrets[url]


def _uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    """A uniform draw in [0, 1) per cell key: splitmix64's finaliser of the key mixed with the secret."""
    values = (np.asarray(keys, dtype=np.int64).astype(np.uint64) % np.uint64(MODULUS)) ^ np.uint64(salt % (1 << 64))
    with np.errstate(over="ignore"):
        for shift, multiplier in zip((30, 27), MIX, strict=True):
            values ^= values >> np.uint64(shift)
            values *= multiplier
        values ^= values >> np.uint64(31)
    return (values >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def rounded(counts: np.ndarray, keys: np.ndarray, *, threshold: int, salt: int) -> list[int | None]:
    """Published counts: below ``threshold`` (zero included) hidden (None), the others rounded by their cell key."""
    values = np.asarray(counts, dtype=np.int64)
    if values.size == 0:
        return []
    remainder = values % threshold
    up = _uniform(np.asarray(keys, dtype=np.int64), salt) < remainder / threshold
    published = values - remainder + np.where(up, threshold, 0)
    hidden = values < threshold
    return [None if hide else int(value) for value, hide in zip(published.tolist(), hidden.tolist(), strict=True)]
