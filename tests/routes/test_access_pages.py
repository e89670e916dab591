"""The coordinator's mapping assistant, users and audit log pages, driven in Chromium on the real app and PostGIS."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, text

from etl.mapping import load_mapping
from ols.access import audit
from ols.settings import api_settings
from tests.helpers import run_cli
from tests.routes.browsing import axe_violations, workspace

SHOTS = Path("out/screenshots")
LABELS = {"Tapage nocturne": "noise", "Rodéo moto": "urban_rodeo", "Feu de poubelle": "other_offence"}
ROWS = 40
PICKERS = ("map-ref", "map-label", "map-date", "map-time", "map-location-type", "map-lon", "map-lat", "map-crs")


def _partner_file(folder: Path, *, with_names: bool) -> Path:
    """A file of a layout OLS does not know: 40 facts of 2024 in the demo commune, optionally with a person's name."""
    rng = np.random.default_rng(15)
    header = ["N° fiche", "Nature du fait", "Date constat", "Heure", "Longitude", "Latitude", "Observations"]
    if with_names:
        header.insert(6, "Nom du mis en cause")
    path = folder / ("export-pm.csv" if with_names else "export-pm-sans-noms.csv")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        for index in range(ROWS):
            label = list(LABELS)[index % 3]
            row = [f"F-{index:03d}", label, f"{1 + index % 28:02d}/03/2024", f"{index % 24:02d}:15",
                   f"{3.105 + rng.random() * 0.01:.5f}", f"{50.640 + rng.random() * 0.005:.5f}", "RAS"]  # fmt: skip
            if with_names:
                row.insert(6, "Jean Dupont")
            writer.writerow(row)
    return path


def _tab_order(page: Page, start: str, count: int = 40) -> list[str]:
    page.focus(f"#{start}")
    seen = []
    for _ in range(count):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.id"))
    return seen


def _build_mapping(page: Page, sample: Path) -> None:
    page.set_input_files("#map-file", str(sample))
    page.wait_for_selector("#map-columns table")
    refused = page.locator("#map-columns tr", has_text="Nom du mis en cause")
    assert "Refusée" in refused.inner_text() and "nominative" in refused.inner_text()
    assert page.input_value("#map-label") == "Nature du fait" and page.input_value("#map-lon") == "Longitude"
    page.select_option("#map-label", "Nom du mis en cause")
    page.wait_for_function("document.getElementById('map-problem').textContent.includes('Nom du mis en cause')")
    assert "nominative" in page.inner_text("#map-problem")
    page.select_option("#map-label", "Nature du fait")
    page.wait_for_selector("#map-labels tr.ols-unknown >> nth=2")
    assert page.locator("#map-labels tbody tr").count() == len(LABELS)
    for label, code in LABELS.items():
        page.get_by_label(f"Catégorie pour « {label} »").select_option(code)
    page.wait_for_function("document.getElementById('map-counts').textContent.startsWith('40 lignes lues, 40 accept')")
    assert page.locator("#map-labels tr.ols-unknown").count() == 0
    assert "« Nom du mis en cause »" in page.inner_text("#map-warning")  # the ingest refuses the file while it has it


def test_the_mapping_assistant_builds_a_mapping_that_ingests_the_file(
    browser: Browser, server: str, tokens: dict[str, str], api_engine: Engine, app: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sample, clean = _partner_file(tmp_path, with_names=True), _partner_file(tmp_path, with_names=False)
    name = f"pm-essai-{uuid.uuid4().hex[:6]}"
    with workspace(browser, server, tokens["coordinator"], "/correspondances") as page:
        _build_mapping(page, sample)
        for picker in PICKERS:
            assert page.locator(f"label[for={picker}]").count() == 1, picker
        assert set(PICKERS) <= set(_tab_order(page, "map-file")), "column pickers reachable by keyboard"
        page.fill("#map-name", name)
        page.click("#map-save button[type=submit]")
        page.wait_for_function("document.getElementById('map-saved').textContent.includes('enregistrée')")
        assert axe_violations(page) == []
        page.screenshot(path=str(SHOTS / "correspondances.png"), full_page=True)
    folder = app.state.settings.mappings_dir
    mapping = load_mapping(name, folder)
    assert mapping.label == "Nature du fait" and mapping.ref == "N° fiche" and mapping.date.time_column == "Heure"
    assert dict(mapping.categories) == LABELS and "Nom du mis en cause" not in mapping.used_columns()
    monkeypatch.setenv("OLS_MAPPINGS_DIR", str(folder))
    api_settings.cache_clear()
    status, out, _ = run_cli("mappings")
    api_settings.cache_clear()
    assert status == 0 and f"{name}\t" in out
    bearer = {"Authorization": f"Bearer {tokens['coordinator']}"}
    with httpx.Client(base_url=server, headers=bearer, timeout=60) as http:
        refused = http.post("/api/v1/ingest", data={"mapping": name, "source": "police-municipale"},
                            files={"file": (sample.name, sample.read_bytes(), "text/csv")})  # fmt: skip
        assert refused.status_code == 422 and "Nom du mis en cause" in refused.json()["detail"]
        done = http.post("/api/v1/ingest", data={"mapping": name, "source": "police-municipale"},
                         files={"file": (clean.name, clean.read_bytes(), "text/csv")})  # fmt: skip
    assert done.status_code == 200, done.text
    batch = done.json()["batch_id"]
    with api_engine.begin() as connection:
        counted = connection.execute(
            text("SELECT count(*), count(DISTINCT category) FROM event WHERE batch_id = :b"), {"b": batch}
        ).one()
        # The shared database as it was for the other tests (pairs and links go with their events).
        connection.execute(text("DELETE FROM event WHERE batch_id = :b"), {"b": batch})
        connection.execute(text("DELETE FROM batch WHERE id = :b"), {"b": batch})
    assert tuple(counted) == (ROWS, len(LABELS)) and done.json()["accepted"] == ROWS


def test_a_user_is_created_with_its_token_shown_once_and_disabled_at_once(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    name = f"pm-ville-{uuid.uuid4().hex[:6]}"
    with workspace(browser, server, tokens["coordinator"], "/utilisateurs") as page:
        page.fill("#user-name", "jean-dupont")
        page.click("#user-form button[type=submit]")
        page.wait_for_function("document.getElementById('user-problem').textContent.includes('nom d')")
        page.fill("#user-name", name)
        page.select_option("#user-role", "police")
        page.click("#user-form button[type=submit]")
        page.wait_for_selector("#user-token:not([hidden])")
        token = page.input_value("#user-token-value")
        assert token.startswith("ols_") and "plus jamais affiché" in page.inner_text("#user-token-warning")
        page.wait_for_selector(f"#user-list tr:has-text('{name}')")
        page.select_option("#scope-user", label=name)
        page.select_option("#scope-territories", "59410")
        page.click("#scope-form button[type=submit]")
        page.wait_for_selector(f"#user-list tr:has-text('{name}') >> text=59410")
        assert axe_violations(page) == []
        page.screenshot(path=str(SHOTS / "utilisateurs.png"), full_page=True)
        with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}) as http:
            assert http.get("/api/v1/session").status_code == 200  # the token works, and is now cached
            page.click(f"button:has-text('Désactiver {name}')")
            page.wait_for_selector(f"#user-list tr:has-text('{name}') >> text=désactivé")
            assert http.get("/api/v1/session").status_code == 401
        page.reload()
        page.wait_for_selector(f"#user-list tr:has-text('{name}')")
        assert page.is_hidden("#user-token") and token not in page.content()


