"""OLS — Observatoire Local de la Sécurité.

The core library: database schema, embedded PostGIS cluster, harmonised nomenclature and the
domain computations that the API and the web map build on.
"""

__version__ = "0.1.0"
