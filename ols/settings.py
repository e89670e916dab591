"""Settings read from ``OLS_*`` environment variables, one class per concern, bounded where a value makes no sense.

A value that would switch a protection off (a suppression threshold of 0 or 1), break a computation
(no permutation, an H3 resolution the events are not indexed at) or could never work (a port out of
range, a CORS origin with a path) is refused when the settings are read: :func:`check_all` reads them
all at the start of the command line and of the API, and names every offending variable in French
(``OLS_SUPPRESSION_THRESHOLD doit être au moins 2 (reçu 0)``) instead of letting a command run with it.
Secrets (the database URL, the secret key) are never echoed back.
"""

from __future__ import annotations

import ipaddress
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ols.errors import ConfigurationError
from ols.phrases import phrase

COUNTED_RESOLUTIONS = (8, 9, 10)  # the H3 resolutions every event is indexed and counted at (event.h3_r8..h3_r10)
SECRETS = frozenset({"database_url", "secret_key"})
SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "ols"


def _default_zones() -> Path:
    """The declared zones belong to one observatory, like its database: ``$OLS_HOME/zones``."""
    home = os.environ.get("OLS_HOME")
    return (Path(home) if home else _default_home()).expanduser().resolve() / "zones"


def _default_mappings() -> Path:
    """The coordinator's own mappings (made in the mapping assistant) are the observatory's: ``$OLS_HOME/mappings``."""
    home = os.environ.get("OLS_HOME")
    return (Path(home) if home else _default_home()).expanduser().resolve() / "mappings"


def _default_reports() -> Path:
    """The reports generated from the workspace (bilans as background jobs): ``$OLS_HOME/reports``."""
    home = os.environ.get("OLS_HOME")
    return (Path(home) if home else _default_home()).expanduser().resolve() / "reports"


def _absolute(path: Path) -> Path:
    """A folder that is the same whatever directory a command or the server is started from."""
    path = path.expanduser()
    if not path.is_absolute():
        msg = "doit être un chemin absolu (un chemin relatif changerait avec le dossier d'où OLS est lancé)"
        raise ValueError(msg)
    return path


def _counted(resolution: int) -> int:
    if resolution not in COUNTED_RESOLUTIONS:
        msg = "doit être 8, 9 ou 10, les résolutions H3 comptées"
        raise ValueError(msg)
    return resolution


def _origin(origin: str) -> str:
    """A browser origin, as the ``Origin`` header carries it: a path or a final slash would never match."""
    parts = urlsplit(origin)
    bare = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or origin != bare:
        msg = "doit être une origine schéma://hôte[:port], sans chemin ni barre finale"
        raise ValueError(msg)
    return origin


def _proxy(address: str) -> str:
    """A proxy address or network (``*`` would believe any client's ``X-Forwarded-For``)."""
    try:
        ipaddress.ip_network(address, strict=False)
    except ValueError:
        msg = "doit être une adresse IP ou un réseau (10.0.0.1, 10.0.0.0/8)"
        raise ValueError(msg) from None
    return address


Resolution = Annotated[int, AfterValidator(_counted)]
Origin = Annotated[str, AfterValidator(_origin)]
Proxy = Annotated[str, AfterValidator(_proxy)]
Folder = Annotated[Path, AfterValidator(_absolute)]


class DatabaseSettings(BaseSettings):
    """Where the data lives.

    With no ``OLS_DATABASE_URL`` OLS runs its own private PostgreSQL + PostGIS cluster under
    ``OLS_HOME``; with one it uses that server (docker-compose service, a city's server).
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    database_url: str | None = None
    home: Path = Field(default_factory=_default_home)
    pg_bindir: Path | None = None
    pg_port: int = Field(5433, ge=1024, le=65535)  # the cluster never runs as root: no privileged port

    @field_validator("database_url")
    @classmethod
    def _postgresql(cls, url: str | None) -> str | None:
        try:
            driver = make_url(url).drivername if url else "postgresql"
        except ArgumentError:
            driver = ""
        if not driver.startswith("postgresql"):
            msg = "doit être une URL PostgreSQL (postgresql+psycopg://utilisateur:mot-de-passe@hôte:port/base)"
            raise ValueError(msg)
        return url


class DataSettings(BaseSettings):
    """Where the public reference data (boundaries, places, test fixtures) are read from."""

    model_config = SettingsConfigDict(env_prefix="OLS_")

    shared_data: Path = Path("../shared/data")


@lru_cache
def database_settings() -> DatabaseSettings:
    """Database settings, read once per process."""
    return _read(DatabaseSettings)


@lru_cache
def data_settings() -> DataSettings:
    """Data settings, read once per process."""
    return _read(DataSettings)


class IngestLimits(BaseSettings):
    """What one partner file may hold, so that no file can exhaust memory or store unbounded text.

    A file over ``max_file_mb``, a workbook that would unpack to more than ``max_unpacked_mb`` (or
    whose parts unpack a hundred times their size: a zip bomb), a file of more than ``max_rows``
    rows or ``max_columns`` columns is refused whole before its rows are read. A row whose label,
    reference, attribute or other read cell is longer than its limit is rejected with the reason.
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    max_file_mb: int = Field(200, ge=1, le=10_240)
    max_unpacked_mb: int = Field(1_000, ge=1, le=100_000)
    max_rows: int = Field(2_000_000, ge=1, le=100_000_000)
    max_columns: int = Field(200, ge=1, le=16_384)
    max_label_chars: int = Field(200, ge=16, le=100_000)
    max_ref_chars: int = Field(100, ge=8, le=10_000)
    max_attribute_chars: int = Field(1_000, ge=16, le=1_000_000)
    max_cell_chars: int = Field(1_000, ge=16, le=1_000_000)


