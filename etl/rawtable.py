"""A partner file read as text cells: the table every reader returns and validation works on."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

ISSUE_COLUMNS = ("reason", "column", "detail")


@dataclass(frozen=True)
class RawTable:
    """A partner file as text cells, with the file line of each row, optional geometry and the rows' read problems.

    ``issues`` (``reason``, ``column``, ``detail`` per row, None where the row was read well) are
    the problems a reader found in rows it could still place: validation rejects those rows first.
    """

    frame: pd.DataFrame
    lines: np.ndarray
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    crs: str | None = None
    issues: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def slice(self, start: int, stop: int) -> RawTable:
        """Rows ``start`` to ``stop`` (excluded), renumbered from 0."""
        return replace(
            self,
            frame=self.frame.iloc[start:stop].reset_index(drop=True),
            lines=self.lines[start:stop],
            x=None if self.x is None else self.x[start:stop],
            y=None if self.y is None else self.y[start:stop],
            issues=None if self.issues is None else self.issues.iloc[start:stop].reset_index(drop=True),
        )


def issues_frame(size: int, rows: np.ndarray, reason: str, column: str | None, details: list[str]) -> pd.DataFrame:
    """Per-row issues of a table of ``size`` rows: ``reason`` on ``rows``, each with its detail."""
    issues = pd.DataFrame({name: np.full(size, None, dtype=object) for name in ISSUE_COLUMNS})
    issues.loc[rows, "reason"] = reason
    issues.loc[rows, "column"] = column
    issues.loc[rows, "detail"] = details
    return issues
