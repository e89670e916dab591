"""Small builders shared by the tests: territories, files and counts."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import traceback
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, text

from cli import main as cli_main
from ols.reference.streets import GEOD, Edge
from ols.reference.territories import Boundary, save_territory


def add_territory(
    engine: Engine, bounds: tuple[float, float, float, float], *, code: str = "T", insee: str | None = None
) -> None:
    """A rectangular territory (lon/lat bounds)."""
    with engine.begin() as connection:
        save_territory(
            connection,
            code=code,
            name=code,
            boundary=Boundary(MultiPolygon([box(*bounds)]), insee=insee),
            source="test",
        )


def count(engine: Engine, table: str) -> int:
    """Rows in a table."""
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def write_csv(path: Path, rows: list[dict[str, str]], *, sep: str = ",", encoding: str = "utf-8") -> Path:
    """A partner CSV from rows of text cells."""
    pd.DataFrame(rows).to_csv(path, sep=sep, index=False, encoding=encoding)
    return path


NEIGHBOUR_LABELS = {
    "Cambriolage de résidence principale": 0.2,
    "Vol à la roulotte": 0.2,
    "Destructions dégradations": 0.15,
    "Coups et blessures volontaires": 0.15,
    "Trafic de stupéfiants": 0.1,
    "Usage de stupéfiants": 0.1,
    "Vol simple": 0.1,
}


def police_nationale_csv(path: Path, outline: BaseGeometry, *, count: int, seed: int) -> Path:
    """A seeded police-nationale export (``police_nationale`` mapping) of facts inside ``outline``, 2025–2026-S1.

    Half the facts gather around one point of the outline, so that the territory has a hot spot of its own.
    """
    rng = np.random.default_rng(seed)
    west, south, east, north = outline.bounds
    points: list[tuple[float, float]] = []
    centre = outline.representative_point()
    while len(points) < count:
        if len(points) % 2:
            x, y = rng.uniform(west, east), rng.uniform(south, north)
        else:
            x, y = centre.x + rng.normal(0, 0.002), centre.y + rng.normal(0, 0.0015)
        if shapely.contains_xy(outline, x, y):
            points.append((x, y))
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    xs, ys = to_l93.transform([p[0] for p in points], [p[1] for p in points])
    start = datetime(2025, 1, 1)
    minutes = np.sort(rng.integers(0, int((datetime(2026, 7, 1) - start).total_seconds() // 60), count))
    stamps = [start + timedelta(minutes=int(m)) for m in minutes]
    labels = rng.choice(list(NEIGHBOUR_LABELS), size=count, p=list(NEIGHBOUR_LABELS.values()))
    frame = pd.DataFrame({
        "N° fait": [f"VA-{i:05d}" for i in range(count)],
        "Date des faits": [s.strftime("%d/%m/%Y") for s in stamps],
        "Heure": [s.strftime("%H:%M") for s in stamps],
        "Nature de l'infraction": labels,
        "X (L93)": [f"{v:.1f}".replace(".", ",") for v in xs],
        "Y (L93)": [f"{v:.1f}".replace(".", ",") for v in ys],
    })  # fmt: skip
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")
    return path


def run_cli(*args: str) -> tuple[int, str, str]:
    """``ols *args`` through the CLI's entry point, in this process (a Python per command would take seconds):
    exit status, stdout, stderr (a traceback if it raised). The root logger is left as it was."""
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level, argv = root.handlers[:], root.level, sys.argv
    sys.argv = ["ols", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli_main()
                status = 0
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except Exception:
                traceback.print_exc(file=err)
                status = -1
    finally:
        sys.argv = argv
        root.handlers[:] = handlers
        root.setLevel(level)
    return status, out.getvalue(), err.getvalue()


def street_grid(bounds: tuple[float, float, float, float], steps: int = 12) -> list[Edge]:
    """A connected grid of two-way streets over ``bounds`` (WGS84): ``steps + 1`` streets each way, « Rue Est n°i »
    (west–east) and « Rue Nord n°j » (south–north), one edge per block in each direction."""
    west, south, east, north = bounds
    lon = [west + (east - west) * i / steps for i in range(steps + 1)]
    lat = [south + (north - south) * j / steps for j in range(steps + 1)]
    node = {(i, j): i * (steps + 1) + j for i in range(steps + 1) for j in range(steps + 1)}
    edges = []
    for (i, j), u in node.items():
        for (k, m), name in (((i + 1, j), f"Rue Est n°{j}"), ((i, j + 1), f"Rue Nord n°{i}")):
            if (k, m) not in node:
                continue
            line = LineString([(lon[i], lat[j]), (lon[k], lat[m])])
            length = float(GEOD.geometry_length(line))
            back = LineString(line.coords[::-1])
            edges += [Edge(u, node[k, m], length, False, name, "residential", line),
                      Edge(node[k, m], u, length, False, name, "residential", back)]  # fmt: skip
    return edges
