"""Indicators and evolution tables: N-2, N-1, N with absolute and % evolution, as in the bilans.

Local counts come from the observatory's events, by family, category or source; the official
SSMSI figures (``ols indicators load-ssmsi``) are kept beside them as context: département counts
and rates, and the commune rates that the SSMSI publishes (or that are derived from it).

A table counts facts by default (``measure="activity"``: a service's activity, apart), each event
once across partners (:mod:`ols.merging`): by family or category, every row and the total count
signalements; by source, each row counts the partner's own facts, and a row "fusionnés" the facts
merged into another partner's signalement, so that the rows minus it make the total. No evolution
is shown between two years unless every partner counted in the row had data in both
(:mod:`ols.cartography.coverage`): a partner's first year is not a rise from zero, nor is a year
its data began in; a year none of the row's partners had data in reads "—" (not available), never
0; the ``no_data`` column says which partner lacked data when.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, delete, exists, func, insert, select

from ols.access.audience import Audience
from ols.access.disclosure import MODULUS, record_key
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period
from ols.cartography.coverage import began_late, first_days, sources_with_data
from ols.errors import InvalidInputError
from ols.nomenclature import CATEGORY_BY_CODE, FAMILY_BY_CODE, Measure
from ols.periods import Period
from ols.reference.areas import Area
from ols.reference.calendar import calendar_of
from ols.store.models import Batch, Event, EventLink, OfficialIndicator, Source, Territory

logger = logging.getLogger(__name__)

DEPARTEMENT_COLUMNS = {"classe", "annee", "Code.département", "faits", "tauxpourmille"}
COMMUNE_COLUMNS = {"CODGEO_2024", "annee", "classe", "taux"}
GROUPINGS = ("family", "category", "source")
NOT_AVAILABLE = "—"  # a period before any data of the row's partners: not available, never 0


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
    msg = (f"{path.name} : ce n'est pas un fichier du SSMSI (colonnes : {', '.join(frame.columns)}) : prenez la "
           "base communale ou départementale des crimes et délits sur data.gouv.fr")  # fmt: skip
    raise InvalidInputError(msg)


def load_ssmsi(connection: Connection, path: Path) -> int:
    """Replace the official figures read from one SSMSI file; return how many rows."""
    rows = read_ssmsi(path)
    connection.execute(delete(OfficialIndicator).where(OfficialIndicator.source_file == path.name))
    records = cast(list[dict[str, Any]], rows.astype(object).where(rows.notna(), None).to_dict("records"))
    connection.execute(insert(OfficialIndicator), records)
    logger.info("chiffres SSMSI de %s chargés : %d lignes", path.name, len(records))
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


def with_evolution(table: pd.DataFrame, columns: tuple[str, str, str]) -> pd.DataFrame:
    """Add N vs N-1 and N-2 → N evolutions to a table of counts (None: a count not shown, so no evolution).

    A % evolution from zero is undefined and left empty, never shown as infinite.
    """
    n2, n1, n = columns

    def change(now: Any, before: Any, *, percent: bool) -> float | None:
        if now is None or before is None or pd.isna(now) or pd.isna(before) or (percent and before == 0):
            return None
        return round(100 * (now - before) / before, 1) if percent else float(now - before)

    out = table.copy()
    out["evolution"] = [change(a, b, percent=False) for a, b in zip(out[n], out[n1], strict=True)]
    out["evolution_pct"] = [change(a, b, percent=True) for a, b in zip(out[n], out[n1], strict=True)]
    out["evolution_n2_pct"] = [change(a, b, percent=True) for a, b in zip(out[n], out[n2], strict=True)]
    out["evolution"] = out["evolution"].astype("Int64")
    return out.astype({"evolution_pct": float, "evolution_n2_pct": float})


def evolution_table(counts: pd.DataFrame, columns: tuple[str, str, str]) -> pd.DataFrame:
    """From ``key``, ``label`` and one column per period of exact counts, add a total row and the evolutions."""
    table = counts.copy()
    for column in columns:
        table[column] = table[column].fillna(0).astype(int)
    total = {"key": "total", "label": "Total", **{column: int(table[column].sum()) for column in columns}}
    return with_evolution(pd.concat([table, pd.DataFrame([total])], ignore_index=True), columns)


def _rows(grouping: str, connection: Connection, audience: Audience) -> dict[str, str]:
    """Every row a table by ``grouping`` has, whatever was counted: key → label.

    A fixed set of rows, so that the presence of a row never tells a reader that something was
    counted there: the families, the categories the audience may see, the sources that sent files.
    """
    if grouping == "family":
        return {code: family.label for code, family in FAMILY_BY_CODE.items()}
    if grouping == "category":
        return {code: category.label for code, category in CATEGORY_BY_CODE.items()
                if code not in audience.excluded_categories}  # fmt: skip
    sent = exists().where(Batch.source_id == Source.id)
    rows = connection.execute(select(Source.code, Source.name).where(sent).order_by(Source.code)).all()
    return {str(code): str(name) for code, name in rows}


def _denominators(connection: Connection, audience: Audience, area: Area) -> tuple[int | None, int | None]:
    """Population and dwellings of the audience's territories within ``area`` (None when one of them lacks the
    figure, or when the audience or the area is made of sectors: a sector has no population of its own, and its
    commune's would understate rates)."""
    if area.sectors or audience.sectors:
        return None, None
    row = connection.execute(
        select(
            func.sum(Territory.population),
            func.sum(Territory.dwellings),
            func.bool_and(Territory.population.is_not(None)),
            func.bool_and(Territory.dwellings.is_not(None)),
        ).where(audience.own_territories().clause, area.territories())
    ).one()
    return (int(row[0]) if row[2] else None), (int(row[1]) if row[3] else None)


