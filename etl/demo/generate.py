"""Seeded generator of synthetic partner exports for a demo territory (:mod:`etl.demo.spec`).

It writes, in each partner's native format, several years of facts over the real outlines of the
demo's communes: hot spots around its places (metro stations, bus stops, schools) and a few
residential blocks, evening, weekend and school-holiday rhythms (the communes' holiday zone), a
synthetic BAN address file per commune for the bailleur's addresses, the streets those addresses
lie on (:mod:`etl.demo.streets`), re-sent facts (duplicates) and
a few bad rows. Every file name says SYNTHETIQUE, and the README written beside them says what is
real: none of these facts happened. ``scale`` multiplies every partner's yearly volume (1: the
demo's own; a test runs a fraction of it).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from etl.demo.commune import MARK, STREETS, Territory, synthetic_ban
from etl.demo.exports import Setting, Writer
from etl.demo.partners import FIRST_DAY, LAST_DAY
from etl.demo.spec import DEFAULT_DEMO, DemoTerritory
from etl.demo.streets import demo_streets
from ols.reference.calendar import calendar_for

__all__ = ["MARK", "generate", "outlines_of"]


def outlines_of(communes_file: Path, demo: DemoTerritory) -> dict[str, tuple[str, BaseGeometry]]:
    """Each commune's name and WGS84 outline, from the communes file, by INSEE code in the demo's order."""
    communes = gpd.read_file(communes_file).to_crs(4326)
    found = {}
    for insee in demo.insee:
        rows = communes[communes["code"] == insee]
        found[insee] = (str(rows.iloc[0]["nom"]), shapely.union_all(rows.geometry.to_numpy()))
    return found


def _readme(out: Path, demo: DemoTerritory) -> None:
    sectors = f"Secteurs : fichier réel des données partagées {'/'.join(demo.sectors)}.\n" if demo.sectors else ""
    (out / "LISEZMOI.txt").write_text(
        f"{demo.name} ({', '.join(demo.insee)}).\n"
        "Fichiers SYNTHÉTIQUES générés par OLS pour la démonstration (etl/demo/generate.py).\n"
        f"Aucun de ces faits n'a eu lieu. {demo.facts}\n{sectors}",
        encoding="utf-8",
    )


def generate(
    out: Path,
    *,
    communes_file: Path,
    places_file: Path,
    seed: int,
    demo: DemoTerritory = DEFAULT_DEMO,
    scale: float = 1.0,
) -> dict[str, list[Path]]:
    """Write each commune's synthetic BAN, the demo's streets and every partner's yearly exports; return the files
    by mapping name (``ban``, ``streets``, then one per partner)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    outlines = outlines_of(communes_file, demo)
    outline = shapely.union_all([geom for _, geom in outlines.values()])
    outline = outline if isinstance(outline, MultiPolygon) else MultiPolygon([outline])
    places = pd.read_csv(places_file, dtype={"insee": str})
    territory = Territory(outline, [Point(x, y) for x, y in zip(places.lon, places.lat, strict=True)], rng)
    files: dict[str, list[Path]] = {"ban": []}
    bans = []
    for index, commune in enumerate(demo.communes):
        name, geom = outlines[commune.insee]
        streets = STREETS[index :: len(demo.communes)]  # each commune its own streets: an address names one commune
        bans.append(synthetic_ban(territory, commune, name, geom, streets, rng))
        files["ban"].append(out / f"{MARK}_ban_{commune.insee}.csv")
        bans[-1].to_csv(files["ban"][-1], sep=";", index=False)
    files["streets"] = [demo_streets(outlines, bans, out)]
    setting = Setting(tuple((c, outlines[c.insee][1]) for c in demo.communes), places,
                      calendar_for(demo.communes[0].insee).holiday_zone, scale)  # fmt: skip
    writer = Writer(out, territory, pd.concat(bans, ignore_index=True), rng, setting)
    for kind in demo.partners:
        files[kind] = [getattr(writer, kind)(year) for year in range(FIRST_DAY.year, LAST_DAY.year + 1)]
    _readme(out, demo)
    return files
