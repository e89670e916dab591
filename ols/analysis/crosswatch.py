"""Veille croisée: the cells where several kinds of facts co-occur above expectation.

For each group of facts (a family or category code, or several joined with ``+``, e.g.
``gathering+drug_trafficking``), each cell's neighbourhood (the cell and its k-ring(1)) gets a
location quotient: the group's share of facts there over the neighbourhood's share of the study
area. Each group's quotient is compared with simulations in which the group's counts are shuffled
over the cells (fixed seed), through its pseudo z-score against the simulations' mean and spread
(one-sided normal p: only presence above expectation matters). A cell co-locates the groups when
every group is significantly elevated there: its p is the largest of the groups' (an
intersection-union test), with Benjamini-Hochberg FDR; its score is the smallest quotient: a place
where patrols meet several problems at once.

The map and the monthly report show the veille croisée of the usual groups (:data:`WATCH_GROUPS`)
as named places (:func:`watch_places`): the flagged cells grouped by their nearest named place,
never an H3 identifier.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from geoalchemy2.shape import to_shape
from scipy.stats import false_discovery_control, norm
from shapely.geometry import mapping
from sqlalchemy import Connection, func, or_, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period
from ols.cartography.grid import outline, study_area, to_int, to_str, weights
from ols.errors import InvalidInputError
from ols.merging import counted
from ols.nomenclature import CATEGORY_BY_CODE, FAMILY_BY_CODE
from ols.periods import Period
from ols.reference.calendar import calendar_of
from ols.reference.places import nearest_name
from ols.store.models import Event, Territory
from ols.wording import number

PERMUTATIONS = 499
SEED = 20_240
ALPHA = 0.05
WATCH_GROUPS = [["gathering", "drug_trafficking"], ["residential_burglary"], ["vehicle_arson"]]
WATCH_RESOLUTION = 10
WATCH_PERMUTATIONS = 199
UNNAMED = "lieu sans nom"


def parse_groups(text_value: str) -> list[list[str]]:
    """``"gathering+drug_trafficking,residential_burglary"`` → groups of family/category codes."""
    groups = [[code.strip() for code in group.split("+") if code.strip()] for group in text_value.split(",")]
    unknown = [
        code for group in groups for code in group if code not in FAMILY_BY_CODE and code not in CATEGORY_BY_CODE
    ]
    if unknown or len(groups) < 2:
        msg = (f"il faut au moins deux groupes de codes de familles ou de catégories (codes inconnus : "
               f"{', '.join(unknown) or 'aucun'})")  # fmt: skip
        raise InvalidInputError(msg)
    return groups


def _scores(neighbourhood: sp.csr_matrix, counts: np.ndarray, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    totals = np.maximum(counts.sum(axis=0), 1)
    quotients = (neighbourhood @ counts) / totals / share[:, None]
    return quotients.min(axis=1), quotients


def colocation(
    cells: np.ndarray, counts: np.ndarray, *, permutations: int = PERMUTATIONS, seed: int = SEED
) -> dict[str, np.ndarray]:
    """Scores, per-group quotients, p-values and flags of cells × groups ``counts``."""
    neighbourhood = (weights(cells).sparse + sp.identity(len(cells), format="csr")).tocsr()
    share = np.asarray(neighbourhood.sum(axis=1)).ravel() / len(cells)
    score, quotients = _scores(neighbourhood, counts, share)
    rng = np.random.default_rng(seed)
    total, squares = np.zeros(quotients.shape), np.zeros(quotients.shape)
    for _ in range(permutations):
        shuffled = np.column_stack([rng.permutation(counts[:, g]) for g in range(counts.shape[1])])
        simulated = _scores(neighbourhood, shuffled, share)[1]
        total += simulated
        squares += simulated**2
    mean = total / permutations
    spread = np.sqrt(np.maximum(squares / permutations - mean**2, 1e-12))
    p = norm.sf((quotients - mean) / spread).max(axis=1)
    p_fdr = false_discovery_control(p, method="bh")
    flagged = (p_fdr <= ALPHA) & (quotients > 1).all(axis=1)
    return {"score": score, "quotients": quotients, "p": p, "p_fdr": p_fdr, "flagged": flagged}


def _group_counts(
    connection: Connection, period: Period, group: list[str], resolution: int, timezone: str, audience: Audience
) -> dict[int, int]:
    cell = {8: Event.h3_r8, 9: Event.h3_r9, 10: Event.h3_r10}[resolution]
    rows = connection.execute(
        select(cell, func.count())
        .where(
            in_period(Event.occurred_at, period, timezone),
            or_(Event.family.in_(group), Event.category.in_(group)),
            audience.facts(Event.__table__).clause,
            counted(Event.__table__),
        )
        .group_by(cell)
    ).all()
    return {int(found): int(count) for found, count in rows}


def _label(code: str) -> str:
    """A category or family code in French, lower case."""
    found = CATEGORY_BY_CODE.get(code) or FAMILY_BY_CODE.get(code)
    return found.label.lower() if found else code


def crosswatch(
    connection: Connection,
    period: Period,
    area: Any,
    groups: list[list[str]],
    audience: Audience,
    *,
    resolution: int = 10,
    permutations: int = PERMUTATIONS,
) -> dict[str, Any]:
    """Flagged cells of co-occurrence of the groups in the period, with the method (police audiences)."""
    audience.require(Layer.CROSSWATCH)
    timezone = calendar_of(connection).timezone
    by_group = [_group_counts(connection, period, group, resolution, timezone, audience) for group in groups]
    cells = study_area(area, resolution, np.array(sorted(set().union(*by_group)), dtype=np.int64))
    counts = np.column_stack([[found.get(int(cell), 0) for cell in cells] for found in by_group]).astype(float)
    result = colocation(cells, counts, permutations=permutations)
    names = ["+".join(group) for group in groups]
    said = [" et ".join(_label(code) for code in group) for group in groups]
    flagged = [
        {"h3": cell, "place": nearest_name(connection, int(cells[i])), "score": round(float(result["score"][i]), 3),
         "p_fdr": round(float(result["p_fdr"][i]), 4),
         "counts": dict(zip(names, counts[i].astype(int).tolist(), strict=True)),
         "quotients": dict(zip(names, np.round(result["quotients"][i], 2).tolist(), strict=True))}
        for i, cell in enumerate(to_str(cells)) if result["flagged"][i]
    ]  # fmt: skip
    for row in flagged:
        row["sentence"] = (f"Près de {row['place'] or 'un lieu sans nom'} : "
                           f"{', '.join(said)} se concentrent ensemble plus qu'ailleurs.")  # fmt: skip
    return {
        "period": period.name, "groups": names, "resolution": resolution, "cells": len(cells),
        "flagged": sorted(flagged, key=lambda row: -row["score"]),
        "method": {"statistic": "smallest neighbourhood location quotient of the groups (cell + k-ring(1))",
                   "inference": f"each group's pseudo z-score against {permutations} shuffles of its counts, "
                                f"seed {SEED}, one-sided; cell p = largest group p",
                   "fdr": "Benjamini-Hochberg", "alpha": ALPHA},
    }  # fmt: skip


def audience_area(connection: Connection, audience: Audience) -> Any:
    """The union of the audience's territories (every territory for an audience without any)."""
    geoms = connection.execute(select(Territory.geom).where(audience.own_territories().clause)).scalars()
    return shapely.union_all([to_shape(geom) for geom in geoms])


