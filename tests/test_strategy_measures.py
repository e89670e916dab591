"""The strategy's other computed indicators, each against a direct SQL/PostGIS computation on generated data: a rate
per 1 000 inhabitants of a commune, the share of facts within camera coverage, the zones leaving vigilance since the
previous period, and the CSU's entered figures read into the tableau de bord."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box
from sqlalchemy import Engine, text

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.access.audience import Audience
from ols.coverage.cameras import CameraSpec, save_cameras
from ols.coverage.csu import CsuEntry, enter
from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.strategy.dashboard import dashboard
from ols.strategy.indicators import compute_indicators
from ols.strategy.plan import load_strategy
from tests.helpers import add_territory, police_nationale_csv

WEST, EAST = (3.0, 50.6, 3.02, 50.63), (3.02, 50.6, 3.04, 50.63)
CATEGORIES = ["residential_burglary", "theft_from_vehicle", "theft", "vehicle_theft"]
POPULATION = 21_450


def _indicator(code: str, spec: dict[str, object], unit: str = "faits") -> dict[str, object]:
    return {"code": code, "name": code, "kind": "result", "unit": unit, "direction": "down", "source": "computed",
            "spec": spec}  # fmt: skip


STRATEGY = {"axes": [{"code": "1", "title": "Prévention situationnelle", "actions": [
    {"code": "1.1", "title": "Mesurer", "state": "en_cours", "indicators": [
        _indicator("TAUX", {"kind": "rate", "territory": "W", "categories": CATEGORIES}, "‰"),
        _indicator("COUV", {"kind": "coverage", "categories": CATEGORIES}, "%"),
        _indicator("SORTIES", {"kind": "zones_leaving"}, "zones"),
        _indicator("CSU-INTER", {"kind": "csu", "figure": "interventions"}, "interventions"),
        _indicator("CSU-PN", {"kind": "csu", "figure": "interventions", "intervener": "police-nationale"}),
    ]}]}]}  # fmt: skip
COUNTED = (
    "e.category = ANY(:categories) AND e.measure = 'facts' "
    "AND e.occurred_at >= (CAST(:start AS date) AT TIME ZONE 'Europe/Paris') "
    "AND e.occurred_at < (CAST(:end AS date) AT TIME ZONE 'Europe/Paris') "
    "AND NOT EXISTS (SELECT 1 FROM event_link l WHERE l.source_id = e.source_id AND l.id = e.id)"
)
YEAR = {"categories": CATEGORIES, "start": "2025-01-01", "end": "2026-01-01"}


def _zone(code: str, period: str, bounds: tuple[float, float, float, float]) -> dict[str, object]:
    west, south, east, north = bounds
    return {"code": code, "name": f"zone {code}", "period": period, "w": west, "s": south, "e": east, "n": north}


@pytest.fixture
def observatory(engine: Engine, tmp_path: Path) -> Engine:
    """Two communes (W with its population, E), 600 police facts over both, cameras (one installed in 2026, one
    out of service), CSU figures for 2025, computed zones of 2025-S1 and 2025-S2, and the strategy above."""
    add_territory(engine, WEST, code="W", insee="59998")
    add_territory(engine, EAST, code="E", insee="59999")
    path = police_nationale_csv(tmp_path / "pn.csv", box(3.0, 50.6, 3.04, 50.63), count=600, seed=21)
    ingest_file(engine, path, source_code="police-nationale", mapping=load_mapping("police_nationale"),
                ingested_by="test")  # fmt: skip
    cameras = [CameraSpec("c1", "Place", 3.02, 50.615, radius_m=65), CameraSpec("c2", "Rue", 3.01, 50.61),
               CameraSpec("c3", "Nouvelle", 3.021, 50.616, radius_m=60, installed_on=parse_period("2026").start),
               CameraSpec("c4", "Hors service", 3.019, 50.614, radius_m=60, state="broken")]  # fmt: skip
    zones = [_zone("Z1", "2025-S1", (3.0, 50.6, 3.01, 50.61)), _zone("Z2", "2025-S1", (3.03, 50.62, 3.04, 50.63)),
             _zone("Z3", "2025-S1", (3.0, 50.62, 3.005, 50.625)),
             _zone("Z4", "2025-S2", (3.005, 50.605, 3.015, 50.615))]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(text("UPDATE territory SET population = :p WHERE code = 'W'"), {"p": POPULATION})
        save_cameras(connection, cameras)
        enter(connection, CsuEntry("2025", "registre du CSU", "police-nationale", interventions=41), "operateur-csu")
        enter(connection, CsuEntry("2025", "registre du CSU", "police-municipale", interventions=17, hours=900),
              "operateur-csu")  # fmt: skip
        for period in ("2025-S1", "2025-S2"):
            connection.execute(text("INSERT INTO refresh (period, method, summary) VALUES (:p, :m, '{}')"),
                               {"p": period, "m": '{"resolution": 9}'})  # fmt: skip
        connection.execute(text(
            "INSERT INTO zone (kind, scope, resolution, code, period, name, rationale, owner, stats, geom) VALUES ("
            "'computed', 'full', 9, :code, :period, :name, '', '', '{}', "
            "ST_Multi(ST_MakeEnvelope(:w, :s, :e, :n, 4326)))"
        ), zones)  # fmt: skip
        load_strategy(connection, STRATEGY, by="test")
    return engine


def _stored(engine: Engine, code: str, period: str) -> tuple[float, str, str] | None:
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT v.value, v.provenance, v.recorded_by FROM indicator_value v JOIN indicator i ON i.id = "
            "v.indicator_id WHERE i.code = :code AND v.period = :period"),
            {"code": code, "period": period}).one_or_none()  # fmt: skip
    return None if row is None else (float(row.value), str(row.provenance), str(row.recorded_by))


def test_the_rate_per_thousand_inhabitants_is_the_communes_count_over_its_population(observatory: Engine) -> None:
    with observatory.begin() as connection:
        compute_indicators(connection, parse_period("2025"))
        west, everywhere = connection.execute(text(
            f"SELECT count(*) FILTER (WHERE t.code = 'W'), count(*) FROM event e "
            f"JOIN territory t ON t.id = e.territory_id WHERE {COUNTED}"), YEAR).one()  # fmt: skip
        population = connection.execute(text("SELECT population FROM territory WHERE code = 'W'")).scalar_one()
    assert 30 < west < everywhere
    stored = _stored(observatory, "TAUX", "2025")
    assert stored is not None
    assert stored[0] == pytest.approx(west * 1000 / population) and stored[1:] == ("computed", "rafraîchissement")


def test_the_coverage_share_is_postgis_s_within_a_watching_camera(observatory: Engine) -> None:
    direct = text(
        "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM camera c WHERE c.state = 'active' AND "
        "(c.installed_on IS NULL OR c.installed_on < CAST(:end AS date)) AND "
        f"ST_DWithin(c.geom::geography, e.geom::geography, c.radius_m))), count(*) FROM event e WHERE {COUNTED}"
    )
    with observatory.begin() as connection:
        compute_indicators(connection, parse_period("2025"))
        inside, total = connection.execute(direct, YEAR).one()
    assert 0 < inside < total
    stored = _stored(observatory, "COUV", "2025")
    assert stored is not None and stored[0] == pytest.approx(100 * inside / total)


def test_the_zones_leaving_vigilance_are_the_previous_zones_touching_none_of_the_period_s(observatory: Engine) -> None:
    direct = text(
        "SELECT count(*) FROM zone p WHERE p.kind = 'computed' AND p.scope = 'full' AND p.resolution = 9 "
        "AND p.period = '2025-S1' AND NOT EXISTS (SELECT 1 FROM zone c WHERE c.kind = 'computed' AND "
        "c.scope = 'full' AND c.resolution = 9 AND c.period = '2025-S2' AND ST_Intersects(c.geom, p.geom))"
    )
    with observatory.begin() as connection:
        values = compute_indicators(connection, parse_period("2025-S2"))
        expected = connection.execute(direct).scalar_one()
        first = compute_indicators(connection, parse_period("2025-S1"))
    assert expected == 2
    assert values["SORTIES"] == expected
    assert "SORTIES" not in first  # 2024-S2 was never computed: no value rather than a false zero
    assert _stored(observatory, "SORTIES", "2025-S1") is None


def test_the_csu_s_figures_feed_the_board_with_their_author(observatory: Engine) -> None:
    with observatory.begin() as connection:
        compute_indicators(connection, parse_period("2025"))
        total, national = connection.execute(text(
            "SELECT sum(interventions), sum(interventions) FILTER (WHERE intervener = 'police-nationale') "
            "FROM csu_activity WHERE period = '2025'")).one()  # fmt: skip
    assert _stored(observatory, "CSU-INTER", "2025") == (total, "entered", "operateur-csu (CSU : registre du CSU)")
    stored = _stored(observatory, "CSU-PN", "2025")
    assert stored is not None and stored[0] == national == 41
    assert _stored(observatory, "CSU-INTER", "2025-S1") is None


@pytest.mark.parametrize(("spec", "message"), [
    ({"kind": "rate", "categories": CATEGORIES}, "nomme sa commune"),
    ({"kind": "csu", "figure": "appels"}, "chiffre du CSU"),
    ({"kind": "ratio", "categories": CATEGORIES}, "calcul de l'indicateur"),
    ({"kind": "coverage"}, "nomme ses catégories"),
])  # fmt: skip
def test_a_spec_missing_what_its_kind_needs_is_refused(engine: Engine, spec: dict[str, object], message: str) -> None:
    wrong = {"axes": [{"code": "1", "title": "A", "actions": [{"code": "1.1", "title": "F",
                                                               "indicators": [_indicator("X", spec)]}]}]}  # fmt: skip
    with engine.begin() as connection, pytest.raises(InvalidInputError, match=message):
        load_strategy(connection, wrong, by="test")


def _received(board: dict[str, Any], code: str) -> dict[str, float | None]:
    """The values of one indicator on a tableau de bord, by period."""
    found = [item for axis in board["axes"] for action in axis["actions"] for item in action["indicators"]
             if item["code"] == code]  # fmt: skip
    return {value["period"]: value["value"] for value in found[0]["values"]}


def test_an_elu_receives_a_rate_or_a_share_by_the_facts_behind_it_not_by_its_size(observatory: Engine) -> None:
    """A rate of 1,4 ‰ resting on dozens of facts was hidden from an élu as if it were a count under 5, and a rate of
    12 ‰ resting on 3 facts would have been shown: the count behind a value (its basis, stored at computation)
    decides, as for every published count. A share rests on its smaller side."""
    covered = text(
        "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM camera c WHERE c.state = 'active' AND "
        "(c.installed_on IS NULL OR c.installed_on < CAST(:end AS date)) AND ST_Within(e.geom, c.coverage))), "
        f"count(*) FROM event e WHERE {COUNTED}"
    )
    with observatory.begin() as connection:
        compute_indicators(connection, parse_period("2025"))
        west = connection.execute(text(
            f"SELECT count(*) FROM event e JOIN territory t ON t.id = e.territory_id WHERE t.code = 'W' AND {COUNTED}"
        ), YEAR).scalar_one()  # fmt: skip
        inside, total = connection.execute(covered, YEAR).one()
        bases = dict(connection.execute(text(
            "SELECT i.code, v.basis FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id "
            "WHERE v.period = '2025'")).all())  # fmt: skip
        connection.execute(text(
            "INSERT INTO indicator_value (indicator_id, period, value, provenance, basis, recorded_by) "
            "SELECT id, '2024', 12.0, 'computed', 3, 'refresh' FROM indicator WHERE code = 'TAUX'"))  # fmt: skip
        elu = dashboard(connection, Audience.of("élu", "elu"))
        police = dashboard(connection, Audience.of("police", "police"))
    assert bases["TAUX"] == west > 30 and bases["CSU-INTER"] is None
    assert 0 < inside < total and bases["COUV"] == min(inside, total - inside)
    rate = west * 1000 / POPULATION
    assert rate < 5 and _received(elu, "TAUX") == {"2024": None, "2025": pytest.approx(rate)}
    assert _received(police, "TAUX") == {"2024": 12.0, "2025": pytest.approx(rate)}
    share = 100 * inside / total
    assert _received(police, "COUV")["2025"] == pytest.approx(share)
    assert _received(elu, "COUV")["2025"] == (None if bases["COUV"] < 5 else pytest.approx(share))
