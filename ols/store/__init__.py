"""Where the observatory's data lives: the schema, its migrations, connections and the embedded cluster.

:mod:`~ols.store.models` declares the tables (SQLAlchemy 2 + GeoAlchemy2), Alembic migrations in
``migrations/`` are the only way the schema is created or changed, :mod:`~ols.store.db` opens
engines on ``OLS_DATABASE_URL`` or on the private PostGIS cluster that
:mod:`~ols.store.cluster` creates, starts and stops for OLS itself.
"""
