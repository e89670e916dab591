"""PostgreSQL binary COPY encoding of columnar data, without a per-row Python loop.

Binary COPY spares the server the parsing of text (geometry hex, timestamps, numbers), which is
most of its work on a bulk load. Each row of the format is a field count, then for every field
its byte length (-1 for NULL) and its bytes. Rows whose variable-width fields have the same
lengths share one layout, so rows are grouped by layout and each group is written as one numpy
structured array; fixed-width columns are assigned whole. Rows come out grouped, not in input
order: callers must not depend on the order of a COPY.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
PG_EPOCH = 946_684_800


@dataclass(frozen=True)
class Fixed:
    """A fixed-width column: numpy values already in the wire format (big-endian, raw bytes)."""

    values: np.ndarray


@dataclass(frozen=True)
class Text:
    """A variable-width column of text (``None`` for NULL); ``prefix`` is prepended (jsonb's version)."""

    values: pd.Series
    prefix: bytes = b""


Column = Fixed | Text


def int_column(values: np.ndarray, width: int) -> Fixed:
    """An int2/int4/int8 column."""
    return Fixed(np.asarray(values).astype(f">i{width}"))


def timestamptz_column(epoch_seconds: np.ndarray) -> Fixed:
    """A timestamptz column from Unix seconds (PostgreSQL counts microseconds from 2000-01-01)."""
    return Fixed(((np.asarray(epoch_seconds, dtype=np.int64) - PG_EPOCH) * 1_000_000).astype(">i8"))


def uuid_column(high: np.ndarray, low: np.ndarray) -> Fixed:
    """A uuid column from its two 64-bit halves."""
    packed = np.empty((len(high), 2), dtype=">u8")
    packed[:, 0] = high
    packed[:, 1] = low
    return Fixed(packed.view("V16").reshape(-1))


@dataclass(frozen=True)
class _Encoded:
    """A text column as codes into its distinct encoded values (the last entry stands for NULL)."""

    codes: np.ndarray
    lengths: np.ndarray
    table: np.ndarray


def _encoded(column: Text) -> _Encoded:
    codes, uniques = pd.factorize(column.values, sort=False, use_na_sentinel=True)
    encoded = [column.prefix + str(value).encode() for value in uniques]
    lengths = np.array([len(item) for item in encoded] + [-1], dtype=np.int64)
    table = np.array([*encoded, b""], dtype=f"S{max([1, *(len(item) for item in encoded)])}")
    return _Encoded(np.where(codes < 0, len(encoded), codes), lengths, table)


def encode(columns: list[Column], *, rows_per_chunk: int = 200_000) -> Iterator[bytes]:
    """The COPY payload (header, rows, trailer), in pieces of a few megabytes."""
    size = len(columns[0].values)
    texts = {index: _encoded(column) for index, column in enumerate(columns) if isinstance(column, Text)}
    layout = np.zeros(size, dtype=np.int64)
    for text in texts.values():
        classes, by_value = np.unique(text.lengths, return_inverse=True)
        combined = layout * len(classes) + by_value[text.codes]
        layout = pd.factorize(combined, sort=False)[0].astype(np.int64)
    yield HEADER
    order = np.argsort(layout, kind="stable")
    bounds = np.flatnonzero(np.diff(layout[order])) + 1
    for group in np.split(order, bounds):
        for start in range(0, len(group), rows_per_chunk):
            yield _rows(columns, texts, group[start : start + rows_per_chunk])
    yield TRAILER


def _rows(columns: list[Column], texts: dict[int, _Encoded], rows: np.ndarray) -> bytes:
    """One group of rows sharing a layout, as bytes."""
    widths = {index: int(text.lengths[text.codes[rows[0]]]) for index, text in texts.items()}
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for index, column in enumerate(columns):
        fields.append((f"l{index}", ">i4"))
        if isinstance(column, Fixed):
            fields.append((f"v{index}", column.values.dtype.str))
        elif widths[index] > 0:
            fields.append((f"v{index}", f"S{widths[index]}"))
    block = np.empty(len(rows), dtype=np.dtype(fields))
    block["count"] = len(columns)
    for index, column in enumerate(columns):
        if isinstance(column, Fixed):
            block[f"l{index}"] = column.values.dtype.itemsize
            block[f"v{index}"] = column.values[rows]
        else:
            block[f"l{index}"] = widths[index]
            if widths[index] > 0:
                block[f"v{index}"] = texts[index].table[texts[index].codes[rows]]
    return block.tobytes()
