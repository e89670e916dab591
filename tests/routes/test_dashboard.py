"""The tableau de bord and the cellule de veille's follow-up through the API and the page, role by role: the élu
sees the tableau de bord but no police-only decision, a partner its own decisions, the second meeting's agenda
carries the first's open decisions, a nominative decision is refused with its reason (checked on ids and numbers)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from ols.periods import parse_period
from ols.strategy.files import load_strategy_file
from ols.strategy.indicators import compute_indicators
from tests.routes.browsing import axe_violations, workspace

STRATEGY = Path(__file__).parents[2] / "data" / "strategy" / "mons-en-baroeul.yaml"
SHOTS = Path(__file__).parents[2] / "out" / "screenshots"
POLICE_ONLY = "STUP-TRAFIC"


def _as(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _decide(client: TestClient, tokens: dict[str, str], meeting: int, **values: Any) -> int:
    body = {"meeting_id": meeting, "due_on": "2026-06-30", **values}
    response = client.post("/api/v1/decisions", json=body, headers=_as(tokens, "coordinator"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture(scope="module")
def follow_up(api_engine: Engine, client: TestClient, tokens: dict[str, str]) -> dict[str, int]:
    """The Mons strategy, its indicators for 2024 and 2025, and two meetings: the first's three decisions (one for
    the police only, one done since), the second opened after it."""
    with api_engine.begin() as connection:
        load_strategy_file(connection, STRATEGY, by="test")
        for year in ("2024", "2025"):
            compute_indicators(connection, parse_period(year))
    coordinator = _as(tokens, "coordinator")
    response = client.post("/api/v1/indicators/MEDIATION-INTER/values", json={"period": "2025", "value": 1052},
                           headers=coordinator)  # fmt: skip
    assert response.status_code == 201, response.text
    body = {"held_on": "2026-03-10", "territory": "59410", "partners": ["police-municipale", "mediation"]}
    first = client.post("/api/v1/meetings", json=body, headers=coordinator).json()["id"]
    ids = {"first": first,
           "mediation": _decide(client, tokens, first, text="Présence de médiation le soir près du métro",
                                partner="mediation", zone="DEMO-FORT"),
           "police": _decide(client, tokens, first, text="Surveillance renforcée du hall signalé",
                             partner="police-nationale", confidentiality="police"),
           "done": _decide(client, tokens, first, text="Enlèvement des dépôts sauvages du parking",
                           partner="police-municipale")}  # fmt: skip
    assert client.patch(f"/api/v1/decisions/{ids['done']}", json={"state": "done"},
                        headers=coordinator).status_code == 204  # fmt: skip
    assert client.post(f"/api/v1/meetings/{first}/close", headers=coordinator).status_code == 204
    body = {"held_on": "2026-04-14", "territory": "59410", "partners": ["police-municipale"]}
    ids["second"] = client.post("/api/v1/meetings", json=body, headers=coordinator).json()["id"]
    return ids


def test_the_second_agenda_carries_the_first_meetings_open_decisions(
    client: TestClient, tokens: dict[str, str], follow_up: dict[str, int]
) -> None:
    second = client.get(f"/api/v1/meetings/{follow_up['second']}", headers=_as(tokens, "coordinator")).json()
    carried = [item["id"] for item in second["agenda"]["open_decisions"]]
    assert sorted(carried) == sorted([follow_up["mediation"], follow_up["police"]])
    assert second["agenda"]["period"] == "2026-S1" and second["decisions"] == []
    first = client.get(f"/api/v1/meetings/{follow_up['first']}", headers=_as(tokens, "coordinator")).json()
    assert first["agenda"]["open_decisions"] == [] and first["state"] == "closed"


def test_a_decision_naming_a_person_and_a_birth_date_is_refused(
    client: TestClient, tokens: dict[str, str], follow_up: dict[str, int], api_engine: Engine
) -> None:
    body = {"meeting_id": follow_up["second"], "partner": "mediation",
            "text": "Suivi de Kevin Martin, né le 03/05/2008, aux abords du collège"}  # fmt: skip
    response = client.post("/api/v1/decisions", json=body, headers=_as(tokens, "coordinator"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "des noms et des dates de naissance" in detail and "refusé" in detail and "Martin" not in detail
    with api_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM decision WHERE meeting_id = :m"),
                                  {"m": follow_up["second"]}).scalar_one() == 0  # fmt: skip


def test_each_role_receives_its_decisions_and_indicators(
    client: TestClient, tokens: dict[str, str], follow_up: dict[str, int]
) -> None:
    def decision_ids(role: str) -> list[int]:
        response = client.get("/api/v1/decisions", headers=_as(tokens, role))
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json())

    everything = sorted([follow_up["mediation"], follow_up["police"], follow_up["done"]])
    assert decision_ids("coordinator") == everything
    assert decision_ids("elu") == sorted([follow_up["mediation"], follow_up["done"]])
    assert decision_ids("partner") == [follow_up["mediation"]]  # the mediation's partner
    assert decision_ids("public") == []
    board = client.get("/api/v1/indicators/dashboard", headers=_as(tokens, "elu"))
    assert board.status_code == 200
    codes = {i["code"] for axis in board.json()["axes"] for a in axis["actions"] for i in a["indicators"]}
    full = client.get("/api/v1/indicators/dashboard", headers=_as(tokens, "coordinator")).json()
    all_codes = {i["code"]: i for axis in full["axes"] for a in axis["actions"] for i in a["indicators"]}
    assert POLICE_ONLY in all_codes and POLICE_ONLY not in codes and len(codes) == len(all_codes) - 1
    assert [v["period"] for v in all_codes["CADRE-VIE"]["values"]] == ["2024", "2025"]
    (entered,) = all_codes["MEDIATION-INTER"]["values"]
    assert (entered["period"], entered["value"], entered["provenance"]) == ("2025", 1052, "entered")
    assert entered["by"].startswith("test-coordinator-")
    assert sorted(item["id"] for item in board.json()["decisions"]) == decision_ids("elu")
    assert client.get("/api/v1/indicators/dashboard", headers=_as(tokens, "public")).status_code == 403
    assert client.get(f"/api/v1/meetings/{follow_up['first']}", headers=_as(tokens, "elu")).status_code == 403


def test_the_workbook_and_the_meeting_pdf(
    client: TestClient, tokens: dict[str, str], follow_up: dict[str, int]
) -> None:
    response = client.get("/api/v1/indicators/dashboard.xlsx", headers=_as(tokens, "elu"))
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Indicateurs", "Actions", "Décisions"]
    ids = sorted(row[0].value for row in workbook["Décisions"].iter_rows(min_row=2))
    assert ids == sorted([follow_up["mediation"], follow_up["done"]])
    assert workbook["Actions"].max_row == 21  # the 20 fiches of the Mons strategy and the header
    pdf = client.get(f"/api/v1/meetings/{follow_up['second']}/pdf", headers=_as(tokens, "coordinator"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS.parent / "reunion.pdf").write_bytes(pdf.content)


def test_the_page_for_an_elu_and_the_coordinator(
    browser: Browser, server: str, client: TestClient, tokens: dict[str, str], follow_up: dict[str, int]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for role in ("elu", "coordinator"):
        with workspace(browser, server, tokens[role], "/tableau-de-bord") as page:
            page.wait_for_selector("#ws-decisions table")
            if role == "coordinator":
                page.wait_for_selector("#ws-meetings table")
            assert page.locator("h1").inner_text() == "Tableau de bord"
            sparks = page.locator("svg.ws-spark")
            assert sparks.count() >= 8 and "2025" in (sparks.first.get_attribute("aria-label") or "")
            rows = page.locator("#ws-decisions tbody tr").count()
            assert rows == (2 if role == "elu" else 3)
            assert axe_violations(page) == [], role
            assert page.locator("#ws-decision-form").is_visible() == (role == "coordinator")
            page.screenshot(path=str(SHOTS / f"tableau-de-bord-{role}.png"), full_page=True)
            if role == "coordinator":
                page.select_option("#ws-decision-id", str(follow_up["mediation"]))
                page.select_option("#ws-decision-state", "done")
                page.click("#ws-decision-form button[type=submit]")
                page.wait_for_selector("#ols-status:has-text('réalisée')")
    done = client.get("/api/v1/decisions?state=done", headers=_as(tokens, "coordinator")).json()
    assert sorted(item["id"] for item in done) == sorted([follow_up["done"], follow_up["mediation"]])


@pytest.mark.parametrize("role", ["elu", "public", "partner", "police"])
def test_only_the_coordinator_writes_the_follow_up(
    client: TestClient, tokens: dict[str, str], follow_up: dict[str, int], api_engine: Engine, role: str
) -> None:
    def stored() -> tuple[Any, ...]:
        with api_engine.connect() as connection:
            return tuple(connection.execute(text(
                "SELECT (SELECT count(*) FROM action_state_change), (SELECT state FROM strategy_action WHERE code = "
                "'1.9'), (SELECT count(*) FROM indicator_value WHERE provenance = 'entered')")).one())  # fmt: skip

    before = stored()
    state = client.patch("/api/v1/actions/1.9", json={"state": "abandonnee"}, headers=_as(tokens, role))
    value = client.post("/api/v1/indicators/MARCHES/values", json={"period": "2024", "value": 9},
                        headers=_as(tokens, role))  # fmt: skip
    assert (state.status_code, value.status_code) == (403, 403), (state.text, value.text)
    assert "coordonnateur" in state.json()["detail"] or role == "public"
    assert stored() == before


def test_the_coordinator_changes_a_state_and_enters_a_value_from_the_page(
    browser: Browser, server: str, tokens: dict[str, str], follow_up: dict[str, int], api_engine: Engine
) -> None:
    with workspace(browser, server, tokens["elu"], "/tableau-de-bord") as page:
        page.wait_for_selector("#ws-decisions table")
        assert not page.locator("#ws-edit-section").is_visible()
    with workspace(browser, server, tokens["coordinator"], "/tableau-de-bord") as page:
        page.wait_for_selector("#ws-edit-section:not([hidden]) #ws-action-code option", state="attached")
        assert axe_violations(page) == []
        page.select_option("#ws-action-code", "1.9")
        page.select_option("#ws-action-state", "en_cours")
        page.click("#ws-action-form button[type=submit]")
        page.wait_for_selector("#ols-status:has-text('Fiche 1.9 : en cours.')")
        row = page.locator("#ws-axes tr", has=page.locator("th", has_text="1.9"))
        assert "en cours" in row.inner_text() and "en cours le " in row.inner_text()
        page.select_option("#ws-value-code", "MARCHES")
        page.fill("#ws-value-period", "2025")
        page.fill("#ws-value-number", "6")
        page.click("#ws-value-form button[type=submit]")
        page.wait_for_selector("#ols-status:has-text('saisi pour 2025')")
        marches = page.locator("#ws-axes tr", has=page.locator("th", has_text="Marches exploratoires"))
        assert "6 marches (2025)" in marches.inner_text()
        assert axe_violations(page) == []
        page.screenshot(path=str(SHOTS / "tableau-de-bord-saisie.png"), full_page=True)
    with api_engine.connect() as connection:
        change = connection.execute(text(
            "SELECT c.state, c.changed_by FROM action_state_change c JOIN strategy_action a ON a.id = c.action_id "
            "WHERE a.code = '1.9' ORDER BY c.id DESC LIMIT 1")).one()  # fmt: skip
        value = connection.execute(text(
            "SELECT v.value, v.provenance, v.recorded_by FROM indicator_value v JOIN indicator i ON "
            "i.id = v.indicator_id WHERE i.code = 'MARCHES' AND v.period = '2025'")).one()  # fmt: skip
    assert change.state == "en_cours" and change.changed_by.startswith("test-coordinator-")
    assert (value.value, value.provenance) == (6, "entered") and value.recorded_by.startswith("test-coordinator-")
