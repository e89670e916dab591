"""Per-commune outputs of an intercommunal observatory (issue 18): the CISPD Loos–Haubourdin–Emmerin built from the
shared communes file, a seeded police file spread over the three communes and a cluster planted on the
Loos–Haubourdin border.

Gi* and the zones run over the whole observatory, so the cluster is one hot spot and one zone;
the breakdown by commune reports it in both communes (cells meeting the commune, not only those
whose centre lies in it); the zone is filed under both and named where it is.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import h3
import pytest
from fastapi.testclient import TestClient
from matplotlib.figure import Figure
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Engine, text

from api.main import create_app
from ols.access.audience import Audience
from ols.access.users import create_user
from ols.analysis.indicators import load_ssmsi, local_evolution
from ols.cartography.layers import hotspot_frame, zones_geojson
from ols.cartography.refresh import refresh
from ols.cartography.whereabouts import Gazetteer
from ols.cartography.zones import TO_L93, save_declared
from ols.periods import parse_period
from ols.publishing.mapexport import Snapshot, draw, render
from ols.publishing.reports import title_of, write_report
from ols.reference.areas import Area
from ols.reference.sectors import SectorShape, save_sectors
from ols.settings import ApiSettings, CartographySettings
from tests import communes_gen
from tests.communes_gen import EMMERIN, HAUBOURDIN, LOOS, Cispd
from tests.territorygen import halves

SEMESTER = parse_period("2025-S1")
SETTINGS = CartographySettings(hotspot_resolutions=(9, 10), zone_resolution=10, permutations=199)
OPERATOR = Audience.operator()


@pytest.fixture
def cispd(engine: Engine, shared: Path, tmp_path: Path) -> Cispd:
    """The CISPD with its generated facts, refreshed for the first semester of 2025."""
    built = communes_gen.build(engine, shared)
    communes_gen.load(engine, tmp_path, built)
    refresh(engine, SEMESTER, settings=SETTINGS)
    return built


def test_facts_carry_their_commune(engine: Engine, cispd: Cispd) -> None:
    with engine.connect() as connection:
        counts = dict(connection.execute(text(
            "SELECT t.insee, count(*) FROM event e JOIN territory t ON t.id = e.territory_id GROUP BY 1"
        )).all())  # fmt: skip
    assert set(counts) == {LOOS, HAUBOURDIN, EMMERIN} and sum(counts.values()) == len(communes_gen.facts(cispd))
    assert counts[LOOS] > 50 and counts[HAUBOURDIN] > 50 and counts[EMMERIN] > 30


def test_the_border_cluster_is_one_zone_filed_under_both_communes(engine: Engine, cispd: Cispd) -> None:
    with engine.connect() as connection:
        zones = connection.execute(text(
            "SELECT code, name, communes FROM zone WHERE kind = 'computed' AND scope = 'full'")).all()  # fmt: skip
    assert len(zones) == 1, zones
    _, name, communes = zones[0]
    assert set(communes) == {LOOS, HAUBOURDIN}
    assert name.startswith("Zone de vigilance n°1 (près de École du Canal, ") and "?" not in name
    assert "Loos" in name and "Haubourdin" in name


def _pixel(figure: Figure, point: tuple[float, float]) -> tuple[int, int]:
    """Where a WGS84 point falls in the figure's PNG: (column, row)."""
    x, y = TO_L93.transform(*point)
    column, height = figure.axes[0].transData.transform((x, y)), figure.bbox.height
    return round(column[0]), round(height - column[1])


def _dark_near(image: Image.Image, pixel: tuple[int, int], radius: int = 3) -> bool:
    """Whether a dark stroke (a drawn border) passes within ``radius`` pixels."""
    column, row = pixel
    grey = image.convert("L")
    return any(grey.getpixel((column + dx, row + dy)) < 80  # type: ignore[operator]
               for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1))  # fmt: skip