@lru_cache
def ingest_limits() -> IngestLimits:
    """Limits of partner files, read once per process."""
    return _read(IngestLimits)


class CartographySettings(BaseSettings):
    """How the semester cartography is computed (``OLS_HOTSPOT_RESOLUTIONS`` etc.), and its guards against sparse data.

    ``hotspot_min_facts``: facts a layer's study area must hold before Gi* is computed (30: the
    minimum number of incidents ESRI's Optimized Hot Spot Analysis requires when bounding polygons
    say where incidents are possible, and its rule of at least 30 features).
    ``hotspot_min_neighbourhood``: facts a cell and its neighbours must hold for the cell to get a
    hot or cold class (20: below 20 events a count's relative standard error exceeds 22 %, the
    threshold under which the NCHS and the CDC call a figure unreliable). ``zone_min_facts``: facts
    a computed zone must hold (the same 20). ``emerging_min_semesters``: semesters, every source of
    the layer having data in each, below which no trend is computed (5: with fewer, the
    Mann-Kendall test can never reach 5 %). ``cartography.guards`` gives the references.
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    hotspot_resolutions: tuple[Resolution, ...] = Field((9, 10), min_length=1)
    zone_resolution: Resolution = 10
    permutations: int = Field(999, ge=1, le=99_999)
    emerging_semesters: int = Field(6, ge=3, le=20)  # the Mann-Kendall trend needs three semesters
    hotspot_min_facts: int = Field(30, ge=1, le=100_000)
    hotspot_min_neighbourhood: int = Field(20, ge=1, le=100_000)
    zone_min_facts: int = Field(20, ge=1, le=100_000)
    emerging_min_semesters: int = Field(5, ge=3, le=20)

    @field_validator("hotspot_resolutions")
    @classmethod
    def _distinct(cls, resolutions: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(resolutions)) < len(resolutions):
            msg = "ne doit pas répéter une résolution"
            raise ValueError(msg)
        return resolutions

    @field_validator("emerging_min_semesters")
    @classmethod
    def _within_window(cls, semesters: int, info: ValidationInfo) -> int:
        window = info.data.get("emerging_semesters")
        if window is not None and semesters > window:
            msg = f"ne peut dépasser OLS_EMERGING_SEMESTERS ({window}), le nombre de semestres analysés"
            raise ValueError(msg)
        return semesters


class MergeSettings(BaseSettings):
    """When facts sent by different partners are one event, linked into one *signalement* (:mod:`ols.merging`).

    ``merge_distance_m``: facts located to the address or better, at most this far apart;
    ``merge_minutes``: facts timed to the minute, at most this far apart in time;
    ``merge_imprecise_m``: the distance allowed when one of the two is located only by its street or
    by a named place (then both must be timed to the minute: an imprecise place and an imprecise
    time together prove nothing).
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    merge_distance_m: int = Field(50, ge=1, le=1_000)
    merge_minutes: int = Field(30, ge=1, le=24 * 60)
    merge_imprecise_m: int = Field(150, ge=1, le=2_000)


@lru_cache
def merge_settings() -> MergeSettings:
    """Settings of the cross-partner merge, read once per process."""
    return _read(MergeSettings)


@lru_cache
def cartography_settings() -> CartographySettings:
    """Cartography settings, read once per process."""
    return _read(CartographySettings)


DEVELOPMENT_SECRET = "dev-only-secret-change-me"


