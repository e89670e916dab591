"""The coordinator's data flow in the browser: import (preview, background ingest, report, rejected rows to send back),
batches (undo), semester (refresh and publish as jobs), and the jobs left running by a stopped server."""

from __future__ import annotations

import csv
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, delete, func, insert, select
from starlette.testclient import TestClient

from api.main import create_app
from etl.batches import undo_batch
from ols.jobs import INTERRUPTED
from ols.reference.territories import read_boundary
from ols.settings import ApiSettings
from ols.store.models import AuditEntry, Batch, Edition, Event, Job, Refresh
from tests.helpers import police_nationale_csv
from tests.routes.browsing import axe_violations, workspace
from tests.routes.conftest import NEIGHBOUR

SHOTS = Path("out/screenshots")
FORMULA = "=cmd|' /C calc'!A0"
MONTH = "2024-03"
BILAN_MONTH = "2026-03"  # a month of the fixture's refreshed semester (a bilan mensuel reads its zones)


def _fresh(folder: Path, shared: Path, *, seed: int, name: str, broken: bool = False) -> Path:
    """A new police-nationale export of the neighbour commune (fact numbers of its own, so no duplicate of the
    package's); ``broken`` spoils three rows (a formula for a label, two unreadable dates)."""
    outline = read_boundary(shared / "boundaries" / "communes-59-nord.geojson", commune=NEIGHBOUR).geom
    path = police_nationale_csv(folder / name, outline, count=120, seed=seed)
    with path.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    for number, row in enumerate(rows[1:]):
        row[0] = f"T{seed}-{number:04d}"
    if broken:
        rows[1][3] = FORMULA
        rows[2][1], rows[3][1] = "32/13/2025", "hier"
    with path.open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return path