def with_rates(
    table: pd.DataFrame, column: str, *, by: str, population: int | None, dwellings: int | None
) -> pd.DataFrame:
    """Add N's rate per 1,000: per dwelling for residential burglary (as the SSMSI does), else per inhabitant."""
    if population is None and dwellings is None:
        return table

    def rate(key: str, value: Any) -> float | None:
        if key == "merged":  # facts counted in another partner's row: no rate of their own
            return None
        base = dwellings if by == "category" and key == "residential_burglary" else population
        known = isinstance(value, int | float | np.integer) and not pd.isna(value)
        return round(1000 * float(value) / base, 2) if base and known else None

    rates = [rate(key, value) for key, value in zip(table["key"], table[column], strict=True)]
    return table.assign(rate_per_thousand=pd.Series(rates, index=table.index, dtype=float))


Counts = dict[tuple[str, str], tuple[int, int, int, int]]  # (row key, source) → count, key, merged, merged key


def _span_counts(connection: Connection, span: Period, audience: Audience, by: str, measure: str,
                 timezone: str, area: Area) -> Counts:  # fmt: skip
    """Per row and source: signalements of the audience's facts of a period and facts merged into another
    partner's, with their cell keys (``by``: family, category or source)."""
    key = {"family": Event.family, "category": Event.category, "source": Source.code}[by]
    member = EventLink.source_id.is_not(None)
    linked = Event.__table__.join(Source, Source.id == Event.source_id).outerjoin(
        EventLink, and_(EventLink.source_id == Event.source_id, EventLink.id == Event.id))  # fmt: skip
    summed = [func.coalesce(func.sum(record_key(Event.__table__)).filter(c), 0) for c in (~member, member)]
    rows = connection.execute(
        select(key, Source.code, func.count().filter(~member), summed[0], func.count().filter(member), summed[1])
        .select_from(linked)
        .where(in_period(Event.occurred_at, span, timezone), audience.facts(Event.__table__).clause,
               area.facts(Event.__table__), Event.measure == measure)
        .group_by(key, Source.code)
    ).all()  # fmt: skip
    return {(str(row[0]), str(row[1])): (int(row[2]), int(row[3]), int(row[4]), int(row[5])) for row in rows}


