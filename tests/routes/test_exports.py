"""Map snapshots opened and checked: size, not blank, legend, marking, what the audience may see."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine, text

from ols.publishing.mapexport import HEAT_ALPHA
from tests.french_text import english_codes
from tests.routes.conftest import PERIOD

SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
LAYERS = "heatmap,zones,places,deal_points"


def _export(client: TestClient, token: str, image_format: str, resolution: int) -> bytes:
    response = client.get("/api/v1/exports/map", params={"period": PERIOD, "layers": LAYERS, "format": image_format,
                                                         "resolution": resolution},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 200, response.text[:200]
    return response.content


def _pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_png_is_a4_print_quality_and_not_blank(client: TestClient, tokens: dict[str, str]) -> None:
    content = _export(client, tokens["police"], "png", 10)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "export-police.png").write_bytes(content)
    image = Image.open(io.BytesIO(content)).convert("RGB")
    assert image.width >= 1754 and image.height >= 1240 and image.width > image.height
    pixels = np.asarray(image)
    assert pixels.std() > 20  # not blank
    # The heatmap's top class as printed: #BD0026 at the heat's opacity over the commune's light ground.
    top = HEAT_ALPHA * np.array((0xBD, 0x00, 0x26)) + (1 - HEAT_ALPHA) * 0xF4
    darkest = np.all(np.abs(pixels.astype(int) - top) < 12, axis=2).sum()
    assert darkest > 500  # the heatmap's top class, in the map and its legend swatch


def test_pdf_for_police_is_marked_restricted(client: TestClient, tokens: dict[str, str]) -> None:
    words = _pdf_text(_export(client, tokens["police"], "pdf", 9))
    for expected in ("1er semestre 2026", "Légende", "Sources", "Généré le", "DIFFUSION RESTREINTE",
                     "Point de deal", "Lambert-93"):  # fmt: skip
        assert expected in words, expected
    assert re.search(r"\d[\d ]* m\b", words)  # the scale bar


def test_pdf_for_an_elu_is_suppressed_and_has_no_deal_points(client: TestClient, tokens: dict[str, str]) -> None:
    words = _pdf_text(_export(client, tokens["elu"], "pdf", 8))
    assert "Légende" in words and "sans couleur" in words
    assert "Point de deal" not in words and "DIFFUSION RESTREINTE" not in words
    content = _export(client, tokens["elu"], "png", 8)
    (SHOTS / "export-elu.png").write_bytes(content)
    denied = client.get("/api/v1/exports/map", params={"period": PERIOD, "resolution": 10},
                        headers={"Authorization": f"Bearer {tokens['elu']}"})  # fmt: skip
    assert denied.status_code == 403


def test_exports_are_audited(client: TestClient, tokens: dict[str, str], api_engine: Engine) -> None:
    _export(client, tokens["partner"], "png", 9)
    with api_engine.connect() as connection:
        row = connection.execute(
            text("SELECT role, action, resource, parameters FROM audit_log ORDER BY id DESC LIMIT 1")
        ).one()
    assert (row.role, row.action, row.resource) == ("partner", "export", "map")
    assert row.parameters["format"] == "png"


def test_a_map_export_carries_the_caveats_in_french(client: TestClient, tokens: dict[str, str]) -> None:
    for role, resolution in (("police", 9), ("elu", 8)):
        words = " ".join(_pdf_text(_export(client, tokens[role], "pdf", resolution)).split())
        assert "Ce que ces chiffres ne disent pas" in words
        for expected in (
            "la réalité de la délinquance",
            "l'activité d'un service",
            "patrouilles",
            "Benjamini-Hochberg",
        ):
            assert expected in words, expected
        assert "esda" not in words and "star, as" not in words
        assert not english_codes(words), english_codes(words)
