"""Every message a user reads is French: the usual error paths of the library, the command line and the API.

Each path is run for real (a wrong source, no territory, a mapping that does not exist or does not
parse, a bad period, a bad zone, a bad file of reference data…) and its message must read as
French: at least one French word, none of a list of common English ones. A last test reads the
source of ``etl/``, ``ols/``, ``cli/`` and ``api/``: no message written there (an error, a CLI
line, an API ``detail``, a log line) may be English, so that a new one cannot slip in unseen.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols import settings as ols_settings
from ols.access.roles import parse_role
from ols.access.users import create_user
from ols.cartography.zones import validate_declared_geometry
from ols.errors import OLSError
from ols.patrols.planning import parse_window
from ols.periods import parse_period
from ols.reference.places import read_places
from ols.reference.streets import read_edges
from ols.settings import ApiSettings
from tests.badfiles import MONS, Maker, uk_csv
from tests.helpers import add_territory, run_cli

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = re.compile(
    r"\b(the|is|are|not|no|found|unknown|must|needs?|expected|invalid|loaded|saved|failed|cannot|could|error|empty"
    r"|outside|already|exists|has|have|should|missing|required|only|one of|please|run|first|larger|than|got|takes"
    r"|refused|request|too|large|coordinates|stopped|running|schema)\b",
    re.IGNORECASE,
)
FRENCH = re.compile(
    r"\b(le|la|les|des|du|de|un|une|est|sont|pas|aucune?|introuvables?|inconnue?s?|lancez|choisissez|donnez|"
    r"fichier|colonnes?|ligne|doit|vaut|faut|chargez|écrivez|vide|hors|illisible|trop|période|invalide|semaines?|"
    r"compte|mois|polygone|géométrie|coordonnées|créneau|rôle|territoire|correspondance|lot|requête|tuile)\b",
    re.IGNORECASE,
)
SQUARE = {"type": "Polygon", "coordinates": [[[3.1, 50.64], [3.101, 50.64], [3.101, 50.641], [3.1, 50.64]]]}


def assert_french(message: str) -> None:
    """A French word, and none of the common English ones."""
    assert FRENCH.search(message), message
    assert not ENGLISH.search(message), f"{ENGLISH.search(message)}: {message}"


def _message(call: Callable[[], object]) -> str:
    with pytest.raises((OLSError, ValueError)) as raised:
        call()
    return str(raised.value)


def _mapping_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "correspondance.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_ingest_errors_are_french(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(uk_csv(Maker(3).uk(2)))
    uk = load_mapping("police_uk")
    messages = [
        _message(lambda: ingest_file(engine, path, source_code="police-uk", mapping=uk)),  # no territory yet
        _message(lambda: load_mapping("pas_de_correspondance")),
        _message(lambda: load_mapping(_mapping_file(tmp_path, "name: x\n  format: [\n"))),
        _message(
            lambda: load_mapping(_mapping_file(tmp_path, "name: x\nformat: csvv\ncsv: {encoding: nope}\nextra: 1"))
        ),
    ]
    add_territory(engine, MONS)
    messages.append(_message(lambda: ingest_file(engine, path, source_code="personne", mapping=uk)))
    for message in messages:
        assert_french(message)
    assert "aucun territoire chargé" in messages[0] and "« extra » est une clé inconnue" in messages[3]


def test_access_period_zone_and_reference_errors_are_french(engine: Engine, tmp_path: Path) -> None:
    places = tmp_path / "lieux.csv"
    places.write_text("nom,x,y\nMairie,3.1,50.6\n", encoding="utf-8")
    streets = tmp_path / "rues.txt"
    streets.write_text("rien", encoding="utf-8")
    bowtie = {"type": "Polygon", "coordinates": [[[3.1, 50.64], [3.11, 50.645], [3.11, 50.64], [3.1, 50.645],
                                                  [3.1, 50.64]]]}  # fmt: skip
    with engine.begin() as connection:
        calls: list[Callable[[], object]] = [
            lambda: parse_role("maire"),
            lambda: create_user(connection, "x", role="coordinator", territories=["59999"]),
            lambda: create_user(connection, "y", role="partner"),
            lambda: create_user(connection, "z", role="partner", source="personne"),
        ]
        messages = [_message(call) for call in calls]
    texts = ("2024-13", "2021-W53", "demain", "2024-02-30..2024-03-01")
    messages += [_message(lambda text=text: parse_period(text)) for text in texts]
    messages += [
        _message(lambda geometry=geometry: validate_declared_geometry(geometry))
        for geometry in ({"type": "Point", "coordinates": [3.1, 50.6]}, {"type": "Polygon", "coordinates": []}, bowtie,
                         {**SQUARE, "coordinates": [[[700000, 7000000], [700100, 7000000], [700100, 7000100],
                                                     [700000, 7000000]]]})
    ]  # fmt: skip
    messages += [_message(lambda: parse_window("vendredi soir")), _message(lambda: read_places(places))]
    messages.append(_message(lambda: read_edges(streets)))
    for message in messages:
        assert_french(message)


def test_command_line_errors_are_french(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLS_DATABASE_URL", database_url)
    ols_settings.database_settings.cache_clear()
    path = tmp_path / "export.csv"
    path.write_bytes(uk_csv(Maker(5).uk(2)))
    commands = [
        ("ingest", "--source", "personne", "--mapping", "police_uk", str(path)),
        ("ingest", "--source", "police-uk", "--mapping", "inexistante", str(path)),
        ("batches", "rejected", "999"),
        ("hotspots", "--period", "2024-S1", "--family", "nope"),
        ("hotspots", "--period", "2024-S1", "--format", "xml"),
    ]
    try:
        for command in commands:
            status, out, err = run_cli(*command)
            message = " ".join(err.split())
            assert status == 1 and message.startswith("erreur: "), (command, status, out, err)
            assert_french(message.removeprefix("erreur: "))
    finally:
        ols_settings.database_settings.cache_clear()


def test_api_errors_are_french(engine: Engine) -> None:
    add_territory(engine, MONS)
    with engine.begin() as connection:
        token = create_user(connection, "coordinateur", role="coordinator")
    auth = {"Authorization": f"Bearer {token}"}
    settings = ApiSettings(max_upload_mb=1)
    zone = {"name": "z", "rationale": "r", "owner": "o", "geometry": {"type": "Point", "coordinates": [3.1, 50.6]}}
    with TestClient(create_app(engine=engine, settings=settings)) as client:
        responses = [
            client.get("/api/v1/events", params={"period": "2024-S1", "bbox": "1,2"}, headers=auth),
            client.get("/api/v1/tiles/heatmap/3/9/9.mvt", params={"period": "2024-S1"}, headers=auth),
            client.put("/api/v1/zones/Z1", json={**zone, "code": "Z1"}, headers=auth),
            client.put("/api/v1/zones/Z1", json=zone, headers=auth),  # no code: FastAPI's own check
            client.post("/api/v1/ingest", headers=auth, files={"file": ("a.csv", uk_csv(Maker(6).uk(2)))},
                        data={"mapping": "police_uk", "source": "personne"}),
            client.post("/api/v1/ingest", headers={**auth, "Content-Length": str(2 << 20)}, content=b"x"),
        ]  # fmt: skip
    for response in responses:
        assert 400 <= response.status_code < 500, response.text
        assert_french(response.json()["detail"])


def _said(node: ast.AST) -> str | None:
    """The text of a string literal or f-string (its holes as ``{}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


SAYING = {"echo", "print", "BadParameter", "HTTPException", "info", "warning", "error", "debug", "exception"}


def _messages(path: Path) -> list[tuple[int, str]]:
    """The messages of a module: errors (``msg = …``, ``raise X("…")``), CLI lines, API details, log lines."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("msg", "detail") for t in node.targets
        ):
            found.append(node.value)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in SAYING or name.endswith(("Error", "Denied")):
                found += [*node.args, *(keyword.value for keyword in node.keywords if keyword.arg == "detail")]
    return [(node.lineno, text) for node in found if (text := _said(node)) and len(text.split()) > 2]


def test_no_message_in_the_source_is_english() -> None:
    english = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for package in ("etl", "ols", "cli", "api")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line, text in _messages(path)
        if ENGLISH.search(text.replace("{}", "")) and not FRENCH.search(text)
    ]
    assert not english, "\n".join(english)
