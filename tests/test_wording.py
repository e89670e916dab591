"""Plain French for codes and numbers: every class and trend the method can produce has its words."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ols.cartography.emerging import classify_series
from ols.cartography.guards import INSUFFICIENT
from ols.cartography.hotspots import classify
from ols.caveats import CAVEATS, method_paragraphs, one_line
from ols.settings import CartographySettings, MergeSettings
from ols.wording import (
    CLASS_LABELS,
    PATTERN_LABELS,
    UNKNOWN,
    chance,
    class_label,
    class_meaning,
    number,
    pattern_label,
    percent,
)
from tests.french_text import english_codes


def test_every_class_gi_star_can_give_has_french_words() -> None:
    z = np.array([3.0, 2.0, 1.7, -3.0, -2.0, -1.7, 0.1])
    p = np.array([0.005, 0.03, 0.08, 0.005, 0.03, 0.08, 0.5])
    produced = {*classify(z, p), INSUFFICIENT}
    assert produced == set(CLASS_LABELS)
    assert class_label("hot_99") == "point chaud très marqué" and class_label("hot_95") == "point chaud marqué"
    assert class_label("hot_90") == "point chaud à confirmer" and class_label("not_significant").startswith("pas de")
    for code in produced:
        assert not english_codes(class_label(code) + " " + class_meaning(code))


def test_every_trend_the_emerging_analysis_can_give_has_french_words() -> None:
    produced = set()
    for hot in itertools.product((0, 1, -1), repeat=5):
        z = np.array([3.0 * h + 0.1 * i for i, h in enumerate(hot)])
        p = np.where(np.array(hot) != 0, 0.001, 0.9)
        produced.add(classify_series(z, p)[0])
    assert produced <= set(PATTERN_LABELS), produced - set(PATTERN_LABELS)
    assert pattern_label("persistent_hot") == "point chaud persistant"
    assert pattern_label("new_hot") == "nouveau point chaud"
    assert pattern_label("intensifying_hot") == "point chaud qui s'intensifie"
    assert pattern_label("made_up") == UNKNOWN


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(1234.5, 1, "1\u202f234,5"), (3.6, 1, "3,6"), (-2.1, 1, "\u22122,1"), (1234567, 0, "1\u202f234\u202f567")],
)
def test_numbers_are_written_the_french_way(value: float, decimals: int, expected: str) -> None:
    assert number(value, decimals) == expected


def test_percentages_and_chances_in_words() -> None:
    assert percent(3.6, signed=True) == "+3,6\u00a0%" and percent(-2.1, signed=True) == "\u22122,1\u00a0%"
    assert chance(0.004) == "moins d'une chance sur 100 que ce regroupement soit dû au hasard"
    assert chance(0.03).startswith("moins de 5 chances sur 100")
    assert "on ne peut pas l'en distinguer" in chance(0.4)
    assert "trop peu de faits" in chance(None)


def test_the_caveats_say_the_seeds_warnings_and_the_thresholds_in_force() -> None:
    text = " ".join(CAVEATS)
    assert "ne représentent pas à eux seuls la réalité de la délinquance" in text
    assert "activité d'un service" in text and "patrouilles" in text
    method = " ".join(method_paragraphs(CartographySettings(hotspot_min_facts=40), MergeSettings(merge_distance_m=75)))
    assert "moins de 40 faits" in method and "75 m" in method and "Benjamini et Hochberg" in method
    assert not english_codes(text + method + one_line())
