"""Place and sector sheets (issue 17): an élu's sheet holds no sensitive category and no count below the
threshold (in its data and in its PDF), the police's does; the ambiance refuses names; mediation's table."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import h3
import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from api.main import create_app
from ols.access.audience import Audience
from ols.access.users import create_user
from ols.analysis.profiles import WEEKDAYS
from ols.coverage.cameras import CameraSpec, save_cameras
from ols.errors import InvalidInputError
from ols.nomenclature import FAMILIES
from ols.periods import parse_period
from ols.reference.places import save_places
from ols.reference.sectors import SectorShape, save_sectors
from ols.settings import ApiSettings
from ols.sheets import ambiance
from ols.sheets.service import local_plan_document, sheet_document, sheet_of
from ols.store.models import Ambiance, Event, Sector, Territory
from ols.strategy.indicators import compute_indicators
from ols.strategy.meetings import add_decision, new_meeting, set_decision_state
from ols.strategy.plan import load_strategy
from tests.factsgen import BOX, CENTRE, LABELS, Fact, cluster, mapping_file, send, territory, uniform, write_facts

POLICE = Audience.operator()
PARIS = ZoneInfo("Europe/Paris")
ELU = Audience.of("élu test", "elu", territories=("T",))
PARTNER = Audience.of("bailleur", "partner", territories=("T",), source="mediation")
STATION = "Gare Test"
WEST, SOUTH, EAST, NORTH = BOX


@pytest.fixture
def town(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A commune cut in two sectors, a metro station at its centre watched by a camera, facts of the police
    municipale around it (a few drug trafficking among them) and mediation's rounds on Friday evenings."""
    territory(engine)
    middle = (WEST + EAST) / 2
    with engine.begin() as connection:
        territory_id = connection.execute(select(Territory.id).where(Territory.code == "T")).scalar_one()
        save_sectors(
            connection,
            territory_id,
            [
                SectorShape("T-ouest", "Ouest", "quartier", MultiPolygon([box(WEST, SOUTH, middle, NORTH)])),
                SectorShape("T-est", "Est", "quartier", MultiPolygon([box(middle, SOUTH, EAST, NORTH)])),
            ],
            source="test",
        )
        stations = gpd.GeoDataFrame({"name": [STATION]}, geometry=[Point(*CENTRE)], crs=4326)
        save_places(connection, stations, kind="metro")
        save_cameras(connection, [CameraSpec("cam-1", "Parvis de la gare", CENTRE[0], CENTRE[1], 40.0)])
    rng = np.random.default_rng(170)
    facts = uniform(rng, 300, datetime(2025, 1, 1), 180)
    facts += cluster(rng, 90, CENTRE, datetime(2025, 1, 1), 180, metres=60, label="Tapage")
    facts += cluster(rng, 7, CENTRE, datetime(2025, 1, 1), 180, metres=60, label="Trafic")
    facts += uniform(rng, 120, datetime(2024, 7, 1), 180, label="Tags")
    mapping = mapping_file(tmp_path, categories={**LABELS, "Trafic": "drug_trafficking"})
    send(engine, write_facts(tmp_path / "pm.csv", facts), "police-municipale", mapping)
    rounds = [Fact("Tapage", datetime(2025, 1, 3, 19, 30) + timedelta(weeks=week), *CENTRE) for week in range(20)]
    mediation = mapping_file(tmp_path, "mediation", measure="activity")
    send(engine, write_facts(tmp_path / "med.csv", rounds), "mediation", mediation)
    yield engine