def test_map_export_names_the_three_communes_and_draws_their_inner_borders(
    engine: Engine, cispd: Cispd, tmp_path: Path
) -> None:
    spec = Snapshot(SEMESTER, ("heatmap", "zones", "places"))
    with engine.connect() as connection:
        pdf = render(connection, spec, OPERATOR, image_format="pdf")
        figure = draw(connection, spec, OPERATOR)
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert {"Loos", "Haubourdin", "Emmerin"} <= set(words.split()), words
    assert "École" in words and "Lieu sensible (station)" not in words  # places by kind, in French
    assert "Zone de vigilance calculée" in words and "Zone de vigilance déclarée" not in words  # none declared
    png = tmp_path / "cispd.png"
    figure.savefig(png, format="png", dpi=figure.dpi)
    image = Image.open(png)
    for first, second in ((LOOS, HAUBOURDIN), (LOOS, EMMERIN), (HAUBOURDIN, EMMERIN)):
        border = cispd.communes[first].boundary.intersection(cispd.communes[second].boundary)
        for fraction in (0.2, 0.5, 0.8):
            point = border.interpolate(fraction, normalized=True)
            assert _dark_near(image, _pixel(figure, (point.x, point.y))), (first, second, fraction)
    centre = cispd.communes[EMMERIN].representative_point()  # where its name is written: the control is below it
    inner = (centre.x, centre.y - 0.004)
    assert cispd.communes[EMMERIN].contains(Point(inner))
    assert not _dark_near(image, _pixel(figure, inner), radius=1)  # a control: inside, no border


def test_the_border_hot_spot_is_reported_in_both_communes(engine: Engine, cispd: Cispd) -> None:
    """One hot spot over the observatory; Loos's and Haubourdin's breakdowns both hold it (cells meeting the
    commune), Emmerin's does not; its zone is listed in both communes with the same figures."""
    heart = h3.latlng_to_cell(cispd.border_point[1], cispd.border_point[0], 10)
    found = {}
    with engine.connect() as connection:
        for insee in (LOOS, HAUBOURDIN, EMMERIN):
            area = Area.parse(connection, insee)
            frame = hotspot_frame(connection, SEMESTER, OPERATOR, resolution=10, significant_only=True, area=area)
            hot = set(frame[frame["class"].str.startswith("hot_")]["h3"])
            zones = zones_geojson(connection, SEMESTER, OPERATOR, area)["features"]
            found[insee] = (hot, {z["properties"]["code"]: z["properties"]["stats"]["events"] for z in zones})
        whole = hotspot_frame(connection, SEMESTER, OPERATOR, resolution=10, significant_only=True)
    assert heart in found[LOOS][0] and heart in found[HAUBOURDIN][0]
    assert found[LOOS][0] & found[HAUBOURDIN][0], "the cells straddling the border are in both"
    assert not {cell for cell in found[EMMERIN][0] if h3.grid_distance(cell, heart) <= 3}
    assert found[LOOS][1] == found[HAUBOURDIN][1] == {"2025-S1-Z1": found[LOOS][1]["2025-S1-Z1"]}
    assert found[EMMERIN][1] == {}
    hot_whole = set(whole[whole["class"].str.startswith("hot_")]["h3"])
    assert found[LOOS][0] | found[HAUBOURDIN][0] | found[EMMERIN][0] == hot_whole  # a breakdown, nothing lost


def test_annual_report_of_the_cispd_has_a_chapter_per_commune(
    engine: Engine, cispd: Cispd, shared: Path, tmp_path: Path
) -> None:
    """Titled after the observatory; the whole, then Loos, Haubourdin and Emmerin each in a chapter with its own
    figures; the SSMSI commune file covers Loos (20,000 to 50,000 inhabitants), not the two others: said so."""
    with engine.begin() as connection:
        load_ssmsi(connection, shared / "crime_stats_fr" / "ssmsi_taux_communes_20000_50000hab_2016-2023.csv")
        files = write_report(connection, "annual", "2025", OPERATOR, tmp_path)
        by_commune = {insee: local_evolution(connection, parse_period("2025"), OPERATOR,
                                             area=Area.parse(connection, insee)).set_index("key")
                      for insee in (LOOS, HAUBOURDIN, EMMERIN)}  # fmt: skip
    reader = PdfReader(next(path for path in files if path.suffix == ".pdf"))
    pages = [" ".join((page.extract_text() or "").split()).replace("– ", "–") for page in reader.pages]
    words = " ".join(pages)
    assert "Bilan annuel du CISPD Loos–Haubourdin–Emmerin" in words and "CLSPD" not in words
    titles = {"Emmerin": "Commune d'Emmerin", "Haubourdin": "Commune de Haubourdin", "Loos": "Commune de Loos"}
    chapters = {name: next(i for i, page in enumerate(pages) if title in page) for name, title in titles.items()}
    assert chapters["Emmerin"] < chapters["Haubourdin"] < chapters["Loos"]
    for name, insee in (("Emmerin", EMMERIN), ("Haubourdin", HAUBOURDIN), ("Loos", LOOS)):
        start = chapters[name]
        ends = [page for page in chapters.values() if page > start]
        chapter = " ".join(pages[start : min(ends) if ends else None])
        total = int(by_commune[insee].loc["total", "2025"])
        assert f"Total — — {total}" in chapter.replace("\u202f", " "), (name, total)
        assert "Carte et zones — 1er semestre 2025" in chapter
    assert sum(int(by_commune[insee].loc["total", "2025"]) for insee in by_commune) == len(communes_gen.facts(cispd))
    assert "Contexte officiel SSMSI — Loos (59360, taux ‰)" in words
    for name in ("Haubourdin", "Emmerin"):
        assert f"Pas de chiffres officiels publiés pour {name}" in words
    assert "Zones touchant Loos : Zone de vigilance n°1" in words.replace("\n", " ")
    assert "Zones touchant Haubourdin : Zone de vigilance n°1" in words.replace("\n", " ")


