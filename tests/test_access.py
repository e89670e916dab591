"""The audience layer on its own: the rights table, the cell-key rounding, users, settings, the migration."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import Engine, text

from ols.access.audience import SENSITIVE_CATEGORIES, AccessDenied, Audience
from ols.access.disclosure import rounded
from ols.access.roles import RIGHTS, Layer, Role
from ols.access.users import authenticate, create_user, disable_user
from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.settings import ApiSettings
from ols.store import db
from tests.helpers import add_territory

COUNTS = st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=60)


@given(COUNTS, st.integers(min_value=0, max_value=2**63 - 1), st.integers(min_value=2, max_value=20))
def test_rounded_counts_are_zero_hidden_or_multiples_of_the_threshold(counts: list[int], salt: int, base: int) -> None:
    keys = np.random.default_rng(salt % 1000).integers(-(2**31), 2**31, len(counts))
    shown = rounded(np.array(counts), keys, threshold=base, salt=salt)
    for count, value in zip(counts, shown, strict=True):
        if count < base:
            assert value is None  # zero too: a hidden count must not tell "nothing" from "a few"
        else:
            assert value is not None and value % base == 0 and value >= base and abs(value - count) < base
    assert rounded(np.array(counts), keys, threshold=base, salt=salt) == shown  # the same facts, the same value


@given(st.lists(st.integers(min_value=1, max_value=60), min_size=2, max_size=12), st.integers(min_value=0))
def test_no_difference_of_published_counts_is_a_hidden_count(parts: list[int], salt: int) -> None:
    """A total minus its visible parts is a multiple of the threshold: never a count from 1 to 4."""
    keys = np.random.default_rng(salt % 997).integers(-(2**31), 2**31, len(parts) + 1)
    shown = rounded(np.array([sum(parts), *parts]), keys, threshold=5, salt=salt)
    total, rest = shown[0], shown[1:]
    if total is not None and sum(value is None for value in rest) == 1:
        assert (total - sum(value for value in rest if value is not None)) % 5 == 0


def test_rounding_is_unbiased_over_cell_keys() -> None:
    keys = np.random.default_rng(7).integers(-(2**31), 2**31, 20_000)
    for count in (6, 7, 8, 9, 13):
        values = rounded(np.full(len(keys), count), keys, threshold=5, salt=123_456)
        assert abs(np.mean(values) - count) < 0.1


def test_the_rights_table() -> None:
    assert {role for role, rights in RIGHTS.items() if rights.full} == {Role.COORDINATOR, Role.POLICE}
    assert [role for role in Role if Layer.MANAGE in RIGHTS[role].layers] == [Role.COORDINATOR]
    assert not any(Layer.DEAL_POINTS in RIGHTS[role].layers for role in (Role.PARTNER, Role.ELU, Role.PUBLIC))
    assert Layer.ZONES not in RIGHTS[Role.PUBLIC].layers and Layer.ZONES in RIGHTS[Role.ELU].layers
    elu = Audience.of("x", "elu")
    assert elu.resolutions == (8,) and elu.resolution() == 8 and elu.scope == "open"
    assert set(elu.excluded_categories) == set(SENSITIVE_CATEGORIES) == {"drug_trafficking", "deal_point_report"}
    assert Audience.of("x", "police").resolution() == 9 and Audience.of("x", "police").marking == "DIFFUSION RESTREINTE"


def test_what_suppressed_readers_may_not_ask() -> None:
    public = Audience.of("x", "public")
    with pytest.raises(AccessDenied, match="plages de jours"):
        public.period(parse_period("2026-01-06..2026-01-07"))
    assert public.period(parse_period("2026-W02")).name == "2026-W02"
    with pytest.raises(AccessDenied, match="maille 8"):
        public.resolution(9)
    with pytest.raises(AccessDenied):
        public.category("drug_trafficking")
    with pytest.raises(AccessDenied, match="zones de vigilance"):
        public.require(Layer.ZONES)
    with pytest.raises(InvalidInputError, match="rôle inconnu"):
        Audience.of("x", "maire")
    police = Audience.of("x", "police", territories=("59009",))
    with pytest.raises(AccessDenied, match="59410"):
        police.check_territory("59410")
    assert police.period(parse_period("2026-01-06..2026-01-07")).kind == "range"


def test_users_are_checked_at_creation_and_disabled_at_once(engine: Engine) -> None:
    add_territory(engine, (3.0, 50.6, 3.2, 50.7), code="59410")
    with engine.begin() as connection:
        with pytest.raises(InvalidInputError, match="rôle inconnu"):
            create_user(connection, "a", role="chef")
        with pytest.raises(InvalidInputError, match="territoire inconnu : 59999"):
            create_user(connection, "b", role="elu", territories=["59999"])
        with pytest.raises(InvalidInputError, match="--source"):
            create_user(connection, "c", role="partner")
        with pytest.raises(InvalidInputError, match="source inconnue"):
            create_user(connection, "d", role="partner", source="nope")
        token = create_user(connection, "e", role="elu", territories=["59410"])
        user = authenticate(connection, token)
        assert user is not None and user.role is Role.ELU and user.territories == ("59410",)
        assert authenticate(connection, token[:-1] + "x") is None and authenticate(connection, "garbage") is None
        assert disable_user(connection, "e")
        assert authenticate(connection, token) is None


def test_the_command_line_refuses_an_unknown_role(database_url: str) -> None:
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    done = subprocess.run([sys.executable, "-m", "cli", "users", "add", "x", "--role", "chef"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode != 0 and "coordinator" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("threshold", [0, 1, -3])
def test_a_threshold_that_would_switch_protection_off_is_refused(threshold: int) -> None:
    with pytest.raises(ValidationError, match="suppression_threshold"):
        ApiSettings(suppression_threshold=threshold)


def test_the_audience_migration_goes_down_and_up(engine: Engine, database_url: str) -> None:
    config = db.alembic_config(database_url)
    command.downgrade(config, "0007")
    with engine.connect() as connection:
        tables = set(connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert "app_session" not in tables and "disclosure_key" not in tables
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM disclosure_key")).scalar_one() == 1
        columns = set(connection.execute(text("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = 'hotspot'")).scalars())  # fmt: skip
    assert "scope" in columns
