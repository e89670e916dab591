"""The demo's synthetic partners: what each reports, how often, and when (evenings, weekends, holidays)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from ols.holidays import school_holidays

FIRST_DAY = date(2022, 1, 1)
LAST_DAY = date(2026, 6, 30)
HOUR_WEIGHTS = np.array([3, 2, 1, 1, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 4, 5, 6, 7, 9, 10, 10, 9, 7, 5], dtype=float)


@dataclass(frozen=True)
class Partner:
    """A synthetic partner: how many facts a year, which labels, and where they cluster."""

    labels: dict[str, float]
    per_year: int
    hot_share: float


PARTNERS = {
    "police_nationale": Partner(
        {
            "Cambriolage de résidence principale": 14,
            "Vol de véhicule automobile": 8,
            "Vol à la roulotte": 14,
            "Incendie volontaire de véhicule": 4,
            "Destructions dégradations": 14,
            "Coups et blessures volontaires": 12,
            "Violences intrafamiliales": 8,
            "Trafic de stupéfiants": 5,
            "Usage de stupéfiants": 9,
            "Vol avec violence sans arme": 6,
            "Vol simple": 6,
        },
        1200,
        0.55,
    ),
    "police_municipale": Partner(
        {
            "Rodéo urbain": 10,
            "Attroupement": 20,
            "Tapage nocturne": 15,
            "Occupation de hall": 14,
            "Conflit de voisinage": 10,
            "Véhicule ventouse": 8,
            "Dépôt sauvage constaté": 8,
            "Excès de vitesse": 6,
            "Point de deal signalé": 3,
        },
        900,
        0.6,
    ),
    "bailleur": Partner(
        {
            "Dégradation parties communes": 30,
            "Occupation de hall": 30,
            "Tags": 10,
            "Encombrants": 15,
            "Trouble de voisinage": 10,
            "Incendie local poubelles": 5,
        },
        300,
        0.7,
    ),
    "mediation": Partner(
        {"Regroupement de jeunes": 40, "Conflit de voisinage": 25, "Nuisances sonores": 20, "Incivilité": 15},
        1050,
        0.6,
    ),
    "transport": Partner(
        {
            "Agression en station": 15,
            "Agression en rame": 10,
            "Vol en station": 20,
            "Dégradation de matériel": 20,
            "Refus de contrôle": 25,
            "Incident en rame": 10,
        },
        140,
        1.0,
    ),
    "services_techniques": Partner({"Enlèvement de tags": 12, "Dépôt sauvage": 88}, 250, 0.4),
}


def _day_weights(days: list[date], zone: str | None) -> tuple[np.ndarray, np.ndarray]:
    holidays = school_holidays(days, zone)
    on_holiday = np.array([holidays[day] for day in days])
    weekend = np.array([day.weekday() >= 4 for day in days])
    return np.where(weekend, 1.35, 1.0) * np.where(on_holiday, 1.25, 1.0), on_holiday


def timestamps(rng: np.random.Generator, year: int, count: int, zone: str | None) -> list[datetime]:
    """Times of facts in one year: more in the evening, at weekends and during the zone's school holidays."""
    start, end = max(date(year, 1, 1), FIRST_DAY), min(date(year, 12, 31), LAST_DAY)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    weights, _ = _day_weights(days, zone)
    picks = rng.choice(len(days), size=count, p=weights / weights.sum())
    hours = rng.choice(24, size=count, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minutes = rng.integers(0, 60, count)
    stamps = [
        datetime(days[d].year, days[d].month, days[d].day, int(h), int(m))
        for d, h, m in zip(picks, hours, minutes, strict=True)
    ]
    return sorted(stamps)


def labels(rng: np.random.Generator, partner: Partner, count: int) -> list[str]:
    """Labels of ``count`` facts, drawn with the partner's weights."""
    names = list(partner.labels)
    weights = np.array([partner.labels[name] for name in names])
    return [names[i] for i in rng.choice(len(names), size=count, p=weights / weights.sum())]
