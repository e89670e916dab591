"""Publication-grade exports, read as a person reads them: the text of the PDFs (pdftotext) and the pixels of the maps.

The map of the coordinator and of the élu names the partners, says its method in French, is
signed by a person (the logged-in user; at the command line the coordinator, never the server's
login), carries the marking only where due, draws the loaded streets, the communes' border over
the heatmap and the zones' names on a light halo off the communes' names. The patrol sheet draws
the streets, names and times each stop, has a scale, a north arrow and the marking.
"""

from __future__ import annotations

import getpass
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from fastapi.testclient import TestClient
from matplotlib.figure import Figure
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.cartography.zones import TO_L93
from ols.periods import parse_period
from ols.publishing.mapexport import Snapshot, draw, render
from ols.reference.streets import save_edges
from tests.french_text import english_codes
from tests.helpers import street_grid
from tests.routes.conftest import PERIOD

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
NETWORK = "grille-de-test"
STREET = (0xA0, 0xA0, 0xA0)
BORDER = (0x08, 0x30, 0x6B)
TOP_CLASSES = ((0xF0, 0x3B, 0x20), (0xBD, 0x00, 0x26))
DARK_HEAT = [tuple(round(0.75 * c + 0.25 * 0xF4) for c in colour) for colour in TOP_CLASSES]  # over a commune
ROLES = {"coordinator": 9, "elu": 8}


@pytest.fixture(scope="module")
def grid(api_engine: Engine) -> Iterator[tuple[float, float, float, float]]:
    """A grid of named streets over the demo commune's bounds, removed afterwards (the patrol tests route on the
    network loaded, none in the demo)."""
    with api_engine.begin() as connection:
        bounds = connection.execute(text("SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
                                         "FROM territory WHERE code = '59410'")).one()  # fmt: skip
        save_edges(connection, NETWORK, street_grid(tuple(bounds)))
    yield tuple(bounds)
    with api_engine.begin() as connection:
        connection.execute(text("DELETE FROM street_edge WHERE network = :network"), {"network": NETWORK})


def _pdftotext(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def _pdf_page(content: bytes, tmp_path: Path, name: str) -> np.ndarray:
    """The first page of a PDF as pixels (pdftoppm, 100 dpi), kept for a look in out/screenshots."""
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(SHOTS / name)], check=True)  # fmt: skip
    return np.asarray(Image.open(SHOTS / f"{name}.png").convert("RGB")).astype(int)


