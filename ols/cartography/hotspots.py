"""Hot spots: Getis-Ord Gi* on the H3 grid, with permutation inference and FDR control.

Gi* (star: the cell itself included) with binary k-ring(1) weights over the study area (the H3
cover of the territory, zero-count cells included). The z-score is the analytical one, computed
exactly as PySAL's ``esda.G_Local(star=True, transform="B")`` does (a test checks equality on
real data). Inference is by conditional permutation, the scheme of esda's ``crand``: each cell
keeps its own count and draws its neighbours' from the other cells, the draws being shared by all
cells (fixed seed, no global random state). Each cell's Gi* is compared with its permutation null
through the pseudo z-score ``(G - mean_sim) / sd_sim``, whose two-sided normal p-value has no
``1 / (permutations + 1)`` floor, so that FDR control remains possible on grids of thousands of
cells (counting exceedances, 999 permutations cannot give any cell of a 10,000-cell grid a
BH-significant p). Benjamini-Hochberg FDR correction (``scipy.stats.false_discovery_control``) is
on by default; classes follow ArcGIS's Gi_Bin: hot/cold at 99, 95 and 90 % confidence.

The permutations are vectorised with numpy rather than delegated to esda: without numba, esda is
slower (``benchmarks/refresh.py`` prints both), and with numba every new process pays seconds of
compilation, which a command-line tool cannot afford.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from libpysal.weights import W
from scipy.stats import false_discovery_control, norm

from ols.cartography.grid import weights

PERMUTATIONS = 999
SEED = 20_240
LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
NOT_SIGNIFICANT = "not_significant"


def method(resolution: int, *, permutations: int = PERMUTATIONS, fdr: bool = True, seed: int = SEED) -> dict[str, Any]:
    """How the hot spots were computed, carried by every output."""
    return {
        "statistic": "Getis-Ord Gi*",
        "equivalent": "esda.G_Local(star=True, transform='B')",
        "description": "Gi* de Getis-Ord : les faits de chaque hexagone et de ses six voisins comparés à la moyenne "
        "du territoire",
        "weights": "binary, H3 k-ring(1), cell included",
        "study_area": "H3 cover of the territory, zero-count cells included",
        "permutations": permutations,
        "seed": seed,
        "p_value": "two-sided normal p of the conditional-permutation pseudo z-score",
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


def _without_replacement(rng: np.random.Generator, rows: int, size: int, population: int) -> np.ndarray:
    """``rows`` samples of ``size`` distinct integers below ``population`` (rejection of repeats is exact)."""
    draws = rng.integers(0, population, (rows, size))
    while size > 1:
        ordered = np.sort(draws, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeated.any():
            break
        draws[repeated] = rng.integers(0, population, (int(repeated.sum()), size))
    return draws


def _analytical(
    values: np.ndarray, neighbourhood: sp.csr_matrix, cardinality: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gi* and its z-score under the normality assumption (as esda computes them).

    A layer whose counts are all equal, or a neighbourhood covering the whole study area, has no
    variance: its z is NaN (no class), not a warning.
    """
    n = len(values)
    total = values.sum()
    statistic = (neighbourhood @ values) / total
    mean = total / n
    variance = (values**2).mean() - mean**2
    expected = cardinality / n
    expected_variance = cardinality * (n - cardinality) / (n - 1) / n**2 * variance / mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return statistic, (statistic - expected) / np.sqrt(expected_variance)


def _pseudo_z(
    values: np.ndarray, statistic: np.ndarray, neighbours: list[np.ndarray], *, permutations: int, seed: int
) -> np.ndarray:
    """Pseudo z-score of each cell's Gi* against its conditional-permutation null."""
    n = len(values)
    total = values.sum()
    cardinality = np.array([len(others) for others in neighbours])
    draws = _without_replacement(np.random.default_rng(seed), permutations, int(cardinality.max()), n - 1)
    mean, spread = np.zeros(n), np.zeros(n)
    for size in np.unique(cardinality):
        cells = np.flatnonzero(cardinality == size)
        if size == 0:
            continue
        shared = draws[:, :size]
        step = max(1, 4_000_000 // (permutations * size))
        for start in range(0, len(cells), step):
            chunk = cells[start : start + step]
            sums = np.repeat(values[chunk, None], permutations, axis=1)
            for column in shared.T:
                sums += values[column[None, :] + (column[None, :] >= chunk[:, None])]
            simulated = sums / total
            mean[chunk] = simulated.mean(axis=1)
            spread[chunk] = np.sqrt(np.maximum((simulated**2).mean(axis=1) - mean[chunk] ** 2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread > 0, (statistic - mean) / spread, 0.0)


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
    neighbourhood = (weights_.sparse + sp.identity(len(values), format="csr")).tocsr()
    cardinality = np.asarray(neighbourhood.sum(axis=1)).ravel()
    statistic, z = _analytical(values, neighbourhood, cardinality)
    neighbours = [np.asarray(weights_.neighbors[i], dtype=np.int64) for i in range(len(values))]
    pseudo = _pseudo_z(values, statistic, neighbours, permutations=permutations, seed=seed)
    p = np.minimum(1.0, 2.0 * norm.sf(np.abs(pseudo)))
    p_fdr = false_discovery_control(p, method="bh") if fdr else p
    return GiStar(cells, counts, z, p, p_fdr, classify(z, p_fdr))
