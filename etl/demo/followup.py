"""The demo's strategy follow-up: the Mons STSPD's fiches, their indicators for the demo's last two full years,
the partners' entered figures, and two cellule de veille meetings whose second agenda carries the first's open
decisions; then the tableau de bord as an XLSX and each meeting as a one-page PDF.

The entered figures, the CSU's and the decisions are invented for the demo (no person, no real case); the Mons
figure of 1 052 mediation interventions is the one its STSPD's bilan gives, reused as a plausible order of magnitude.
The indicators are computed for the two years and for the two refreshed semesters (the zones leaving vigilance are
counted between these).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from etl.demo.partners import LAST_DAY
from etl.demo.run import demo_semesters
from etl.demo.spec import DemoTerritory
from ols.access.audience import Audience
from ols.coverage.csu import CsuEntry, enter
from ols.periods import parse_period
from ols.strategy.files import load_strategy_file
from ols.strategy.indicators import compute_indicators, enter_value
from ols.strategy.meetings import add_decision, close_meeting, new_meeting, set_decision_state
from ols.strategy.outputs import dashboard_workbook, meeting_document
from ols.strategy.plan import set_action_state

logger = logging.getLogger(__name__)
ENTERED = {"MEDIATION-INTER": (968, 1052), "MARCHES": (3, 5), "RAPPELS-ORDRE": (14, 11), "MANIF-TRANSMIS": (2, 2)}
CSU_INTERVENTIONS = (412, 455)
PARTNERS_FIGURES = Audience.of("démo (bilan des partenaires)", "coordinator")  # who the entered figures are from
PARTNERS = ["police-municipale", "police-nationale", "mediation", "bailleur-demo", "transport"]
FIRST = [
    {"text": "Présence de la médiation en soirée aux abords de la station de métro", "partner": "mediation",
     "zone": "DEMO-MONS-SART"},
    {"text": "Patrouilles ciblées sur le hall signalé, en lien avec la police municipale",
     "partner": "police-nationale", "confidentiality": "police", "zone": "DEMO-FORT"},
    {"text": "Enlèvement des dépôts sauvages du parking et pose d'un panneau", "partner": "services-techniques"},
    {"text": "Réparer l'éclairage des parties communes de la résidence du Fort", "partner": "bailleur-demo",
     "zone": "DEMO-FORT"},
]  # fmt: skip
SECOND = [{"text": "Marche exploratoire avec les habitants du quartier du Sart avant l'été", "partner": "mediation",
           "zone": "DEMO-MONS-SART"}]  # fmt: skip


def _meeting(engine: Engine, held_on: date, territory: str, decisions: list[dict[str, str]],
             audience: Audience) -> tuple[int, list[int]]:  # fmt: skip
    with engine.begin() as connection:
        meeting_id = new_meeting(connection, held_on, territory, PARTNERS, audience)
        due = date(held_on.year, held_on.month, 28)
        ids = [add_decision(connection, meeting_id, {**values, "due_on": due}, audience) for values in decisions]
    return meeting_id, ids


def demo_follow_up(engine: Engine, demo: DemoTerritory, out: Path, audience: Audience,
                   echo: Callable[[str], None]) -> list[Path]:  # fmt: skip
    """Load the demo's strategy and hold its two meetings; return the files written (XLSX, PDFs)."""
    if demo.strategy is None:
        return []
    years = [parse_period(str(LAST_DAY.year - 2)), parse_period(str(LAST_DAY.year - 1))]
    with engine.begin() as connection:
        load_strategy_file(connection, demo.strategy, by="démo")
        set_action_state(connection, "3.3", "en_cours", Audience.of("démo", "coordinator"),
                         on=date(years[1].start.year, 9, 1))  # fmt: skip
        for year, interventions in zip(years, CSU_INTERVENTIONS, strict=True):
            enter(connection, CsuEntry(year.name, "registre synthétique de la démo", interventions=interventions),
                  "démo")  # fmt: skip
        for period in [*years, *demo_semesters()]:
            compute_indicators(connection, period)
        for code, values in ENTERED.items():
            for year, value in zip(years, values, strict=True):
                enter_value(connection, code, year, value, PARTNERS_FIGURES)
    first, ids = _meeting(engine, date(LAST_DAY.year, 3, 12), demo.code, FIRST, audience)
    with engine.begin() as connection:
        set_decision_state(connection, ids[2], "done", audience, on=date(LAST_DAY.year, 4, 2))
        close_meeting(connection, first, audience)
    second, _ = _meeting(engine, date(LAST_DAY.year, 4, 9), demo.code, SECOND, audience)
    files = [out / "tableau-de-bord.xlsx", out / f"reunion-{first}.pdf", out / f"reunion-{second}.pdf"]
    with engine.connect() as connection:
        files[0].write_bytes(dashboard_workbook(connection, audience))
        for meeting_id, path in zip((first, second), files[1:], strict=True):
            path.write_bytes(meeting_document(connection, meeting_id, audience))
    logger.info("démo : stratégie, indicateurs et deux réunions de la cellule de veille écrits dans %s", out)
    echo(f"Stratégie de {demo.name} : indicateurs {years[0].name} et {years[1].name}, deux réunions de la cellule "
         f"de veille ; tableau de bord {files[0]} ; relevés {files[1]} et {files[2]}")  # fmt: skip
    return files