def _export(client: TestClient, token: str, **params: str | int) -> bytes:
    response = client.get("/api/v1/exports/map", params={"period": PERIOD, "layers": "heatmap,zones,places", **params},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 200, response.text[:300]
    return response.content


def _near(pixels: np.ndarray, colour: tuple[int, ...], tolerance: int) -> np.ndarray:
    return np.all(np.abs(pixels - np.array(colour)) <= tolerance, axis=2)


def _grown(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` widened by ``radius`` pixels (a square), to ask what lies near a pixel."""
    grown = mask.copy()
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            grown |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return grown


def _user(api_engine: Engine, role: str) -> str:
    """The name of the ``tokens`` fixture's user of ``role`` (not the scoped users, whose names add a commune)."""
    with api_engine.connect() as connection:
        return str(connection.execute(text("SELECT name FROM app_user WHERE name ~ :name"),
                                      {"name": f"^test-{role}-[0-9a-f]{{6}}$"}).scalar_one())  # fmt: skip


def test_map_pdf_names_partners_in_french_signed_by_the_user(
    client: TestClient, tokens: dict[str, str], api_engine: Engine
) -> None:
    with api_engine.connect() as connection:
        codes = set(connection.execute(text("SELECT code FROM source")).scalars())
    for role, resolution in ROLES.items():
        words = _pdftotext(_export(client, tokens[role], format="pdf", resolution=resolution))
        sources = words.split("Sources : ", 1)[1].split(". Méthode : ", 1)[0]
        assert "Police nationale" in sources and not {item.strip() for item in sources.split(",")} & codes, sources
        assert "Méthode : Ces chiffres sont les faits transmis par les partenaires" in words
        assert "Gi* de Getis-Ord sur hexagones H3" in words and not english_codes(words)
        label = "coordonnateur" if role == "coordinator" else "élu"
        assert f"par {_user(api_engine, role)} ({label})" in words, words[-400:]
        assert ("DIFFUSION RESTREINTE" in words) == (role == "coordinator"), role
    a3 = PdfReader(io.BytesIO(_export(client, tokens["elu"], format="pdf", resolution=8, paper="A3"))).pages[0]
    assert (round(float(a3.mediabox.width)), round(float(a3.mediabox.height))) == (1191, 842)
    assert client.get("/api/v1/exports/map", params={"period": PERIOD, "dpi": 250},
                      headers={"Authorization": f"Bearer {tokens['elu']}"}).status_code == 422  # fmt: skip
    with api_engine.connect() as connection:  # 300 dpi drawn here: through the API it may outlast a busy budget
        fine = render(connection, Snapshot(parse_period(PERIOD), ("heatmap",), 8, dpi=300), Audience.of("élu", "elu"),
                      image_format="png")  # fmt: skip
    assert Image.open(io.BytesIO(fine)).size == (3507, 2481)


def test_cli_map_is_signed_by_the_coordinator_not_the_login(api_engine: Engine, tmp_path: Path) -> None:
    with api_engine.connect() as connection:
        coordinator = connection.execute(text("SELECT name FROM app_user WHERE role = 'coordinator' "
                                              "AND NOT disabled ORDER BY id LIMIT 1")).scalar_one()  # fmt: skip
    out = tmp_path / "carte.pdf"
    env = dict(os.environ, OLS_DATABASE_URL=api_engine.url.render_as_string(hide_password=False))
    done = subprocess.run([sys.executable, "-m", "cli", "export", "map", "--period", PERIOD, "--out", str(out),
                           "--role", "elu", "--territory", "59410"], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    words = _pdftotext(out.read_bytes())
    assert f"par {coordinator} (élu)" in words and f"par {getpass.getuser()} " not in words, words[-300:]


def _figure(api_engine: Engine, role: str) -> tuple[Figure, np.ndarray]:
    """The coordinator's or the élu's map drawn, and its pixels (saved for a look in out/screenshots)."""
    audience = Audience.of(f"test-{role}", role)
    with api_engine.connect() as connection:
        figure = draw(connection, Snapshot(parse_period(PERIOD), ("heatmap", "zones", "places"), ROLES[role]),
                      audience)  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)
    figure.savefig(SHOTS / f"export-streets-{role}.png", format="png", dpi=figure.dpi)
    return figure, np.asarray(Image.open(SHOTS / f"export-streets-{role}.png").convert("RGB")).astype(int)


def _pixel(figure: Figure, lon: float, lat: float) -> tuple[int, int]:
    """Where a WGS84 point falls in the figure's PNG: (row, column)."""
    x, y = figure.axes[0].transData.transform(TO_L93.transform(lon, lat))
    return round(figure.bbox.height - y), round(x)


def _line_at(grey: np.ndarray, point: tuple[int, int], across: tuple[int, int]) -> bool:
    """Whether a line passes through ``point`` (row, column): darker, within a pixel, than the ground 6 pixels
    to either side ``across`` it (a street under the heatmap included: it shows through)."""
    row, column = point
    dy, dx = across
    centre = min(grey[row + k * dy, column + k * dx] for k in (-1, 0, 1))
    return bool(centre + 6 < min(grey[row - 6 * dy, column - 6 * dx], grey[row + 6 * dy, column + 6 * dx]))


def _labels(figure: Figure, starting: tuple[str, ...]) -> list[tuple[int, int, int, int]]:
    """The pixel boxes (top, bottom, left, right) of the map's texts starting with one of ``starting``."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = set()
    for annotation in figure.axes[0].texts:
        if annotation.get_text().startswith(starting):
            box = annotation.get_window_extent(renderer)
            height = figure.bbox.height
            boxes.add((max(0, round(height - box.y1)), round(height - box.y0), max(0, round(box.x0)), round(box.x1)))
    return sorted(boxes)


def _overlap(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> bool:
    return first[0] < second[1] and second[0] < first[1] and first[2] < second[3] and second[2] < first[3]


@pytest.mark.parametrize("role", list(ROLES))
def test_map_draws_streets_border_on_top_and_haloed_zone_names(
    api_engine: Engine, grid: tuple[float, float, float, float], role: str
) -> None:
    figure, pixels = _figure(api_engine, role)
    west, south, east, north = grid
    grey = pixels.mean(axis=2)
    southern = [_pixel(figure, west + (east - west) * k / 40, south) for k in range(1, 40)]
    western = [_pixel(figure, west, south + (north - south) * k / 40) for k in range(1, 40)]
    for along, across in ((southern, (1, 0)), (western, (0, 1))):
        seen = [_line_at(grey, point, across) for point in along]
        assert sum(seen) >= 0.6 * len(seen), (role, sum(seen))  # the grid's southern and western streets, seen
    heat = np.zeros(pixels.shape[:2], dtype=bool)
    for colour in DARK_HEAT:
        heat |= _near(pixels, colour, 14)
    border = _near(pixels, BORDER, 24)
    assert (border & _grown(heat, 8)).sum() > 150, role  # the border is drawn, and drawn where the heat is
    zones = _labels(figure, ("Zone de vigilance", "Secteur"))
    communes = _labels(figure, ("Mons-en-Barœul", "Villeneuve-d'Ascq"))
    assert zones and communes
    for top, bottom, left, right in zones:
        inside = pixels[top:bottom, left:right]
        glyphs = inside.mean(axis=2) < 100
        ring = _grown(glyphs, 3) & ~_grown(glyphs, 1)
        light = np.all(inside[ring] >= 200, axis=1).mean()
        assert light > 0.8, (role, light)  # dark text on a white halo, not on the heatmap's red
        assert not any(_overlap((top, bottom, left, right), name) for name in communes), role
    plt.close(figure)


def test_patrol_pdf_draws_streets_names_and_times_each_stop(
    api_engine: Engine, grid: tuple[float, float, float, float], tmp_path: Path
) -> None:
    out = tmp_path / "plan.pdf"
    env = dict(os.environ, OLS_DATABASE_URL=api_engine.url.render_as_string(hide_password=False))
    done = subprocess.run([sys.executable, "-m", "cli", "patrol", "plan", "--window", "ven 18:00-23:00", "--period",
                           PERIOD, "--out", str(out), "--start", "mairie de mons", "--stops", "4", "--seed", "7"],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    words = _pdftotext(out.read_bytes())
    assert "Plan de patrouille — ven 18:00-23:00 — pédestre" in words and "pedestre" not in words
    assert words.count("DIFFUSION RESTREINTE") == len(PdfReader(out).pages)  # every page
    stops = re.findall(r"\b\d\. (\d\d:\d\d) (.+?) \(\d+ min\)", words.split("Équipe 1", 1)[1])
    assert len(stops) >= 4 and all(name.strip() and name != "lieu sans nom" for _, name in stops), stops
    assert re.search(r"\b\d+ m\b", words) and " N " in f" {words} "  # scale bar and north arrow
    page = _pdf_page(out.read_bytes(), tmp_path, "patrol-plan")
    street = _near(page, STREET, 10)
    long_rows = [row for row in street if row.sum() > page.shape[1] // 4]
    assert len(long_rows) >= 3, len(long_rows)  # the grid's east–west streets cross the map
