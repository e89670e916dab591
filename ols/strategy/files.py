"""The strategy's files: the YAML file or the workbook a coordinator fills (XLSX, sheets « axes », « fiches »,
« indicateurs », one row per item), and the blank templates (XLSX or YAML) to start from.

A workbook reads into the same structure as the YAML file (:func:`ols.strategy.plan.load_strategy` loads both), so
the two formats cannot drift apart. Each cell is checked where it is read, and a refusal names the sheet, the row
and the column, in French, as the coordinator sees them in the spreadsheet. Values may be written as codes
(``en_cours``) or as the French labels the template's drop-down lists offer (« en cours »).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Connection

from ols.errors import InvalidInputError
from ols.nomenclature import CATEGORY_BY_CODE
from ols.strategy.indicators import CSU_FIGURES, MEASURE_LABELS
from ols.strategy.plan import STATE_LABELS, check_free_text, check_spec, load_strategy

KIND_LABELS = {"context": "contexte", "activity": "activité", "result": "résultat"}
DIRECTION_LABELS = {"up": "hausse souhaitée", "down": "baisse souhaitée"}
SOURCE_LABELS = {"computed": "calculé", "entered": "saisi"}
MEASURE_CHOICES = {"count": "nombre", "rate": "taux", "coverage": "couverture", "zones_leaving": "zones sortantes",
                   "csu": "csu"}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its French header, the field it fills, what the header's comment explains, and, for a
    closed list, the codes and their labels."""

    header: str
    field: str
    help: str
    required: bool = False
    choices: dict[str, str] | None = None
    kind: str = "text"  # text, code, number, list


SHEETS: dict[str, tuple[Column, ...]] = {
    "axes": (
        Column("code", "code", "Code de l'axe (1, 2, 3…), saisi comme du texte.", True, kind="code"),
        Column("titre", "title", "Intitulé de l'axe.", True),
    ),
    "fiches": (
        Column("axe", "axis", "Code de l'axe de la fiche (feuille « axes »).", True, kind="code"),
        Column("code", "code", "Code de la fiche (1.1, 2.3…), saisi comme du texte.", True, kind="code"),
        Column("titre", "title", "Intitulé de la fiche action.", True),
        Column("objectif", "objective", "L'objectif en une phrase. Jamais de nom de personne."),
        Column("pilote", "pilot", "L'organisation pilote (un service, jamais une personne)."),
        Column("partenaires", "partners", "Les organisations partenaires, séparées par « ; ».", kind="list"),
        Column("échéance", "schedule", "L'échéance ou le rythme (2026, « deux fois par an »…)."),
        Column("état", "state", "L'état de la fiche.", choices=STATE_LABELS),
    ),
    "indicateurs": (
        Column("fiche", "action", "Code de la fiche de l'indicateur (feuille « fiches »).", True, kind="code"),
        Column("code", "code", "Code de l'indicateur (lettres, chiffres, tirets : CAMB-LOGEMENTS).", True, kind="code"),
        Column("nom", "name", "Nom de l'indicateur tel qu'il s'affiche.", True),
        Column("type", "kind", "Indicateur de contexte, d'activité ou de résultat.", True, KIND_LABELS),
        Column("définition", "definition", "Ce qu'il mesure, en une ou deux phrases."),
        Column("unité", "unit", "L'unité (faits, ‰, %, interventions…)."),
        Column("cible", "target", "La valeur visée (un nombre), facultative.", kind="number"),
        Column("sens", "direction", "Le sens souhaité de l'évolution.", choices=DIRECTION_LABELS),
        Column("source", "source", "Calculé par l'observatoire, ou saisi par un partenaire.", True, SOURCE_LABELS),
        Column("calcul", "spec.kind", "Pour un indicateur calculé : ce qu'il calcule.", choices=MEASURE_CHOICES),
        Column("catégories", "spec.categories", "Codes des catégories comptées, séparés par « ; ».", kind="list"),
        Column("commune", "spec.territory", "Code de la commune (obligatoire pour un taux).", kind="code"),
        Column("secteur", "spec.sector", "Code du secteur, facultatif.", kind="code"),
        Column("zone", "spec.zone", "Code d'une zone déclarée, facultatif.", kind="code"),
        Column("chiffre CSU", "spec.figure", "Pour le calcul « csu » : le chiffre lu.",
               choices=dict(zip(CSU_FIGURES, ("heures", "interventions", "interpellations", "réquisitions"),
                                strict=True))),
        Column("intervenant CSU", "spec.intervener", "Pour le calcul « csu » : un seul intervenant, facultatif.",
               kind="code"),
    ),
}  # fmt: skip


class Cell:
    """Where a value was read, to name it in a refusal."""

    def __init__(self, sheet: str, row: int, column: str) -> None:
        self.sheet, self.row, self.column = sheet, row, column

    def refuse(self, message: str) -> InvalidInputError:
        """The refusal of this cell, saying where it is."""
        return InvalidInputError(f"feuille « {self.sheet} », ligne {self.row}, colonne « {self.column} » : {message}")