def test_api_cuts_by_commune_and_keys_its_cache_on_it(engine: Engine, cispd: Cispd, tmp_path: Path) -> None:
    """``commune=`` on the hot spots, zones and indicators: the border hot spot in Loos and in Haubourdin, not in
    Emmerin; each commune its own cached answer; an unknown commune is a 422, a commune outside a scoped user's a
    403."""
    with engine.begin() as connection:
        coordinator = create_user(connection, "coordination-cispd", role="coordinator")
        loos_police = create_user(connection, "police-loos", role="police", territories=[LOOS])
    heart = h3.latlng_to_cell(cispd.border_point[1], cispd.border_point[0], 10)
    app = create_app(engine=engine, settings=ApiSettings(zones_dir=tmp_path / "zones"))
    with TestClient(app) as client:
        ask = lambda path, token=coordinator: client.get(  # noqa: E731
            f"/api/v1/{path}", headers={"Authorization": f"Bearer {token}"}
        )
        hot = {}
        for insee in (LOOS, HAUBOURDIN, EMMERIN):
            answer = ask(f"hotspots?period=2025-S1&resolution=10&significant_only=true&commune={insee}")
            assert answer.status_code == 200 and answer.headers["X-Cache"] == "miss", answer.text
            hot[insee] = {f["properties"]["h3"] for f in answer.json()["features"]}
            zones = ask(f"zones?period=2025-S1&commune={insee}").json()["features"]
            expected = [] if insee == EMMERIN else [{LOOS, HAUBOURDIN}]
            assert [set(zone["properties"]["communes"]) for zone in zones] == expected
        assert heart in hot[LOOS] and heart in hot[HAUBOURDIN] and heart not in hot[EMMERIN]
        again = ask(f"hotspots?period=2025-S1&resolution=10&significant_only=true&commune={LOOS}")
        assert again.headers["X-Cache"] == "hit"
        assert {feature["properties"]["h3"] for feature in again.json()["features"]} == hot[LOOS]
        rows = ask(f"indicators?period=2025&commune={EMMERIN}").json()["rows"]
        total = next(row for row in rows if row["key"] == "total")
        assert total["2025"] == len(_events_in(engine, EMMERIN)) and total["2024"] == "—"
        assert ask("hotspots?period=2025-S1&commune=99999").status_code == 422
        assert ask(f"zones?period=2025-S1&commune={HAUBOURDIN}", loos_police).status_code == 403
        assert ask(f"zones?period=2025-S1&commune={LOOS}", loos_police).status_code == 200


def _events_in(engine: Engine, insee: str) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT e.id FROM event e JOIN territory t ON t.id = e.territory_id WHERE t.insee = :c"), {"c": insee}
        ).scalars())  # fmt: skip


