"""An automated differencing attack: every table a suppressed role can request, combined linearly.

For each role below the police (and a territory-scoped élu and partner), the attack requests every
table of the demo's semester through the API — heatmaps at each resolution by family, category and
source, hot spots, zones, hour × weekday profiles, indicators by family, category and source over
semesters and years — and writes down the linear relations that hold between the true counts
behind them (a total is the sum of its families, of its categories, of its sources; a family of its
categories; a cell of its children at the finer resolution; a year of its semesters; a profile of
its hours; a zone of its cells; a hot spot of its heatmap cell; a rate of its count). Whenever a
relation leaves one hidden value ("< 5") among published ones, the attack computes it and checks
it against the truth. It must recover none. The same attack run on the same tables with only
small counts hidden (no rounding) must recover some: that is what the test would catch.

The figures are written to ``out/disclosure-attack.json`` for the closing note.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.grid import to_str
from ols.nomenclature import CATEGORIES, FAMILIES
from tests.routes.conftest import PERIOD
from tests.routes.truth import keyed

OUT = Path(__file__).resolve().parents[2] / "out" / "disclosure-attack.json"
ATTACKERS = {
    "partner": ("partner", (), "mediation"),
    "elu": ("elu", (), None),
    "public": ("public", (), None),
    "elu-demo": ("elu", ("59410",), None),
    "partner-demo": ("partner", ("59410",), "police-nationale"),
}
WHERE = {"family": "e.family = '{}'", "category": "e.category = '{}'", "source": "s.code = '{}'"}
Ref = tuple[Any, ...]


@dataclass
class View:
    """Everything one reader received (published) and what is behind it (truth), by reference."""

    published: dict[Ref, int | None] = field(default_factory=dict)
    truth: dict[Ref, int] = field(default_factory=dict)
    rates: dict[Ref, float | None] = field(default_factory=dict)
    requests: int = 0

    def add(self, table: Ref, values: dict[Any, int | None], truth: dict[Any, int]) -> None:
        """One table: its published values and the true counts of the same cells (0 where nothing)."""
        for key in set(values) | set(truth):
            self.published[(*table, key)] = values.get(key, 0)
            self.truth[(*table, key)] = truth.get(key, 0)


@dataclass
class Relation:
    """True counts that add up: ``total`` = sum of ``parts``."""

    total: Ref
    parts: list[Ref]


def _get(client: TestClient, token: str, path: str, view: View, **params: Any) -> Any:
    view.requests += 1
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, (path, params, response.text[:200])
    return response.json()


class Collector:
    """Requests one reader's tables and reads the truth behind each of them."""

    def __init__(self, client: TestClient, token: str, engine: Engine, audience: Audience) -> None:
        self.client, self.token, self.engine, self.audience = client, token, engine, audience
        self.view = View()

    def truth(self, period: str, group: str, where: str = "") -> dict[Any, int]:
        found = keyed(self.engine, period, group=group, territories=self.audience.territories, open_only=True,
                      where=where)  # fmt: skip
        return {key: count for key, (count, _) in found.items()}

    def heatmaps(self, filters: list[tuple[str, str]]) -> None:
        for resolution in self.audience.resolutions:
            for kind, value in [("all", ""), *filters]:
                params = {"period": PERIOD, "resolution": resolution} | ({kind: value} if value else {})
                cells = dict(_get(self.client, self.token, "/api/v1/heatmap/cells", self.view, **params)["cells"])
                where = WHERE[kind].format(value) if value else ""
                truth = {to_str([cell])[0]: n for cell, n in self.truth(PERIOD, f"e.h3_r{resolution}", where).items()}
                self.view.add(("heat", resolution, kind, value), cells, truth)

    def hotspots(self) -> None:
        for resolution in self.audience.resolutions:
            for family in ("", *(f.code for f in FAMILIES)):
                params = {"period": PERIOD, "resolution": resolution} | ({"family": family} if family else {})
                features = _get(self.client, self.token, "/api/v1/hotspots", self.view, **params)["features"]
                counts = {f["properties"]["h3"]: f["properties"]["count"] for f in features}
                kind = "family" if family else "all"
                heat = ("heat", resolution, kind, family)
                truth = {cell: self.view.truth.get((*heat, cell), 0) for cell in counts}  # the cells it was sent
                self.view.add(("hot", resolution, kind, family), counts, truth)

    def zones(self) -> dict[str, list[str]]:
        if self.audience.role.value == "public":
            return {}
        features = _get(self.client, self.token, "/api/v1/zones", self.view, period=PERIOD)["features"]
        with self.engine.connect() as connection:
            cells = {code: to_str(members) for code, members in connection.execute(text(
                "SELECT code, cells FROM zone WHERE kind = 'computed' AND period = :p AND scope = 'open'"),
                {"p": PERIOD})}  # fmt: skip
        computed = [f["properties"] for f in features if f["properties"]["kind"] == "computed"]
        for zone in computed:
            members = ", ".join(f"x'{cell}'::bit(64)::bigint" for cell in cells[zone["code"]]) or "0"
            truth = self.truth(PERIOD, "1", f"e.h3_r10 IN ({members})")
            self.view.add(("zone",), {zone["code"]: zone["stats"]["events"]}, {zone["code"]: truth.get(1, 0)})
        return {zone["code"]: cells[zone["code"]] for zone in computed}

    def profiles(self) -> None:
        hour = ("(extract(isodow FROM e.occurred_at AT TIME ZONE 'Europe/Paris')::int - 1) * 24 "
                "+ extract(hour FROM e.occurred_at AT TIME ZONE 'Europe/Paris')::int")  # fmt: skip
        for family in ("", *(f.code for f in FAMILIES)):
            params = {"period": PERIOD} | ({"family": family} if family else {})
            profile = _get(self.client, self.token, "/api/v1/profiles/time", self.view, **params)
            where = f"e.family = '{family}'" if family else "TRUE"
            grid = {index: value for index, value in enumerate(v for row in profile["grid"] for v in row)}
            self.view.add(("grid", family), grid, self.truth(PERIOD, hour, f"{where} AND e.time_precision = 'minute'"))
            timed = self.truth(PERIOD, "1", f"{where} AND e.time_precision = 'minute'")
            self.view.add(("timed", family), {1: profile["timed"]}, timed)

    def indicators(self, periods: list[str]) -> None:
        groups = {"family": "e.family", "category": "e.category", "source": "s.code"}
        for period in periods:
            for by, group in groups.items():
                rows = _get(self.client, self.token, "/api/v1/indicators", self.view, period=period, by=by)["rows"]
                values = {row["key"]: row[period] for row in rows}
                truth = self.truth(period, group) | {"total": sum(self.truth(period, "1").values())}
                self.view.add(("indicator", period, by), values, truth)
                for row in rows:
                    self.view.rates[("indicator", period, by, row["key"])] = row.get("rate_per_thousand")