def _pdf_text(document: bytes, path: Path) -> str:
    path.write_bytes(document)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_an_elus_sheet_has_no_sensitive_category_and_no_small_count(town: Engine, tmp_path: Path) -> None:
    with town.begin() as connection:
        police = sheet_of(connection, "place", STATION, "2025-S1", POLICE)
        elu = sheet_of(connection, "place", STATION, "2025-S1", ELU)
        elu_pdf = sheet_document(connection, "place", STATION, "2025-S1", ELU, ".pdf")
        police_pdf = sheet_document(connection, "place", STATION, "2025-S1", POLICE, ".pdf")
    assert "drugs" in [f["family"] for f in police.families]  # the police's sheet shows the trafficking
    assert "drugs" not in [f["family"] for f in elu.families]
    assert all(count is None or count >= ELU.threshold for count in elu.counts())
    assert any(count is not None and 0 < count < ELU.threshold for count in police.counts())
    assert elu.deal_points is None and police.deal_points == 0
    assert len(elu.grid[0]) == 8 and len(police.grid[0]) == 24  # the élu's grid is coarser
    elu_text, police_text = _pdf_text(elu_pdf, tmp_path / "elu.pdf"), _pdf_text(police_pdf, tmp_path / "police.pdf")
    assert "Stupéfiants" in police_text and "Points de deal" in police_text
    for word in ("Stupéfiants", "Trafic", "deal", "DIFFUSION RESTREINTE"):
        assert word not in elu_text
    rows = [
        line.split()
        for line in elu_text.replace("\u202f", "").splitlines()
        if line.strip().startswith((*WEEKDAYS, *(f.label for f in FAMILIES)))
    ]  # the grid's and tables' rows
    printed = [int(token) for row in rows for token in row if token.isdigit()]
    assert len(rows) >= 8 and printed and min(printed) >= ELU.threshold
    assert "Parvis de la gare" in elu_text and "Fiche lieu" in elu_text
    # mediation on the map: the élu's cells are coarser and carry no small count, the police's do
    assert elu.mediation is not None and police.mediation is not None and elu.mediation.places
    assert {h3.get_resolution(p.cell) for p in elu.mediation.places} == {8}
    assert {h3.get_resolution(p.cell) for p in police.mediation.places} == {9}
    elu_map = [n for p in elu.mediation.places for n in (p.presence_hours, p.unattended)]
    assert all(n is None or n >= ELU.threshold for n in elu_map) and any(elu_map)
    with town.begin() as connection:  # a sector's many cells: the police's map shows small counts, the élu's none
        sectors = [sheet_of(connection, "sector", "T-ouest", "2025-S1", reader).mediation for reader in (POLICE, ELU)]
    small = [[n for p in table.places for n in (p.presence_hours, p.unattended)] for table in sectors if table]
    assert any(n is not None and 0 < n < ELU.threshold for n in small[0])
    assert all(n is None or n >= ELU.threshold for n in small[1]) and any(small[1])
    for text in (elu_text, police_text):
        legend = " ".join(text.split())
        assert "Présence de la médiation" in legend or "présence de la médiation" in legend
        assert "faits sans médiateur présent (nombre)" in legend


def test_the_ambiance_refuses_personal_data(town: Engine) -> None:
    with town.begin() as connection:
        with pytest.raises(InvalidInputError, match="noms"):
            ambiance.enter(connection, "sector", "T-ouest", "2025-S1", "tendu",
                           "M. Dupont occupe le hall tous les soirs", PARTNER)  # fmt: skip
        ambiance.enter(connection, "sector", "T-ouest", "2025-S1", "dégradé", "Regroupements bruyants le soir",
                       PARTNER)  # fmt: skip
        sheet = sheet_of(connection, "sector", "T-ouest", "2025-S1", ELU)
    assert [(a["rating"], a["observation"], a["author"]) for a in sheet.ambiance] == [
        ("dégradé", "Regroupements bruyants le soir", "bailleur")
    ]


def _ambiances(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Ambiance)).scalar_one())


