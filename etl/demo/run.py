"""The README's main job: the demo territory loaded, synthetic partner files generated and ingested."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert

from etl.demo.commune import INSEE
from etl.demo.generate import generate
from etl.demo.partners import LAST_DAY
from etl.geocode import load_ban
from etl.ingest import BatchReport, ingest_file
from etl.mapping import load_mapping
from ols.errors import ConfigurationError
from ols.periods import Period, parse_period
from ols.reference.places import read_places, save_places
from ols.reference.sectors import read_sectors, save_sectors
from ols.reference.territories import read_boundary, save_territory
from ols.settings import data_settings
from ols.store.models import Source

logger = logging.getLogger(__name__)

POPULATION = 20_993  # inhabitants, as the STSPD 2019-2021 of Mons-en-Barœul states
SOURCES = {
    "police_nationale": "police-nationale",
    "police_municipale": "police-municipale",
    "bailleur": "bailleur-demo",
    "mediation": "mediation",
    "transport": "transport",
    "services_techniques": "services-techniques",
}


def shared_file(*parts: str) -> Path:
    """A file of the shared public data (``OLS_SHARED_DATA``), with a clear error when it is missing."""
    path = data_settings().shared_data.joinpath(*parts)
    if not path.exists():
        msg = f"{path} introuvable : donnez dans OLS_SHARED_DATA le dossier qui contient boundaries/ et places/"
        raise ConfigurationError(msg)
    return path


def run_demo(engine: Engine, *, out: Path, seed: int, echo: Callable[[str], None]) -> list[BatchReport]:
    """Load Mons-en-Barœul and its metro stations, generate the demo exports and ingest them."""
    communes = shared_file("boundaries", "communes-59-nord.geojson")
    stations = shared_file("places", "metro_stations_mons_area.csv")
    files = generate(out, communes_file=communes, stations_file=stations, seed=seed)
    logger.info("démo: %d fichiers synthétiques écrits dans %s", sum(map(len, files.values())), out)
    boundary = read_boundary(communes, commune=INSEE)
    iris = shared_file("boundaries", "sectors", f"iris_{INSEE}.geojson")
    with engine.begin() as connection:
        territory_id = save_territory(
            connection,
            code=INSEE,
            name=boundary.name or INSEE,
            boundary=boundary,
            source=communes.name,
            population=POPULATION,
        )
        sectors = read_sectors(iris, commune=INSEE, commune_name=boundary.name or INSEE, name_field="nom_iris",
                               level="IRIS", code_field="code_iris")  # fmt: skip
        save_sectors(connection, territory_id, sectors, source=iris.name)
        save_places(connection, read_places(stations), kind="metro")
        load_ban(connection, files["ban"][0])
        bailleur = {"name": "Bailleur social (démo)", "kind": "bailleur", "default_confidentiality": "partners"}
        connection.execute(
            insert(Source).values(code="bailleur-demo", **bailleur).on_conflict_do_nothing(index_elements=["code"])
        )
    echo(f"Territoire {boundary.name} ({INSEE}) chargé; fichiers synthétiques dans {out}")
    reports = []
    for mapping_name, source in SOURCES.items():
        mapping = load_mapping(mapping_name)
        for path in files[mapping_name]:
            report = ingest_file(engine, path, source_code=source, mapping=mapping, ingested_by="demo")
            reports.append(report)
            echo(
                f"  {path.name}: {report.accepted} faits, {report.duplicates} doublons, "
                f"{report.rejected} rejets {report.rejected_by_reason or ''}"
            )
    total = sum(report.accepted for report in reports)
    logger.info("démo: %d faits intégrés depuis %d fichiers", total, len(reports))
    echo(f"{total} faits intégrés depuis {len(reports)} fichiers.")
    return reports


def demo_semesters() -> list[Period]:
    """The last two semesters of the demo data."""
    last = parse_period(f"{LAST_DAY.year}-S{1 if LAST_DAY.month <= 6 else 2}")
    return [last.previous(), last]
