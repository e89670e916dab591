"""Veille croisée: a planted co-occurrence is flagged, independent patterns are not."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from ols.analysis.crosswatch import colocation, parse_groups
from ols.cartography.grid import to_int
from ols.errors import InvalidInputError


def _grid() -> np.ndarray:
    return np.sort(to_int(h3.grid_disk(h3.latlng_to_cell(50.64, 3.11, 10), 8)))


def test_planted_hot_corner_is_flagged() -> None:
    cells = _grid()
    rng = np.random.default_rng(3)
    counts = rng.poisson(1.0, (len(cells), 2)).astype(float)
    centre = to_int(h3.grid_disk(h3.latlng_to_cell(50.64, 3.11, 10), 1))
    corner = np.isin(cells, centre)
    counts[corner] += 8
    result = colocation(cells, counts, permutations=199)
    assert result["flagged"][corner].sum() >= 5
    near = np.isin(cells, to_int(h3.grid_disk(h3.latlng_to_cell(50.64, 3.11, 10), 2)))
    assert not result["flagged"][~near].any()  # only the corner and the cells whose neighbourhood holds it


def test_one_group_alone_is_not_colocation() -> None:
    cells = _grid()
    rng = np.random.default_rng(4)
    counts = rng.poisson(1.0, (len(cells), 2)).astype(float)
    counts[:7, 0] += 15  # only the first group is concentrated
    result = colocation(cells, counts, permutations=199)
    assert not result["flagged"].any()


def test_groups_are_checked() -> None:
    assert parse_groups("gathering+drug_trafficking, residential_burglary") == [
        ["gathering", "drug_trafficking"],
        ["residential_burglary"],
    ]
    with pytest.raises(InvalidInputError):
        parse_groups("gathering,nonsense")
    with pytest.raises(InvalidInputError):
        parse_groups("gathering")
