"""Hot spots: Getis-Ord Gi* on the H3 grid, with permutation inference and FDR control.

Gi* (star: the cell itself included) with binary k-ring(1) weights over the study area (the H3
cover of the territory, zero-count cells included), computed by PySAL's ``esda.G_Local``.
Inference is by conditional permutation (fixed seed): each cell's Gi* is compared with its
permutation null through the pseudo z-score ``(G - mean_sim) / sd_sim`` (esda's ``z_sim``), whose
two-sided normal p-value has no ``1 / (permutations + 1)`` floor, so that FDR control remains
possible on grids of thousands of cells (counting exceedances, 999 permutations cannot give any
cell of a 10,000-cell grid a BH-significant p). Benjamini-Hochberg FDR correction
(``scipy.stats.false_discovery_control``) is on by default; classes follow ArcGIS's Gi_Bin:
hot/cold at 99, 95 and 90 % confidence. ``z`` is esda's analytical Gi* z-score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from esda import G_Local
from libpysal.weights import W
from scipy.stats import false_discovery_control

from ols.grid import weights

PERMUTATIONS = 999
SEED = 20_240
LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
NOT_SIGNIFICANT = "not_significant"


def method(resolution: int, *, permutations: int = PERMUTATIONS, fdr: bool = True, seed: int = SEED) -> dict[str, Any]:
    """How the hot spots were computed, carried by every output."""
    return {
        "statistic": "Getis-Ord Gi* (esda.G_Local, star=True)",
        "weights": "binary, H3 k-ring(1), cell included",
        "study_area": "H3 cover of the territory, zero-count cells included",
        "permutations": permutations,
        "seed": seed,
        "p_value": "two-sided normal p of the permutation pseudo z-score (2 x esda p_z_sim)",
        "fdr": "Benjamini-Hochberg" if fdr else "none",
        "resolution": resolution,
    }


@dataclass
class GiStar:
    """Gi* of every cell of a study area."""

    cells: np.ndarray
    counts: np.ndarray
    z: np.ndarray
    p: np.ndarray
    p_fdr: np.ndarray
    classes: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))


def classify(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS-style classes: ``hot_99``, ``hot_95``, ``hot_90``, ``cold_…`` or ``not_significant``."""
    classes = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for level, name in reversed(LEVELS):
        significant = p <= level
        classes[significant & (z > 0)] = f"hot_{name}"
        classes[significant & (z < 0)] = f"cold_{name}"
    return classes


def gi_star(
    cells: np.ndarray,
    counts: np.ndarray,
    *,
    permutations: int = PERMUTATIONS,
    fdr: bool = True,
    seed: int = SEED,
    w: W | None = None,
) -> GiStar:
    """Gi* z-scores, permutation p-values (FDR-adjusted) and classes of ``counts`` on ``cells``.

    ``w`` may pass the cells' weights when several counts share one study area.
    """
    values = np.asarray(counts, dtype=float)
    if len(values) < 3 or values.max(initial=0) == values.min(initial=0):
        flat = np.zeros(len(values))
        ones = np.ones(len(values))
        return GiStar(cells, counts, flat, ones, ones, classify(flat, ones))
    weights_ = w if w is not None else weights(cells)
    result = G_Local(values, weights_, transform="B", permutations=permutations, star=True, seed=seed,
                     keep_simulations=True, n_jobs=1)  # fmt: skip
    z = np.asarray(result.Zs, dtype=float)
    p = np.minimum(1.0, 2.0 * np.asarray(result.p_z_sim, dtype=float))
    p_fdr = false_discovery_control(p, method="bh") if fdr else p
    return GiStar(cells, counts, z, p, p_fdr, classify(z, p_fdr))
