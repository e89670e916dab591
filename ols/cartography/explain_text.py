"""The French sentences of an explanation (:mod:`ols.cartography.explain`): numbers said as a reader says them.

No code (``hot_95``), no H3 identifier and no English word reaches these sentences: classes go
through :mod:`ols.wording`, places are named by the nearest named place.
"""

from __future__ import annotations

from typing import Any

from ols.access.audience import Audience
from ols.wording import chance, class_label, number, percent

Z_WORDS = ((2.58, "très marqué"), (1.96, "marqué"), (1.65, "à confirmer"))


def _z_word(z: float) -> str:
    """How strong a z-score is, before the correction for multiple tests."""
    word = next((said for limit, said in Z_WORDS if abs(z) >= limit), None)
    if word is None:
        return "rien de notable"
    return f"{'excès' if z > 0 else 'déficit'} {word}"


def neighbourhood_text(rings: int, cells: int, facts: int, z: float) -> str:
    """One neighbourhood size's result."""
    chosen = " — le voisinage retenu par la méthode" if rings == 1 else ""
    rank = "1er" if rings == 1 else f"{rings}e"
    return (f"Avec les voisines jusqu'au {rank} rang ({cells} hexagones{chosen}) : {number(facts)} fait(s), "
            f"score z {number(z, 2)}, {_z_word(z)} (avant correction pour les tests multiples).")  # fmt: skip


def _classes_text(classes: dict[str, int]) -> str:
    """« 2 point(s) chaud(s) marqué(s), 5 … » from a count per class."""
    return ", ".join(f"{number(n)} × {class_label(code)}" for code, n in sorted(classes.items(), key=lambda i: -i[1]))


def resolution_text(resolution: int, here: int, classes: dict[str, int]) -> str:
    """The cell's result at another resolution of the grid."""
    if not classes:
        return f"À la maille {resolution}, aucun résultat n'a été calculé pour cet endroit."
    if resolution < here:
        return (f"Sur la grille plus grossière (maille {resolution}), l'hexagone qui la contient : "
                f"{_classes_text(classes)}.")  # fmt: skip
    return f"Sur la grille plus fine (maille {resolution}), ses sous-hexagones : {_classes_text(classes)}."


def _partners_text(partners: list[dict[str, Any]]) -> str | None:
    """« Police municipale 60 %, Bailleur 40 % » (counts when a share cannot be given)."""
    if not partners:
        return None
    if all(p["share"] is not None for p in partners):
        parts = [f"{p['name']} {percent(p['share'] * 100, 0)}" for p in partners]
    elif not any(p["facts_label"] for p in partners):  # names without figures (see explain.partners)
        return "Partenaires ayant transmis des faits ici : " + ", ".join(p["name"] for p in partners) + "."
    else:
        parts = [f"{p['name']} {p['facts_label']}" for p in partners]
    return "Faits transmis par partenaire (avant regroupement) : " + ", ".join(parts) + "."


def _merged_text(merged: int | None, audience: Audience) -> str | None:
    if merged is None:
        return f"Faits transmis par plusieurs partenaires et comptés une seule fois : moins de {audience.threshold}."
    if merged == 0:
        return None
    return f"{number(merged)} fait(s) transmis aussi par un autre partenaire n'ont été comptés qu'une fois."


def _cell_caveats(found: dict[str, Any]) -> list[str]:
    """The caveats that apply to this cell: too few facts, what is counted, a single partner."""
    said = []
    if found["class"] == "insufficient":
        said.append(f"Il faut au moins {number(found['status']['min_neighbourhood'])} faits dans un hexagone et ses "
                    "voisins pour conclure : en deçà, le hasard suffit à faire un regroupement.")  # fmt: skip
    said.append(f"Ce qui est compté : {found['status']['measure_label']} ; l'activité des services est comptée à part.")
    if len(found["partners"]) == 1:
        said.append(f"Un seul partenaire ({found['partners'][0]['name']}) a transmis des faits ici : les autres "
                    "n'y interviennent peut-être pas, ce qui ne veut pas dire qu'il ne s'y passe rien.")  # fmt: skip
    return said


def cell_sentences(found: dict[str, Any], audience: Audience) -> list[str]:
    """The explanation of a cell, sentence by sentence."""
    where = f"près de {found['place']}" if found["place"] else "à cet endroit"
    counts = [n["count_label"] for n in found["neighbours"]]
    said = [f"Hexagone {where} (maille {found['resolution']}) : {found['count_label']} fait(s) sur la période.",
            f"Ses {len(counts)} hexagones voisins en comptent : {', '.join(counts)}." if counts else None,
            _partners_text(found["partners"]), _merged_text(found["merged"], audience),
            f"Résultat : {found['label']}. {found['meaning']}"]  # fmt: skip
    if found["z"] is not None:
        draws = f" ({number(found['permutations'])} tirages au hasard)" if found.get("permutations") else ""
        said.append(f"Score z de Gi*{draws} : {number(found['z'], 2)} ; après correction pour les tests multiples, "
                    f"{chance(found['q'])}.")  # fmt: skip
    if found["status"].get("reason"):
        said.append(found["status"]["reason"][:1].upper() + found["status"]["reason"][1:] + ".")
    said += _cell_caveats(found)
    said += [item["text"] for item in found["by_neighbourhood"]]
    said += [item["text"] for item in found["by_resolution"]]
    return [sentence for sentence in said if sentence]


def zone_sentences(found: dict[str, Any], audience: Audience) -> list[str]:
    """The explanation of a zone, sentence by sentence."""
    kind = "calculée à partir des points chauds" if found["zone_kind"] == "computed" else "déclarée par l'observatoire"
    said = [f"« {found['name']} », {kind} : {number(found['cells'])} hexagone(s) de maille "
            f"{found['resolution']}, {found['count_label']} fait(s) sur la période (chaque événement compté une fois).",
            f"Les hexagones qui la bordent en comptent {found['around_label']}.",
            _partners_text(found["partners"]), _merged_text(found["merged"], audience)]  # fmt: skip
    if found["classes"]:
        said.append(f"Ses hexagones : {_classes_text(found['classes'])}.")
    if found["max_z"] is not None:
        said.append(f"Score z de Gi* le plus élevé de la zone : {number(found['max_z'], 2)}.")
    return [sentence for sentence in said if sentence]