def test_partners_write_an_ambiance_and_an_elu_never_through_the_api_and_the_command_line(
    town: Engine, database_url: str
) -> None:
    """The write right is the audience's (Layer.AMBIANCE): the élu is refused before anything is stored, by the
    API (403) as by ``ols sheet ambiance --role elu``; a partner's rating is stored (201), signed with its name."""
    with town.begin() as connection:
        tokens = {role: create_user(connection, f"ambiance-{role}", role=role, territories=["T"],
                                    source="mediation" if role == "partner" else None)
                  for role in ("elu", "partner", "public")}  # fmt: skip
    body = {"kind": "sector", "code": "T-ouest", "period": "2025-S1", "rating": "tendu",
            "observation": "Regroupements devant le hall en soirée"}  # fmt: skip
    with TestClient(create_app(engine=town, settings=ApiSettings(session_attempts_per_minute=1000))) as client:

        def post(role: str) -> Any:
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            return client.post("/api/v1/sheets/ambiance", json=body, headers=headers)

        for role in ("elu", "public"):
            refused = post(role)
            assert refused.status_code == 403, refused.text
            assert _ambiances(town) == 0
        assert "saisie de l'ambiance" in refused.text
        accepted = post("partner")
        assert accepted.status_code == 201, accepted.text
        assert accepted.json() == {"subject": "Ouest", "period": "2025-S1", "rating": "tendu"}
    assert _ambiances(town) == 1
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    command = [sys.executable, "-m", "cli", "sheet", "ambiance", "--period", "2025-S1", "--rating", "calme",
               "--sector", "T-est"]  # fmt: skip
    elu = subprocess.run([*command, "--role", "elu"], env=env, capture_output=True, text=True, check=False)
    assert elu.returncode == 1 and "saisie de l'ambiance" in " ".join(elu.stderr.split()) and _ambiances(town) == 1
    partner = subprocess.run([*command, "--role", "partner", "--author", "bailleur"], env=env, capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert partner.returncode == 0, partner.stderr
    assert _ambiances(town) == 2
    with town.connect() as connection:
        authors = {row.subject: row.author for row in connection.execute(select(Ambiance.subject, Ambiance.author))}
    assert authors == {"T-ouest": "ambiance-partner", "T-est": "bailleur"}


def test_mediation_sets_facts_against_its_presence(town: Engine, tmp_path: Path) -> None:
    with town.begin() as connection:
        sheet = sheet_of(connection, "place", STATION, "2025-S1", POLICE)
        plan = local_plan_document(connection, "T", "2025-S1", POLICE, ".pdf")
    table = sheet.mediation
    assert table is not None and table.reported
    evening = table.blocks.index("18 h–21 h")
    assert table.presence_hours[evening] == 20 and sum(table.presence_hours) == 20
    assert all(u <= f for u, f in zip(table.unattended, table.facts, strict=True))  # type: ignore[operator]
    assert sum(table.unattended) < sum(table.facts)  # type: ignore[arg-type]
    station = h3.int_to_str(h3.str_to_int(h3.latlng_to_cell(CENTRE[1], CENTRE[0], 9)))
    by_cell = {place.cell: place for place in table.places}
    assert (by_cell[station].presence_hours, by_cell[station].usual_block) == (20, "18 h–21 h")
    assert sum(p.unattended or 0 for p in table.places) == sum(n or 0 for n in table.unattended)
    text = _pdf_text(plan, tmp_path / "schema.pdf")
    assert "Schéma local de tranquillité publique" in text and "Ouest" in text and STATION in text


def test_a_sheet_lists_the_open_decisions_about_its_subject_as_its_reader_receives_them(town: Engine) -> None:
    """Issue 16's decisions reach issue 17's sheets: the open ones tied to the sector, police-only ones kept from
    the élu, closed ones and those about another sector left out."""
    coordinator = Audience.of("coordo", "coordinator")
    with town.begin() as connection:
        meeting_id = new_meeting(connection, date(2025, 3, 12), "T", ["mediation"], coordinator)
        tied = {"partner": "mediation", "sector": "T-ouest"}
        shared = add_decision(connection, meeting_id, {"text": "Tournée de médiation le vendredi soir", **tied},
                              coordinator)  # fmt: skip
        police_only = add_decision(connection, meeting_id, {"text": "Présence renforcée en soirée", **tied,
                                                            "confidentiality": "police"}, coordinator)  # fmt: skip
        closed = add_decision(connection, meeting_id, {"text": "Réparer l'éclairage du parvis", **tied}, coordinator)
        set_decision_state(connection, closed, "done", coordinator)
        add_decision(connection, meeting_id, {"text": "Nettoyage des tags", "partner": "mediation",
                                              "sector": "T-est"}, coordinator)  # fmt: skip
        police = sheet_of(connection, "sector", "T-ouest", "2025-S1", POLICE)
        elu = sheet_of(connection, "sector", "T-ouest", "2025-S1", ELU)
    assert sorted(d["id"] for d in police.decisions) == sorted([shared, police_only])
    assert [d["id"] for d in elu.decisions] == [shared]


def test_a_sector_sheet_lists_the_boards_indicators_of_its_sector_as_its_reader_receives_them(town: Engine) -> None:
    """Issue 16's indicators reach issue 17's sheets: those specified for the sector, with their last value up to
    the sheet's period (equal to a direct count), a sensitive one kept from the élu, another sector's left out."""

    def indicator(code: str, categories: list[str], sector: str) -> dict[str, Any]:
        return {"code": code, "name": f"Indicateur {code}", "kind": "result", "unit": "faits", "direction": "down",
                "source": "computed", "spec": {"categories": categories, "sector": sector}}  # fmt: skip

    indicators = [indicator("OUEST-BRUIT", ["noise"], "T-ouest"), indicator("EST-TAGS", ["graffiti"], "T-est"),
                  indicator("OUEST-TRAFIC", ["drug_trafficking"], "T-ouest")]  # fmt: skip
    action = {"code": "1.1", "title": "Gare", "state": "en_cours", "indicators": indicators}
    start, end = datetime(2025, 1, 1, tzinfo=PARIS), datetime(2025, 7, 1, tzinfo=PARIS)
    with town.begin() as connection:
        load_strategy(connection, {"axes": [{"code": "1", "title": "Tranquillité", "actions": [action]}]}, by="test")
        for name in ("2024", "2025", "2025-S1"):
            compute_indicators(connection, parse_period(name))
        noise = connection.execute(select(func.count()).select_from(Event).join(Sector).where(
            Sector.code == "T-ouest", Event.category == "noise", Event.measure == "facts", Event.occurred_at >= start,
            Event.occurred_at < end,
        )).scalar_one()  # fmt: skip
        police = sheet_of(connection, "sector", "T-ouest", "2025-S1", POLICE)
        elu = sheet_of(connection, "sector", "T-ouest", "2025-S1", ELU)
        place = sheet_of(connection, "place", STATION, "2025-S1", POLICE)
    semester = {i["code"]: i["value"] for i in police.indicators if i["period"] == "2025-S1"}
    assert noise > 20 and semester["OUEST-BRUIT"] == noise and "OUEST-TRAFIC" in semester
    assert {i["code"] for i in police.indicators} == {"OUEST-BRUIT", "OUEST-TRAFIC"}
    assert {i["code"] for i in elu.indicators} == {"OUEST-BRUIT"}
    assert all(i["text"].startswith("Indicateur OUEST-BRUIT : ") for i in elu.indicators)
    assert place.indicators == []
