"""Settings that validate: a nonsensical ``OLS_*`` value stops the command line and the API at start,
with one clear message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from api.main import create_app
from ols.errors import ConfigurationError
from ols.settings import (
    api_settings,
    cartography_settings,
    check_all,
    data_settings,
    database_settings,
    ingest_limits,
    load_settings,
    merge_settings,
)

REFUSED = [
    ("OLS_SUPPRESSION_THRESHOLD", "0", "OLS_SUPPRESSION_THRESHOLD doit être au moins 2 (reçu 0)"),
    ("OLS_SUPPRESSION_THRESHOLD", "1", "OLS_SUPPRESSION_THRESHOLD doit être au moins 2 (reçu 1)"),
    ("OLS_SUPPRESSION_THRESHOLD", "cinq", "OLS_SUPPRESSION_THRESHOLD doit être un nombre entier (reçu cinq)"),
    ("OLS_PERMUTATIONS", "-99", "OLS_PERMUTATIONS doit être au moins 1 (reçu -99)"),
    ("OLS_PERMUTATIONS", "0", "OLS_PERMUTATIONS doit être au moins 1 (reçu 0)"),
    ("OLS_ZONE_RESOLUTION", "16", "OLS_ZONE_RESOLUTION doit être 8, 9 ou 10, les résolutions H3 comptées (reçu 16)"),
    ("OLS_ZONE_RESOLUTION", "7", "OLS_ZONE_RESOLUTION doit être 8, 9 ou 10, les résolutions H3 comptées (reçu 7)"),
    ("OLS_HOTSPOT_RESOLUTIONS", "[9, 11]", "OLS_HOTSPOT_RESOLUTIONS : « 11 » doit être 8, 9 ou 10"),
    ("OLS_HOTSPOT_RESOLUTIONS", "[]", "OLS_HOTSPOT_RESOLUTIONS doit compter au moins 1 élément"),
    ("OLS_HOTSPOT_RESOLUTIONS", "[9, 9]", "OLS_HOTSPOT_RESOLUTIONS ne doit pas répéter une résolution"),
    ("OLS_HOTSPOT_RESOLUTIONS", "9,10", "OLS_HOTSPOT_RESOLUTIONS doit être une liste JSON"),
    ("OLS_EMERGING_SEMESTERS", "1", "OLS_EMERGING_SEMESTERS doit être au moins 3 (reçu 1)"),
    ("OLS_PG_PORT", "70000", "OLS_PG_PORT doit être au plus 65535 (reçu 70000)"),
    ("OLS_PG_PORT", "80", "OLS_PG_PORT doit être au moins 1024 (reçu 80)"),
    ("OLS_MAX_UPLOAD_MB", "0", "OLS_MAX_UPLOAD_MB doit être au moins 1 (reçu 0)"),
    ("OLS_MAX_ROWS", "0", "OLS_MAX_ROWS doit être au moins 1 (reçu 0)"),
    ("OLS_MAX_FILE_MB", "beaucoup", "OLS_MAX_FILE_MB doit être un nombre entier (reçu beaucoup)"),
    ("OLS_MAX_LABEL_CHARS", "5", "OLS_MAX_LABEL_CHARS doit être au moins 16 (reçu 5)"),
    ("OLS_SESSION_HOURS", "0", "OLS_SESSION_HOURS doit être au moins 1 (reçu 0)"),
    ("OLS_SESSION_ATTEMPTS_PER_MINUTE", "0", "OLS_SESSION_ATTEMPTS_PER_MINUTE doit être au moins 1 (reçu 0)"),
    ("OLS_ENVIRONMENT", "prod", "OLS_ENVIRONMENT doit valoir 'development' ou 'production' (reçu prod)"),
    ("OLS_CORS_ORIGINS", '["https://ville.fr/"]', "OLS_CORS_ORIGINS : « https://ville.fr/ » doit être une origine"),
    ("OLS_CORS_ORIGINS", '["*"]', "OLS_CORS_ORIGINS : « * » doit être une origine"),
    ("OLS_TRUSTED_PROXIES", '["proxy.local"]', "OLS_TRUSTED_PROXIES : « proxy.local » doit être une adresse IP"),
    ("OLS_DATABASE_URL", "mysql://ols:motdepasse@db/ols", "OLS_DATABASE_URL doit être une URL PostgreSQL"),
    ("OLS_HOTSPOT_MIN_FACTS", "0", "OLS_HOTSPOT_MIN_FACTS doit être au moins 1 (reçu 0)"),
    ("OLS_HOTSPOT_MIN_NEIGHBOURHOOD", "0", "OLS_HOTSPOT_MIN_NEIGHBOURHOOD doit être au moins 1 (reçu 0)"),
    ("OLS_ZONE_MIN_FACTS", "beaucoup", "OLS_ZONE_MIN_FACTS doit être un nombre entier (reçu beaucoup)"),
    ("OLS_EMERGING_MIN_SEMESTERS", "8", "OLS_EMERGING_MIN_SEMESTERS ne peut dépasser OLS_EMERGING_SEMESTERS (6)"),
    ("OLS_MERGE_DISTANCE_M", "0", "OLS_MERGE_DISTANCE_M doit être au moins 1 (reçu 0)"),
    ("OLS_MERGE_MINUTES", "2000", "OLS_MERGE_MINUTES doit être au plus 1440 (reçu 2000)"),
    ("OLS_MERGE_IMPRECISE_M", "-5", "OLS_MERGE_IMPRECISE_M doit être au moins 1 (reçu -5)"),
    ("OLS_LOAD_LIMITS", "peut-être", "OLS_LOAD_LIMITS doit valoir true ou false (reçu peut-être)"),
    ("OLS_MAX_REQUESTS", "0", "OLS_MAX_REQUESTS doit être au moins 1 (reçu 0)"),
    ("OLS_ANALYSIS_CONCURRENCY", "0", "OLS_ANALYSIS_CONCURRENCY doit être au moins 1 (reçu 0)"),
    ("OLS_REQUEST_BUDGET_MS", "10", "OLS_REQUEST_BUDGET_MS doit être au moins 100 (reçu 10)"),
    ("OLS_HEALTH_TIMEOUT_MS", "10", "OLS_HEALTH_TIMEOUT_MS doit être au moins 50 (reçu 10)"),
    ("OLS_CACHE_MB", "0", "OLS_CACHE_MB doit être au moins 1 (reçu 0)"),
]


def _clear() -> None:
    for accessor in (database_settings, data_settings, cartography_settings, api_settings, ingest_limits,
                     merge_settings, load_settings):  # fmt: skip
        accessor.cache_clear()


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings read again from the environment in this test, and after it."""
    _clear()
    yield
    _clear()


