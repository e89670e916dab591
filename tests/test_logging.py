"""The library logs its steps with ``logging`` and never prints: what ols/ and etl/ did is in the logs."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.cartography.refresh import refresh
from ols.periods import parse_period
from ols.settings import CartographySettings
from tests.helpers import add_territory

ROOT = Path(__file__).resolve().parents[1]
CITY = (-0.115, 51.505, -0.07, 51.525)


def test_no_print_in_the_library() -> None:
    calls = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for package in ("ols", "etl")
        for path in sorted((ROOT / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    assert calls == []


def test_a_refresh_logs_its_steps(engine: Engine, shared: Path, caplog: pytest.LogCaptureFixture) -> None:
    add_territory(engine, CITY, code="city")
    month = shared / "incidents" / "police_uk_city_of_london" / "2017-01-city-of-london-street.csv"
    ingest_file(engine, month, source_code="police-uk", mapping=load_mapping("police_uk"))
    settings = CartographySettings(hotspot_resolutions=(9,), zone_resolution=9, permutations=99)
    with caplog.at_level(logging.INFO, logger="ols"):
        refresh(engine, parse_period("2017-01"), settings=settings)
    steps = [(record.name, record.getMessage()) for record in caplog.records if record.name.startswith("ols.")]
    assert [name for name, _ in steps] == [
        "ols.cartography.refresh",
        "ols.cartography.aggregates",
        "ols.cartography.refresh",
        "ols.cartography.refresh",
        *(["ols.cartography.zones"] * 3),
        "ols.cartography.refresh",
        "ols.cartography.refresh",
    ], steps
    assert "2017-01" in steps[0][1] and steps[1][1].endswith("faits")
