"""Indicators and evolution tables: N-2, N-1, N with absolute and % evolution, as in the bilans.

Local counts come from the observatory's events, by family, category or source; the official
SSMSI figures (``ols indicators load-ssmsi``) are kept beside them as context: département counts
and rates, and the commune rates that the SSMSI publishes (or that are derived from it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, text

from ols.aggregates import IN_PERIOD, period_params
from ols.errors import InvalidInputError
from ols.models import OfficialIndicator
from ols.nomenclature import CATEGORY_BY_CODE, FAMILY_BY_CODE
from ols.periods import Period

DEPARTEMENT_COLUMNS = {"classe", "annee", "Code.département", "faits", "tauxpourmille"}
COMMUNE_COLUMNS = {"CODGEO_2024", "annee", "classe", "taux"}
GROUPINGS = ("family", "category", "source")


def _year(value: str) -> int:
    year = int(value)
    return 2000 + year if year < 100 else year


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype(str).str.replace(",", ".", regex=False).replace("", None), errors="coerce")


def read_ssmsi(path: Path) -> pd.DataFrame:
    """An SSMSI file (département counts, or commune rates) as official-indicator rows."""
    frame = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if set(frame.columns) >= DEPARTEMENT_COLUMNS:
        return pd.DataFrame({
            "scope": "departement", "code": frame["Code.département"], "year": frame["annee"].map(_year),
            "indicator": frame["classe"], "unit": frame.get("unité.de.compte"),
            "count": _number(frame["faits"]).round().astype("Int64"),
            "rate_per_thousand": _number(frame["tauxpourmille"]),
            "population": _number(frame["POP"]).round().astype("Int64"),
            "dwellings": _number(frame["LOG"]).round().astype("Int64"), "source_file": path.name,
        })  # fmt: skip
    if set(frame.columns) >= COMMUNE_COLUMNS:
        return pd.DataFrame({
            "scope": "commune", "code": frame["CODGEO_2024"], "year": frame["annee"].map(_year),
            "indicator": frame["classe"], "unit": None, "count": pd.Series(pd.NA, index=frame.index, dtype="Int64"),
            "rate_per_thousand": _number(frame["taux"]),
            "population": pd.Series(pd.NA, index=frame.index, dtype="Int64"),
            "dwellings": pd.Series(pd.NA, index=frame.index, dtype="Int64"), "source_file": path.name,
        })  # fmt: skip
    msg = f"{path.name}: not an SSMSI file (columns: {', '.join(frame.columns)})"
    raise InvalidInputError(msg)


def load_ssmsi(connection: Connection, path: Path) -> int:
    """Replace the official figures read from one SSMSI file; return how many rows."""
    rows = read_ssmsi(path)
    connection.execute(delete(OfficialIndicator).where(OfficialIndicator.source_file == path.name))
    records = cast(list[dict[str, Any]], rows.astype(object).where(rows.notna(), None).to_dict("records"))
    connection.execute(insert(OfficialIndicator), records)
    return len(records)


@dataclass(frozen=True)
class Years:
    """The three periods of an evolution table: N-2, N-1 and N."""

    n2: Period
    n1: Period
    n: Period

    @classmethod
    def ending(cls, period: Period) -> Years:
        """N and the same period one and two years before."""
        n1 = period.last_year()
        return cls(n1.last_year(), n1, period)

    def names(self) -> tuple[str, str, str]:
        """Column names (the periods' names)."""
        return self.n2.name, self.n1.name, self.n.name


def evolution_table(counts: pd.DataFrame, columns: tuple[str, str, str]) -> pd.DataFrame:
    """From ``key``, ``label`` and one column per period, add N vs N-1 and N-2 → N evolutions.

    A % evolution from zero is undefined and left empty, never shown as infinite.
    """
    n2, n1, n = columns
    table = counts.copy()
    for column in columns:
        table[column] = table[column].fillna(0).astype(int)
    table["evolution"] = table[n] - table[n1]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["evolution_pct"] = np.where(table[n1] > 0, 100 * (table[n] - table[n1]) / table[n1], np.nan)
        table["evolution_n2_pct"] = np.where(table[n2] > 0, 100 * (table[n] - table[n2]) / table[n2], np.nan)
    sums = {column: int(table[column].sum()) for column in columns}
    total: dict[str, object] = {"key": "total", "label": "Total", **sums, "evolution": sums[n] - sums[n1]}
    total["evolution_pct"] = 100 * (sums[n] - sums[n1]) / sums[n1] if sums[n1] else np.nan
    total["evolution_n2_pct"] = 100 * (sums[n] - sums[n2]) / sums[n2] if sums[n2] else np.nan
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table[["evolution_pct", "evolution_n2_pct"]] = table[["evolution_pct", "evolution_n2_pct"]].round(1)
    return table


def _labels(grouping: str, connection: Connection) -> dict[str, str]:
    if grouping == "family":
        return {code: family.label for code, family in FAMILY_BY_CODE.items()}
    if grouping == "category":
        return {code: category.label for code, category in CATEGORY_BY_CODE.items()}
    return dict(connection.execute(text("SELECT code, name FROM source")).all())


def _denominators(connection: Connection, territory: str | None) -> tuple[int | None, int | None]:
    query = (
        "SELECT sum(population), sum(dwellings), bool_and(population IS NOT NULL), "
        "bool_and(dwellings IS NOT NULL) FROM territory"
    )
    row = connection.execute(text(query + (" WHERE code = :t" if territory else "")), {"t": territory}).one()
    return (int(row[0]) if row[2] else None), (int(row[1]) if row[3] else None)


def with_rates(
    table: pd.DataFrame, column: str, *, by: str, population: int | None, dwellings: int | None
) -> pd.DataFrame:
    """Add N's rate per 1,000: per dwelling for residential burglary (as the SSMSI does), else per inhabitant."""
    if population is None and dwellings is None:
        return table

    def rate(row: pd.Series) -> float:
        per_dwelling = by == "category" and row["key"] == "residential_burglary"
        base = dwellings if per_dwelling else population
        return round(1000 * float(row[column]) / base, 2) if base else float("nan")

    return table.assign(rate_per_thousand=table.apply(rate, axis=1))


def local_evolution(
    connection: Connection,
    period: Period,
    *,
    by: str = "family",
    timezone: str = "Europe/Paris",
    territory: str | None = None,
    excluded: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Evolution table of the observatory's own counts for ``period`` vs the two years before.

    With the territory's denominators, N's rate per 1,000 is added; with ``by="category"``, the
    matching SSMSI indicator is named, so that the official figures can be shown beside.
    ``excluded`` categories are left out (the sensitive ones, for roles below the police).
    """
    if by not in GROUPINGS:
        msg = f"--by must be one of {', '.join(GROUPINGS)}"
        raise InvalidInputError(msg)
    years = Years.ending(period)
    key = {"family": "e.family", "category": "e.category", "source": "s.code"}[by]
    where = ("" if territory is None else " AND t.code = :territory") + " AND NOT (e.category = ANY(:excluded))"
    counts: dict[str, dict[str, int]] = {}
    for name, span in zip(years.names(), (years.n2, years.n1, years.n), strict=True):
        rows = connection.execute(
            text(f"SELECT {key}, count(*) FROM event e JOIN source s ON s.id = e.source_id "
                 f"JOIN territory t ON t.id = e.territory_id WHERE {IN_PERIOD}{where} GROUP BY 1"),
            {**period_params(span, timezone), "territory": territory, "excluded": list(excluded)},
        ).all()  # fmt: skip
        counts[name] = dict(rows)
    keys = sorted(set().union(*counts.values()))
    labels = _labels(by, connection)
    frame = pd.DataFrame({"key": keys, "label": [labels.get(k, k) for k in keys],
                          **{name: [counts[name].get(k, 0) for k in keys] for name in years.names()}})  # fmt: skip
    table = evolution_table(frame, years.names())
    if by == "category":
        table["ssmsi"] = [CATEGORY_BY_CODE[k].ssmsi if k in CATEGORY_BY_CODE else None for k in table["key"]]
    population, dwellings = _denominators(connection, territory)
    return with_rates(table, years.n.name, by=by, population=population, dwellings=dwellings)


def official_evolution(connection: Connection, *, scope: str, code: str, year: int) -> pd.DataFrame:
    """Evolution table of official SSMSI counts (département) or rates (commune) for N-2..N."""
    rows = connection.execute(
        text("SELECT indicator, year, count, rate_per_thousand FROM official_indicator "
             "WHERE scope = :scope AND code = :code AND year BETWEEN :y2 AND :y ORDER BY indicator, year"),
        {"scope": scope, "code": code, "y2": year - 2, "y": year},
    ).all()  # fmt: skip
    if not rows:
        msg = f"no official figures for {scope} {code} in {year - 2}–{year}: run 'ols indicators load-ssmsi'"
        raise InvalidInputError(msg)
    frame = pd.DataFrame(rows, columns=["indicator", "year", "count", "rate"])
    value = "count" if scope == "departement" else "rate"
    pivot = frame.pivot_table(index="indicator", columns="year", values=value, aggfunc="first", dropna=False)
    columns = tuple(str(y) for y in (year - 2, year - 1, year))
    pivot.columns = [str(c) for c in pivot.columns]
    pivot = pivot.reindex(columns=list(columns)).reset_index().rename(columns={"indicator": "key"})
    pivot.insert(1, "label", pivot["key"])
    if scope == "departement":
        return evolution_table(pivot, columns)  # type: ignore[arg-type]
    with np.errstate(divide="ignore", invalid="ignore"):
        pivot["evolution_pct"] = np.where(
            pivot[columns[1]] > 0, 100 * (pivot[columns[2]] - pivot[columns[1]]) / pivot[columns[1]], np.nan
        )
    return pivot.round(2)
