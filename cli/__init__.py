"""The ``ols`` command line: database, territories, reference data, ingestion, cartography, service,
patrols and the demo.

This package is the composition root of the command line: it wires the library (``ols``) and the
partner-file pipeline (``etl``) to the terminal and holds no logic of its own; one module per
group of commands.
"""

from cli import analysis, cartography, data, database, demo, explain, patrols, service, strategy
from cli.common import app, main

__all__ = [
    "analysis",
    "app",
    "cartography",
    "data",
    "database",
    "demo",
    "explain",
    "main",
    "patrols",
    "service",
    "strategy",
]
