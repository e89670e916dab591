"""Reports opened and checked against the tables they print; spreadsheet-safe tables."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
from pypdf import PdfReader
from sqlalchemy import Engine

from ols.access.audience import Audience
from ols.analysis.indicators import local_evolution
from ols.analysis.nearrepeat import near_repeat
from ols.periods import parse_period
from ols.publishing.reports import write_report
from ols.publishing.sections import of_observatory
from ols.publishing.tables import to_excel_csv
from ols.strategy.dashboard import dashboard
from ols.wording import number
from tests.french_text import english_codes
from tests.routes.test_web import SHOTS


def _text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def test_annual_report_prints_the_evolution_tables(api_engine: Engine, tmp_path: Path) -> None:
    with api_engine.begin() as connection:
        police = Audience.of("test", "police")
        files = write_report(connection, "annual", "2025", police, tmp_path)
        expected = local_evolution(connection, parse_period("2025"), police, by="family").set_index("key")
        title = f"Bilan annuel {of_observatory(connection)}"  # the observatory's own name, never a fixed "CLSPD"
    pdf = next(path for path in files if path.suffix == ".pdf")
    words = _text(pdf)
    assert title in " ".join(words.replace("-\n", "-").split()) and "DIFFUSION RESTREINTE" in words
    total = expected.loc["total"]
    said = [number(int(total[key])) for key in ("2023", "2024", "2025", "evolution")]
    assert f"Total {' '.join(said)}".replace("\u202f", " ") in words.replace("\u202f", " ")
    for family in ("Stupéfiants", "Atteintes aux biens", "Cadre de vie"):
        assert family in words
    assert "Carte et zones — 1er semestre" not in words or "zone(s)" in words
    workbook = openpyxl.load_workbook(next(path for path in files if path.suffix == ".xlsx"))
    assert {"evolution_family", "evolution_source"} <= set(workbook.sheetnames)
    sheet = workbook["evolution_family"]
    assert [cell.value for cell in sheet[1]][:4] == ["famille", "2023", "2024", "2025"]
    csv = next(path for path in files if path.name.endswith("evolution_family.csv"))
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"famille;2023;2024;2025" in raw
    assert len(PdfReader(pdf).pages) >= 2


def test_weekly_report_for_the_mayor_hides_small_counts(api_engine: Engine, tmp_path: Path) -> None:
    with api_engine.begin() as connection:
        files = write_report(connection, "weekly", "2026-W10", Audience.of("test", "elu"), tmp_path)
        police = write_report(connection, "weekly", "2026-W10", Audience.of("test", "police"), tmp_path / "police")
    words = _text(next(path for path in files if path.suffix == ".pdf"))
    assert "Récapitulatif hebdomadaire" in words and "semaine 10 de 2026" in words
    assert "< 5" in words and "points de deal" not in words.lower() and "DIFFUSION RESTREINTE" not in words
    table = pd.read_csv(next(path for path in files if path.name.endswith("comparaison.csv")), sep=";",
                        encoding="utf-8-sig", dtype=str)  # fmt: skip
    numbers = pd.to_numeric(table.drop(columns="famille").stack(), errors="coerce").dropna()
    assert not ((numbers > 0) & (numbers < 5)).any()
    assert "Nouveaux points de deal" in _text(next(path for path in police if path.suffix == ".pdf"))


def test_monthly_report_lists_the_zones(api_engine: Engine, tmp_path: Path) -> None:
    with api_engine.begin() as connection:
        files = write_report(connection, "monthly", "2026-03", Audience.of("test", "coordinator"), tmp_path)
    words = _text(next(path for path in files if path.suffix == ".pdf"))
    assert "Bilan mensuel de la cellule de veille" in words and "Zones de vigilance du 1er semestre 2026" in words


def test_csv_is_excel_ready_and_formula_safe() -> None:
    frame = pd.DataFrame({"libellé": ['=HYPERLINK("http://x")', "+33", "Tags", "@SUM(A1)"], "faits": [1, 2, 3, 4]})
    text = to_excel_csv(frame)
    assert text.startswith("\ufefflibellé;faits\r\n")
    rows = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), sep=";", dtype=str)
    assert rows["libellé"].tolist() == ['\'=HYPERLINK("http://x")', "'+33", "Tags", "'@SUM(A1)"]


FRENCH_DECIMAL = re.compile(r"\d\.\d")


def test_reports_carry_the_caveats_explanations_and_no_english_code(api_engine: Engine, tmp_path: Path) -> None:
    with api_engine.begin() as connection:
        monthly = write_report(connection, "monthly", "2026-03", Audience.of("test", "coordinator"), tmp_path / "m")
        annual = write_report(connection, "annual", "2025", Audience.of("test", "elu"), tmp_path / "a")
        annual_police = write_report(connection, "annual", "2026", Audience.of("test", "police"), tmp_path / "p")
        board = dashboard(connection, Audience.of("test", "elu"))
    fiches = {action["code"] for axis in board["axes"] for action in axis["actions"]}
    for files in (monthly, annual, annual_police):
        pdf = next(path for path in files if path.suffix == ".pdf")
        words = " ".join(_text(pdf).split())
        assert "Ce que ces chiffres ne disent pas" in words
        assert "la réalité de la délinquance" in words and "activité d'un service" in words
        assert "patrouilles" in words and "Benjamini et Hochberg" in words
        assert not english_codes(words), english_codes(words)
        for csv in (path for path in files if path.suffix == ".csv"):
            header = csv.read_text(encoding="utf-8-sig").splitlines()[0]
            assert not english_codes(header), header
    monthly_words = " ".join(_text(next(p for p in monthly if p.suffix == ".pdf")).split())
    assert "Pourquoi cette zone ?" in monthly_words and "fait(s) sur la période" in monthly_words
    elu_words = " ".join(_text(next(p for p in annual if p.suffix == ".pdf")).split())
    assert "Stupéfiants sans" in elu_words and "réservées à la police" in elu_words
    figures = " ".join(word for word in elu_words.split("Notes de méthode")[0].split() if word not in fiches)
    assert not FRENCH_DECIMAL.search(figures), FRENCH_DECIMAL.search(figures)  # a fiche's code (« 3.2 ») is no figure
    assert re.search(r"\d,\d", elu_words)  # the evolution in % is written 3,6
    police_words = " ".join(_text(next(p for p in annual_police if p.suffix == ".pdf")).split())
    assert "Pourquoi cette zone ?" in police_words and "Score z de Gi*" in police_words
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, files in (("monthly-coordinator", monthly), ("annual-elu", annual), ("annual-police", annual_police)):
        (SHOTS / f"report-{name}.pdf").write_bytes(next(p for p in files if p.suffix == ".pdf").read_bytes())


def test_the_monthly_veille_croisee_names_places_for_the_police_only(api_engine: Engine, tmp_path: Path) -> None:
    with api_engine.begin() as connection:
        police = write_report(connection, "monthly", "2026-03", Audience.of("test", "police"), tmp_path / "p")
        elu = write_report(connection, "monthly", "2026-03", Audience.of("test", "elu"), tmp_path / "e")
    words = " ".join(_text(next(p for p in police if p.suffix == ".pdf")).split())
    assert "Veille croisée du mois" in words and "près de" in words
    assert not english_codes(words), english_codes(words)
    crossed = pd.read_csv(
        next(p for p in police if p.name.endswith("veille_croisee.csv")), sep=";", encoding="utf-8-sig"
    )
    assert list(crossed.columns) == ["près de", "hexagones", "constat", "risque que ce soit le hasard"]
    assert crossed["près de"].is_unique  # one line per place, however many of its cells were flagged
    assert not english_codes(crossed.to_csv())
    assert "Veille croisée" not in _text(next(p for p in elu if p.suffix == ".pdf"))


def test_the_monthly_report_says_the_near_repeat_risk_as_the_map_does(api_engine: Engine, tmp_path: Path) -> None:
    police_audience = Audience.of("test", "police")
    with api_engine.begin() as connection:
        police = write_report(connection, "monthly", "2026-03", police_audience, tmp_path / "p")
        elu = write_report(connection, "monthly", "2026-03", Audience.of("test", "elu"), tmp_path / "e")
        found = near_repeat(connection, parse_period("2025-10-01..2026-03-31"), police_audience,
                            as_of=date(2026, 3, 31))  # fmt: skip
    words = " ".join(_text(next(p for p in police if p.suffix == ".pdf")).split())
    assert "Risque de répétition des cambriolages" in words
    assert " ".join(found["sentence"].split()) in words  # the map's and the command line's sentence, word for word
    assert f"{len(found['risk_zones']['features'])} zone(s) de risque ouverte(s) au 31/03/2026" in words
    assert "Risque de répétition" not in _text(next(p for p in elu if p.suffix == ".pdf"))
