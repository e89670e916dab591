"""The Knox test on a hand-checkable fixture and on a planted near-repeat pattern."""

from __future__ import annotations

import re

import numpy as np

from ols.analysis.nearrepeat import knox, risk_sentence


def test_counts_on_a_hand_checkable_fixture() -> None:
    # A at (0, 0) day 0; B 50 m east day 3; C 150 m east day 10; D 1 km away day 1.
    x = np.array([0.0, 50.0, 150.0, 1000.0])
    y = np.zeros(4)
    days = np.array([0, 3, 10, 1])
    table = knox(x, y, days, permutations=99)
    expected = np.zeros((5, 4), dtype=int)
    expected[0, 0] = 1  # A-B: 50 m, 3 days
    expected[1, 1] = 1  # B-C: 100 m, 7 days
    expected[1, 1] += 1  # A-C: 150 m, 10 days
    assert table.observed.tolist() == expected.tolist()  # D pairs are beyond 500 m
    assert table.events == 4
    same = knox(x, y, days, permutations=99)
    assert np.array_equal(table.p, same.p)  # fixed seed: the same answer every time


def test_planted_near_repeats_are_found_and_bound_the_risk_zone() -> None:
    rng = np.random.default_rng(1)
    background = 300
    x = rng.uniform(0, 5000, background)
    y = rng.uniform(0, 5000, background)
    days = rng.integers(0, 365, background)
    seeds = rng.choice(background, 60, replace=False)
    x = np.concatenate([x, x[seeds] + rng.uniform(-60, 60, 60)])
    y = np.concatenate([y, y[seeds] + rng.uniform(-60, 60, 60)])
    days = np.concatenate([days, days[seeds] + rng.integers(0, 6, 60)])
    table = knox(x, y, days, permutations=199)
    assert table.p[0, 0] <= 0.01 and table.ratio[0, 0] > 3
    assert table.reach() == (100.0, 7)
    shuffled = knox(x, y, rng.permutation(days), permutations=199)
    assert shuffled.reach() is None
    said = risk_sentence(table, table.reach(), "residential_burglary")
    ratio = table.observed[0, 0] / table.expected[0, 0]
    assert said.startswith("Après un cambriolage de logement, le risque dans un rayon de 100 m reste ")
    assert f"{ratio:.1f}".replace(".", ",") + " fois plus élevé pendant 7 jours" in said
    assert not re.search(r"\d\.\d", said)
    assert risk_sentence(shuffled, None, "residential_burglary").startswith("Pas de répétition mise en évidence")
