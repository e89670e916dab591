"""Guards against sparse data: no hot spot, zone or trend where too few facts make them chance.

Why. With 73 facts in a semester on a grid of small cells, Gi* classed 70 cells as significant,
55 of them without a single fact, cells holding one fact as ``hot_99``, and a zone of "5 cellules,
2 faits". With so few facts most cells' permutation null is degenerate (their neighbours are drawn
from cells that are nearly all empty), so that the pseudo z-score of a cell next to one or two
facts explodes and its normal p-value means nothing; no correction for multiple tests repairs a
p-value that is wrong. The method therefore refuses to conclude where the data cannot carry a
conclusion, and says so ("données insuffisantes") instead of drawing classes.

The guards and their defaults (``ols.settings.CartographySettings``):

- **at least 30 facts in a layer's study area** (``OLS_HOTSPOT_MIN_FACTS``) before Gi* is computed
  at all. ESRI's Optimized Hot Spot Analysis, which runs Gi* on incident points aggregated to a
  grid, first checks that there are "sufficient features": 30 incidents when bounding polygons say
  where incidents are possible (60 without), and at least 30 aggregated features (ESRI, "How
  Optimized Hot Spot Analysis works", https://pro.arcgis.com/en/pro-app/latest/tool-reference/
  spatial-statistics/how-optimized-hot-spot-analysis-works.htm; the minimums are tabulated in the
  SuperMap iDesktopX documentation of the same tool, https://help.supermap.com/iDesktopX/en/
  tutorial/Analyst/SpatialStatisticalAnalysis/OptimizedHotSpotAnalyst.html). OLS's study area is
  the territory's H3 cover, a bounding polygon: 30.
- **at least 20 facts in a cell's neighbourhood** (the cell and its k-ring, the very sum Gi*
  tests; ``OLS_HOTSPOT_MIN_NEIGHBOURHOOD``) for the cell to get a hot or cold class. A count of
  ``n`` events has a relative standard error of ``1/√n``: 22 % at 20, which is why the US National
  Center for Health Statistics publishes no rate based on fewer than 20 events and the CDC marks
  such rates unstable (New York State Department of Health, "Rates Based on Small Numbers",
  https://www.health.ny.gov/diseases/chronic/ratesmall.htm; CDC WISQARS, "Annotation and
  Suppression of Unstable Rates", https://www.cdc.gov/injury/wisqars/mapping_help/unstable_rates.html).
  A concentration of fewer facts than that is not told apart from chance: the cell keeps its
  count and its z-score, and the class ``insufficient`` ("données insuffisantes").
- **at least 20 facts in a computed zone** (``OLS_ZONE_MIN_FACTS``), for the same reason: a zone is
  read by its count.
- **at least 5 semesters, every source of the layer having data in each**, for an emerging
  hot-spot trend (``OLS_EMERGING_MIN_SEMESTERS``). Under the null hypothesis every ordering of
  ``n`` values is equally likely, so the smallest two-sided p-value of the Mann-Kendall test is
  ``2/n!``: 0.083 with 4 semesters, 0.017 with 5 (M. G. Kendall, *Rank Correlation Methods*,
  1975; H. B. Mann, *Econometrica* 13, 1945): below 5 no trend can ever be significant at 5 %.
  A semester before a partner sent anything is not a semester where its facts were absent: the
  series keeps the semesters in which every contributing source has data (as sfdep's
  ``emerging_hotspot_analysis`` asks to "omit time-slices with missing values",
  https://search.r-project.org/CRAN/refmans/sfdep/html/emerging_hotspot_analysis.html).

Multiple testing stays Benjamini and Hochberg's FDR over every cell of the study area (*JRSS B*
57, 1995); a guarded cell only loses its class, which can only lower the share of false
discoveries among the classes shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from libpysal.weights import W

INSUFFICIENT = "insufficient"
COMPUTED = "computed"


def french(number: int) -> str:
    """An integer as a French reader writes it (1 234)."""
    return f"{number:,}".replace(",", "\u202f")


def neighbourhoods(counts: np.ndarray, w: W) -> np.ndarray:
    """Facts in each cell and its neighbours (the local sum Gi* tests)."""
    values = np.asarray(counts, dtype=np.int64)
    if not len(values):
        return values
    star = (w.sparse + sp.identity(len(values), format="csr")).tocsr()
    return np.asarray(star @ values, dtype=np.int64)


@dataclass(frozen=True)
class LayerGuard:
    """Whether a hot-spot layer has enough facts, with the numbers a reader needs to understand why."""

    facts: int
    min_facts: int
    min_neighbourhood: int

    @property
    def status(self) -> str:
        """``computed``, or ``insufficient`` when the study area holds too few facts."""
        return COMPUTED if self.facts >= self.min_facts else INSUFFICIENT

    @property
    def reason(self) -> str | None:
        """Why no class was computed, in French (None when the layer was computed)."""
        if self.status == COMPUTED:
            return None
        return (
            f"données insuffisantes : {french(self.facts)} fait(s) dans la zone d'étude, il en faut au moins "
            f"{french(self.min_facts)} pour rechercher des points chauds"
        )

    def classes(self, classes: np.ndarray, neighbourhood: np.ndarray) -> np.ndarray:
        """The classes kept: ``insufficient`` for every cell whose neighbourhood holds too few facts."""
        return np.where(neighbourhood >= self.min_neighbourhood, classes, INSUFFICIENT).astype(object)


def zone_reason(events: int, minimum: int) -> str:
    """Why a group of hot cells is not a zone, in French."""
    return f"{french(events)} fait(s) : il en faut au moins {french(minimum)} pour une zone de vigilance"


def trend_reason(kept: int, minimum: int, missing: dict[str, list[str]]) -> str | None:
    """Why no emerging trend was computed, in French (None when there are enough semesters)."""
    if kept >= minimum:
        return None
    gaps = "; ".join(f"{source} sans données en {', '.join(names)}" for source, names in sorted(missing.items()))
    return (
        f"données insuffisantes : {kept} semestre(s) où chaque partenaire a transmis des données, il en faut "
        f"au moins {minimum} pour une tendance" + (f" ({gaps})" if gaps else "")
    )
