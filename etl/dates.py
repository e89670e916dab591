"""Dates of partner rows: parsed with the mapping's formats, placed in UTC, with their precision."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.mapping import Mapping
from etl.verdicts import Verdicts, arrow_text, constant, from_codes

EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
SANE_FIRST, SANE_LAST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")
ISO_SEPARATORS = {"%Y-%m-%d": None, "%Y-%m-%d %H:%M:%S": " ", "%Y-%m-%dT%H:%M:%S": "T"}


def _exact(parsed: pa.Array, text: pa.Array, fmt: str) -> pa.Array:
    """Drop dates Arrow rolled over (31/02 → 02/03): they land on days 1-3 and do not round-trip."""
    suspects = np.flatnonzero(pc.fill_null(pc.less_equal(pc.day(parsed), 3), False).to_numpy(zero_copy_only=False))
    if len(suspects) == 0:
        return parsed
    indices = pa.array(suspects)
    exact = pc.equal(pc.strftime(pc.take(parsed, indices), format=fmt), pc.take(text, indices))
    wrong = suspects[~np.asarray(pc.fill_null(exact, False).to_numpy(zero_copy_only=False), dtype=bool)]
    if len(wrong) == 0:
        return parsed
    mask = np.zeros(len(parsed), dtype=bool)
    mask[wrong] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, type=parsed.type), parsed)


def _iso(text: pa.Array, fmt: str) -> pa.Array | None:
    """Arrow's ISO 8601 cast (several times faster than ``strptime``) when every cell has the format's shape."""
    if fmt not in ISO_SEPARATORS or len(text) == 0:
        return None
    separator = ISO_SEPARATORS[fmt]
    if not pc.all(pc.equal(pc.utf8_length(text), 10 if separator is None else 19)).as_py():
        return None
    if separator and not pc.all(pc.equal(pc.utf8_slice_codeunits(text, 10, 11), separator)).as_py():
        return None
    try:
        return pc.cast(text, pa.timestamp("s"))
    except pa.ArrowInvalid:
        return None


def parse_formats(values: pd.Series, formats: list[str]) -> pd.Series:
    """Datetimes parsed with the first format that fits each cell (NaT where none does).

    Arrow's C++ ISO cast or ``strptime`` does the bulk; cells it cannot parse exactly (unpadded
    numbers, codes Arrow lacks, impossible dates) are retried with pandas, which validates them.
    """
    text = arrow_text(values)
    parsed: pa.Array = pa.nulls(len(text), type=pa.timestamp("s"))
    for fmt in formats:
        attempt = _iso(text, fmt)
        if attempt is None:
            attempt = _exact(pc.strptime(text, format=fmt, unit="s", error_is_null=True), text, fmt)
        parsed = pc.coalesce(parsed, attempt)
    result = pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index).astype("datetime64[s]")
    missing = result.isna().to_numpy()
    if not missing.any():
        return result
    retry = missing & np.asarray(pc.not_equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
    for fmt in formats if retry.any() else []:
        todo = retry & result.isna().to_numpy()
        if todo.any():
            again = pd.to_datetime(values[todo].astype(str).str.strip(), format=fmt, errors="coerce")
            result[todo] = again.astype("datetime64[s]")
    return result


def time_precision(mapping: Mapping) -> str | None:
    """The time precision of every row of the mapping's files, or None where each row has its own.

    With a separate time column, a row without a time is precise to the day, one with a time to
    the minute (unless the mapping forces a precision).
    """
    spec = mapping.date
    if spec.precision:
        return spec.precision
    if spec.time_column:
        return None
    return "minute" if any("%H" in fmt for fmt in spec.formats) else "day"


def dates(
    frame: pd.DataFrame, mapping: Mapping, verdicts: Verdicts, now: datetime, timezone: str
) -> tuple[np.ndarray, pd.Categorical]:
    """Epoch seconds (UTC) and time precision of each row."""
    spec = mapping.date
    values = frame[spec.column].astype(str).str.strip()
    parsed = parse_formats(values, spec.formats)
    verdicts.reject((values == "").to_numpy(), "missing_date", spec.column)
    verdicts.reject(parsed.isna().to_numpy(), "invalid_date", spec.column, values)
    absurd = (parsed.notna() & ((parsed < SANE_FIRST) | (parsed > SANE_LAST))).to_numpy()
    verdicts.reject(absurd, "impossible_date", spec.column, values)  # year 2 or 9999: out of any time zone's range
    parsed = parsed.mask(absurd)
    precision = constant(time_precision(mapping) or "day", len(frame))
    if spec.time_column:
        times = frame[spec.time_column].astype(str).str.strip()
        clock = parse_formats(times, spec.time_formats)
        verdicts.reject(
            ((times != "") & clock.isna()).to_numpy(),
            "invalid_date",
            spec.time_column,
            times,
        )
        offset = (clock - clock.dt.normalize()).fillna(pd.Timedelta(0))
        parsed = parsed + offset
        if time_precision(mapping) is None:
            precision = from_codes(clock.notna().to_numpy().astype(np.int8), ["day", "minute"])
    if spec.precision == "month":
        parsed = parsed.dt.to_period("M").dt.to_timestamp()
    local = parsed.dt.tz_localize(
        spec.timezone or timezone, ambiguous=np.ones(len(parsed), dtype=bool), nonexistent="shift_forward"
    )
    utc = local.dt.tz_convert("UTC")
    latest = pd.Timestamp(now + timedelta(days=1))
    verdicts.reject(
        ((utc < EARLIEST) | (utc > latest)).to_numpy(),
        "impossible_date",
        spec.column,
        values,
    )
    seconds = (utc - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return seconds.fillna(0).astype("int64").to_numpy(), precision
