"""The demo's places: a real file of the shared data when the demo has one, else synthetic places marked as such.

Synthetic places are a town hall at each commune's representative point (a point inside its outline),
and schools, collèges and bus stops drawn inside it, as many as its population calls for. Their
file's name and their ``source`` attribute say SYNTHETIQUE, and the generated README says so: none
of them is a real place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from etl.demo.commune import MARK
from etl.demo.spec import DemoTerritory

SYNTHETIC = (  # kind, name, inhabitants per place, at least
    ("school", "École {letter} {of}", 6_000, 1),
    ("college", "Collège {letter} {of}", 15_000, 0),
    ("bus_stop", "Arrêt {name} {letter}", 4_000, 1),
)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
VOWELS = tuple("AEIOUYÉÈÊÎÔ")


def _of(name: str) -> str:
    """« de » before a commune's name, elided before a vowel (« d'Avelin »)."""
    return f"d'{name}" if name.startswith(VOWELS) else f"de {name}"


def _drawn(outline: BaseGeometry, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """``count`` points drawn uniformly inside a commune."""
    minx, miny, maxx, maxy = outline.bounds
    found: list[tuple[float, float]] = []
    while len(found) < count:
        x, y = rng.uniform(minx, maxx, count * 4), rng.uniform(miny, maxy, count * 4)
        keep = shapely.contains_xy(outline, x, y)
        found += list(zip(x[keep].tolist(), y[keep].tolist(), strict=True))
    return found[:count]


def synthetic_places(
    outlines: dict[str, tuple[str, BaseGeometry]], populations: dict[str, int], seed: int
) -> pd.DataFrame:
    """Town halls, schools, collèges and bus stops of each commune (INSEE → name, outline), as many as its
    population calls for, marked synthetic."""
    rng = np.random.default_rng(seed)
    rows = []
    for insee, (name, outline) in outlines.items():
        hall = outline.representative_point()
        rows.append(("town_hall", f"Hôtel de ville {_of(name)}", insee, hall.x, hall.y))
        for kind, pattern, inhabitants, least in SYNTHETIC:
            count = min(len(LETTERS), max(least, round(populations[insee] / inhabitants)))
            for index, (lon, lat) in enumerate(_drawn(outline, count, rng)):
                rows.append((kind, pattern.format(letter=LETTERS[index], name=name, of=_of(name)), insee, lon, lat))
    frame = pd.DataFrame(rows, columns=["kind", "name", "insee", "lon", "lat"])
    frame["source"] = MARK
    return frame


def demo_places(
    demo: DemoTerritory, shared: Callable[..., Path], outlines: dict[str, tuple[str, BaseGeometry]], out: Path,
    seed: int,
) -> tuple[Path, str | None]:  # fmt: skip
    """The demo's places file and the kind of all its places (None: each row's ``kind`` column).

    A real file of the shared data (``shared`` finds it) is used where the demo has one; synthetic places are
    written beside the partner files.
    """
    if demo.places is not None:
        parts, kind = demo.places
        return shared(*parts), kind
    path = out / f"{MARK}_lieux.csv"
    populations = {commune.insee: commune.population for commune in demo.communes}
    synthetic_places(outlines, populations, seed).to_csv(path, index=False)
    return path, None
