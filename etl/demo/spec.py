"""The demo territories: what each one is made of, so that one generator and one loader serve them all.

A demo is an observatory (a CLSPD of one commune or a CISPD of several), its communes (INSEE code,
postcode, population, the name partners write), its places (a real file of the shared data, or
synthetic places clearly marked as such), its sectors file when one exists, its declared zones, the
partners that send files and where its demo patrol starts. ``ols demo`` is Mons-en-Barœul;
``ols demo --territory cispd-lhe`` is the CISPD of Loos, Haubourdin and Emmerin. Nothing else in the
generator names a commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ols.errors import InvalidInputError

ZONES = Path(__file__).resolve().parents[2] / "data" / "zones"
STRATEGIES = Path(__file__).resolve().parents[2] / "data" / "strategy"
ALL_PARTNERS = ("police_nationale", "police_municipale", "bailleur", "mediation", "transport", "services_techniques")


@dataclass(frozen=True)
class DemoCommune:
    """A member commune: its INSEE code, postcode, population, and its name as a partner's file writes it."""

    insee: str
    postcode: str
    population: int
    label: str


@dataclass(frozen=True)
class DemoTerritory:
    """A demo observatory: its communes and the data that come with them.

    ``places`` is a file of the shared data (path parts) with the kind of its places, or None for synthetic
    places (a town hall at each commune's representative point, schools and bus stops), marked SYNTHETIQUE.
    ``sectors`` is the shared sectors file of its communes, when one exists (loaded by the sector loader).
    ``zones`` is the folder of its declared zones. ``facts`` says, in the generated README, what is real.
    ``strategy`` is its STSPD's fiches (``ols strategy load``), when the demo follows one.
    """

    key: str
    code: str
    name: str
    kind: str
    communes: tuple[DemoCommune, ...]
    partners: tuple[str, ...]
    patrol_start: str
    zones: Path
    facts: str
    places: tuple[tuple[str, ...], str] | None = None
    sectors: tuple[str, ...] | None = None
    strategy: Path | None = None

    @property
    def insee(self) -> tuple[str, ...]:
        """The INSEE codes of its communes."""
        return tuple(commune.insee for commune in self.communes)


MONS = DemoTerritory(
    key="mons",
    code="59410",
    name="CLSPD de Mons-en-Barœul",
    kind="clspd",
    communes=(DemoCommune("59410", "59370", 20_993, "MONS EN BAROEUL"),),  # population: the STSPD 2019-2021
    partners=ALL_PARTNERS,
    patrol_start="Mairie de Mons",
    zones=ZONES,
    facts="Seuls le contour communal et les stations de métro sont réels.",
    places=(("places", "metro_stations_mons_area.csv"), "metro"),
    sectors=("boundaries", "sectors", "iris_59410.geojson"),
    strategy=STRATEGIES / "mons-en-baroeul.yaml",
)
CISPD_LHE = DemoTerritory(
    key="cispd-lhe",
    code="CISPD-LHE",
    name="CISPD Loos–Haubourdin–Emmerin",
    kind="cispd",
    communes=(  # populations: orders of magnitude (INSEE, rounded), enough for rates per 1 000 inhabitants
        DemoCommune("59360", "59120", 22_000, "LOOS"),
        DemoCommune("59286", "59320", 15_000, "HAUBOURDIN"),
        DemoCommune("59193", "59320", 3_400, "EMMERIN"),
    ),
    partners=("police_nationale", "police_municipale", "bailleur", "mediation", "services_techniques"),
    patrol_start="Hôtel de ville de Haubourdin",
    zones=ZONES / "cispd-lhe",
    facts=(
        "Seuls les contours communaux sont réels. Les lieux (hôtels de ville, écoles, collèges, arrêts de bus) sont "
        "SYNTHÉTIQUES : placés par le générateur, ils ne désignent aucun lieu réel. Les populations sont des "
        "ordres de grandeur arrondis."
    ),
)
DEMOS = {demo.key: demo for demo in (MONS, CISPD_LHE)}
DEFAULT_DEMO = MONS  # what ``ols demo`` and scripts/demo.sh load


def demo_named(key: str) -> DemoTerritory:
    """The demo territory of a key (``mons``, ``cispd-lhe``); an unknown key is refused with the list."""
    if key not in DEMOS:
        msg = f"territoire de démonstration inconnu : « {key} » ; au choix : {', '.join(DEMOS)}"
        raise InvalidInputError(msg)
    return DEMOS[key]