def _ols(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OLS_DATABASE_URL="postgresql+psycopg://ols@127.0.0.1:1/absent", **variables)
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(("variable", "value", "message"), REFUSED)
def test_the_api_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert message in str(refused.value)


@pytest.mark.parametrize(("variable", "value", "message"), [REFUSED[0], REFUSED[3], REFUSED[5], REFUSED[12]])
def test_the_command_line_refuses_to_start(variable: str, value: str, message: str) -> None:
    done = _ols("db", "status", **{variable: value})
    assert done.returncode == 1
    assert message in " ".join(done.stderr.split())  # the console wraps long lines
    assert "Traceback" not in done.stderr
    assert "serveur externe" not in done.stdout  # the command itself never ran


def test_every_problem_is_named_at_once(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    monkeypatch.setenv("OLS_SUPPRESSION_THRESHOLD", "0")
    monkeypatch.setenv("OLS_PERMUTATIONS", "-1")
    with pytest.raises(ConfigurationError, match=r"OLS_PERMUTATIONS.*OLS_SUPPRESSION_THRESHOLD"):
        check_all()


def test_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    monkeypatch.setenv("OLS_DATABASE_URL", "mysql://ols:motdepasse@db/ols")
    monkeypatch.setenv("OLS_SECRET_KEY", "court")
    with pytest.raises(ConfigurationError) as refused:
        check_all()
    assert "OLS_SECRET_KEY doit compter au moins 16 caractères" in str(refused.value)
    assert "motdepasse" not in str(refused.value) and "court" not in str(refused.value)


GOOD = {
    "OLS_SUPPRESSION_THRESHOLD": "2",
    "OLS_PERMUTATIONS": "99",
    "OLS_ZONE_RESOLUTION": "9",
    "OLS_HOTSPOT_RESOLUTIONS": "[8, 9, 10]",
    "OLS_CORS_ORIGINS": '["https://ville.fr:8443"]',
    "OLS_TRUSTED_PROXIES": '["10.0.0.1", "192.168.0.0/16", "::1"]',
    "OLS_ENVIRONMENT": "production",
    "OLS_SECRET_KEY": "s3cr3t-of-the-city",
    "OLS_LOAD_LIMITS": "off",
    "OLS_MAX_REQUESTS": "16",
    "OLS_CACHE_MB": "64",
}


def test_good_values_pass(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    for variable, value in GOOD.items():
        monkeypatch.setenv(variable, value)
    check_all()
    assert api_settings().suppression_threshold == 2 and cartography_settings().hotspot_resolutions == (8, 9, 10)
    assert not load_settings().load_limits and load_settings().max_requests == 16
    assert create_app()
    assert _ols("db", "status").returncode == 0
