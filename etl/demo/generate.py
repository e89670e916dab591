"""Seeded generator of synthetic partner exports for the demo territory.

It writes, in each partner's native format, several years of facts over the real outline of
Mons-en-Barœul: hot spots around the real metro stations and a few residential blocks, evening,
weekend and school-holiday rhythms (zone B), a synthetic BAN address file for the bailleur's
addresses, re-sent facts (duplicates) and a few bad rows. Every file name says SYNTHETIQUE: none
of these facts happened.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon

from etl.demo.commune import INSEE, MARK, Territory, synthetic_ban
from etl.demo.exports import Writer
from etl.demo.partners import FIRST_DAY, LAST_DAY, PARTNERS


def generate(out: Path, *, communes_file: Path, stations_file: Path, seed: int) -> dict[str, list[Path]]:
    """Write the synthetic BAN and every partner's yearly exports; return the files by mapping name."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    communes = gpd.read_file(communes_file)
    outline = shapely.union_all(communes[communes["code"] == INSEE].to_crs(4326).geometry.to_numpy())
    outline = outline if isinstance(outline, MultiPolygon) else MultiPolygon([outline])
    stations = pd.read_csv(stations_file, dtype={"insee": str})
    territory = Territory(outline, stations, rng)
    ban = synthetic_ban(territory, rng)
    ban.to_csv(out / f"{MARK}_ban_{INSEE}.csv", sep=";", index=False)
    writer = Writer(out, territory, ban, rng)
    files: dict[str, list[Path]] = {"ban": [out / f"{MARK}_ban_{INSEE}.csv"]}
    for kind in PARTNERS:
        files[kind] = [getattr(writer, kind)(year) for year in range(FIRST_DAY.year, LAST_DAY.year + 1)]
    (out / "LISEZMOI.txt").write_text(
        "Fichiers SYNTHÉTIQUES générés par OLS pour la démonstration (etl/demo/generate.py).\n"
        "Aucun de ces faits n'a eu lieu. Seuls le contour communal et les stations de métro sont réels.\n",
        encoding="utf-8",
    )
    return files
