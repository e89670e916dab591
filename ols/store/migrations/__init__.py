"""Alembic migrations: the only way the OLS schema is created or changed."""
