"""The harmonised nomenclature every partner label is mapped to.

Families and categories follow the vocabulary of the CLSPD bilans (IPS, AVIP, stupéfiants,
tranquillité publique, cadre de vie, transports, sécurité routière). Where the Interior
ministry's statistics service publishes a matching indicator, ``ssmsi`` names it exactly as in
the SSMSI files, so that local counts can be shown beside official ones. Partner labels are
mapped to these codes by the mapping files of ``etl/mappings``, never in code.

**Facts or activity.** A count means something different depending on what the partner records.
*Facts* (``facts``) are what residents, victims or partners suffered or reported: faits constatés
by the police, signalements of a bailleur, complaints. *Activity* (``activity``) is what a service
did: the mediators' interventions, the services techniques' removals of tags and dumped waste, a
control that found a fraud. Activity follows the service's own instructions (a commune's STSPD notes
that the mediators' interventions on gatherings rose because the Ville and the bailleurs asked for
more patrols there, and that its figures "éclairent le volume d'activité des services"): mixing it
into the facts would make a hot spot wherever a team was sent. So every category says what it
counts by default (:attr:`Category.measure`), and a mapping may say otherwise for what its partner
records (``measure`` for the whole file, ``measures`` per label, ``etl.mapping``); the measure is
stored on each event at ingest. Maps, hot spots, zones and the "Total" rows count facts; activity
is counted apart and labelled as such. Only :data:`ACTIVITY_CATEGORIES` are activity by nature:
a refused fare control exists only because controllers controlled (its number follows how many
controls were made, like the *infractions révélées par l'action des services* of the police
statistics). Every other category is a fact unless the partner's mapping says it records its own
interventions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Measure = Literal["facts", "activity"]
MEASURES: tuple[Measure, ...] = ("facts", "activity")
MEASURE_LABELS: dict[str, str] = {
    "facts": "faits constatés et signalements",
    "activity": "activité des services (interventions, passages, enlèvements)",
}


@dataclass(frozen=True)
class Family:
    """A family of facts (the first level of the bilan tables)."""

    code: str
    label: str


@dataclass(frozen=True)
class Category:
    """A harmonised category of facts, under one family."""

    code: str
    family: str
    label: str
    ssmsi: str | None = None
    sensitive: bool = False
    measure: Measure = "facts"


FAMILIES: tuple[Family, ...] = (
    Family("property", "Atteintes aux biens"),
    Family("violence", "Atteintes volontaires à l'intégrité physique"),
    Family("drugs", "Stupéfiants"),
    Family("public_order", "Tranquillité publique / incivilités"),
    Family("living_environment", "Cadre de vie"),
    Family("transport", "Transports"),
    Family("road_safety", "Sécurité routière"),
    Family("other", "Autres faits"),
)

CATEGORIES: tuple[Category, ...] = (
    Category("residential_burglary", "property", "Cambriolage de logement", "Cambriolages de logement"),
    Category("other_burglary", "property", "Cambriolage d'autres lieux (commerces, locaux, caves)"),
    Category("vehicle_theft", "property", "Vol de véhicule", "Vols de véhicules"),
    Category("theft_from_vehicle", "property", "Vol dans un véhicule", "Vols dans les véhicules"),
    Category(
        "vehicle_accessory_theft",
        "property",
        "Vol d'accessoires sur véhicule",
        "Vols d'accessoires sur véhicules",
    ),
    Category("vehicle_arson", "property", "Incendie de véhicule", "Destructions et dégradations volontaires"),
    Category(
        "criminal_damage",
        "property",
        "Dégradation, destruction volontaire",
        "Destructions et dégradations volontaires",
    ),
    Category("theft", "property", "Vol simple sans violence", "Vols sans violence contre des personnes"),
    Category("pickpocketing", "property", "Vol à la tire", "Vols sans violence contre des personnes"),
    Category("shoplifting", "property", "Vol à l'étalage"),
    Category("bicycle_theft", "property", "Vol de vélo"),
    Category("robbery", "property", "Vol avec violence sans arme", "Vols violents sans arme"),
    Category("armed_robbery", "property", "Vol à main armée", "Vols avec armes"),
    Category(
        "assault",
        "violence",
        "Agression, coups et blessures volontaires",
        "Autres coups et blessures volontaires",
    ),
    Category(
        "domestic_violence",
        "violence",
        "Violences intrafamiliales",
        "Coups et blessures volontaires intrafamiliaux",
    ),
    Category("sexual_violence", "violence", "Violences sexuelles", "Violences sexuelles"),
    Category("threats", "violence", "Menaces, insultes"),
    Category("drug_trafficking", "drugs", "Trafic de stupéfiants", "Trafic de stupéfiants", sensitive=True),
    Category("drug_use", "drugs", "Usage de stupéfiants", "Usage de stupéfiants"),
    Category("deal_point_report", "drugs", "Point de deal signalé", sensitive=True),
    Category("gathering", "public_order", "Attroupement / occupation de hall"),
    Category("noise", "public_order", "Tapage, nuisances sonores"),
    Category("neighbour_dispute", "public_order", "Conflit de voisinage"),
    Category("urban_rodeo", "public_order", "Rodéo urbain"),
    Category("antisocial_behaviour", "public_order", "Incivilité, comportement gênant"),
    Category("public_order_offence", "public_order", "Trouble à l'ordre public"),
    Category("weapons_possession", "public_order", "Port ou détention d'arme"),
    Category("graffiti", "living_environment", "Tags / graffitis"),
    Category("illegal_dumping", "living_environment", "Dépôt sauvage"),
    Category("abandoned_vehicle", "living_environment", "Véhicule ventouse / épave"),
    Category("common_area_damage", "living_environment", "Dégradation des parties communes"),
    Category("in_train_incident", "transport", "Fait en rame"),
    Category("in_station_incident", "transport", "Fait en station"),
    Category("bus_incident", "transport", "Fait dans un bus ou à un arrêt"),
    Category("fare_evasion", "transport", "Fraude, refus d'obtempérer au contrôle", measure="activity"),
    Category("traffic_accident", "road_safety", "Accident de la circulation"),
    Category("dangerous_driving", "road_safety", "Conduite dangereuse, excès de vitesse"),
    Category("other_offence", "other", "Autre fait"),
)

FAMILY_BY_CODE: dict[str, Family] = {family.code: family for family in FAMILIES}
CATEGORY_BY_CODE: dict[str, Category] = {category.code: category for category in CATEGORIES}
ACTIVITY_CATEGORIES = tuple(category.code for category in CATEGORIES if category.measure == "activity")


def family_of(category_code: str) -> str:
    """The family code of a category code (KeyError for an unknown category)."""
    return CATEGORY_BY_CODE[category_code].family


def categories_of(family_code: str) -> tuple[Category, ...]:
    """The categories under one family, in nomenclature order."""
    return tuple(category for category in CATEGORIES if category.family == family_code)
