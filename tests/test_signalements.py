"""Facts vs activity, and one event sent by several partners counted once (issue 13, items 1 and 2).

Generated files with a known truth (``tests.factsgen``), ingested through ``ingest_file`` into a real
PostGIS; the counts are read through the readers the map, the hot spots and the tables use.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from alembic import command
from sqlalchemy import Engine, text

from ols import merging
from ols.access.audience import Audience
from ols.analysis.indicators import local_evolution
from ols.cartography.heatmap import HeatmapQuery, heatmap_cells
from ols.cartography.refresh import refresh
from ols.periods import parse_period
from ols.settings import CartographySettings, MergeSettings
from ols.store.db import alembic_config
from tests.factsgen import CENTRE, Fact, mapping_file, send, shifted, territory, write_facts

WHEN = datetime(2025, 3, 14, 21, 5)
SEMESTER = parse_period("2025-S1")
FAST = CartographySettings(hotspot_resolutions=(10,), zone_resolution=10, permutations=99)
OPERATOR = Audience.operator()
PARTNERS = ("police-municipale", "cellule-de-veille", "doleances")
ELSEWHERE = shifted(*CENTRE, 600, 300)


def _gathering(tmp_path: Path, mapping: Path) -> dict[str, Path]:
    """The same gathering as three partners report it (0, 20 and 35 m apart; 0, 10 and 25 minutes later),
    and one other fact of each, far from it."""
    reports = {
        "police-municipale": Fact("Attroupement", WHEN, *CENTRE),
        "cellule-de-veille": Fact("Occupation de hall", WHEN + timedelta(minutes=10), *shifted(*CENTRE, 20, 0)),
        "doleances": Fact("Occupation de hall", WHEN + timedelta(minutes=25), *shifted(*CENTRE, 0, 35)),
    }
    files = {}
    for number, (source, fact) in enumerate(reports.items()):
        other = Fact("Attroupement", WHEN + timedelta(days=3 + number), *shifted(*ELSEWHERE, 100 * number, 0))
        files[source] = write_facts(mapping.parent / f"{source}.csv", [fact, other])
    return files


def _links(engine: Engine) -> set[tuple[str, str, str, str]]:
    """(member source, member reference, lead source, lead reference) of every signalement link."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT s.code, e.partner_ref, ls.code, le.partner_ref FROM event_link l "
            "JOIN event e ON e.source_id = l.source_id AND e.id = l.id JOIN source s ON s.id = l.source_id "
            "JOIN event le ON le.source_id = l.lead_source_id AND le.id = l.lead_id "
            "JOIN source ls ON ls.id = l.lead_source_id"
        ))  # fmt: skip
        return {tuple(row) for row in rows}  # type: ignore[misc]


def _heat(engine: Engine, **query: Any) -> dict[str, Any]:
    with engine.connect() as connection:
        return heatmap_cells(connection, HeatmapQuery(SEMESTER, 10, **query), OPERATOR, refreshed_at="")


def test_the_same_event_sent_by_three_partners_counts_once(engine: Engine, tmp_path: Path) -> None:
    territory(engine)
    mapping = mapping_file(tmp_path)
    for source, path in _gathering(tmp_path, mapping).items():
        send(engine, path, source, mapping)
    links = _links(engine)
    assert len(links) == 2 and len({(lead, ref) for _, _, lead, ref in links}) == 1  # two facts joined one lead
    assert {member for member, *_ in links} | {lead for _, _, lead, _ in links} == set(PARTNERS)
    summary = refresh(engine, SEMESTER, settings=FAST)
    assert (summary["events"], summary["merged"]) == (4, 2)  # the gathering once, and the three other facts
    heat = _heat(engine)
    assert sum(count for _, count in heat["cells"]) == 4
    assert {key: heat["metadata"][key] for key in ("signalements", "facts", "merged")} == {
        "signalements": 4, "facts": 6, "merged": 2}  # fmt: skip
    assert sorted(n for n in heat["metadata"]["merged_by_partner"].values()) == [0, 1, 1]
    own = _heat(engine, source="doleances")  # a partner's own map shows all its facts, merged or not
    assert sum(count for _, count in own["cells"]) == 2
    with engine.connect() as connection:
        by_source = local_evolution(connection, parse_period("2025"), OPERATOR, by="source").set_index("key")
        by_family = local_evolution(connection, parse_period("2025"), OPERATOR, by="family").set_index("key")
    assert [by_source.loc[source, "2025"] for source in PARTNERS] == [2, 2, 2]
    assert (by_source.loc["merged", "2025"], by_source.loc["total", "2025"]) == (2, 4)
    assert by_family.loc["public_order", "2025"] == by_family.loc["total", "2025"] == 4


