"""Deterministic identifiers of facts, so that the same fact sent twice is stored once.

Within one source, a fact with a partner reference is identified by that reference; a fact
without one by its category, time, position (to the micrometre of a degree) and its rank among
identical rows of the same file (police.uk, for instance, publishes several identical
anonymised rows for distinct crimes). Two 64-bit SipHash values keyed by the source code make a
128-bit id, stored as a UUID.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def _hash_key(source_code: str, salt: str) -> str:
    return hashlib.blake2b(f"{source_code}:{salt}".encode(), digest_size=8).hexdigest()


def fact_keys(rows: pd.DataFrame) -> pd.DataFrame:
    """The identifying columns of each fact (reference, or content plus rank among identical rows)."""
    has_ref = rows["partner_ref"].astype(str) != ""
    content = pd.DataFrame(
        {
            "category": rows["category"].astype(str),
            "epoch": rows["occurred_epoch"].astype("int64"),
            "lon": np.round(rows["lon"].to_numpy(dtype=float) * 1e6).astype(np.int64),
            "lat": np.round(rows["lat"].to_numpy(dtype=float) * 1e6).astype(np.int64),
        }
    )
    rank = content.groupby(list(content.columns), sort=False).cumcount().astype("int64")
    return pd.DataFrame(
        {
            "kind": np.where(has_ref, "ref", "content"),
            "ref": rows["partner_ref"].astype(str).to_numpy(dtype=object),
            "category": content["category"].where(~has_ref, ""),
            "epoch": content["epoch"].where(~has_ref, 0),
            "lon": content["lon"].where(~has_ref, 0),
            "lat": content["lat"].where(~has_ref, 0),
            "rank": rank.where(~has_ref, 0),
        }
    )


def fact_ids(rows: pd.DataFrame, source_code: str) -> np.ndarray:
    """32-hex-digit ids (UUID text) of the facts, keyed by their source."""
    keys = fact_keys(rows)
    high = pd.util.hash_pandas_object(keys, index=False, hash_key=_hash_key(source_code, "high")).to_numpy()
    low = pd.util.hash_pandas_object(keys, index=False, hash_key=_hash_key(source_code, "low")).to_numpy()
    packed = np.empty((len(keys), 2), dtype=">u8")
    packed[:, 0] = high
    packed[:, 1] = low
    digits = packed.tobytes().hex()
    return np.array([digits[i : i + 32] for i in range(0, len(digits), 32)], dtype=object)
