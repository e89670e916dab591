"""The map's outlines stay readable over the heat ramp: WCAG contrast and colour blindness, from the page's constants.

The constants are the ones the page draws with (``web/static/ols-style.json``, passed to the page in its
configuration). An outline counts as readable over a heat class when its line or the halo cased under it
reaches 3:1 against the class (WCAG 1.4.11, non-text contrast), the class as drawn (its colour at the
heatmap's opacity over the map's background) and as its pure colour; a halo must itself stand 3:1 from its
line. Outlines a reader must tell apart (a hot from a cold spot, a computed from a declared zone) must differ
by their dash pattern or by a 3:1 lightness contrast once seen by a deuteranope or a protanope, never by hue
alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

STYLE = json.loads((Path(__file__).resolve().parents[1] / "web" / "static" / "ols-style.json").read_text("utf-8"))
OUTLINES = STYLE["outlines"]
# Machado, Oliveira and Fernandes (2009), severity 1, on linear RGB.
SIMULATIONS = {
    "deuteranopie": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "protanopie": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
}
PAIRS = [("hot_99", "cold_99"), ("hot_95", "cold_95"), ("hot_90", "cold_90"), ("zone_computed", "zone_declared"),
         ("hot_99", "zone_declared"), ("hot_95", "zone_declared")]  # fmt: skip

Rgb = tuple[float, float, float]


def rgb(colour: str) -> Rgb:
    """A ``#rrggbb`` colour as three channels in 0–1 (sRGB)."""
    return (int(colour[1:3], 16) / 255, int(colour[3:5], 16) / 255, int(colour[5:7], 16) / 255)


def linear(channel: float) -> float:
    """An sRGB channel made linear (WCAG 2.1's relative luminance)."""
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(colour: Rgb) -> float:
    """WCAG relative luminance."""
    red, green, blue = (linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: Rgb, second: Rgb) -> float:
    """WCAG contrast ratio of two colours."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def heat_classes() -> dict[str, Rgb]:
    """Every colour a heat cell can take: each class pure and as drawn (at the ramp's opacity over the background)."""
    heat = STYLE["heat"]
    background, alpha = rgb(heat["background"]), heat["opacity"]
    colours = {**{f"classe {i + 1}": rgb(c) for i, c in enumerate(heat["palette"])}, "masquée": rgb(heat["suppressed"])}
    drawn = {f"{name} telle que dessinée": over(colour, background, alpha) for name, colour in colours.items()}
    return {**colours, **drawn}


def over(colour: Rgb, background: Rgb, alpha: float) -> Rgb:
    """A colour painted at ``alpha`` over a background."""
    red, green, blue = (alpha * c + (1 - alpha) * b for c, b in zip(colour, background, strict=True))
    return (red, green, blue)


def seen_by(colour: Rgb, matrix: tuple[Rgb, Rgb, Rgb]) -> Rgb:
    """A colour as a dichromat sees it (back to sRGB, clipped)."""
    lin = [linear(c) for c in colour]
    out = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, lin, strict=True)))) for row in matrix]
    return tuple(12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in out)  # type: ignore[return-value]


@pytest.mark.parametrize("name", sorted(OUTLINES))
def test_each_outline_stands_out_from_every_heat_class(name: str) -> None:
    outline = OUTLINES[name]
    line, halo = rgb(outline["color"]), rgb(outline["halo"]) if outline.get("halo") else None
    weak = {cls: round(contrast(line, colour), 2) for cls, colour in heat_classes().items()
            if max(contrast(line, colour), contrast(halo, colour) if halo else 0) < 3}  # fmt: skip
    assert not weak, f"{name}: contraste < 3:1 contre {weak}"
    if halo:
        assert contrast(line, halo) >= 3, f"{name}: le trait ne se détache pas de son halo"


@pytest.mark.parametrize("vision", sorted(SIMULATIONS))
@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_outlines_told_apart_without_hue(vision: str, first: str, second: str) -> None:
    one, two = OUTLINES[first], OUTLINES[second]
    if one.get("dashArray") != two.get("dashArray"):
        return
    matrix = SIMULATIONS[vision]
    ratio = contrast(seen_by(rgb(one["color"]), matrix), seen_by(rgb(two["color"]), matrix))
    assert ratio >= 3, f"{first} et {second} ne diffèrent que par la teinte ({vision} : {ratio:.2f}:1)"