def test_what_is_not_the_same_event_stays_apart(engine: Engine, tmp_path: Path) -> None:
    """Too far, too late, another family, the same partner twice, another category with a weak time or place."""
    territory(engine)
    mapping = mapping_file(tmp_path)
    street = mapping_file(tmp_path, stem="rue", location={"type": "lonlat", "lon": "lon", "lat": "lat",
                                                           "precision": "street"})  # fmt: skip
    spots = [shifted(*CENTRE, -800 + 300 * (i % 6), 400 * (i // 6)) for i in range(8)]
    first = [Fact("Attroupement", WHEN, *spot, timed=i not in (4, 6)) for i, spot in enumerate(spots)]
    second = [
        Fact("Attroupement", WHEN, *shifted(*spots[0], 80, 0)),  # 80 m: too far
        Fact("Attroupement", WHEN + timedelta(minutes=45), *spots[1]),  # 45 minutes: too late
        Fact("Cambriolage", WHEN, *spots[2]),  # another family
        Fact("Attroupement", WHEN - timedelta(hours=5), *shifted(*spots[4], 10, 0), timed=False),  # same day, 10 m
        Fact("Tapage", WHEN, *shifted(*spots[6], 10, 0), timed=False),  # the same day, but another category
        Fact("Tapage", WHEN + timedelta(minutes=20), *shifted(*spots[7], 10, 0)),  # timed: a noisy gathering
    ]
    imprecise = [
        Fact("Attroupement", WHEN + timedelta(minutes=5), *shifted(*spots[5], 120, 0)),  # by its street, 120 m
        Fact("Attroupement", WHEN, *shifted(*spots[3], 10, 0), timed=False),  # by its street, the date only
        Fact("Tapage", WHEN + timedelta(minutes=5), *shifted(*spots[2], 0, 30)),  # by its street, another category
    ]
    send(engine, write_facts(tmp_path / "a.csv", first), "police-municipale", mapping)
    send(engine, write_facts(tmp_path / "b.csv", second), "doleances", mapping)
    send(engine, write_facts(tmp_path / "c.csv", [Fact("Attroupement", WHEN, *spots[0])]), "police-municipale",
         mapping)  # the same partner twice at the same place and time: two facts of its own  # fmt: skip
    send(engine, write_facts(tmp_path / "rue.csv", imprecise), "cellule-de-veille", street)
    joined = {frozenset({(member, ref), (lead, lead_ref)}) for member, ref, lead, lead_ref in _links(engine)}
    assert joined == {
        frozenset({("doleances", "b-3"), ("police-municipale", "a-4")}),  # the same day and category, 10 m apart
        frozenset({("doleances", "b-5"), ("police-municipale", "a-7")}),  # timed and placed: one family
        frozenset({("cellule-de-veille", "rue-0"), ("police-municipale", "a-5")}),  # a street, 120 m
    }
    assert refresh(engine, SEMESTER, settings=FAST)["events"] == 18 - 3


def test_signalements_survive_a_batch_removed_and_sent_again(engine: Engine, tmp_path: Path) -> None:
    territory(engine)
    mapping = mapping_file(tmp_path)
    files = _gathering(tmp_path, mapping)
    for source in PARTNERS:
        send(engine, files[source], source, mapping)
    before = _links(engine)
    lead = next(iter(before))[2]
    with engine.begin() as connection:  # what undoing the lead's batch does: its facts go, their links with them
        batch = connection.execute(text("SELECT b.id FROM batch b JOIN source s ON s.id = b.source_id "
                                        "WHERE s.code = :c"), {"c": lead}).scalar_one()  # fmt: skip
        connection.execute(text("DELETE FROM event WHERE batch_id = :b"), {"b": batch})
        connection.execute(text("DELETE FROM batch WHERE id = :b"), {"b": batch})
        assert connection.execute(text("SELECT count(*) FROM event_link")).scalar_one() == 0
        assert merging.relink(connection) == 1  # the two partners left still report one gathering
    send(engine, files[lead], lead, mapping)
    assert _links(engine) == before
    with engine.begin() as connection:
        again = merging.update_links(connection)
    assert (again.batches, again.pairs, again.merged) == (0, 0, 2) and _links(engine) == before
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM event"))
        connection.execute(text("DELETE FROM batch"))
    for source in reversed(PARTNERS):  # another order, the same signalements
        send(engine, files[source], source, mapping)
    assert _links(engine) == before


def test_a_changed_rule_pairs_every_batch_again(engine: Engine, tmp_path: Path) -> None:
    territory(engine)
    mapping = mapping_file(tmp_path)
    for source, path in _gathering(tmp_path, mapping).items():
        send(engine, path, source, mapping)
    with engine.begin() as connection:
        strict = merging.update_links(connection, MergeSettings(merge_distance_m=10))
        rules = set(connection.execute(text("SELECT merge_rule FROM batch")).scalars())
    assert (strict.batches, strict.merged) == (3, 0) and rules == {merging.rule_of(MergeSettings(merge_distance_m=10))}


def test_activity_is_counted_apart_from_the_facts(engine: Engine, tmp_path: Path) -> None:
    """The finding: 1,277 mediation interventions in 2025 were added to the facts' "Total"."""
    territory(engine)
    facts = mapping_file(tmp_path)
    activity = mapping_file(tmp_path, stem="mediation", measure="activity")
    removals = mapping_file(tmp_path, stem="services", measures={"Tags": "activity"})
    rng = np.random.default_rng(13)
    spots = [shifted(*CENTRE, float(x), float(y)) for x, y in rng.uniform(-700, 700, (60, 2))]
    send(
        engine,
        write_facts(
            tmp_path / "pm.csv",
            [Fact("Attroupement", WHEN + timedelta(days=i), *spot) for i, spot in enumerate(spots[:20])],
        ),
        "police-municipale",
        facts,
    )
    send(
        engine,
        write_facts(
            tmp_path / "med.csv",
            [Fact("Attroupement", WHEN + timedelta(days=i), *spot) for i, spot in enumerate(spots[:20])],
        ),
        "mediation",
        activity,
    )
    send(engine, write_facts(tmp_path / "st.csv", [Fact("Tags" if i % 2 else "Refus de contrôle", WHEN, *spot)
                                                   for i, spot in enumerate(spots[20:])]), "services-techniques",
         removals)  # fmt: skip
    with engine.connect() as connection:
        measures = dict(connection.execute(text("SELECT measure, count(*) FROM event GROUP BY 1")).all())
        assert connection.execute(text("SELECT count(*) FROM event_link")).scalar_one() == 0  # never merged
    assert measures == {"facts": 20, "activity": 60}  # a mapping's, a label's, a category's own (fare_evasion)
    summary = refresh(engine, SEMESTER, settings=FAST)
    assert (summary["events"], summary["activity"]) == (20, 60)
    assert sum(n for _, n in _heat(engine)["cells"]) == 20
    assert sum(n for _, n in _heat(engine, measure="activity")["cells"]) == 60
    with engine.connect() as connection:
        table = local_evolution(connection, parse_period("2025"), OPERATOR, by="source").set_index("key")
        apart = local_evolution(connection, parse_period("2025"), OPERATOR, by="source", measure="activity")
        layers = set(connection.execute(text("SELECT measure FROM hotspot_layer")).scalars())
    assert (table.loc["total", "2025"], table.loc["mediation", "2025"]) == (20, 0)
    assert apart.set_index("key").loc["total", "2025"] == 60 and set(apart["measure"]) == {"activity"}
    assert layers == {"facts", "activity"}


def test_upgrading_measures_existing_events_by_the_shipped_mappings(engine: Engine, database_url: str,
                                                                    tmp_path: Path) -> None:  # fmt: skip
    territory(engine)
    mapping = mapping_file(tmp_path)
    rows = [Fact("Attroupement", WHEN + timedelta(hours=i), *shifted(*CENTRE, 10 * i, 0)) for i in range(3)]
    send(engine, write_facts(tmp_path / "m.csv", rows), "mediation", mapping)
    send(engine, write_facts(tmp_path / "p.csv", rows), "police-municipale", mapping)
    config = alembic_config(database_url)
    command.downgrade(config, "0011")
    with engine.begin() as connection:
        connection.execute(text("UPDATE batch SET mapping_name = 'mediation' WHERE source_id = "
                                "(SELECT id FROM source WHERE code = 'mediation')"))  # fmt: skip
    command.upgrade(config, "head")
    with engine.connect() as connection:
        found = connection.execute(text("SELECT s.code, e.measure, count(*) FROM event e JOIN source s "
                                        "ON s.id = e.source_id GROUP BY 1, 2 ORDER BY 1")).all()  # fmt: skip
    assert [tuple(row) for row in found] == [("mediation", "activity", 3), ("police-municipale", "facts", 3)]
    with engine.begin() as connection:
        assert merging.update_links(connection).batches == 2  # paired again after the upgrade