def test_a_declared_zone_across_a_border_is_filed_under_both_communes(
    engine: Engine, cispd: Cispd, tmp_path: Path
) -> None:
    """A zone drawn by hand over the border point is filed under Loos and Haubourdin as it is saved, and listed in
    both communes."""
    x, y = cispd.border_point
    geom = MultiPolygon([box(x - 0.002, y - 0.0015, x + 0.002, y + 0.0015)])
    values = {"code": "LHE-FRONTIERE", "name": "Frontière", "rationale": "test", "owner": "CISPD", "geom": geom}
    with engine.begin() as connection:
        save_declared(connection, values, replace=False)
        filed = connection.execute(text("SELECT communes FROM zone WHERE code = 'LHE-FRONTIERE'")).scalar_one()
        listed = {insee: [f["properties"]["code"] for f in zones_geojson(
            connection, SEMESTER, OPERATOR, Area.parse(connection, insee))["features"]
            if f["properties"]["kind"] == "declared"] for insee in (LOOS, HAUBOURDIN, EMMERIN)}  # fmt: skip
    assert set(filed) == {LOOS, HAUBOURDIN}
    assert listed == {LOOS: ["LHE-FRONTIERE"], HAUBOURDIN: ["LHE-FRONTIERE"], EMMERIN: []}


@pytest.fixture
def sectored(engine: Engine, shared: Path, tmp_path: Path) -> Cispd:
    """The CISPD with two synthetic sectors per commune (west and east: the shared data hold no IRIS for these
    communes), loaded before the facts, then refreshed."""
    built = communes_gen.build(engine, shared)
    with engine.begin() as connection:
        for number, (insee, outline) in enumerate(built.communes.items()):
            territory_id = connection.execute(text("SELECT id FROM territory WHERE code = :c"), {"c": insee}).scalar()
            shapes = [SectorShape(f"{insee}-{side}", f"{communes_gen.MEMBERS[insee]} {side}", "secteur",
                                  part if isinstance(part, MultiPolygon) else MultiPolygon([part]))
                      for side, part in halves(outline, seed=number).items()]  # fmt: skip
            save_sectors(connection, int(territory_id), shapes, source="test")
    communes_gen.load(engine, tmp_path, built)
    refresh(engine, SEMESTER, settings=SETTINGS)
    return built


def test_zones_carry_their_sectors_and_are_named_by_sector_without_a_place(engine: Engine, sectored: Cispd) -> None:
    with engine.connect() as connection:
        filed = connection.execute(text("SELECT sectors FROM zone WHERE kind = 'computed' AND scope = 'full'")).all()
        gazetteer = Gazetteer.load(connection)
    assert len(filed) == 1 and filed[0][0] and {code[:5] for code in filed[0][0]} == {LOOS, HAUBOURDIN}
    far = sectored.communes[EMMERIN].buffer(-0.004).difference(sectored.communes[EMMERIN].representative_point()
                                                               .buffer(0.008))  # fmt: skip
    where = gazetteer.of(far)
    assert where.communes == (EMMERIN,) and where.label.startswith("Emmerin — secteur Emmerin "), where.label


def test_map_of_one_commune_outlines_its_sectors(engine: Engine, sectored: Cispd, tmp_path: Path) -> None:
    with engine.connect() as connection:
        loos = Snapshot(SEMESTER, ("heatmap", "zones", "places"), area=Area.parse(connection, LOOS))
        words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(
            render(connection, loos, OPERATOR, image_format="pdf"))).pages)  # fmt: skip
        figure = draw(connection, loos, OPERATOR)
        east = Snapshot(SEMESTER, ("heatmap", "zones"), area=Area.parse(connection, None, f"{LOOS}-est"))
        east_words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(
            render(connection, east, OPERATOR, image_format="pdf"))).pages)  # fmt: skip
    assert "Loos ouest" in words and "Loos est" in words and "Limite de secteur" in words
    assert "Loos — carte de chaleur" in words
    assert "secteur Loos est (Loos) — carte de chaleur" in east_words
    x_min, x_max = figure.axes[0].get_xlim()
    west, south, east_edge, north = sectored.communes[LOOS].bounds
    (left, right), _ = TO_L93.transform([west, east_edge], [south, north])
    y_min, y_max = figure.axes[0].get_ylim()
    (_, _), (bottom, top) = TO_L93.transform([west, east_edge], [south, north])
    assert x_min < left < right < x_max and y_min < bottom < top < y_max
    assert y_max - y_min < 1.2 * (top - bottom)  # the view is Loos (and its margin), not the whole CISPD


