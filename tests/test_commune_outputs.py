"""Per-commune outputs of an intercommunal observatory (issue 18): the CISPD Loos–Haubourdin–Emmerin built from the
shared communes file, a seeded police file spread over the three communes and a cluster planted on the
Loos–Haubourdin border.

Gi* and the zones run over the whole observatory, so the cluster is one hot spot and one zone;
the breakdown by commune reports it in both communes (cells meeting the commune, not only those
whose centre lies in it); the zone is filed under both and named where it is.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.cartography.refresh import refresh
from ols.cartography.zones import TO_L93
from ols.periods import parse_period
from ols.publishing.mapexport import Snapshot, draw, render
from ols.settings import CartographySettings
from tests import communes_gen
from tests.communes_gen import EMMERIN, HAUBOURDIN, LOOS, Cispd

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
    png = tmp_path / "cispd.png"
    figure.savefig(png, format="png", dpi=figure.dpi)
    image = Image.open(png)
    for first, second in ((LOOS, HAUBOURDIN), (LOOS, EMMERIN), (HAUBOURDIN, EMMERIN)):
        border = cispd.communes[first].boundary.intersection(cispd.communes[second].boundary)
        for fraction in (0.2, 0.5, 0.8):
            point = border.interpolate(fraction, normalized=True)
            assert _dark_near(image, _pixel(figure, (point.x, point.y))), (first, second, fraction)
    inner = cispd.communes[EMMERIN].representative_point()
    assert not _dark_near(image, _pixel(figure, (inner.x, inner.y)), radius=1)  # a control: inside, no border