def _relations(view: View, audience: Audience, zones: dict[str, list[str]], sources: list[str]) -> Iterator[Relation]:
    """The linear relations between the true counts behind the tables."""
    keys: dict[Ref, list[Any]] = {}
    for ref in view.published:
        keys.setdefault(ref[:-1], []).append(ref[-1])
    families = [f.code for f in FAMILIES]
    open_categories = [c for c in CATEGORIES if c.code not in audience.excluded_categories]
    for resolution in audience.resolutions:
        for cell in keys.get(("heat", resolution, "all", ""), []):
            total = ("heat", resolution, "all", "", cell)
            yield Relation(total, [("heat", resolution, "family", f, cell) for f in families])
            yield Relation(total, [("heat", resolution, "category", c.code, cell) for c in open_categories])
            yield Relation(total, [("heat", resolution, "source", s, cell) for s in sources])
            yield Relation(total, [("hot", resolution, "all", "", cell)])
            for family in families:
                members = [
                    ("heat", resolution, "category", c.code, cell) for c in open_categories if c.family == family
                ]
                yield Relation(("heat", resolution, "family", family, cell), members)
                yield Relation(
                    ("heat", resolution, "family", family, cell), [("hot", resolution, "family", family, cell)]
                )
            if resolution + 1 in audience.resolutions:
                children = h3.cell_to_children(cell, resolution + 1)
                yield Relation(total, [("heat", resolution + 1, "all", "", child) for child in children])
    for code, cells in zones.items():
        yield Relation(("zone", code), [("heat", 10, "all", "", cell) for cell in cells])
    for family in ("", *families):
        yield Relation(("timed", family, 1), [("grid", family, index) for index in range(7 * 24)])
    for index in range(7 * 24):
        yield Relation(("grid", "", index), [("grid", family, index) for family in families])
    for table in {ref[:3] for ref in view.published if ref[0] == "indicator"}:
        rows = [ref for ref in view.published if ref[:3] == table and ref[3] != "total"]
        yield Relation((*table, "total"), rows)
        if table[2] == "category":
            for family in families:
                members = [(*table, c.code) for c in open_categories if c.family == family]
                yield Relation((table[0], table[1], "family", family), members)
    for family in families:
        halves = [("indicator", half, "family", family) for half in ("2025-S1", "2025-S2")]
        yield Relation(("indicator", "2025", "family", family), halves)