def test_the_audit_log_filters_pages_and_exports_neutralised_csv(
    browser: Browser, server: str, tokens: dict[str, str], api_engine: Engine
) -> None:
    who = f"journal-{uuid.uuid4().hex[:6]}"
    with api_engine.begin() as connection:
        for index in range(55):
            audit.record(connection, user=who, role="police", action="read", resource="events",
                         parameters={"n": index})  # fmt: skip
        audit.record(connection, user=who, role="police", action="export", resource="=HYPERLINK(\"x\")",
                     parameters={})  # fmt: skip
    with workspace(browser, server, tokens["coordinator"], "/journal") as page:
        page.fill("#log-user", who)
        page.click("#log-form button[type=submit]")
        page.wait_for_function("document.getElementById('log-page').textContent.includes('56 entrées')")
        assert page.inner_text("#log-page").startswith("Page 1 sur 2")
        page.click("#log-next")
        page.wait_for_function("document.getElementById('log-page').textContent.startsWith('Page 2 sur 2')")
        assert page.locator("#log-table tbody tr").count() == 6
        page.select_option("#log-action", "export")
        page.click("#log-form button[type=submit]")
        page.wait_for_function("document.getElementById('log-page').textContent.includes('(1 entrée)')")
        assert axe_violations(page) == []
        page.screenshot(path=str(SHOTS / "journal.png"), full_page=True)
        href = page.get_attribute("#log-csv", "href")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {tokens['coordinator']}"}) as http:
        body = http.get(str(href)).content
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["date et heure", "utilisateur", "rôle", "action", "ressource"]
    assert len(rows) == 2 and rows[1][1] == who and rows[1][4] == '\'=HYPERLINK("x")'


@pytest.mark.parametrize("role", ["police", "elu", "public"])
def test_other_roles_get_403_on_the_access_pages_and_endpoints(server: str, tokens: dict[str, str], role: str) -> None:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {tokens[role]}"}) as http:
        for path in ("/api/v1/users", "/api/v1/audit", "/api/v1/audit.csv", "/api/v1/mappings"):
            assert http.get(path).status_code == 403, path
        assert http.post("/api/v1/users", json={"name": "pm-x-1", "role": "public"}).status_code == 403
        assert http.patch("/api/v1/users/1", json={"disabled": True}).status_code == 403
        assert http.post("/api/v1/mappings/suggest", files={"file": ("a.csv", b"a;b\n1;2\n")}).status_code == 403
    with httpx.Client(base_url=server) as http:
        origin = {"Origin": server}
        assert http.post("/api/v1/session", json={"token": tokens[role]}, headers=origin).status_code == 200
        for path in ("/correspondances", "/utilisateurs", "/journal"):
            answer = http.get(path)
            assert answer.status_code == 403 and f'href="{path}"' not in answer.text, path


def test_suggest_names_the_mapping_whose_columns_a_file_has(server: str, tokens: dict[str, str]) -> None:
    shipped = load_mapping("bailleur")
    header = ";".join(shipped.used_columns()).encode() + b"\n"
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {tokens['coordinator']}"}) as http:
        found = http.post("/api/v1/mappings/suggest", files={"file": ("pm.csv", header, "text/csv")}).json()
    assert found["best"]["name"] == "bailleur" and found["best"]["missing"] == []
    assert found["sample"]["delimiter"] == ";" and found["draft"]["format"] == "csv"
