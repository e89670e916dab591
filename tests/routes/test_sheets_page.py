"""The sheets page (/fiches) and the sheets and coverage API on the demo (issue 17)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from starlette.testclient import TestClient

from tests.routes.browsing import axe_violations, workspace

SCREENSHOTS = Path(__file__).parents[2] / "out" / "screenshots"


def _get(client: TestClient, token: str, path: str, **params: object) -> object:
    return client.get(f"/api/v1/{path}", params=params, headers={"Authorization": f"Bearer {token}"})


def test_the_sheets_page_shows_a_sheet_and_passes_axe(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    with workspace(browser, server, tokens["coordinator"], "/fiches") as page:
        page.wait_for_selector("#fiche-result:not([hidden]) #fiche-grid table", timeout=60_000)
        assert page.locator("h1").inner_text() == "Fiches lieu et secteur"
        assert "Fiche secteur" in page.locator("#fiche-title").inner_text()
        assert page.locator("#fiche-grid tbody tr").count() == 7
        assert page.locator("#ambiance-form").is_visible()
        page.fill("#ambiance-observation", "Appelez Jean Dupont au 06 12 34 56 78")
        page.click("#ambiance-form button")
        page.wait_for_function("document.getElementById('ols-status').textContent.includes('refusée')")
        assert axe_violations(page) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "fiches.png"), full_page=True)


def test_an_elu_reads_a_sheet_without_the_ambiance_form(browser: Browser, server: str, tokens: dict[str, str]) -> None:
    with workspace(browser, server, tokens["elu"], "/fiches") as page:
        page.wait_for_selector("#fiche-result:not([hidden]) #fiche-grid table", timeout=60_000)
        assert page.locator("#ambiance-form").is_hidden()
        assert axe_violations(page) == []


def test_an_elus_sheet_and_the_coverage_through_the_api(client: TestClient, tokens: dict[str, str]) -> None:
    subjects = _get(client, tokens["elu"], "sheets/subjects").json()  # type: ignore[attr-defined]
    station = next(place["code"] for place in subjects["places"] if "métro" in place["name"])
    sector = subjects["sectors"][0]["code"]
    sheet = _get(client, tokens["elu"], f"sheets/sector/{sector}", period="2026-S1", format="json")
    body = sheet.json()  # type: ignore[attr-defined]
    threshold = body["suppression_threshold"]
    counts = [c for row in body["grid"] for c in row] + [n for f in body["families"] for n in f["counts"]]
    assert threshold and all(c is None or c >= threshold for c in counts) and any(c for c in counts)
    assert body["deal_points"] is None
    pdf = _get(client, tokens["police"], f"sheets/place/{station}", period="2026-S1", format="pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"  # type: ignore[attr-defined]
    coverage = _get(client, tokens["coordinator"], "coverage", period="2026-S1")
    assert coverage.status_code == 200 and "facts" in coverage.json()  # type: ignore[attr-defined]
    assert _get(client, tokens["public"], "coverage", period="2026-S1").status_code == 403  # type: ignore[attr-defined]