def _value(raw: Any, column: Column, cell: Cell) -> Any:
    """A cell's value for its field (None when empty), or the refusal saying why it cannot be read."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if column.required:
            raise cell.refuse("valeur obligatoire manquante")
        return None
    if column.kind == "number":
        if isinstance(raw, (int, float)):
            return float(raw)
        try:
            return float(str(raw).replace(",", ".").replace("\u202f", "").replace(" ", ""))
        except ValueError:
            raise cell.refuse(f"« {raw} » n'est pas un nombre") from None
    text = format(raw, "g") if isinstance(raw, float) else str(raw).strip()
    if column.choices is not None:
        by_label = {label: code for code, label in column.choices.items()}
        if text not in column.choices and text not in by_label:
            raise cell.refuse(f"« {text} » inconnu : choisissez parmi {', '.join(column.choices.values())}")
        return by_label.get(text, text)
    if column.kind == "list":
        return [item.strip() for item in text.replace(",", ";").split(";") if item.strip()]
    return text


def _rows(sheet: Worksheet, name: str) -> list[tuple[int, dict[str, Any]]]:
    """The filled rows of a sheet as (row number, {field: value}), headers matched to the sheet's columns."""
    columns = {column.header.casefold(): column for column in SHEETS[name]}
    lines = sheet.iter_rows(values_only=True)
    headers = [str(h).strip().casefold() if h is not None else "" for h in next(lines, ())]
    expected = ", ".join(column.header for column in SHEETS[name])
    for header in headers:
        if header and header not in columns:
            raise Cell(name, 1, header).refuse(f"en-tête inconnu ; attendus : {expected}")
    missing = [column.header for column in SHEETS[name] if column.required and column.header.casefold() not in headers]
    if missing:
        raise InvalidInputError(f"feuille « {name} » : colonnes obligatoires absentes : {', '.join(missing)}")
    rows = []
    for number, line in enumerate(lines, start=2):
        if all(value is None or not str(value).strip() for value in line):
            continue
        values = {}
        for header, raw in zip(headers, line, strict=False):
            if header:
                values[columns[header].field] = _value(raw, columns[header], Cell(name, number, columns[header].header))
        for column in SHEETS[name]:
            if column.required and values.get(column.field) is None:
                raise Cell(name, number, column.header).refuse("valeur obligatoire manquante")
        rows.append((number, values))
    return rows


def _sheet(book: Any, name: str) -> Worksheet:
    for title in book.sheetnames:
        if title.strip().casefold() == name:
            return book[title]
    raise InvalidInputError(f"classeur de stratégie : feuille « {name} » absente (attendues : axes, fiches, "
                            "indicateurs)")  # fmt: skip


def _indicator(number: int, values: dict[str, Any]) -> dict[str, Any]:
    """An indicator row as the YAML writes it: its ``spec`` gathered, its categories and calculation checked."""
    spec = {key.removeprefix("spec."): value for key, value in values.items()
            if key.startswith("spec.") and value is not None}  # fmt: skip
    unknown = [code for code in spec.get("categories", []) if code not in CATEGORY_BY_CODE]
    if unknown:
        raise Cell("indicateurs", number, "catégories").refuse(f"catégories inconnues {', '.join(unknown)}")
    if values["source"] == "computed":
        try:
            check_spec(values["code"], spec)
        except InvalidInputError as error:
            raise Cell("indicateurs", number, "calcul").refuse(str(error)) from None
    indicator = {key: value for key, value in values.items()
                 if not key.startswith("spec.") and key != "action" and value is not None}  # fmt: skip
    return indicator | ({"spec": spec} if spec else {})