class ApiSettings(BaseSettings):
    """The HTTP service: environment, secrets, CORS, proxies, upload limits, small-count suppression.

    ``suppression_threshold`` is also the base to which the counts of the roles below the police
    are rounded (:mod:`ols.access.disclosure`); ``session_attempts_per_minute`` is the number of
    failed logins or tokens after which a client address waits; ``trusted_proxies`` are the only
    addresses whose ``X-Forwarded-For`` is believed. ``zones_dir`` is the one folder of declared
    zone files, read by ``ols zones sync`` and written by the API: absolute, so that it never
    depends on where a command was started, and by default the observatory's own (``$OLS_HOME/zones``).
    ``mappings_dir`` is the folder of the coordinator's own mappings, written by the mapping assistant and
    read beside the shipped ones by the ingest, the API and ``ols mappings`` (by default ``$OLS_HOME/mappings``).
    ``reports_dir`` holds the reports the workspace generates as background jobs, one folder per job
    (by default ``$OLS_HOME/reports``).
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    environment: Literal["development", "production"] = "development"
    secret_key: str = Field(DEVELOPMENT_SECRET, min_length=16)
    cors_origins: list[Origin] = Field(default_factory=list)
    trusted_proxies: list[Proxy] = Field(default_factory=list)
    max_upload_mb: int = Field(50, ge=1, le=1024)
    suppression_threshold: int = Field(5, ge=2, le=20)
    zones_dir: Folder = Field(default_factory=_default_zones)
    mappings_dir: Folder = Field(default_factory=_default_mappings)
    reports_dir: Folder = Field(default_factory=_default_reports)
    session_attempts_per_minute: int = Field(10, ge=1)
    session_hours: int = Field(12, ge=1, le=24 * 30)
    web_vendor: Path | None = None


@lru_cache
def api_settings() -> ApiSettings:
    """API settings, read once per process."""
    return _read(ApiSettings)


class LoadSettings(BaseSettings):
    """How the API bounds its work, so that a busy morning is answered instead of queued for a minute.

    ``load_limits`` switches the bounds on: an analysis endpoint with ``max_requests`` computations
    in flight answers 503 with ``Retry-After: retry_after_s`` at once, and a request that has not
    been answered within ``request_budget_ms`` (its database statements carry it as their
    ``statement_timeout``) is cancelled and answered 503; a map export, which draws a print-quality page, has
    ``export_budget_ms`` instead. ``analysis_concurrency`` threads (and as
    many database connections) run the analyses, whatever the number of clients; ``/health`` has
    its own thread and connection and answers within ``health_timeout_ms``. ``cache_mb`` bounds the
    response cache by the bytes it holds. ``job_workers`` threads (a pool of their own, with their own
    connections) run the background jobs (ingest, refresh, publication): the others wait, queued.
    ``identity_concurrency`` threads (and as many connections) read who each request comes from.
    """

    model_config = SettingsConfigDict(env_prefix="OLS_")

    load_limits: bool = True
    max_requests: int = Field(8, ge=1, le=1_000)
    analysis_concurrency: int = Field(4, ge=1, le=64)
    request_budget_ms: int = Field(10_000, ge=100, le=600_000)
    export_budget_ms: int = Field(60_000, ge=100, le=600_000)
    retry_after_s: int = Field(2, ge=1, le=600)
    health_timeout_ms: int = Field(1_000, ge=50, le=60_000)
    cache_mb: int = Field(256, ge=1, le=65_536)
    job_workers: int = Field(1, ge=1, le=16)
    identity_concurrency: int = Field(4, ge=1, le=64)


@lru_cache
def load_settings() -> LoadSettings:
    """Load settings, read once per process."""
    return _read(LoadSettings)


def _received(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _problem(error: Any) -> str:
    """One refused value in French: the variable, what it must be, and what it was (unless secret)."""
    field, *item = error["loc"]
    variable = f"OLS_{str(field).upper()}"
    text = phrase(error)
    if item:
        return f"{variable} : « {_received(error['input'])} » {text}"
    if field in SECRETS:
        return f"{variable} {text}"
    return f"{variable} {text} (reçu {_received(error['input'])})"


def _read(model: type[SettingsT]) -> SettingsT:
    """The settings of one class from the environment, or a ConfigurationError naming each bad variable."""
    try:
        return model()
    except ValidationError as error:  # not chained: pydantic's own message would print the secrets it refused
        raise ConfigurationError("; ".join(_problem(e) for e in error.errors())) from None
    except SettingsError as error:  # a list variable that is not JSON
        found = re.search(r'field "(\w+)"', str(error))
        variable = f"OLS_{found.group(1).upper()}" if found else "une variable OLS_*"
        msg = f"{variable} doit être une liste JSON, entre crochets (reçu {os.environ.get(variable, '?')})"
        raise ConfigurationError(msg) from None


def check_all() -> None:
    """Read every setting, so that a bad ``OLS_*`` value stops the CLI or the API at start, all named at once."""
    problems = []
    readers = (database_settings, data_settings, ingest_limits, cartography_settings, merge_settings,
               api_settings, load_settings)  # fmt: skip
    for settings in readers:
        try:
            settings()
        except ConfigurationError as error:
            problems.append(str(error))
    if problems:
        raise ConfigurationError("; ".join(problems))
