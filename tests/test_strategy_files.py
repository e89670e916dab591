"""The strategy's files: a workbook loads exactly as the YAML of the same content, its refusals name the sheet, the
row and the column, and the blank templates (XLSX and YAML) give back the fiche a coordinator fills in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, text

from ols.errors import InvalidInputError
from ols.strategy.files import load_strategy_file, read_workbook, template_yaml, write_template

PROXIMITY = ["residential_burglary", "vehicle_theft", "theft"]
STRATEGY: dict[str, Any] = {"axes": [
    {"code": "1", "title": "Dissuasion et prévention situationnelle", "actions": [
        {"code": "1.1", "title": "Observatoire", "objective": "Connaître la délinquance de la ville.",
         "pilot": "Coordonnateur CLSPD", "partners": ["Police nationale", "Bailleurs sociaux"], "schedule": "2026",
         "state": "realisee", "indicators": [
            {"code": "PROX-TAUX", "name": "Délinquance de proximité pour 1 000 habitants", "kind": "context",
             "definition": "Faits de proximité rapportés à la population.", "unit": "‰", "direction": "down",
             "source": "computed", "spec": {"kind": "rate", "territory": "59410", "categories": PROXIMITY}},
            {"code": "CSU-INTER", "name": "Interventions demandées par le CSU", "kind": "activity",
             "unit": "interventions", "direction": "up", "source": "computed",
             "spec": {"kind": "csu", "figure": "interventions"}}]},
        {"code": "1.10", "title": "Commerces", "state": "a_lancer"}]},
    {"code": "2", "title": "Prévention sociale", "actions": [
        {"code": "2.1", "title": "Médiation", "objective": "Médiation en soirée.", "pilot": "Médiation sociale",
         "partners": ["Transporteur"], "schedule": "En continu", "state": "en_cours", "indicators": [
            {"code": "MARCHES", "name": "Marches exploratoires", "kind": "activity", "unit": "marches", "target": 4,
             "direction": "up", "source": "entered"},
            {"code": "FORT", "name": "Faits dans la zone du Fort", "kind": "result", "source": "computed",
             "spec": {"categories": ["gathering", "noise"], "sector": "S1"}}]}]},
]}  # fmt: skip
AXES = ("code", "titre")
FICHES = ("axe", "code", "titre", "objectif", "pilote", "partenaires", "échéance", "état")
INDICATEURS = ("fiche", "code", "nom", "type", "définition", "unité", "cible", "sens", "source", "calcul",
               "catégories", "commune", "secteur", "zone", "chiffre CSU", "intervenant CSU")  # fmt: skip
LABELS = {"realisee": "réalisée", "en_cours": "en cours", "context": "contexte", "computed": "calculé", "up": "hausse "
          "souhaitée", "rate": "taux"}  # fmt: skip


def _cells(values: list[Any]) -> list[Any]:
    """A row as a coordinator types it: lists joined by « ; », some codes written as their French labels."""
    return ["; ".join(v) if isinstance(v, list) else LABELS.get(v, v) if isinstance(v, str) else v for v in values]


def _workbook(path: Path, strategy: dict[str, Any]) -> Path:
    book = Workbook()
    axes, fiches, indicators = book.active, book.create_sheet("fiches"), book.create_sheet("indicateurs")
    axes.title = "axes"
    for sheet, headers in ((axes, AXES), (fiches, FICHES), (indicators, INDICATEURS)):
        sheet.append(headers)
    for axis in strategy["axes"]:
        axes.append([axis["code"], axis["title"]])
        for action in axis["actions"]:
            fiches.append(_cells([axis["code"], action["code"], action["title"], action.get("objective"),
                                  action.get("pilot"), action.get("partners"), action.get("schedule"),
                                  action.get("state")]))  # fmt: skip
            for item in action.get("indicators", []):
                spec = item.get("spec", {})
                indicators.append(_cells([action["code"], item["code"], item["name"], item["kind"],
                                          item.get("definition"), item.get("unit"), item.get("target"),
                                          item.get("direction"), item["source"], spec.get("kind"),
                                          spec.get("categories"), spec.get("territory"), spec.get("sector"),
                                          spec.get("zone"), spec.get("figure"), spec.get("intervener")]))  # fmt: skip
    book.save(path)
    return path


def _snapshot(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        actions = connection.execute(text(
            "SELECT x.code, x.title, a.code, a.title, a.objective, a.pilot, a.partners, a.schedule, a.state "
            "FROM strategy_action a JOIN strategy_axis x ON x.id = a.axis_id ORDER BY a.code")).all()  # fmt: skip
        indicators = connection.execute(text(
            "SELECT a.code, i.code, i.name, i.kind, i.definition, i.unit, i.target, i.direction, i.source, "
            "i.spec::text FROM indicator i JOIN strategy_action a ON a.id = i.action_id ORDER BY i.code")
        ).all()  # fmt: skip
    return [tuple(row) for row in [*actions, *indicators]]


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE strategy_axis CASCADE"))


def test_a_workbook_loads_as_the_yaml_of_the_same_content(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "strategie.yaml"
    source.write_text(yaml.safe_dump(STRATEGY, allow_unicode=True), encoding="utf-8")
    with engine.begin() as connection:
        assert load_strategy_file(connection, source, by="test") == {"axes": 2, "actions": 3, "indicators": 4}
    from_yaml = _snapshot(engine)
    _reset(engine)
    with engine.begin() as connection:
        load_strategy_file(connection, _workbook(tmp_path / "strategie.xlsx", STRATEGY), by="test")
    assert _snapshot(engine) == from_yaml
    assert (
        "1",
        "Dissuasion et prévention situationnelle",
        "1.10",
        "Commerces",
        "",
        "",
        [],
        "",
        "a_lancer",
    ) in from_yaml


@pytest.mark.parametrize(("sheet", "row", "header", "value", "message"), [
    ("fiches", 3, "état", "terminée", "feuille « fiches », ligne 3, colonne « état » : « terminée » inconnu"),
    ("fiches", 2, "axe", "9", "feuille « fiches », ligne 2, colonne « axe » : axe « 9 » absent"),
    ("fiches", 4, "objectif", "Suivi de Jean Dupont, né le 12/03/1987",
     "feuille « fiches », ligne 4, colonne « objectif » : saisie refusée : la fiche 2.1 contient des noms"),
    ("indicateurs", 2, "cible", "quatre", "feuille « indicateurs », ligne 2, colonne « cible » : « quatre » n'est pas"),
    ("indicateurs", 2, "commune", None, "feuille « indicateurs », ligne 2, colonne « calcul » : .*nomme sa commune"),
    ("indicateurs", 3, "catégories", "vols; cambriolages",
     "feuille « indicateurs », ligne 3, colonne « catégories » : catégories inconnues vols, cambriolages"),
    ("indicateurs", 5, "nom", None, "feuille « indicateurs », ligne 5, colonne « nom » : valeur obligatoire manquante"),
])  # fmt: skip
def test_a_refusal_names_the_sheet_the_row_and_the_column(
    tmp_path: Path, sheet: str, row: int, header: str, value: str | None, message: str
) -> None:
    path = _workbook(tmp_path / "strategie.xlsx", STRATEGY)
    book = load_workbook(path)
    column = [cell.value for cell in book[sheet][1]].index(header) + 1
    book[sheet].cell(row=row, column=column).value = value
    book.save(path)
    with pytest.raises(InvalidInputError, match=message):
        read_workbook(path.read_bytes())


def test_the_xlsx_template_filled_with_one_row_gives_that_fiche(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    env = dict(os.environ, OLS_DATABASE_URL=database_url)

    def ols(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True,
                              check=False)  # fmt: skip

    template = tmp_path / "modele.xlsx"
    written = ols("strategy", "template", "--out", str(template))
    assert written.returncode == 0, written.stderr
    book = load_workbook(template)
    assert book.sheetnames == ["lisez-moi", "axes", "fiches", "indicateurs"]
    readme = " ".join(str(cell.value) for line in book["lisez-moi"].iter_rows() for cell in line if cell.value)
    assert "à lancer (a_lancer), en cours (en_cours), réalisée (realisee), abandonnée (abandonnee)" in readme
    assert book["fiches"]["H1"].value == "état" and "état de la fiche" in book["fiches"]["H1"].comment.text
    book["axes"].append(["3", "Tranquillité publique"])
    book["fiches"].append(["3", "3.4", "Médiation de nuit", "Apaiser les nuits d'été.", "Médiation sociale",
                           "Police municipale; Bailleurs sociaux", "Été 2026", "en cours"])  # fmt: skip
    book.save(template)
    loaded = ols("strategy", "load", str(template))
    assert loaded.returncode == 0, loaded.stderr
    assert "1 axes, 1 fiches actions, 0 indicateurs" in loaded.stdout
    assert _snapshot(engine) == [("3", "Tranquillité publique", "3.4", "Médiation de nuit", "Apaiser les nuits d'été.",
                                  "Médiation sociale", ["Police municipale", "Bailleurs sociaux"], "Été 2026",
                                  "en_cours")]  # fmt: skip


def test_the_yaml_template_filled_gives_that_fiche_and_its_indicator(engine: Engine, tmp_path: Path) -> None:
    assert "a_lancer (à lancer), en_cours (en cours)" in template_yaml()
    data = yaml.safe_load(template_yaml())
    axis = data["axes"][0] | {"code": "1", "title": "Prévention"}
    action = axis["actions"][0] | {"code": "1.2", "title": "Marches", "partners": ["Centre social"]}
    action["indicators"] = [action["indicators"][0] | {"code": "MARCHES", "name": "Marches exploratoires"}]
    path = tmp_path / "strategie.yaml"
    path.write_text(yaml.safe_dump({"axes": [axis | {"actions": [action]}]}, allow_unicode=True), encoding="utf-8")
    with engine.begin() as connection:
        assert load_strategy_file(connection, path, by="test") == {"axes": 1, "actions": 1, "indicators": 1}
    snapshot = _snapshot(engine)
    assert snapshot[0] == ("1", "Prévention", "1.2", "Marches", "", "", ["Centre social"], "", "a_lancer")
    assert snapshot[1][:9] == ("1.2", "MARCHES", "Marches exploratoires", "result", "", "", None, "down", "entered")
    with pytest.raises(InvalidInputError, match=r"extension « \.txt » inconnue"):
        write_template(tmp_path / "modele.txt")
