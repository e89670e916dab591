"""The caveats and the method of OLS's figures, in words a conseil municipal understands: one text, used everywhere.

The map page, the map snapshots (PNG/PDF), the reports, the explanations of a cell and the
notebook all print these paragraphs, so that no figure leaves the observatory without saying what
it does not show. The seeds' warnings come first (the figures "ne représentent pas à elles seules
la réalité de la délinquance"; some counts measure a service's activity; patrolling a hot spot
finds more there), then the method with its limits, its thresholds read from the settings in
force (:mod:`ols.cartography.guards` gives their references), or, for a computed period, the ones its
refresh stored (``refresh.method``): a text never quotes a setting changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ols.settings import CartographySettings, MergeSettings, cartography_settings, merge_settings
from ols.wording import number

TITLE = "Ce que ces chiffres ne disent pas"
METHOD_TITLE = "Comment les points chauds sont calculés, et leurs limites"

CAVEATS: tuple[str, ...] = (
    "Les chiffres de l'observatoire sont les faits que les partenaires ont constatés et transmis : ils ne "
    "représentent pas à eux seuls la réalité de la délinquance. Un fait non signalé, non constaté ou non transmis "
    "n'y figure pas.",
    "Certains comptages mesurent l'activité d'un service (interventions, passages, enlèvements) et non des faits "
    "subis : une équipe envoyée plus souvent dans un lieu y en rapporte davantage. Ils sont montrés à part et "
    "jamais additionnés aux faits.",
    "Un point chaud attire des patrouilles, qui y constatent plus de faits : une carte peut s'entretenir "
    "d'elle-même. Elle se lit avec la connaissance du terrain des partenaires ; ce n'est pas une prévision.",
    "Chaque partenaire ne couvre qu'une partie du territoire et des faits (un bailleur, ses résidences ; un "
    "transporteur, ses lignes) : un lieu où aucun partenaire n'intervient paraît plus calme qu'il ne l'est.",
)


@dataclass(frozen=True)
class Used:
    """The figures a method text quotes: the simulations, the guards against sparse data and the merge rule."""

    permutations: int
    min_facts: int
    min_neighbourhood: int
    zone_min_facts: int
    emerging_min_semesters: int
    merge_distance_m: float
    merge_minutes: float

    @classmethod
    def of_settings(cls, carto: CartographySettings, merge: MergeSettings) -> Used:
        """The figures of the settings in force."""
        return cls(carto.permutations, carto.hotspot_min_facts, carto.hotspot_min_neighbourhood, carto.zone_min_facts,
                   carto.emerging_min_semesters, merge.merge_distance_m, merge.merge_minutes)  # fmt: skip

    @classmethod
    def of_refresh(cls, method: dict[str, Any]) -> Used:
        """The figures a refresh stored with its results (``refresh.method``); the settings in force fill only
        what an older refresh did not store."""
        now = cls.of_settings(cartography_settings(), merge_settings())
        guards, merge = method.get("guards", {}), method.get("merge", {})
        return cls(int(method.get("permutations", now.permutations)), int(guards.get("min_facts", now.min_facts)),
                   int(guards.get("min_neighbourhood", now.min_neighbourhood)),
                   int(guards.get("zone_min_facts", now.zone_min_facts)),
                   int(guards.get("emerging_min_semesters", now.emerging_min_semesters)),
                   float(merge.get("distance_m", now.merge_distance_m)),
                   float(merge.get("minutes", now.merge_minutes)))  # fmt: skip


def method_paragraphs(
    cartography: CartographySettings | None = None, merging: MergeSettings | None = None
) -> tuple[str, ...]:
    """The method and its limits, with the thresholds of the settings in force (for a page that shows no period)."""
    return used_method(Used.of_settings(cartography or cartography_settings(), merging or merge_settings()))


def refresh_method(method: dict[str, Any]) -> tuple[str, ...]:
    """The method and its limits as a period was computed: the figures its refresh stored, not today's settings."""
    return used_method(Used.of_refresh(method))


def used_method(used: Used) -> tuple[str, ...]:
    """The method and its limits, quoting the figures ``used``."""
    return (
        "Le territoire est découpé en hexagones (grille H3). Pour chaque hexagone, la statistique Gi* de Getis et "
        "Ord compare les faits de l'hexagone et de ses six voisins à la moyenne du territoire ; des tirages au "
        f"hasard ({number(used.permutations)}) disent à quel point un tel regroupement serait rare si les faits "
        "étaient répartis sans lien avec le lieu.",
        "Comme des milliers d'hexagones sont testés à la fois, certains sortiraient par pur hasard : la correction "
        "de Benjamini et Hochberg limite la part de ces fausses alertes parmi les points chauds affichés "
        "(au plus 1, 5 ou 10 sur 100 selon le niveau). « Point chaud très marqué » : moins d'une chance sur 100 "
        "d'être dû au hasard ; « marqué » : moins de 5 ; « à confirmer » : moins de 10.",
        f"Garde-fous : aucun point chaud n'est cherché si la zone d'étude compte moins de "
        f"{number(used.min_facts)} faits ; un hexagone dont le voisinage en compte moins de "
        f"{number(used.min_neighbourhood)} est dit « données insuffisantes » (sous 20 faits, un comptage "
        f"varie de plus de 22 % par le seul hasard) ; une zone de vigilance calculée compte au moins "
        f"{number(used.zone_min_facts)} faits ; une tendance demande au moins {used.emerging_min_semesters} "
        "semestres où chaque partenaire a transmis ses données.",
        "Un même événement signalé par plusieurs partenaires (même famille, à moins de "
        f"{number(used.merge_distance_m)} m et {number(used.merge_minutes)} min l'un de l'autre ; même "
        "catégorie si le lieu ou l'heure est imprécis) est compté une seule fois, avec la trace des "
        "partenaires qui l'ont transmis.",
        "Limites : un point chaud dépend de la taille des hexagones et du voisinage retenus (l'explication d'une "
        "cellule montre ce qui change avec eux) ; il dit où les faits transmis se concentrent, pas pourquoi.",
    )


def all_paragraphs() -> tuple[str, ...]:
    """The caveats, then the method: what every map, export, report and notebook prints."""
    return CAVEATS + method_paragraphs()


def one_line(method: dict[str, Any] | None = None) -> str:
    """A short version for a map's footer, where a paragraph does not fit: with the figures of the period's refresh
    (its ``refresh.method``), or those of the settings in force."""
    used = Used.of_refresh(method) if method is not None else Used.of_settings(cartography_settings(), merge_settings())
    return (
        "Ces chiffres sont les faits transmis par les partenaires : ils ne représentent pas à eux seuls la réalité "
        "de la délinquance ; l'activité des services est comptée à part ; patrouiller un point chaud y fait "
        f"constater plus de faits. Points chauds : Gi* de Getis-Ord sur hexagones H3, tirages au hasard "
        f"({number(used.permutations)}), correction de Benjamini-Hochberg ; rien sous {number(used.min_facts)} faits "
        f"dans la zone d'étude ni sous {number(used.min_neighbourhood)} dans le voisinage d'un hexagone."
    )
