"""Settings read from ``OLS_*`` environment variables, one class per concern."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "ols"


class DatabaseSettings(BaseSettings):
    """Where the data lives.

    With no ``OLS_DATABASE_URL`` OLS runs its own private PostgreSQL + PostGIS cluster under
    ``OLS_HOME``; with one it uses that server (docker-compose service, a city's server).
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    database_url: str | None = None
    home: Path = Field(default_factory=_default_home)
    pg_bindir: Path | None = None
    pg_port: int = 5433


class DataSettings(BaseSettings):
    """Where the public reference data (boundaries, places, test fixtures) are read from."""

    model_config = SettingsConfigDict(env_prefix="OLS_")

    shared_data: Path = Path("../shared/data")


@lru_cache
def database_settings() -> DatabaseSettings:
    """Database settings, read once per process."""
    return DatabaseSettings()


@lru_cache
def data_settings() -> DataSettings:
    """Data settings, read once per process."""
    return DataSettings()


class CartographySettings(BaseSettings):
    """How the semester cartography is computed (``OLS_HOTSPOT_RESOLUTIONS`` etc.)."""

    model_config = SettingsConfigDict(env_prefix="OLS_")

    hotspot_resolutions: tuple[int, ...] = (9, 10)
    zone_resolution: int = 10
    permutations: int = 999
    emerging_semesters: int = 6
    timezone: str = "Europe/Paris"


@lru_cache
def cartography_settings() -> CartographySettings:
    """Cartography settings, read once per process."""
    return CartographySettings()


DEVELOPMENT_SECRET = "dev-only-secret-change-me"


class ApiSettings(BaseSettings):
    """The HTTP service: environment, secrets, CORS, proxies, upload limits, small-count suppression.

    ``suppression_threshold`` is also the base to which the counts of the roles below the police
    are rounded (:mod:`ols.access.disclosure`); ``session_attempts_per_minute`` is the number of
    failed logins or tokens after which a client address waits; ``trusted_proxies`` are the only
    addresses whose ``X-Forwarded-For`` is believed.
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    environment: str = "development"
    secret_key: str = DEVELOPMENT_SECRET
    cors_origins: list[str] = Field(default_factory=list)
    trusted_proxies: list[str] = Field(default_factory=list)
    max_upload_mb: int = Field(50, ge=1)
    suppression_threshold: int = Field(5, ge=2, le=20)
    zones_dir: Path = Path("data/zones")
    session_attempts_per_minute: int = Field(10, ge=1)
    session_hours: int = Field(12, ge=1, le=24 * 30)
    web_vendor: Path | None = None


@lru_cache
def api_settings() -> ApiSettings:
    """API settings, read once per process."""
    return ApiSettings()