def chance_short(q: float) -> str:
    """A corrected p-value in a table cell or a popup: « moins de 5 sur 100 »."""
    level = next((level for level in (1, 5, 10) if q <= level / 100), None)
    if level is None:
        return f"environ {number(q * 100)} sur 100"
    return "moins de 1 sur 100" if level == 1 else f"moins de {level} sur 100"


def named_places(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The flagged cells of a :func:`crosswatch` result grouped by their nearest named place, strongest place first:
    its name, its cells, the sentence and corrected p of its strongest cell, and that p in words."""
    places: dict[str, list[dict[str, Any]]] = {}
    for row in result["flagged"]:  # strongest first: a place keeps its strongest cell first
        places.setdefault(row["place"] or UNNAMED, []).append(row)
    return [{"name": name, "cells": [row["h3"] for row in rows], "sentence": rows[0]["sentence"],
             "p_fdr": rows[0]["p_fdr"], "chance": chance_short(rows[0]["p_fdr"])}
            for name, rows in places.items()]  # fmt: skip


def _feature(place: dict[str, Any]) -> dict[str, Any]:
    """A named place as a GeoJSON feature: the outline of its hexagons, and how many they are (never their ids)."""
    properties = {key: value for key, value in place.items() if key != "cells"} | {"cells": len(place["cells"])}
    return {"type": "Feature", "geometry": mapping(outline(to_int(place["cells"]))), "properties": properties}


def watch_places(connection: Connection, period: Period, audience: Audience) -> dict[str, Any]:
    """The veille croisée of the usual groups as named places: one GeoJSON feature per place (the outline of its
    flagged hexagons, no cell id), its sentence and the chance it is a coincidence; for the audiences that
    receive it."""
    audience.require(Layer.CROSSWATCH)
    result = crosswatch(connection, period, audience_area(connection, audience), WATCH_GROUPS, audience,
                        resolution=WATCH_RESOLUTION, permutations=WATCH_PERMUTATIONS)  # fmt: skip
    features = [_feature(place) for place in named_places(result)]
    metadata = {"period": period.name, "groups": result["groups"], "resolution": WATCH_RESOLUTION,
                "cells": result["cells"], "method": result["method"]}  # fmt: skip
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}
