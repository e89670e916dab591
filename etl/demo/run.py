"""The README's main job: a demo territory loaded, synthetic partner files generated and ingested.

One code path for every demo (:mod:`etl.demo.spec`): the observatory (the CLSPD or CISPD grouping
the communes) is saved, each commune is loaded as a territory (its INSEE code as code) with its
IRIS as sectors when the demo has an IRIS file, its places from the shared data or synthetic, its
synthetic BAN, the synthetic streets of those addresses (loaded as ``ols territory load-streets``
loads a real network: the map's offline base map, the patrols' routes) and the SSMSI's official
figures (the bilans' context), then every partner's files are ingested.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects.postgresql import insert

from etl.demo.generate import generate, outlines_of
from etl.demo.partners import LAST_DAY
from etl.demo.places import demo_places
from etl.demo.spec import DEFAULT_DEMO, DemoTerritory
from etl.geocode import load_ban
from etl.ingest import BatchReport, ingest_file
from etl.mapping import load_mapping
from ols.analysis.indicators import load_ssmsi
from ols.errors import ConfigurationError
from ols.periods import Period, parse_period
from ols.reference.places import read_places, save_places
from ols.reference.sectors import read_sectors, save_sectors
from ols.reference.streets import load_streets
from ols.reference.territories import read_boundary, save_observatory, save_territory
from ols.settings import data_settings
from ols.store.models import Source
from ols.wording import number

logger = logging.getLogger(__name__)

SSMSI_FILES = (  # the official context of the bilans: the département's counts and the communes' rates
    "ssmsi_donnee-dep-data.gouv-2022-geographie2022-produit-le2023-02-09.csv",
    "ssmsi_taux_communes_20000_50000hab_2016-2023.csv",
)
STREET_NETWORK = "rues"  # the default network of ``ols territory load-streets``: a real file later replaces it
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


def load_territories(connection: Connection, demo: DemoTerritory, communes: Path) -> list[str]:
    """The demo's observatory, each commune as a territory (code = INSEE code) with its population and its IRIS
    as sectors when the demo has an IRIS file; return the communes' names."""
    save_observatory(connection, code=demo.code, name=demo.name, kind=demo.kind)
    iris = shared_file(*demo.sectors) if demo.sectors else None
    names = []
    for commune in demo.communes:
        boundary = read_boundary(communes, commune=commune.insee)
        name = boundary.name or commune.insee
        territory_id = save_territory(connection, code=commune.insee, name=name, boundary=boundary,
                                      source=communes.name, population=commune.population)  # fmt: skip
        if iris is not None:
            _load_iris(connection, iris, territory_id, commune.insee, name)
        names.append(f"{name} ({commune.insee})")
    return names


def _load_iris(connection: Connection, iris: Path, territory_id: int, insee: str, name: str) -> None:
    """The IRIS of one commune (IGN CONTOURS-IRIS: ``code_iris`` starts with the INSEE code) as its sectors."""
    sectors = read_sectors(iris, commune=insee, commune_name=name, name_field="nom_iris", level="IRIS",
                           code_field="code_iris")  # fmt: skip
    save_sectors(connection, territory_id, [sector for sector in sectors if sector.code.startswith(insee)],
                 source=iris.name)  # fmt: skip


def _load_reference(connection: Connection, places: tuple[Path, str | None], bans: list[Path]) -> None:
    """The demo's places, synthetic addresses and the demo bailleur's source."""
    path, kind = places
    save_places(connection, read_places(path), kind=kind, kind_field=None if kind else "kind")
    for ban in bans:
        load_ban(connection, ban)
    bailleur = {"name": "Bailleur social (démo)", "kind": "bailleur", "default_confidentiality": "partners"}
    connection.execute(
        insert(Source).values(code="bailleur-demo", **bailleur).on_conflict_do_nothing(index_elements=["code"])
    )


def _ingest(engine: Engine, files: dict[str, list[Path]], echo: Callable[[str], None]) -> list[BatchReport]:
    """Every partner file of the demo, through the ordinary ingestion."""
    reports = []
    for mapping_name, source in SOURCES.items():
        mapping = load_mapping(mapping_name)
        for path in files.get(mapping_name, []):
            report = ingest_file(engine, path, source_code=source, mapping=mapping, ingested_by="demo")
            reports.append(report)
            echo(f"  {path.name} : {report.counts_text()}")
    return reports


def run_demo(
    engine: Engine, *, out: Path, seed: int, echo: Callable[[str], None], demo: DemoTerritory = DEFAULT_DEMO,
    scale: float = 1.0,
) -> list[BatchReport]:  # fmt: skip
    """Load the demo's communes and places, generate its synthetic exports (``scale`` × its volume), ingest them."""
    communes = shared_file("boundaries", "communes-59-nord.geojson")
    out.mkdir(parents=True, exist_ok=True)
    places = demo_places(demo, shared_file, outlines_of(communes, demo), out, seed)
    files = generate(out, communes_file=communes, places_file=places[0], seed=seed, demo=demo, scale=scale)
    logger.info("démo : %d fichiers synthétiques écrits dans %s", sum(map(len, files.values())), out)
    with engine.begin() as connection:
        names = load_territories(connection, demo, communes)
        _load_reference(connection, places, files["ban"])
        official = sum(load_ssmsi(connection, shared_file("crime_stats_fr", name)) for name in SSMSI_FILES)
        streets = load_streets(connection, files["streets"][0], network=STREET_NETWORK)
    echo(f"{demo.name} : {', '.join(names)} chargé ; {number(official)} chiffres officiels du SSMSI ; "
         f"{number(streets)} tronçons de rues synthétiques ; fichiers synthétiques dans {out}")  # fmt: skip
    reports = _ingest(engine, files, echo)
    total = sum(report.accepted for report in reports)
    logger.info("démo : %d faits intégrés depuis %d fichiers", total, len(reports))
    echo(f"{number(total)} faits intégrés depuis {len(reports)} fichiers.")
    return reports


def demo_semesters() -> list[Period]:
    """The last two semesters of the demo data."""
    last = parse_period(f"{LAST_DAY.year}-S{1 if LAST_DAY.month <= 6 else 2}")
    return [last.previous(), last]