def _attack(published: Callable[[Ref], int | None], view: View, relations: list[Relation]) -> tuple[int, int]:
    """(tried, recovered): hidden values isolated by a relation, and how many came out right."""
    tried = recovered = 0
    for relation in relations:
        if relation.total not in view.truth:
            continue
        parts = [part for part in relation.parts if part in view.truth]
        values = [published(part) for part in parts]
        total = published(relation.total)
        hidden = [part for part, value in zip(parts, values, strict=True) if value is None]
        if total is not None and len(hidden) == 1:
            tried += 1
            recovered += total - sum(v for v in values if v is not None) == view.truth[hidden[0]]
        elif total is None and not hidden and parts:
            tried += 1
            recovered += sum(v for v in values if v is not None) == view.truth[relation.total]
    for ref, rate in view.rates.items():
        if view.published.get(ref, 0) is None and rate is not None:
            tried += 1
            recovered += True
    return tried, recovered


@pytest.mark.parametrize("name", ATTACKERS)
def test_no_linear_combination_of_a_roles_tables_gives_back_a_hidden_count(
    client: TestClient, tokens: dict[str, str], scoped_tokens: dict[str, str], api_engine: Engine, name: str
) -> None:
    role, territories, source = ATTACKERS[name]
    audience = Audience.of(name, role, territories=territories, source=source)
    collector = Collector(client, (tokens | scoped_tokens)[name], api_engine, audience)
    listed = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {tokens[role]}"}).json()
    sources = [source["code"] for source in listed]
    categories = [c.code for c in CATEGORIES if c.code not in audience.excluded_categories]
    collector.heatmaps([("family", f.code) for f in FAMILIES] + [("category", c) for c in categories]
                       + [("source", s) for s in sources])  # fmt: skip
    collector.hotspots()
    zones = collector.zones()
    collector.profiles()
    collector.indicators(["2025", "2025-S1", "2025-S2", PERIOD])
    view = collector.view
    relations = list(_relations(view, audience, zones, sources))
    hidden = sum(value is None for value in view.published.values())
    tried, recovered = _attack(view.published.__getitem__, view, relations)
    naive = {ref: (None if 0 < truth < 5 else truth) for ref, truth in view.truth.items()}
    naive_tried, naive_recovered = _attack(naive.__getitem__, view, relations)
    figures = {"requests": view.requests, "numbers": len(view.published), "hidden": hidden,
               "relations": len(relations), "tried": tried, "recovered": recovered,
               "naive_suppression": {"tried": naive_tried, "recovered": naive_recovered}}  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    found = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    OUT.write_text(json.dumps(found | {name: figures}, indent=1), encoding="utf-8")
    assert hidden > 50 and tried >= 20, figures  # the attack had material to work on
    assert naive_recovered > 0, figures  # hiding small counts alone would leak: the attack is a real one
    assert recovered == 0, figures
