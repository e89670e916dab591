"""Validated facts as Arrow record batches, in the columns of ``event``, for a binary COPY.

pgpq encodes the batches in PostgreSQL's binary COPY format, so the server parses no text: ids are
two 64-bit halves laid side by side, points are EWKB built with numpy (no per-row loop), and JSON
attributes are jsonb's binary input (a version byte, then the text).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EVENT_SCHEMA = pa.schema(
    [
        ("id", pa.binary(16)),
        ("source_id", pa.int16()),
        ("batch_id", pa.int32()),
        ("territory_id", pa.int32()),
        ("category", pa.string()),
        ("family", pa.string()),
        ("raw_label", pa.string()),
        ("occurred_at", pa.timestamp("us")),
        ("time_precision", pa.string()),
        ("geom", pa.binary(25)),
        ("location_precision", pa.string()),
        ("h3_r8", pa.int64()),
        ("h3_r9", pa.int64()),
        ("h3_r10", pa.int64()),
        ("commune_insee", pa.string()),
        ("sector_id", pa.int32()),
        ("partner_ref", pa.string()),
        ("confidentiality", pa.string()),
        ("line", pa.int32()),
        ("measure", pa.string()),
    ]
)
ATTRIBUTES = pa.field("attributes", pa.binary())
POINT_EWKB = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])


def event_schema(*, attributes: bool, constants: Iterable[str] = ()) -> pa.Schema:
    """The columns COPied for a file: not its ``constants``, and ``attributes`` only when kept.

    A column missing from the COPY takes the staging table's default: ``{}`` for attributes (no
    JSON for the server to parse), the file's value for its constants (``Defaults``).
    """
    skipped = set(constants)
    fields = [field for field in EVENT_SCHEMA if field.name not in skipped]
    return pa.schema([*fields, ATTRIBUTES] if attributes else fields)


def ewkb_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EWKB of WGS84 points (what PostGIS's binary input reads), built without a per-row loop."""
    points = np.empty(len(lon), dtype=POINT_EWKB)
    points["order"] = 1
    points["type"] = 0x20000001
    points["srid"] = 4326
    points["x"] = lon
    points["y"] = lat
    return points


def _fixed(values: np.ndarray, width: int) -> pa.Array:
    """Fixed-width binary cells straight from a numpy buffer (no copy)."""
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, pa.py_buffer(values)])


def _jsonb(texts: pa.Array) -> pa.Array:
    """JSON texts in jsonb's binary input format: a version byte (1), then the text."""
    return pc.binary_join_element_wise(pa.scalar("\x01"), texts, "").cast(pa.binary())


def _text(values: pd.Series) -> pa.Array:
    array = pa.array(values, from_pandas=True)
    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array.cast(pa.string())


def _ids(high: np.ndarray, low: np.ndarray) -> pa.Array:
    ids = np.empty((len(high), 2), dtype=">u8")
    ids[:, 0] = high
    ids[:, 1] = low
    return _fixed(ids, 16)


def _optional_text(values: pd.Series) -> pa.Array:
    """Text cells, NULL where empty."""
    text = values.astype(object)
    return _text(text.where(text != "", None))


def _optional_ids(values: pd.Series) -> pa.Array:
    """Ids, NULL where negative (a fact in no sector)."""
    ids = values.to_numpy(np.int64)
    return pa.array(ids.astype(np.int32), mask=ids < 0)


def _column(rows: pd.DataFrame, name: str) -> pa.Array:
    """One COPY column from the validated rows."""
    special = {"partner_ref": _optional_text, "sector_id": _optional_ids}
    if name in special:
        return special[name](rows[name])
    if name == "occurred_at":
        return pa.array(rows["occurred_epoch"].to_numpy(np.int64) * 1_000_000, type=pa.timestamp("us"))
    if name == "geom":
        points = ewkb_points(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))
        return _fixed(points, POINT_EWKB.itemsize)
    if name == "attributes":
        return _jsonb(_text(rows["attributes"]))
    kind = EVENT_SCHEMA.field(name).type
    if pa.types.is_string(kind):
        return _text(rows[name])
    return pa.array(rows[name].to_numpy(kind.to_pandas_dtype()))


def event_batch(rows: pd.DataFrame, high: np.ndarray, low: np.ndarray, *, schema: pa.Schema) -> pa.RecordBatch:
    """Validated rows and their ids as an Arrow batch of ``schema`` (what pgpq encodes for COPY)."""
    columns = [_ids(high, low) if name == "id" else _column(rows, name) for name in schema.names]
    return pa.record_batch(columns, schema=schema)