def read_workbook(content: bytes) -> dict[str, Any]:
    """The strategy a workbook holds, as the YAML file writes it (``axes`` → ``actions`` → ``indicators``)."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds (zip, XML, key) for a file that is no workbook
        raise InvalidInputError(f"classeur de stratégie illisible : {error}") from error
    axes: dict[str, dict[str, Any]] = {}
    for _, values in _rows(_sheet(book, "axes"), "axes"):
        axes[values["code"]] = {"code": values["code"], "title": values["title"], "actions": []}
    actions: dict[str, dict[str, Any]] = {}
    for number, values in _rows(_sheet(book, "fiches"), "fiches"):
        if values["axis"] not in axes:
            raise Cell("fiches", number, "axe").refuse(f"axe « {values['axis']} » absent de la feuille « axes »")
        for field, header in (("objective", "objectif"), ("schedule", "échéance")):
            try:
                check_free_text(values.get(field) or "", f"la fiche {values['code']}")
            except InvalidInputError as error:
                raise Cell("fiches", number, header).refuse(str(error)) from None
        action = {key: value for key, value in values.items() if key != "axis" and value is not None}
        actions[values["code"]] = action | {"indicators": []}
        axes[values["axis"]]["actions"].append(actions[values["code"]])
    for number, values in _rows(_sheet(book, "indicateurs"), "indicateurs"):
        if values["action"] not in actions:
            raise Cell("indicateurs", number, "fiche").refuse(f"fiche « {values['action']} » absente de la feuille "
                                                              "« fiches »")  # fmt: skip
        actions[values["action"]]["indicators"].append(_indicator(number, values))
    return {"axes": list(axes.values())}


def _header_sheet(book: Workbook, name: str) -> None:
    sheet = book.create_sheet(name)
    for index, column in enumerate(SHEETS[name], start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.comment = Comment(column.help + (" Obligatoire." if column.required else ""), "OLS")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        if column.kind == "code":
            for row in range(2, 201):
                sheet.cell(row=row, column=index).number_format = "@"
        if column.choices:
            listed = DataValidation(type="list", formula1='"' + ",".join(column.choices.values()) + '"',
                                    allow_blank=not column.required)  # fmt: skip
            listed.error, listed.errorTitle = f"Choisissez parmi : {', '.join(column.choices.values())}", column.header
            sheet.add_data_validation(listed)
            listed.add(f"{letter}2:{letter}200")
    sheet.freeze_panes = "A2"


def _read_me() -> list[tuple[str, str, str, str]]:
    rows = [("feuille", "colonne", "ce qu'elle contient", "valeurs permises")]
    for name, columns in SHEETS.items():
        for column in columns:
            allowed = ", ".join(f"{label} ({code})" for code, label in (column.choices or {}).items())
            rows.append((name, column.header, column.help + (" Obligatoire." if column.required else ""), allowed))
    return rows


def template_workbook() -> bytes:
    """A blank strategy workbook: a « lisez-moi » sheet explaining each column and its allowed values, then the
    three sheets with their headers (commented), drop-down lists for closed values and codes kept as text."""
    book = Workbook()
    readme = book.active
    readme.title = "lisez-moi"
    readme.append(("Stratégie territoriale (STSPD) pour OLS : une ligne par axe, par fiche action et par indicateur. "
                   "Chargement : ols strategy load FICHIER.xlsx",))  # fmt: skip
    readme.append(("Les partenaires sont des organisations : aucun nom de personne dans ce classeur.",))
    readme.append(())
    for row in _read_me():
        readme.append(row)
    for letter, width in zip("ABCD", (14, 18, 70, 60), strict=True):
        readme.column_dimensions[letter].width = width
    for name in SHEETS:
        _header_sheet(book, name)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_yaml() -> str:
    """A blank strategy YAML, commented: one axe, one fiche and one indicator to fill, and the allowed values."""
    lines = ["# Stratégie territoriale (STSPD) pour OLS — chargement : ols strategy load FICHIER.yaml",
             "# Les partenaires sont des organisations : aucun nom de personne dans ce fichier.",
             f"# état d'une fiche : {', '.join(f'{c} ({label})' for c, label in STATE_LABELS.items())}",
             f"# type d'indicateur : {', '.join(KIND_LABELS)} ; sens : up (hausse souhaitée), down (baisse) ; "
             "source : computed (calculé par l'observatoire) ou entered (saisi par un partenaire)",
             "# spec d'un indicateur calculé, « kind » : " + ", ".join(f"{c} ({label})" for c, label in
                                                                       MEASURE_LABELS.items()),
             "#   count, rate, coverage : « categories » (codes de la nomenclature) ; rate : « territory » (commune) ;",
             f"#   csu : « figure » parmi {', '.join(CSU_FIGURES)} ; facultatifs : territory, sector, zone, intervener",
             "axes:", '  - code: ""  # 1, 2, 3…', '    title: ""', "    actions:",
             '      - code: ""  # 1.1, 1.2…', '        title: ""', '        objective: ""  # une phrase',
             '        pilot: ""  # une organisation', "        partners: []  # [Police municipale, Bailleurs sociaux]",
             '        schedule: ""', "        state: a_lancer", "        indicators:",
             '          - code: ""  # lettres, chiffres, tirets', '            name: ""', "            kind: result",
             '            definition: ""', '            unit: ""', "            direction: down",
             "            source: entered"]  # fmt: skip
    return "\n".join(lines) + "\n"


def write_template(path: Path) -> None:
    """Write the blank template the file's suffix asks for (.xlsx or .yaml/.yml)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        path.write_bytes(template_workbook())
    elif suffix in (".yaml", ".yml"):
        path.write_text(template_yaml(), encoding="utf-8")
    else:
        raise InvalidInputError(f"modèle de stratégie : extension « {path.suffix} » inconnue (.xlsx ou .yaml)")


def load_strategy_file(connection: Connection, path: Path, *, by: str) -> dict[str, int]:
    """Load a strategy file: YAML (the format of the demo's, under ``data/strategy/``) or an XLSX workbook."""
    try:
        if path.suffix.lower() == ".xlsx":
            data = read_workbook(path.read_bytes())
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInputError(f"fichier de stratégie illisible : {path} ({error})") from error
    return load_strategy(connection, data, by=by)
