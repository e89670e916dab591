"""Emerging hot spots: Gi* per semester and a Mann-Kendall trend, per cell.

Patterns follow ArcGIS's Emerging Hot Spot Analysis, for hot and (mirrored) cold spots, over
``T`` periods, with significance at 95 % (FDR-adjusted) and the trend test at 5 %:

- new: significant only in the final period;
- consecutive: a single uninterrupted run ending with the final period, never significant before,
  in less than 90 % of the periods;
- intensifying / persistent / diminishing: significant in at least 90 % of the periods including
  the final one, with a significant increasing / no / a significant decreasing trend of z;
- sporadic: on and off, final period significant, never of the opposite kind;
- oscillating: final period significant, of the opposite kind in some earlier period;
- historical: final period not significant, but significant in at least 90 % of the earlier ones.

The Mann-Kendall test is Kendall's tau between time and the z-scores (``scipy.stats.kendalltau``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import kendalltau

SHARE = 0.9
ALPHA = 0.05


def mann_kendall(series: np.ndarray) -> tuple[float, float]:
    """Kendall's tau of the series against time, and its two-sided p-value (NaN when flat)."""
    if len(series) < 3 or np.all(series == series[0]):
        return math.nan, math.nan
    result = kendalltau(np.arange(len(series)), series)
    return float(result.statistic), float(result.pvalue)


def _pattern(on: np.ndarray, opposite: np.ndarray, tau: float, p: float, kind: str) -> str | None:
    """The pattern of one kind ("hot" or "cold") of a cell, or None if it never fits that kind."""
    periods, count = len(on), int(on.sum())
    if not on[-1]:
        mostly = periods > 1 and on[:-1].sum() >= math.ceil(SHARE * (periods - 1))
        return f"historical_{kind}" if mostly else None
    toward = 1 if kind == "hot" else -1  # a hot spot intensifies as z rises, a cold spot as z falls
    trend = 0 if math.isnan(p) or p > ALPHA else toward * int(np.sign(tau))
    run = int(np.argmin(on[::-1])) if not on.all() else periods
    mostly = count >= math.ceil(SHARE * periods)
    rules = (
        (count == 1, "new"),
        (mostly and trend > 0, "intensifying"),
        (mostly and trend < 0, "diminishing"),
        (mostly, "persistent"),
        (run >= 2 and not on[: periods - run].any(), "consecutive"),
        (bool(opposite.any()), "oscillating"),
    )
    return f"{next((name for matches, name in rules if matches), 'sporadic')}_{kind}"


def classify_series(z: np.ndarray, p_fdr: np.ndarray, *, level: float = ALPHA) -> tuple[str, float, float, int, int]:
    """Pattern of one cell from its z and FDR p per period (oldest first): pattern, tau, p, #hot, #cold.

    The trend test only matters for cells significant in some period; the others get no tau.
    """
    hot = (p_fdr <= level) & (z > 0)
    cold = (p_fdr <= level) & (z < 0)
    tau, p = mann_kendall(z) if (hot | cold).any() else (math.nan, math.nan)
    pattern = _pattern(hot, cold, tau, p, "hot") or _pattern(cold, hot, tau, p, "cold") or "no_pattern"
    return pattern, tau, p, int(hot.sum()), int(cold.sum())
