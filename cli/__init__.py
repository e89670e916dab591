"""The ``ols`` command line: database, territories, reference data, ingestion, cartography, service,
patrols and the demo.

This package is the composition root of the command line: it wires the library (``ols``) and the
partner-file pipeline (``etl``) to the terminal and holds no logic of its own; one module per
group of commands.
"""

from cli import (
    analysis,
    batches,
    cartography,
    coverage,
    data,
    database,
    demo,
    explain,
    patrols,
    service,
    sheets,
    strategy,
)
from cli.common import app, main

__all__ = ["analysis", "app", "batches", "cartography", "coverage", "data", "database", "demo", "explain", "main",
           "patrols", "service", "sheets", "strategy"]  # fmt: skip
