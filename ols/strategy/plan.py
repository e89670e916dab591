"""The strategy a coordinator writes (:mod:`~.files`: YAML or XLSX): axes, fiches actions and their indicators,
loaded as one upsert.

A fiche's state changes are dated (``action_state_change``): loading the file again with another state records
the change; a file that leaves a fiche out leaves it in the database (a strategy is amended, not rewritten).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert

from ols.access.audience import Audience
from ols.errors import InvalidInputError, NotFoundError
from ols.nomenclature import CATEGORY_BY_CODE
from ols.privacy.detectors import describe, find
from ols.store.models import ActionStateChange, Indicator, StrategyAction, StrategyAxis
from ols.store.models.strategy import ACTION_STATES, DIRECTIONS, INDICATOR_KINDS, INDICATOR_SOURCES
from ols.strategy.indicators import CSU_FIGURES, MEASURES

logger = logging.getLogger(__name__)
STATE_LABELS = {"a_lancer": "à lancer", "en_cours": "en cours", "realisee": "réalisée", "abandonnee": "abandonnée"}
ACTION_FIELDS = ("title", "objective", "pilot", "partners", "schedule")
INDICATOR_FIELDS = ("name", "kind", "definition", "unit", "target", "direction", "source", "spec")


def check_free_text(text: str, what: str) -> str:
    """``text`` if it holds no nominative data, else InvalidInputError saying what was found (never echoing it).

    The cellule de veille's follow-up never names a person: the « suivi nominatif » belongs to another,
    confidential group, and its content must never be entered here.
    """
    found = find(text)
    if found:
        kinds = {finding.kind for finding in found}
        msg = (f"saisie refusée : {what} contient {describe(kinds)}. Le suivi de la cellule de veille ne nomme "
               "personne ; reformulez sans donnée nominative.")  # fmt: skip
        raise InvalidInputError(msg)
    return text


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidInputError(f"{what} « {value} » inconnu : choisissez parmi {', '.join(allowed)}")
    return str(value)


def _indicator(raw: dict[str, Any], action_id: int) -> dict[str, Any]:
    spec: dict[str, Any] = raw.get("spec") or {}
    values = {key: raw.get(key) for key in INDICATOR_FIELDS}
    values |= {
        "code": str(raw["code"]),
        "action_id": action_id,
        "definition": raw.get("definition", ""),
        "unit": raw.get("unit", ""),
        "spec": spec,
        "direction": raw.get("direction", "down"),
    }
    values["kind"] = _choice(values["kind"], INDICATOR_KINDS, "type d'indicateur")
    values["source"] = _choice(values["source"], INDICATOR_SOURCES, "source d'indicateur")
    values["direction"] = _choice(values["direction"], DIRECTIONS, "sens")
    unknown = [code for code in spec.get("categories", []) if code not in CATEGORY_BY_CODE]
    if unknown:
        raise InvalidInputError(f"indicateur {values['code']} : catégories inconnues {', '.join(unknown)}")
    if values["source"] == "computed":
        check_spec(str(values["code"]), spec)
    return values


def check_spec(code: str, spec: dict[str, Any]) -> None:
    """What a computed indicator's ``spec`` must say for its ``kind`` (:mod:`ols.strategy.indicators`)."""
    kind = _choice(spec.get("kind", "count"), MEASURES, f"calcul de l'indicateur {code}")
    if kind in ("count", "rate", "coverage") and not spec.get("categories"):
        raise InvalidInputError(f"indicateur {code} : un indicateur qui compte des faits nomme ses catégories")
    if kind == "rate" and not spec.get("territory"):
        raise InvalidInputError(f"indicateur {code} : un taux pour 1 000 habitants nomme sa commune (territory)")
    if kind == "csu":
        _choice(spec.get("figure"), CSU_FIGURES, f"chiffre du CSU de l'indicateur {code}")


def _save_action(connection: Connection, raw: dict[str, Any], axis_id: int, *, by: str, on: date) -> int:
    values = {key: raw.get(key, "") for key in ACTION_FIELDS} | {"code": str(raw["code"]), "axis_id": axis_id}
    values["partners"] = list(raw.get("partners", []))
    state = _choice(raw.get("state", "a_lancer"), ACTION_STATES, "état de fiche")
    check_free_text(f"{values['objective']} {values['schedule']}", f"la fiche {values['code']}")
    previous = connection.execute(select(StrategyAction.state).where(StrategyAction.code == values["code"])).scalar()
    statement = upsert(StrategyAction).values(**values, state=state)
    action_id = connection.execute(
        statement.on_conflict_do_update(index_elements=["code"], set_={**values, "state": state})
        .returning(StrategyAction.id)
    ).scalar_one()  # fmt: skip
    if previous != state:
        connection.execute(insert(ActionStateChange), {"action_id": action_id, "state": state, "changed_on": on,
                                                       "changed_by": by})  # fmt: skip
    return int(action_id)


def load_strategy(connection: Connection, data: dict[str, Any], *, by: str, on: date | None = None) -> dict[str, int]:
    """Upsert the strategy ``data`` (``axes`` → ``actions`` → ``indicators``); return how many of each."""
    counts = {"axes": 0, "actions": 0, "indicators": 0}
    try:
        for axis in data["axes"]:
            axis_id = connection.execute(
                upsert(StrategyAxis).values(code=str(axis["code"]), title=axis["title"])
                .on_conflict_do_update(index_elements=["code"], set_={"title": axis["title"]})
                .returning(StrategyAxis.id)
            ).scalar_one()  # fmt: skip
            counts["axes"] += 1
            for action in axis.get("actions", []):
                action_id = _save_action(connection, action, axis_id, by=by, on=on or date.today())
                counts["actions"] += 1
                for raw in action.get("indicators", []):
                    values = _indicator(raw, action_id)
                    connection.execute(upsert(Indicator).values(**values).on_conflict_do_update(
                        index_elements=["code"], set_=values))  # fmt: skip
                    counts["indicators"] += 1
    except (KeyError, TypeError) as error:
        raise InvalidInputError(f"fichier de stratégie mal formé : champ manquant ou invalide ({error})") from error
    logger.info("stratégie chargée par %s : %s", by, counts)
    return counts


def set_action_state(connection: Connection, code: str, state: str, audience: Audience,
                     on: date | None = None) -> None:  # fmt: skip
    """Change a fiche's state, recording the dated change and who made it (the audience decides who may)."""
    audience.require_strategy_edit()
    state = _choice(state, ACTION_STATES, "état de fiche")
    action_id = connection.execute(
        update(StrategyAction).where(StrategyAction.code == code).values(state=state).returning(StrategyAction.id)
    ).scalar()
    if action_id is None:
        raise NotFoundError(f"fiche action inconnue « {code} »")
    change = {"action_id": action_id, "state": state, "changed_on": on or date.today(), "changed_by": audience.name}
    connection.execute(insert(ActionStateChange), change)
