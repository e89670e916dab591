"""Emerging hot-spot patterns on constructed series with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from ols.cartography.emerging import classify_series, mann_kendall

SIG, NS = 0.001, 0.5


def _series(states: str, z: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """'H' hot, 'C' cold, '.' not significant; z follows the states unless given."""
    values = np.array(z if z is not None else [3.0 if s == "H" else -3.0 if s == "C" else 0.5 for s in states])
    p = np.array([SIG if s in "HC" else NS for s in states])
    return values, p


@pytest.mark.parametrize(
    ("states", "z", "pattern"),
    [
        (".....H", None, "new_hot"),
        ("...HHH", None, "consecutive_hot"),
        ("HHHHHHHHHH", [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5], "intensifying_hot"),
        ("HHHHHHHHHH", [7.5, 7, 6.5, 6, 5.5, 5, 4.5, 4, 3.5, 3], "diminishing_hot"),
        ("HHHHHHHHHH", [3, 5, 3, 5, 3, 5, 3, 5, 3, 5], "persistent_hot"),
        ("H.H..H", None, "sporadic_hot"),
        ("C..H.H", None, "oscillating_hot"),
        ("HHHHH.", None, "historical_hot"),
        (".....C", None, "new_cold"),
        ("......", None, "no_pattern"),
    ],
)
def test_patterns(states: str, z: list[float] | None, pattern: str) -> None:
    values, p = _series(states, z)
    assert classify_series(values, p)[0] == pattern


def test_mann_kendall_is_kendalls_tau_against_time() -> None:
    series = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 8.0])
    tau, p = mann_kendall(series)
    reference = kendalltau(np.arange(7), series)
    assert (tau, p) == pytest.approx((reference.statistic, reference.pvalue))
    assert tau == pytest.approx(17 / 21)  # 19 concordant, 2 discordant pairs


def test_a_cell_never_significant_has_no_pattern_as_the_refresh_assumes() -> None:
    from ols.cartography.trends import NO_PATTERN

    rng = np.random.default_rng(3)
    for _ in range(200):
        z, p = rng.normal(0, 2, 6), rng.uniform(0.051, 1, 6)
        pattern, tau, trend_p, hot, cold = classify_series(z, p)
        assert (pattern, hot, cold) == (NO_PATTERN[0], 0, 0) and np.isnan(tau) and np.isnan(trend_p)
