"""Deterministic identifiers of facts, so that the same fact sent twice is stored once.

Within one source, a fact with a partner reference is identified by that reference; a fact
without one by its category, time, position (to the micrometre of a degree) and its rank among
identical rows of the same file (police.uk, for instance, publishes several identical
anonymised rows for distinct crimes). A 128-bit BLAKE2b of that key, keyed by the source code,
is the fact's id, stored as a UUID.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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


def _key_bytes(keys: pd.DataFrame) -> list[bytes]:
    """One byte key per fact (columns joined with a separator), built in Arrow's C++ kernels."""
    columns = [pc.cast(pa.array(keys[name].to_numpy()), pa.string()) for name in keys.columns]
    joined = pc.binary_join_element_wise(*columns, "\x1f")
    return list(pc.cast(joined, pa.binary()).to_pylist())


def fact_ids(rows: pd.DataFrame, source_code: str) -> list[str]:
    """32-hex-digit ids (UUID text) of the facts: a 128-bit BLAKE2b of the key, keyed by the source."""
    secret = hashlib.blake2b(source_code.encode(), digest_size=32).digest()
    return [hashlib.blake2b(key, digest_size=16, key=secret).hexdigest() for key in _key_bytes(fact_keys(rows))]
