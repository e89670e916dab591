"""The calendar of a territory: the IANA timezone its local times are read in and its school-holiday zone.

Both follow from the INSEE code of a commune, by one rule written here once: its department (the
first two characters, ``2A``/``2B`` in Corsica, the first three overseas) belongs to an académie,
and each metropolitan académie to a holiday zone, A, B or C (the table in force since 2016, kept for
2024 onwards); Corsica and the overseas territories have calendars of their own, and overseas their
own timezone. ``ols territory load`` stores the calendar with the territory (its options override it,
or give it to a territory without an INSEE code); a territory with nothing stated follows the others.

Every reader of local dates (period bounds, hours, weekdays, school holidays) takes the
observatory's calendar from :func:`calendar_of`: one observatory has one calendar, and territories
that disagree are a configuration error rather than a silent choice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, text

from ols.errors import ConfigurationError, InvalidInputError

METROPOLITAN_TIMEZONE = "Europe/Paris"
ACADEMY_ZONES = {
    "Besançon": "A", "Bordeaux": "A", "Clermont-Ferrand": "A", "Dijon": "A", "Grenoble": "A", "Limoges": "A",
    "Lyon": "A", "Poitiers": "A",
    "Aix-Marseille": "B", "Amiens": "B", "Lille": "B", "Nancy-Metz": "B", "Nantes": "B", "Nice": "B",
    "Normandie": "B", "Orléans-Tours": "B", "Reims": "B", "Rennes": "B", "Strasbourg": "B",
    "Créteil": "C", "Montpellier": "C", "Paris": "C", "Toulouse": "C", "Versailles": "C",
    "Corse": "Corse",
}  # fmt: skip
ACADEMY_DEPARTMENTS = {
    "Aix-Marseille": ("04", "05", "13", "84"), "Amiens": ("02", "60", "80"), "Besançon": ("25", "39", "70", "90"),
    "Bordeaux": ("24", "33", "40", "47", "64"), "Clermont-Ferrand": ("03", "15", "43", "63"), "Corse": ("2A", "2B"),
    "Créteil": ("77", "93", "94"), "Dijon": ("21", "58", "71", "89"), "Grenoble": ("07", "26", "38", "73", "74"),
    "Lille": ("59", "62"), "Limoges": ("19", "23", "87"), "Lyon": ("01", "42", "69"),
    "Montpellier": ("11", "30", "34", "48", "66"), "Nancy-Metz": ("54", "55", "57", "88"),
    "Nantes": ("44", "49", "53", "72", "85"), "Nice": ("06", "83"), "Normandie": ("14", "27", "50", "61", "76"),
    "Orléans-Tours": ("18", "28", "36", "37", "41", "45"), "Paris": ("75",), "Poitiers": ("16", "17", "79", "86"),
    "Reims": ("08", "10", "51", "52"), "Rennes": ("22", "29", "35", "56"), "Strasbourg": ("67", "68"),
    "Toulouse": ("09", "12", "31", "32", "46", "65", "81", "82"), "Versailles": ("78", "91", "92", "95"),
}  # fmt: skip
OVERSEAS = {  # department: (timezone, holiday calendar)
    "971": ("America/Guadeloupe", "Guadeloupe"),
    "972": ("America/Martinique", "Martinique"),
    "973": ("America/Cayenne", "Guyane"),
    "974": ("Indian/Reunion", "Réunion"),
    "975": ("America/Miquelon", "Saint-Pierre-et-Miquelon"),
    "976": ("Indian/Mayotte", "Mayotte"),
    "977": ("America/St_Barthelemy", "Saint-Barthélemy"),
    "978": ("America/Marigot", "Saint-Martin"),
}
DEPARTMENT_ACADEMIES = {department: academy for academy, found in ACADEMY_DEPARTMENTS.items() for department in found}
HOLIDAY_ZONES = (*sorted(set(ACADEMY_ZONES.values())), *(zone for _, zone in OVERSEAS.values()))
INSEE_CODE = re.compile(r"(?:\d{2}|2[AB])\d{3}")


@dataclass(frozen=True)
class Calendar:
    """An IANA timezone and a school-holiday zone (None: not known); both are checked when made."""

    timezone: str
    holiday_zone: str | None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"fuseau horaire inconnu : {self.timezone} (nom IANA attendu, par exemple Europe/Paris)"
            raise InvalidInputError(msg) from None
        if self.holiday_zone is not None and self.holiday_zone not in HOLIDAY_ZONES:
            msg = f"zone de vacances scolaires inconnue : {self.holiday_zone} (au choix : {', '.join(HOLIDAY_ZONES)})"
            raise InvalidInputError(msg)


def calendar_for(insee: str) -> Calendar:
    """The calendar of a commune, from its INSEE code (its department, its académie, the académie's zone)."""
    department = insee[:3] if insee.startswith("97") else insee[:2]
    if department in OVERSEAS and len(insee) == 5 and insee.isdigit():
        return Calendar(*OVERSEAS[department])
    if INSEE_CODE.fullmatch(insee) and department in DEPARTMENT_ACADEMIES:
        return Calendar(METROPOLITAN_TIMEZONE, ACADEMY_ZONES[DEPARTMENT_ACADEMIES[department]])
    msg = f"code INSEE {insee} : département inconnu, donnez --timezone et --holiday-zone"
    raise InvalidInputError(msg)


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def holiday_zone_named(name: str) -> str:
    """The zone an operator means ("b", "reunion" → "B", "Réunion"); an unknown name is left for Calendar to refuse."""
    return next((zone for zone in HOLIDAY_ZONES if _plain(zone) == _plain(name.strip())), name)


def stated_calendar(
    insee: str | None, *, timezone: str | None = None, holiday_zone: str | None = None
) -> Calendar | None:
    """The calendar a territory is saved with: the values given, the others from its INSEE code.

    None when nothing is known (no INSEE code, no value): the territory then follows the others.
    """
    if insee is None and timezone is None and holiday_zone is None:
        return None
    derived = calendar_for(insee) if insee and (timezone is None or holiday_zone is None) else None
    return Calendar(
        timezone or (derived.timezone if derived else METROPOLITAN_TIMEZONE),
        holiday_zone_named(holiday_zone) if holiday_zone else (derived.holiday_zone if derived else None),
    )


def calendar_of(connection: Connection) -> Calendar:
    """The observatory's calendar: the one its territories state (Europe/Paris and no zone if none does)."""
    rows = connection.execute(text("SELECT timezone, holiday_zone FROM territory")).all()
    if not rows:
        msg = "aucun territoire chargé : lancez d'abord « ols territory load »"
        raise ConfigurationError(msg)
    timezones = sorted({timezone for timezone, _ in rows if timezone})
    zones = sorted({zone for _, zone in rows if zone})
    if len(timezones) > 1 or len(zones) > 1:
        msg = (f"les territoires n'ont pas le même calendrier (fuseaux {', '.join(timezones)} ; zones de vacances "
               f"{', '.join(zones)}) : rechargez-les (ols territory load --timezone … --holiday-zone …)")  # fmt: skip
        raise ConfigurationError(msg)
    return Calendar(timezones[0] if timezones else METROPOLITAN_TIMEZONE, zones[0] if zones else None)


def local_now(connection: Connection) -> datetime:
    """The observatory's current local time (the "généré le" of a report), not the server's."""
    return datetime.now(ZoneInfo(calendar_of(connection).timezone))
