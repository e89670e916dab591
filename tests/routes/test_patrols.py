"""Patrol plans through the API and the command line: one service, a start that must exist, the plan recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from ols.store.models import AuditEntry, PatrolPlan
from tests.routes.conftest import PERIOD

BODY: dict[str, Any] = {"period": PERIOD, "window": "ven 18:00-23:00", "teams": 2, "stops": 3, "seed": 7}


def _plans(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(PatrolPlan)).scalar_one())


def test_api_plans_from_a_named_place(client: TestClient, tokens: dict[str, str], api_engine: Engine) -> None:
    before = _plans(api_engine)
    response = client.post("/api/v1/patrols/plan", json={**BODY, "start": "Mairie de Mons"},
                           headers={"Authorization": f"Bearer {tokens['police']}"})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    routes = [f for f in body["features"] if f["geometry"]["type"] == "LineString"]
    assert len(routes) == 2 and _plans(api_engine) == before + 1
    with api_engine.connect() as connection:
        audited = connection.execute(select(AuditEntry.parameters).where(AuditEntry.resource == "patrols")
                                     .order_by(AuditEntry.id.desc()).limit(1)).scalar_one()  # fmt: skip
    assert audited["plan_id"] == body["plan_id"] and audited["start"] == "Mairie de Mons"


def test_api_refuses_an_unknown_start(client: TestClient, tokens: dict[str, str], api_engine: Engine) -> None:
    """Before: the CLI silently planned from the territory's centre; now nothing is planned and the reason is given."""
    before = _plans(api_engine)
    response = client.post("/api/v1/patrols/plan", json={**BODY, "start": "Hôtel de ville de Nulle-Part"},
                           headers={"Authorization": f"Bearer {tokens['police']}"})  # fmt: skip
    assert response.status_code == 404 and "lieu inconnu" in response.json()["detail"]
    both = client.post("/api/v1/patrols/plan", json={**BODY, "start": "Mairie de Mons", "start_lon": 3.1},
                       headers={"Authorization": f"Bearer {tokens['police']}"})  # fmt: skip
    assert both.status_code == 422
    assert _plans(api_engine) == before


def test_cli_refuses_an_unknown_start(api_engine: Engine, tmp_path: Path) -> None:
    before = _plans(api_engine)
    url = api_engine.url.render_as_string(hide_password=False)
    env = dict(os.environ, OLS_DATABASE_URL=url)
    out = tmp_path / "plan.geojson"
    command = [sys.executable, "-m", "cli", "patrol", "plan", "--window", "ven 18:00-23:00", "--period", PERIOD,
               "--out", str(out), "--stops", "3"]  # fmt: skip
    unknown = subprocess.run(
        [*command, "--start", "Hôtel de ville"], check=False, env=env, capture_output=True, text=True
    )
    assert unknown.returncode == 1 and "lieu inconnu" in unknown.stderr and not out.exists()
    assert _plans(api_engine) == before
    known = subprocess.run(
        [*command, "--start", "mairie de mons", "--json"], check=False, env=env, capture_output=True, text=True
    )
    assert known.returncode == 0, known.stderr
    assert out.stat().st_size > 500 and _plans(api_engine) == before + 1


def test_api_plans_in_the_communes_asked(client: TestClient, tokens: dict[str, str], api_engine: Engine) -> None:
    """From the demo commune's town hall, a plan for the neighbour commune stops only there; the default, only in the
    start's commune; a commune the observatory lacks is refused."""
    headers = {"Authorization": f"Bearer {tokens['police']}"}
    for communes, expected in ((["59009"], "59009"), (None, "59410")):
        response = client.post("/api/v1/patrols/plan", json={**BODY, "start": "Mairie de Mons", "communes": communes},
                               headers=headers)  # fmt: skip
        assert response.status_code == 200, response.text
        stops = [f["geometry"]["coordinates"] for f in response.json()["features"] if f["geometry"]["type"] == "Point"]
        with api_engine.connect() as connection:
            found = {connection.execute(text("SELECT insee FROM territory WHERE ST_Covers(geom, ST_SetSRID("
                                             "ST_MakePoint(:lon, :lat), 4326))"), {"lon": lon, "lat": lat}).scalar()
                     for lon, lat in stops}  # fmt: skip
        assert stops and found == {expected}
    unknown = client.post("/api/v1/patrols/plan", json={**BODY, "start": "Mairie de Mons", "communes": ["59350"]},
                          headers=headers)  # fmt: skip
    assert unknown.status_code == 404 and "commune inconnue de l'observatoire : 59350" in unknown.json()["detail"]


def test_places_say_their_kind_in_french(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/v1/places", headers={"Authorization": f"Bearer {tokens['police']}"})
    assert response.status_code == 200, response.text
    labels = {f["properties"]["kind"]: f["properties"]["kind_label"] for f in response.json()["features"]}
    assert labels["metro"] == "station de métro"
