"""Evolution tables against the official SSMSI département counts (Nord, 2016–2022)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ols.analysis.indicators import evolution_table, load_ssmsi, official_evolution

DEPARTEMENTS = "ssmsi_donnee-dep-data.gouv-2022-geographie2022-produit-le2023-02-09.csv"
COMMUNES = "ssmsi_taux_communes_20000_50000hab_2016-2023.csv"


@pytest.fixture
def ssmsi(engine: Engine, shared: Path) -> Path:
    folder = shared / "crime_stats_fr"
    with engine.begin() as connection:
        assert load_ssmsi(connection, folder / DEPARTEMENTS) == 8484
        assert load_ssmsi(connection, folder / COMMUNES) == 40558
    return folder


def _raw(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / DEPARTEMENTS, sep=";", dtype=str, encoding="utf-8-sig")
    frame = frame[frame["Code.département"] == "59"]
    return frame.assign(faits=frame["faits"].astype(int), year=2000 + frame["annee"].astype(int))


def test_nord_table_matches_the_file(engine: Engine, ssmsi: Path) -> None:
    raw = _raw(ssmsi)
    with engine.connect() as connection:
        table = official_evolution(connection, scope="departement", code="59", year=2022).set_index("key")
    assert len(table) == 13  # 12 indicators and the total
    for indicator, rows in raw.groupby("classe"):
        by_year = rows.set_index("year")["faits"]
        row = table.loc[indicator]
        assert (row["2020"], row["2021"], row["2022"]) == (by_year[2020], by_year[2021], by_year[2022])
        assert row["evolution"] == by_year[2022] - by_year[2021]
        assert row["evolution_pct"] == pytest.approx(100 * (by_year[2022] - by_year[2021]) / by_year[2021], abs=0.05)
    total = raw[raw["year"].between(2020, 2022)].groupby("year")["faits"].sum()
    assert table.loc["total", ["2020", "2021", "2022"]].tolist() == total.tolist()
    with engine.connect() as connection:
        first = official_evolution(connection, scope="departement", code="59", year=2018).set_index("key")
    assert first.loc["Coups et blessures volontaires", "2016"] == 11563  # the provenance's own example


def test_commune_rates_for_mons(engine: Engine, ssmsi: Path) -> None:
    with engine.connect() as connection:
        table = official_evolution(connection, scope="commune", code="59410", year=2023).set_index("key")
    assert table.loc["Cambriolages de logement", "2023"] == pytest.approx(4.61)
    assert len(table) == 14


def test_evolution_from_zero_is_left_empty() -> None:
    frame = pd.DataFrame({"key": ["a", "b"], "label": ["A", "B"], "2022": [0, 10], "2023": [0, 20], "2024": [5, 10]})
    table = evolution_table(frame, ("2022", "2023", "2024")).set_index("key")
    assert pd.isna(table.loc["a", "evolution_pct"]) and table.loc["a", "evolution"] == 5
    assert table.loc["b", "evolution_pct"] == -50.0 and table.loc["b", "evolution_n2_pct"] == 0.0
    assert table.loc["total", "evolution_pct"] == pytest.approx(-25.0)
