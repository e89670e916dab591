"""Deterministic identifiers of facts, so that the same fact sent twice is stored once.

Within one source, a fact with a partner reference is identified by that reference; a fact
without one by its category, time, position (to the micrometre of a degree) and its rank among
identical rows of the same file (police.uk, for instance, publishes several identical
anonymised rows for distinct crimes).

The id is 128 bits, stored as a UUID: two 64-bit hashes of those fields, each chained with the
splitmix64 finaliser from its own seed (both seeds derived from the source code); text fields
enter through keyed SipHash (``pandas.util.hash_array``), computed once per distinct value.
Everything is vectorised: hashing a million facts takes a few tens of milliseconds, where a
per-row ``hashlib`` call took over a second (``benchmarks/ingest.py``).
"""

from __future__ import annotations

import binascii
import hashlib

import numpy as np
import pandas as pd

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection of uint64 with full avalanche."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * M1
        values = (values ^ (values >> np.uint64(27))) * M2
    mixed: np.ndarray = values ^ (values >> np.uint64(31))
    return mixed


def _combine(state: np.ndarray, field: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _mix(state ^ (field.astype(np.uint64) + GOLDEN + (state << np.uint64(6)) + (state >> np.uint64(2))))


def _seed(source_code: str, half: str) -> np.uint64:
    digest = hashlib.blake2b(f"{source_code}:{half}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "big"))


def _text_hash(values: pd.Series, seed: np.uint64) -> np.ndarray:
    """Keyed SipHash of each text value, computed once per distinct value."""
    codes, uniques = pd.factorize(values.astype(str), sort=False)
    key = f"{int(seed):016x}"
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object), hash_key=key)
    return np.asarray(hashed, dtype=np.uint64)[codes]


def _half(rows: pd.DataFrame, has_ref: np.ndarray, seed: np.uint64, rank: np.ndarray | None) -> np.ndarray:
    size = len(rows)
    state = np.full(size, seed, dtype=np.uint64)
    content = [
        _text_hash(rows["category"], seed),
        rows["occurred_epoch"].to_numpy(dtype=np.int64).view(np.uint64),
        np.round(rows["lon"].to_numpy(dtype=float) * 1e6).astype(np.int64).view(np.uint64),
        np.round(rows["lat"].to_numpy(dtype=float) * 1e6).astype(np.int64).view(np.uint64),
    ]
    if rank is not None:
        content.append(rank.astype(np.uint64))
    for field in content:
        state = _combine(state, field)
    by_ref = _combine(np.full(size, seed ^ GOLDEN, dtype=np.uint64), _text_hash(rows["partner_ref"], seed))
    return np.where(has_ref, by_ref, state)


def fact_hashes(rows: pd.DataFrame, source_code: str) -> tuple[np.ndarray, np.ndarray]:
    """The two 64-bit halves of each fact's id."""
    has_ref = (rows["partner_ref"].astype(str) != "").to_numpy()
    high_seed, low_seed = _seed(source_code, "high"), _seed(source_code, "low")
    high = _half(rows, has_ref, high_seed, None)
    repeated = pd.Series(high).duplicated(keep=False).to_numpy() & ~has_ref
    rank = np.zeros(len(rows), dtype=np.int64)
    if repeated.any():
        rank[repeated] = pd.Series(high[repeated]).groupby(high[repeated]).cumcount().to_numpy()
        high = _half(rows, has_ref, high_seed, rank)
    return high, _half(rows, has_ref, low_seed, rank)


def as_uuid_text(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """32-hex-digit texts (PostgreSQL reads them as UUIDs), as a numpy bytes array."""
    packed = np.empty((len(high), 2), dtype=">u8")
    packed[:, 0] = high
    packed[:, 1] = low
    return np.frombuffer(binascii.hexlify(packed.tobytes()), dtype="S32")