def _events(engine: Engine, batch_id: int | None = None) -> int:
    query = select(func.count()).select_from(Event)
    if batch_id is not None:
        query = query.where(Event.batch_id == batch_id)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One of the demo's partner files, as the package's demo wrote and ingested them."""
    return next(tmp_path_factory.getbasetemp().glob("demo*/SYNTHETIQUE_police_nationale_2026.csv"))


@pytest.fixture(scope="module")
def cleanup(api_engine: Engine) -> Iterator[list[int]]:
    """Batches the tests add, undone at the end (and the month's edition removed): the package's data as it was."""
    added: list[int] = []
    yield added
    with api_engine.begin() as connection:
        for batch_id in added:
            if connection.execute(select(Batch.id).where(Batch.id == batch_id)).scalar() is not None:
                undo_batch(connection, batch_id, user="test", role="operator")
        connection.execute(delete(Edition).where(Edition.period == MONTH))


def _bearer(tokens: dict[str, str], role: str = "coordinator") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _ingest(client: TestClient, tokens: dict[str, str], path: Path) -> dict[str, Any]:
    """Upload ``path`` as the import page does and wait for its job; the finished job."""
    with path.open("rb") as handle:
        answer = client.post("/api/v1/intake/files", headers=_bearer(tokens),
                             data={"source": "police-nationale", "mapping": "police_nationale"},
                             files=[("files", (path.name, handle, "text/csv"))])  # fmt: skip
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["jobs"][0]["job"]
    for _ in range(600):
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=_bearer(tokens)).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("la tâche d'import n'a pas fini")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_import_previews_ingests_reports_and_sends_back_the_rejected_rows(
    browser: Browser, server: str, tokens: dict[str, str], api_engine: Engine, shared: Path,
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, cleanup: list[int],
) -> None:  # fmt: skip
    demo, broken = _demo_file(tmp_path_factory), _fresh(tmp_path, shared, seed=7101, name="releve.csv", broken=True)
    before = _events(api_engine)
    with workspace(browser, server, tokens["coordinator"], "/import") as page:
        page.wait_for_selector("#import-mapping option[value=police_nationale]", state="attached")
        page.set_input_files("#import-files", [str(broken), str(demo)])
        expect(page.locator("#import-mapping-hint")).to_contain_text("« police_nationale »")  # read from the header
        assert page.input_value("#import-mapping") == "police_nationale"
        page.select_option("#import-source", "police-nationale")
        page.click("#import-preview")
        expect(page.locator("#import-preview-table caption")).to_contain_text("releve.csv")
        assert page.locator("#import-preview-table tbody tr").count() == 10
        assert _events(api_engine) == before  # the preview writes nothing
        page.click("#import-submit")
        expect(page.locator(".ws-run .ols-ok, .ws-run .ols-error")).to_have_count(2, timeout=60_000)
        reports = page.locator(".ws-run").all_inner_texts()
        assert "Fichier déjà importé" in next(text for text in reports if demo.name in text)
        fresh = next(text for text in reports if "releve.csv" in text)
        assert "3 rejets" in fresh and "libellé inconnu" in fresh and "date ou heure illisible" in fresh, fresh
        expect(page.locator(".ws-run table").filter(has_text=FORMULA)).to_have_count(1)
        assert page.locator(".ws-run progress").evaluate_all("bars => bars.map(b => b.value)") == [1, 1]
        assert axe_violations(page) == []
        _shot(page, "import")
        with page.expect_download() as caught:
            page.locator(".ws-download").first.click()
        body = Path(caught.value.path()).read_bytes()
    with api_engine.connect() as connection:
        batch_id, accepted = connection.execute(
            select(Batch.id, Batch.accepted).where(Batch.filename == "releve.csv").order_by(Batch.id.desc())
        ).first()  # fmt: skip
    cleanup.append(batch_id)
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\r\n") == 4, body[:200]
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("ligne;motif;colonne;message;")
    assert f";'{FORMULA}" in text and f";{FORMULA}" not in text
    assert accepted == 117 and _events(api_engine) == before + 117 == before + _events(api_engine, batch_id)


def test_the_same_file_twice_says_so_and_changes_nothing(
    client: TestClient, tokens: dict[str, str], api_engine: Engine, shared: Path, tmp_path: Path,
    cleanup: list[int],
) -> None:  # fmt: skip
    path = _fresh(tmp_path, shared, seed=7102, name="deux-fois.csv")
    first = _ingest(client, tokens, path)["result"]
    cleanup.append(first["batch_id"])
    count = _events(api_engine)
    again = _ingest(client, tokens, path)
    assert again["state"] == "done" and again["result"]["already_ingested"] is True
    assert again["result"]["batch_id"] == first["batch_id"] and again["result"]["accepted"] == 0
    assert _events(api_engine) == count


def test_undoing_a_batch_removes_exactly_its_facts_and_marks_periods_stale(
    browser: Browser, server: str, client: TestClient, tokens: dict[str, str], api_engine: Engine, shared: Path,
    tmp_path: Path, cleanup: list[int],
) -> None:  # fmt: skip
    report = _ingest(client, tokens, _fresh(tmp_path, shared, seed=7103, name="a-annuler.csv"))["result"]
    batch_id = report["batch_id"]
    cleanup.append(batch_id)
    before, own = _events(api_engine), _events(api_engine, batch_id)
    assert own == report["accepted"] > 0
    with workspace(browser, server, tokens["coordinator"], "/lots") as page:
        page.select_option("#lots-source", "police-nationale")
        page.click("#lots-filters button[type=submit]")
        page.get_by_role("button", name=f"Voir le lot {batch_id} (a-annuler.csv)").click()
        expect(page.locator("#lots-detail-title")).to_have_text(f"Lot {batch_id} : a-annuler.csv")
        assert axe_violations(page) == []
        _shot(page, "lots")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#lots-undo")
        expect(page.locator("#lots-undone")).to_contain_text(f"Lot {batch_id} annulé")
        expect(page.get_by_role("button", name=f"Voir le lot {batch_id} (a-annuler.csv)")).to_have_count(0)
    assert _events(api_engine, batch_id) == 0 and _events(api_engine) == before - own
    with api_engine.connect() as connection:
        stale = set(connection.execute(select(Refresh.period).where(Refresh.stale)).scalars())
        undone = (AuditEntry.action == "undo", AuditEntry.resource == "batch")
        audited = connection.execute(select(AuditEntry.parameters).where(*undone)).scalars()
        assert {"2025-S2", "2026-S1"} <= stale
        assert any(entry["batch_id"] == batch_id and entry["facts_removed"] == own for entry in audited)


def test_refresh_and_publish_from_the_semester_page(
    browser: Browser, server: str, tokens: dict[str, str], api_engine: Engine, cleanup: list[int]
) -> None:
    with workspace(browser, server, tokens["coordinator"], "/semestre") as page:
        page.fill("#sem-other", MONTH)
        page.click("#sem-refresh")
        expect(page.locator("#sem-message")).to_contain_text("Terminé", timeout=120_000)
        expect(page.locator("#sem-summary-title")).to_have_text("Résumé : mars 2024")
        assert page.locator("#sem-progress").evaluate("bar => bar.value") == 1
        expect(page.locator("#sem-map")).to_have_attribute("href", f"/?period={MONTH}")
        assert axe_violations(page) == []
        page.click("#sem-publish")
        expect(page.locator("#sem-published")).to_contain_text(f"publiée pour {MONTH}", timeout=60_000)
        expect(page.locator("#sem-editions tbody")).to_contain_text("mars 2024")
        expect(page.locator("#sem-publish")).to_be_disabled()
        assert axe_violations(page) == []
        _shot(page, "semestre")
    with api_engine.connect() as connection:
        assert connection.execute(select(Edition.published_by).where(Edition.period == MONTH)).scalar()
        kinds = connection.execute(select(Job.kind, Job.state).where(Job.kind.in_(("refresh", "publish")))).all()
    assert ("refresh", "done") in kinds and ("publish", "done") in kinds


def test_an_elus_bilan_is_written_in_the_background_and_downloaded(
    browser: Browser, server: str, tokens: dict[str, str], client: TestClient
) -> None:
    """Issue 15 item 7: report generation is a background job too; its élu version carries no restricted marking."""
    with workspace(browser, server, tokens["coordinator"], "/semestre") as page:
        page.select_option("#sem-report-kind", "monthly")
        page.fill("#sem-report-period", BILAN_MONTH)
        page.select_option("#sem-report-role", "elu")
        page.click("#sem-report-start")
        expect(page.locator("#sem-report-message")).to_contain_text("Bilan rédigé", timeout=120_000)
        expect(page.locator("#sem-error")).to_be_empty()
        link = page.locator("#sem-report-files a", has_text=".pdf").first
        answer = page.request.get(server + str(link.get_attribute("href")))
        status, body = answer.status, answer.body()
        assert page.locator("#sem-report-progress").evaluate("bar => bar.value") == 1
        assert axe_violations(page) == []
    assert status == 200 and body.startswith(b"%PDF")
    words = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True).stdout.decode()
    assert "Bilan mensuel" in words and "DIFFUSION RESTREINTE" not in words
    asked = {"kind": "monthly", "period": BILAN_MONTH}
    assert client.post("/api/v1/reports", json=asked, headers=_bearer(tokens, "elu")).status_code == 403
    wrong = client.post("/api/v1/reports", json=asked | {"kind": "annual"}, headers=_bearer(tokens))
    assert wrong.status_code == 422 and "période de type year" in wrong.json()["detail"]
    assert client.get("/api/v1/reports/999999/x.pdf", headers=_bearer(tokens)).status_code == 404


def test_a_job_left_running_is_failed_after_a_restart(api_engine: Engine, tmp_path: Path) -> None:
    with api_engine.begin() as connection:
        job_id = connection.execute(
            insert(Job).values(kind="ingest", state="running", created_by="test").returning(Job.id)
        ).scalar_one()  # fmt: skip
    restarted = create_app(engine=api_engine, settings=ApiSettings(zones_dir=tmp_path))
    with TestClient(restarted):
        pass
    with api_engine.connect() as connection:
        state, error = connection.execute(select(Job.state, Job.error).where(Job.id == job_id)).one()
    assert (state, error) == ("failed", INTERRUPTED)


ENDPOINTS = [("GET", "/api/v1/intake/options"), ("GET", "/api/v1/batches"), ("GET", "/api/v1/batches/1"),
             ("DELETE", "/api/v1/batches/1"), ("GET", "/api/v1/batches/1/rejected.csv"), ("GET", "/api/v1/semester"),
             ("POST", f"/api/v1/semester/{BILAN_MONTH}/refresh"), ("POST", f"/api/v1/semester/{BILAN_MONTH}/publish"),
             ("GET", "/api/v1/editions")]  # fmt: skip


@pytest.mark.parametrize("role", ["public", "elu"])
def test_public_and_elu_are_refused_the_data_flow(client: TestClient, tokens: dict[str, str], role: str) -> None:
    for method, path in ENDPOINTS:
        assert client.request(method, path, headers=_bearer(tokens, role)).status_code == 403, path
    upload = client.post("/api/v1/intake/files", headers=_bearer(tokens, role),
                         data={"source": "police-nationale", "mapping": "police_nationale"},
                         files=[("files", ("x.csv", b"a;b\n", "text/csv"))])  # fmt: skip
    assert upload.status_code == 403
    assert client.get("/api/v1/jobs", headers=_bearer(tokens, role)).json() == []
    session = TestClient(client.app)
    login = session.post("/api/v1/session", json={"token": tokens[role]}, headers={"Origin": "http://testserver"})
    assert login.status_code == 200
    for page in ("/import", "/lots", "/semestre"):
        answer = session.get(page)
        assert answer.status_code == 403 and "ne donne pas accès" in answer.text, page