def _cells(found: Counts, keys: list[str], by: str, *, merged_row: bool) -> list[tuple[int, int]]:
    """(count, cell key) of each row, then of the merged facts (by source) and of the total."""

    def add(items: list[tuple[int, int]]) -> tuple[int, int]:
        return sum(n for n, _ in items), sum(k for _, k in items) % MODULUS

    own = by == "source"  # a partner's row counts its own facts, merged into another's signalement or not
    rows = [add([(c + (m if own else 0), k + (mk if own else 0))
                 for (row, _), (c, k, m, mk) in found.items() if row == key]) for key in keys]  # fmt: skip
    merged = add([(cells[2], cells[3]) for cells in found.values()])
    total = add([(c, k) for c, k, _, _ in found.values()])
    return [*rows, *([merged] if merged_row else []), total]


@dataclass(frozen=True)
class Gaps:
    """Where the partners counted in a row lacked data: per period, those with none (``absent``) and those whose
    data began during it (``partial``, with their first day); ``sources`` are the row's, ``every`` all counted,
    ``having`` the partners with data in each period."""

    sources: frozenset[str]
    every: frozenset[str]
    having: dict[str, set[str]]
    partial: dict[str, dict[str, date]]

    @property
    def absent(self) -> dict[str, set[str]]:
        """Per period, the row's partners without any data then."""
        return {name: set(self.sources - having) for name, having in self.having.items()}

    def lacking(self, name: str) -> set[str]:
        """The row's partners without (complete) data in the period ``name``: no evolution from it."""
        return self.absent[name] | set(self.partial[name])

    def not_available(self, name: str, *, suppressed: bool) -> bool:
        """Whether the row's count of the period is "—": none of its partners (of any partner, for a row that
        counted nothing, and for a suppressed reader: which partners a row counts is not told) had data then."""
        sources = self.every if suppressed or not self.sources else self.sources
        return bool(sources) and not sources & self.having[name]

    def note(self) -> str | None:
        """The partners that lacked data when, in French."""
        said = [f"{', '.join(sorted(sources))} : pas de données en {year}"
                for year, sources in self.absent.items() if sources]  # fmt: skip
        said += [f"{source} : données à partir du {day:%d/%m/%Y}"
                 for found in self.partial.values() for source, day in sorted(found.items())]  # fmt: skip
        return "; ".join(said) or None


def _coverage(connection: Connection, years: Years, found: dict[str, Counts], keys: list[str],
              timezone: str) -> dict[str, Gaps]:  # fmt: skip
    """For each row (and "merged", "total"): for each year, the partners counted in the row that had no data then,
    and those whose data began during it."""
    periods = (years.n2, years.n1, years.n)
    present = sources_with_data(connection, periods, timezone)
    codes = dict(connection.execute(select(Source.id, Source.code)).all())
    having = {name: {codes[source] for source in ids} for name, ids in present.items()}
    began = {codes[source]: day for source, day in first_days(connection, timezone).items()}
    counted = [(row, source) for counts in found.values() for (row, source), cells in counts.items() if any(cells[::2])]
    every = frozenset(source for _, source in counted)
    rows = {key: frozenset(source for row, source in counted if row == key) for key in keys}
    rows |= {"merged": every, "total": every}
    return {key: Gaps(sources, every, having,
                      {p.name: {s: began[s] for s in sources & having[p.name] if began_late(began[s], p)}
                       for p in periods})
            for key, sources in rows.items()}  # fmt: skip


