"""Row validation: partner cells → harmonised, located, dated facts, or a reason for rejection.

Everything is vectorised over the rows of a chunk. A row gets the first reason that applies, with
the column concerned, so the partner can correct its export: first what its reader could not read
(a malformed line, a geometry GEOS cannot build), then cells over their length limit or holding a
NUL character, then label, date and location. Rows that pass become event rows with their
category, date and precision, lon/lat, territory, sector and H3 cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from etl.cells import check_cells
from etl.context import Context
from etl.dates import dates, time_precision
from etl.locations import coordinates, h3_cells, sectors, territories
from etl.mapping import Mapping
from etl.readers import RawTable
from etl.verdicts import Verdicts, categorical, from_codes
from ols.names import name_key
from ols.nomenclature import family_of


def _labels(frame: pd.DataFrame, mapping: Mapping, verdicts: Verdicts) -> tuple[pd.Categorical, ...]:
    """The partner's label, its harmonised category, that category's family and what the row measures."""
    text = frame[mapping.label].astype(str).str.strip()
    table, measures = mapping.label_table(), mapping.measure_table()
    codes, uniques = pd.factorize(text, sort=False)
    raw = from_codes(codes, uniques)
    keys = [name_key(str(label)) for label in uniques]
    categories = [table.get(key) for key in keys]
    category = categorical(codes, categories)
    family = categorical(codes, [family_of(code) if code else None for code in categories])
    measure = categorical(codes, [measures.get(key) for key in keys])
    verdicts.reject((text == "").to_numpy(), "missing_label", mapping.label)
    verdicts.reject(np.asarray(category.isna(), dtype=bool), "unknown_label", mapping.label, text)
    return raw, category, family, measure


def file_constants(mapping: Mapping, context: Context) -> dict[str, object]:
    """Event columns that hold the same value on every row of a file read with ``mapping``.

    Known before the first row is read, they are not sent row by row: the loader gives them as
    column defaults to the table it fills (``etl.load``).
    """
    constants: dict[str, object] = {}
    if len(context.territories) == 1:
        constants["territory_id"] = context.territories[0].id
        constants["commune_insee"] = context.territories[0].insee
    if (precision := time_precision(mapping)) is not None:
        constants["time_precision"] = precision
    if mapping.location.type != "address":
        constants["location_precision"] = mapping.location.precision
    if len(measures := set(mapping.measure_table().values())) == 1:
        constants["measure"] = measures.pop()
    return constants


def _objects(values: np.ndarray) -> pd.Series:
    """A column of Python objects, kept as such (no conversion to Arrow strings per chunk)."""
    return pd.Series(values, dtype=object, copy=False)


def _checked(table: RawTable, mapping: Mapping, context: Context) -> pd.DataFrame:
    """All rows with their harmonised values but H3 cells, and ``reason``/``column``/``message`` where rejected."""
    frame = table.frame
    verdicts = Verdicts(len(frame))
    if table.issues is not None:
        verdicts.take(table.issues)
    check_cells(frame, mapping, context.limits, verdicts)
    raw_label, category, family, measure = _labels(frame, mapping, verdicts)
    epoch, time_precisions = dates(frame, mapping, verdicts, context.now, context.timezone)
    lon, lat, location_precision = coordinates(table, mapping, context, verdicts)
    territory = territories(lon, lat, context, verdicts)
    ids = np.array([t.id for t in context.territories] + [0], dtype=np.int64)
    ref = frame[mapping.ref].astype(str).str.strip() if mapping.ref else pd.Series("", index=frame.index)
    rows = pd.DataFrame(
        {
            "line": table.lines,
            "category": category,
            "family": family,
            "measure": measure,
            "raw_label": raw_label,
            "occurred_epoch": epoch,
            "time_precision": time_precisions,
            "lon": np.where(verdicts.ok, lon, 0.0),
            "lat": np.where(verdicts.ok, lat, 0.0),
            "location_precision": pd.Categorical(location_precision),
            "territory_id": ids[territory],
            "commune_insee": categorical(territory, [t.insee for t in context.territories]),
            "partner_ref": ref,
            "reason": _objects(verdicts.reason),
            "column": _objects(verdicts.column),
            "message": _objects(verdicts.message),
        }
    )
    rows["sector_id"] = sectors(rows["lon"].to_numpy(), rows["lat"].to_numpy(), ids[territory], context)
    return rows


def _with_cells(rows: pd.DataFrame, cells: dict[int, np.ndarray]) -> pd.DataFrame:
    for resolution, values in cells.items():
        rows[f"h3_r{resolution}"] = values
    return rows


def validate_chunks(
    chunks: Iterable[RawTable], mapping: Mapping, context: Context
) -> Iterator[tuple[RawTable, pd.DataFrame]]:
    """Each chunk with its rows: harmonised values, H3 cells, and ``reason``/``column``/``message`` where rejected.

    A chunk's H3 cells (the costliest step) are computed in a thread while the next chunk is
    checked and the caller handles the previous one (h3ronpy releases the GIL). Rejected rows get a point at (0, 0) and
    its cells; they are never stored as events.
    """
    with ThreadPoolExecutor(1) as pool:
        pending: tuple[RawTable, pd.DataFrame, Future[dict[int, np.ndarray]]] | None = None
        for chunk in chunks:
            rows = _checked(chunk, mapping, context)
            future = pool.submit(h3_cells, rows["lon"].to_numpy(), rows["lat"].to_numpy())
            if pending is not None:
                yield pending[0], _with_cells(pending[1], pending[2].result())
            pending = (chunk, rows, future)
        if pending is not None:
            yield pending[0], _with_cells(pending[1], pending[2].result())
