"""The data-change log the API's cache trusts: it moves exactly when committed data does, whoever wrote it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from ols.store.changes import DataStamps, read_stamps
from tests.helpers import add_territory

TRACKED = ("event", "event_link", "zone", "deal_point", "deal_point_history", "territory", "place", "source",
           "official_indicator", "street_edge")  # fmt: skip


def _stamps(engine: Engine) -> DataStamps:
    with engine.connect() as connection:
        return read_stamps(connection)


def test_a_committed_transaction_counts_once_per_table_and_a_rolled_back_one_not_at_all(engine: Engine) -> None:
    before = _stamps(engine)
    add_territory(engine, (3.0, 50.6, 3.1, 50.7), code="a")  # one transaction, one territory statement
    with engine.begin() as connection:  # three statements on one table: one change
        for code in ("b", "c", "d"):
            connection.execute(text("UPDATE territory SET name = :name WHERE code = 'a'"), {"name": code})
    with engine.connect() as connection:
        connection.execute(text("DELETE FROM territory"))
        connection.rollback()
    after = _stamps(engine)
    assert after.changes["territory"] == before.changes.get("territory", 0) + 2
    assert after.of(kinds=["territory"]) != before.of(kinds=["territory"])
    assert after.of(kinds=["zone"]) == before.of(kinds=["zone"])  # what was not touched keeps its stamp


def test_an_uncommitted_change_is_not_seen_until_it_commits(engine: Engine) -> None:
    add_territory(engine, (3.0, 50.6, 3.1, 50.7), code="a")
    before = _stamps(engine)
    with engine.connect() as writer:
        writer.execute(text("UPDATE territory SET name = 'x'"))
        during = _stamps(engine)
        writer.commit()
    assert during == before and _stamps(engine) != before


def test_every_tracked_table_has_its_trigger_and_a_refresh_is_stamped_per_period(engine: Engine) -> None:
    with engine.connect() as connection:
        triggers = set(connection.execute(text(
            "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name LIKE '%\\_changed'"
        )).scalars())  # fmt: skip
    assert triggers == set(TRACKED)
    stamps = DataStamps(refreshed={"2026-S1": datetime(2026, 7, 1, tzinfo=UTC)})
    assert stamps.of(periods=["2026-S1"]) != stamps.of(periods=["2025-S2"])


def test_a_change_of_signalements_counts_as_a_change_of_the_events(engine: Engine) -> None:
    before = _stamps(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM event_link WHERE false"))
    assert _stamps(engine).changes.get("event", 0) == before.changes.get("event", 0) + 1
    assert "event_link" not in _stamps(engine).changes