def _without_false_evolutions(table: pd.DataFrame, years: Years, gaps: dict[str, Gaps], *,
                              suppressed: bool) -> pd.DataFrame:  # fmt: skip
    """No evolution where a partner counted in the row had no data, or partial data, in one of the two years
    compared; "—" for a year none of the row's partners had data in (not a count of zero)."""
    n2, n1, n = years.names()
    out = table.astype(dict.fromkeys(years.names(), object))
    notes: list[str | None] = []
    for index, key in zip(out.index, out["key"], strict=True):
        gap = gaps.get(str(key))
        if gap is None:
            notes.append(None)
            continue
        if gap.lacking(n) or gap.lacking(n1):
            out.loc[index, ["evolution", "evolution_pct"]] = None
        if gap.lacking(n) or gap.lacking(n2):
            out.loc[index, "evolution_n2_pct"] = None
        for name in years.names():
            if gap.not_available(name, suppressed=suppressed):
                out.at[index, name] = NOT_AVAILABLE
        notes.append(gap.note())
    return out.assign(no_data=pd.Series(notes, index=out.index, dtype=object))


def local_evolution(
    connection: Connection,
    period: Period,
    audience: Audience,
    *,
    by: str = "family",
    measure: Measure = "facts",
    area: Area | None = None,
) -> pd.DataFrame:
    """Evolution table of the observatory's own counts for ``period`` vs the two years before, for an audience,
    of the whole observatory or of one of its communes or sectors (``area``).

    Counts cover the audience's categories and territories and are published for it (the total
    row too, from its own facts, never as a sum of shown rows); evolutions and N's rate per 1,000
    (with the territories' denominators) are computed from what is shown, where every partner of
    the row had data in both years. With ``by="category"``, the matching SSMSI indicator is named,
    so that the official figures can be shown beside.
    """
    audience.require(Layer.INDICATORS)
    if by not in GROUPINGS:
        msg = f"regroupement inconnu « {by} » : --by vaut {' ou '.join(GROUPINGS)}"
        raise InvalidInputError(msg)
    years = Years.ending(audience.period(period))
    timezone = calendar_of(connection).timezone
    area = area or Area()
    counts = {name: _span_counts(connection, span, audience, by, measure, timezone, area)
              for name, span in zip(years.names(), (years.n2, years.n1, years.n), strict=True)}  # fmt: skip
    labels = _rows(by, connection, audience)
    labels |= {row: row for found in counts.values() for row, _ in found if row not in labels}
    keys = list(labels)
    merging_row = by == "source" and measure == "facts"
    extra = [("merged", "Faits fusionnés avec le signalement d'un autre partenaire")] if merging_row else []
    frame = pd.DataFrame({"key": [*keys, *(k for k, _ in extra), "total"],
                          "label": [*labels.values(), *(label for _, label in extra), "Total"]})  # fmt: skip
    for name, found in counts.items():
        cells = _cells(found, keys, by, merged_row=merging_row)
        frame[name] = pd.array(audience.publish(connection, [n for n, _ in cells], [c for _, c in cells]),
                               dtype="Int64")  # fmt: skip
    table = _without_false_evolutions(with_evolution(frame, years.names()), years,
                                      _coverage(connection, years, counts, keys, timezone),
                                      suppressed=audience.suppressed)  # fmt: skip
    table.insert(2, "measure", measure)
    if by == "category":
        table["ssmsi"] = [CATEGORY_BY_CODE[k].ssmsi if k in CATEGORY_BY_CODE else None for k in table["key"]]
    population, dwellings = _denominators(connection, audience, area)
    return with_rates(table, years.n.name, by=by, population=population, dwellings=dwellings)


def official_evolution(connection: Connection, *, scope: str, code: str, year: int) -> pd.DataFrame:
    """Evolution table of official SSMSI counts (département) or rates (commune) for N-2..N."""
    figure = OfficialIndicator
    rows = connection.execute(
        select(figure.indicator, figure.year, figure.count, figure.rate_per_thousand)
        .where(figure.scope == scope, figure.code == code, figure.year.between(year - 2, year))
        .order_by(figure.indicator, figure.year)
    ).all()
    if not rows:
        msg = f"aucun chiffre officiel pour {scope} {code} en {year - 2}–{year} : lancez « ols indicators load-ssmsi »"
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
