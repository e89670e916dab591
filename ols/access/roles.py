"""The roles of a CLSPD and what each may see: the one table of rights of OLS.

The charte déontologique of a CLSPD and the CNIL's guidance give the partners different rights:

- coordinator (coordonnateur): everything, and manages users, files, refreshes and declared zones;
- police (police nationale, police municipale): raw facts, points de deal, near-repeat risk, patrols;
- partner (bailleur, transport, médiation…): aggregates, hot spots and zones, and the raw facts of
  its own source only;
- elu and public: aggregates at H3 resolution 8 or coarser (the public sees no zones).

A sheet's « ambiance » (a rating of a place for a period) is written by those who are there: the partners, the
police and the coordinator (``Layer.AMBIANCE``, a right to write); the élus read the sheets but never rate.

The strategy's tableau de bord (indicators, state of the fiches actions, decisions) is for every role but the
public; the cellule de veille's meetings (their agenda names zones and veille croisée alerts) for the coordinator
and the police. Of the relevé de décisions, a partner receives the decisions in its charge, an élu every decision
but those marked for the police only (``Audience.decisions``).

Every role below the police ("suppressed" roles) never receives the sensitive categories (drug
trafficking, reported points de deal), and its counts go through disclosure control.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ols.errors import InvalidInputError


class Role(StrEnum):
    """A user's role (stored as its value in ``app_user.role``)."""

    COORDINATOR = "coordinator"
    POLICE = "police"
    PARTNER = "partner"
    ELU = "elu"
    PUBLIC = "public"


class Layer(StrEnum):
    """What a reader may receive: map layers, tables, and the operations tied to them."""

    HEATMAP = "heatmap"
    HOTSPOTS = "hotspots"
    EMERGING = "emerging"
    ZONES = "zones"
    PLACES = "places"
    BOUNDARY = "boundary"
    DEAL_POINTS = "deal_points"
    EVENTS = "events"
    NEAR_REPEAT = "near_repeat"
    CROSSWATCH = "crosswatch"
    PROFILES = "profiles"
    INDICATORS = "indicators"
    PATROLS = "patrols"
    DASHBOARD = "dashboard"
    MEETINGS = "meetings"
    MANAGE = "manage"
    SHEETS = "sheets"
    COVERAGE = "coverage"
    AMBIANCE = "ambiance"


AGGREGATES = frozenset({Layer.HEATMAP, Layer.HOTSPOTS, Layer.PLACES, Layer.BOUNDARY, Layer.PROFILES,
                        Layer.INDICATORS})  # fmt: skip
POLICE_LAYERS = AGGREGATES | {Layer.EMERGING, Layer.ZONES, Layer.DEAL_POINTS, Layer.EVENTS, Layer.NEAR_REPEAT,
                              Layer.CROSSWATCH, Layer.PATROLS, Layer.SHEETS, Layer.COVERAGE, Layer.DASHBOARD,
                              Layer.MEETINGS, Layer.AMBIANCE}  # fmt: skip


@dataclass(frozen=True)
class Rights:
    """What one role may see."""

    label: str
    full: bool
    finest_resolution: int
    layers: frozenset[Layer]


RIGHTS: dict[Role, Rights] = {
    Role.COORDINATOR: Rights("coordonnateur", full=True, finest_resolution=10, layers=POLICE_LAYERS | {Layer.MANAGE}),
    Role.POLICE: Rights("police", full=True, finest_resolution=10, layers=POLICE_LAYERS),
    Role.PARTNER: Rights("partenaire", full=False, finest_resolution=10,
                         layers=AGGREGATES | {Layer.EMERGING, Layer.ZONES, Layer.EVENTS, Layer.SHEETS,
                                              Layer.DASHBOARD, Layer.AMBIANCE}),
    Role.ELU: Rights("élu", full=False, finest_resolution=8,
                     layers=AGGREGATES | {Layer.ZONES, Layer.SHEETS, Layer.COVERAGE, Layer.DASHBOARD}),
    Role.PUBLIC: Rights("public", full=False, finest_resolution=8, layers=AGGREGATES),
}  # fmt: skip


def parse_role(value: str) -> Role:
    """A role from its name, or InvalidInputError listing the roles."""
    try:
        return Role(value)
    except ValueError as error:
        msg = f"rôle inconnu « {value} » : choisissez parmi {', '.join(role.value for role in Role)}"
        raise InvalidInputError(msg) from error
