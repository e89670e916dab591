"""Doléances through the shipped mapping: geocoded, their suite counted (share closed, délai de traitement), those
without a suite counted for the cellule de veille's agenda."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.periods import parse_period
from ols.reference.areas import Area
from ols.strategy.doleances import follow_up
from tests.helpers import write_csv
from tests.test_geocode import ban  # noqa: F401  (the BAN fixture: its addresses and the territory 59410)

ROWS = [  # date, address, motif, suite, closing date
    ("03/02/2025", "3 rue Jean Jaurès 59370 Mons-en-Barœul", "Dépôt sauvage", "Enlèvement effectué", "07/02/2025"),
    ("10/03/2025", "5 rue Jean Jaurès 59370 Mons-en-Barœul", "Tapage", "Passage de la police municipale",
     "10/03/2025"),
    ("12/04/2025", "10 avenue du Général de Gaulle 59370 Mons-en-Barœul", "Tags", "Nettoyage", "02/05/2025"),
    ("20/05/2025", "1 rue Jean Jaurès 59370 Mons-en-Barœul", "Véhicule ventouse", "", ""),
    ("02/06/2025", "3 bis rue Jean Jaurès 59370 Mons-en-Barœul", "Rassemblement", "", ""),
    ("15/01/2024", "3 rue Jean Jaurès 59370 Mons-en-Barœul", "Tags", "Nettoyage", "16/01/2024"),
]  # fmt: skip


def test_the_suite_donnee_is_counted(engine: Engine, ban: Path, tmp_path: Path) -> None:  # noqa: F811
    rows = [{"N° demande": f"D-{i}", "Date de la demande": day, "Adresse": address, "Motif": motif,
             "Service": "Services techniques", "Suite donnée": suite, "Date de clôture": closed}
            for i, (day, address, motif, suite, closed) in enumerate(ROWS)]  # fmt: skip
    path = write_csv(tmp_path / "doleances.csv", rows, sep=";")
    report = ingest_file(engine, path, source_code="doleances", mapping=load_mapping("doleances"), ingested_by="t")
    assert (report.accepted, report.rejected) == (6, 0)
    with engine.connect() as connection:
        year = follow_up(connection, parse_period("2025"), Area())
        before = follow_up(connection, parse_period("2024"), Area())
    assert year == {"period": "2025", "received": 5, "closed": 3, "share_closed": 0.6, "median_days": 4,
                    "without_suite": 2}  # fmt: skip
    assert (before["received"], before["closed"], before["median_days"]) == (1, 1, 1)