def test_cli_cuts_by_commune(engine: Engine, cispd: Cispd, database_url: str, tmp_path: Path) -> None:
    """``--commune`` on the command line: the hot spots of Haubourdin hold the border cluster, Emmerin's
    indicators count Emmerin's facts, the map of Loos is written, an unknown commune is an error in French."""
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    ols = lambda *args: subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True,  # noqa: E731
                                       text=True, check=False)  # fmt: skip
    heart = h3.latlng_to_cell(cispd.border_point[1], cispd.border_point[0], 10)
    hot = ols("hotspots", "--period", "2025-S1", "--resolution", "10", "--commune", HAUBOURDIN)
    assert hot.returncode == 0, hot.stderr
    layer = json.loads(hot.stdout)
    assert heart in {f["properties"]["h3"] for f in layer["features"] if f["properties"]["class"].startswith("hot_")}
    assert layer["metadata"]["area"] == "Haubourdin"
    table = ols("indicators", "evolution", "--period", "2025", "--commune", EMMERIN, "--format", "json")
    total = next(row for row in json.loads(table.stdout) if row["key"] == "total")
    assert total["2025"] == len(_events_in(engine, EMMERIN))
    out = tmp_path / "loos.png"
    drawn = ols("export", "map", "--period", "2025-S1", "--out", str(out), "--commune", LOOS)
    assert drawn.returncode == 0 and out.stat().st_size > 100_000, drawn.stderr
    assert drawn.stdout.strip() == f"carte écrite : {out}" and "Ignoring" not in drawn.stderr, drawn.stderr
    unknown = ols("zones", "counts", "--period", "2025-S1", "--commune", "99999")
    assert unknown.returncode == 1 and "commune inconnue « 99999 »" in unknown.stderr


@pytest.mark.parametrize(
    ("name", "kind", "said"),
    [
        ("CISPD Loos–Haubourdin–Emmerin", "cispd", "Bilan annuel du CISPD Loos–Haubourdin–Emmerin"),
        ("CLSPD de Mons-en-Barœul", "clspd", "Bilan annuel du CLSPD de Mons-en-Barœul"),
        ("Emmerin", "clspd", "Bilan annuel du CLSPD d'Emmerin"),
        ("Métropole européenne de Lille", "epci", "Bilan annuel de la Métropole européenne de Lille"),
        (None, None, "Bilan annuel de l'observatoire (Emmerin, Haubourdin, Loos)"),
    ],
)
def test_report_titles_follow_the_observatory(
    engine: Engine, shared: Path, name: str | None, kind: str | None, said: str
) -> None:
    communes_gen.build(engine, shared)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM observatory"))
        if name is not None:
            connection.execute(text("INSERT INTO observatory (code, name, kind) VALUES ('O', :n, :k)"),
                               {"n": name, "k": kind})  # fmt: skip
        title = title_of(connection, "annual", parse_period("2025"), Area())
    assert title == f"{said} — année 2025"


def test_api_cuts_by_sector(engine: Engine, sectored: Cispd, tmp_path: Path) -> None:
    """``sector=``: the indicators of Loos's east sector count the facts given that sector at ingest; a sector of
    Haubourdin is outside a Loos police user's area; a sector outside the commune given is refused."""
    with engine.begin() as connection:
        coordinator = create_user(connection, "coordination-secteurs", role="coordinator")
        loos_police = create_user(connection, "police-loos-secteurs", role="police", territories=[LOOS])
        facts = connection.execute(text(
            "SELECT count(*) FROM event e JOIN sector s ON s.id = e.sector_id WHERE s.code = :c"), {"c": f"{LOOS}-est"}
        ).scalar_one()  # fmt: skip
    app = create_app(engine=engine, settings=ApiSettings(zones_dir=tmp_path / "zones"))
    with TestClient(app) as client:
        ask = lambda path, token=coordinator: client.get(  # noqa: E731
            f"/api/v1/{path}", headers={"Authorization": f"Bearer {token}"}
        )
        rows = ask(f"indicators?period=2025&sector={LOOS}-est").json()["rows"]
        assert facts > 0 and next(row for row in rows if row["key"] == "total")["2025"] == facts
        assert ask(f"indicators?period=2025&sector={HAUBOURDIN}-est", loos_police).status_code == 403
        assert ask(f"indicators?period=2025&sector={HAUBOURDIN}-est&commune={LOOS}").status_code == 422
        profile = ask(f"profiles/time?period=2025-S1&sector={LOOS}-est").json()
        assert sum(map(sum, profile["grid"])) + sum(profile["heure_inconnue"]) == facts
