"""Small builders shared by the tests: territories, files and counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, text

from ols.territories import Boundary, save_territory


def add_territory(
    engine: Engine, bounds: tuple[float, float, float, float], *, code: str = "T", insee: str | None = None
) -> None:
    """A rectangular territory (lon/lat bounds)."""
    with engine.begin() as connection:
        save_territory(
            connection,
            code=code,
            name=code,
            boundary=Boundary(MultiPolygon([box(*bounds)]), insee=insee),
            source="test",
        )


def count(engine: Engine, table: str) -> int:
    """Rows in a table."""
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def write_csv(path: Path, rows: list[dict[str, str]], *, sep: str = ",", encoding: str = "utf-8") -> Path:
    """A partner CSV from rows of text cells."""
    pd.DataFrame(rows).to_csv(path, sep=sep, index=False, encoding=encoding)
    return path
