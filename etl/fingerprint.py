"""Deterministic identifiers of facts, so that the same fact sent twice is stored once.

Within one source, a fact with a partner reference is identified by that reference; a fact
without one by its category, time, position (to the micrometre of a degree) and its rank among
identical rows of the same file (police.uk, for instance, publishes several identical
anonymised rows for distinct crimes). The rank enters the low half always and the high half
from the second identical row on: the first of identical rows keeps the id the fact has in a
file where it appears once, and facts keep the ids the first version of OLS gave them.

The id is 128 bits, stored as a UUID: two 64-bit hashes of those fields, each chained with the
splitmix64 finaliser from its own seed (both seeds derived from the source code); text fields
enter through keyed SipHash (``pandas.util.hash_array``), computed once per distinct value.
Everything is vectorised: hashing a million facts takes a few tens of milliseconds, where a
per-row ``hashlib`` call took over a second (``benchmarks/ingest.py``).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place: a bijection of uint64 with full avalanche."""
    scratch = np.empty_like(values)
    with np.errstate(over="ignore"):
        for shift, multiplier in ((30, M1), (27, M2)):
            np.right_shift(values, np.uint64(shift), out=scratch)
            values ^= scratch
            values *= multiplier
        np.right_shift(values, np.uint64(31), out=scratch)
        values ^= scratch
    return values


def _combine(state: np.ndarray, field: np.ndarray) -> np.ndarray:
    """A new state from ``state`` and a field (boost's hash_combine, then the finaliser)."""
    with np.errstate(over="ignore"):
        mixed = field.astype(np.uint64)
        mixed += GOLDEN
        mixed += state << np.uint64(6)
        mixed += state >> np.uint64(2)
        mixed ^= state
    return _mix(mixed)


def _seed(source_code: str, half: str) -> np.uint64:
    digest = hashlib.blake2b(f"{source_code}:{half}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "big"))


def _text_hash(values: pd.Series, seed: np.uint64) -> np.ndarray:
    """Keyed SipHash of each text value, computed once per distinct value."""
    codes, uniques = pd.factorize(values, sort=False)
    key = f"{int(seed):016x}"
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object), hash_key=key)
    return np.asarray(hashed, dtype=np.uint64)[codes]


def _when_where(rows: pd.DataFrame) -> list[np.ndarray]:
    """A fact's time and position (to the micrometre of a degree) as 64-bit words."""
    return [
        rows["occurred_epoch"].to_numpy(dtype=np.int64).view(np.uint64),
        np.round(rows["lon"].to_numpy(dtype=float) * 1e6).astype(np.int64).view(np.uint64),
        np.round(rows["lat"].to_numpy(dtype=float) * 1e6).astype(np.int64).view(np.uint64),
    ]


def _chain(seed: np.uint64, fields: list[np.ndarray]) -> np.ndarray:
    state = np.full(len(fields[0]), seed, dtype=np.uint64)
    for field in fields:
        state = _combine(state, field)
    return state


class FactIds:
    """The ids of one file's facts, computed chunk after chunk in file order.

    The rank of a row among identical earlier rows is counted across chunks (a sorted array of
    the content hashes seen so far), so a file cut into chunks gets the ids it would get whole.
    Rows carrying a partner reference are identified by it alone; a reference seen earlier in
    the file makes the row a duplicate (``first`` is False).
    """

    def __init__(self, source_code: str) -> None:
        self._seeds = (_seed(source_code, "high"), _seed(source_code, "low"))
        self._seen = np.zeros(0, dtype=np.uint64)
        self._refs: set[tuple[int, int]] = set()

    def _ranks(self, content: np.ndarray) -> np.ndarray:
        """How many earlier rows of the file had each row's content.

        The chunk is sorted (equal contents in file order) and looked up in the sorted hashes
        of earlier chunks; sorted queries walk that array in order.
        """
        size = len(content)
        order = np.argsort(content)
        ordered = content[order]
        if size > 1 and (ordered[1:] == ordered[:-1]).any():
            order = np.lexsort((np.arange(size), content))
            ordered = content[order]
        left = np.searchsorted(self._seen, ordered, side="left")
        found = left < len(self._seen)
        found[found] = self._seen[left[found]] == ordered[found]
        earlier = np.zeros(size, dtype=np.int64)
        if found.any():
            earlier[found] = np.searchsorted(self._seen, ordered[found], side="right") - left[found]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if size else np.zeros(0, dtype=np.int64)
        within = np.arange(size) - np.repeat(starts, np.diff(np.r_[starts, size]))
        ranks = np.empty(size, dtype=np.int64)
        ranks[order] = earlier + within
        self._seen = np.sort(np.concatenate([self._seen, ordered]), kind="stable")
        return ranks

    def _first(self, high: np.ndarray, low: np.ndarray, has_ref: np.ndarray) -> np.ndarray:
        """False for a referenced row whose reference came earlier in the file."""
        first = np.ones(len(high), dtype=bool)
        if not has_ref.any():
            return first
        indices = np.flatnonzero(has_ref)
        keys = list(zip(high[indices].tolist(), low[indices].tolist(), strict=True))
        for index, key in zip(indices, keys, strict=True):
            if key in self._refs:
                first[index] = False
            else:
                self._refs.add(key)
        return first

    def __call__(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The two 64-bit halves of each row's id, and whether it is the id's first row in the file."""
        has_ref = (rows["partner_ref"].astype(str) != "").to_numpy()
        when_where = _when_where(rows)
        contents = [_chain(seed, [_text_hash(rows["category"], seed), *when_where]) for seed in self._seeds]
        ranks = np.zeros(len(rows), dtype=np.uint64)
        ranks[~has_ref] = self._ranks(contents[0][~has_ref])
        high, low = contents
        repeated = ranks > 0
        high[repeated] = _combine(high[repeated], ranks[repeated])
        low = _combine(low, ranks)
        halves = [high, low]
        if has_ref.any():
            for index, seed in enumerate(self._seeds):
                start = np.full(len(rows), seed ^ GOLDEN, dtype=np.uint64)
                halves[index] = np.where(has_ref, _combine(start, _text_hash(rows["partner_ref"], seed)), halves[index])
        return halves[0], halves[1], self._first(halves[0], halves[1], has_ref)
