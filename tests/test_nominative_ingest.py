"""Nothing nominative reaches the database or the logs, whatever the mapping's policy.

Each case of ``tests/nominative_cases.py`` is ingested, then every text and JSON column of the
database is searched for its planted values; so are the logs and the error messages. The finding
reproduced: a name and a birth date in "Suite donnée" were stored in ``event.attributes``, a name
in a label was kept in ``rejected_row.raw``, free text was never checked.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

import etl.mapping
from api.main import create_app
from etl.ingest import BatchReport, ingest_file
from etl.mapping import builtin_mappings, load_mapping
from ols.access.users import create_user
from ols.errors import InvalidInputError
from ols.settings import ApiSettings
from tests.helpers import add_territory, count
from tests.nominative_cases import MONS, PLANTED, Expected, nominative_cases
from tests.stored_text import planted_values_found

FREE_TEXT = [case for case in nominative_cases() if not case[2].refused]
NAME_AND_BIRTH = "Rappel à l'ordre à Kevin LEFEBVRE, né le 12/03/1987"


@pytest.fixture
def mons(engine: Engine) -> Engine:
    """A database with a territory around the cases' facts."""
    add_territory(engine, (MONS[0] - 0.05, MONS[1] - 0.05, MONS[0] + 0.05, MONS[1] + 0.05))
    return engine


def _file(tmp_path: Path, cells: dict[str, str], name: str = "pm.xlsx") -> Path:
    """A police_municipale export whose first row holds ``cells``."""
    _, content, _ = next(case for case in nominative_cases() if case[0].startswith("texte_nominatif"))
    frame = pd.read_excel(io.BytesIO(content), dtype=str)
    frame.loc[0, "Suite donnée"] = "Rappel à l'ordre"
    for column, value in cells.items():
        frame.loc[0, column] = value
    path = tmp_path / name
    frame.to_excel(path, index=False, sheet_name="Interventions")
    return path


def _mapping(tmp_path: Path, policy: str) -> Path:
    data: dict[str, Any] = yaml.safe_load(builtin_mappings()["police_municipale"].read_text(encoding="utf-8"))
    data["nominative"] = {"policy": policy}
    path = tmp_path / f"pm_{policy}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _ingest(engine: Engine, path: Path, mapping: str | Path = "police_municipale") -> BatchReport:
    return ingest_file(engine, path, source_code="police-municipale", mapping=load_mapping(mapping))


def _rejected(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        query = text("SELECT line, reason, column_name, message, raw FROM rejected_row ORDER BY line")
        return [tuple(row) for row in connection.execute(query)]


@pytest.mark.parametrize(("name", "content", "expected"), FREE_TEXT, ids=[case[0] for case in FREE_TEXT])
def test_personal_data_in_kept_text_is_stored_nowhere(
    mons: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, content: bytes, expected: Expected
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / name
    path.write_bytes(content)
    report = ingest_file(mons, path, source_code=expected.source, mapping=load_mapping(expected.mapping))
    assert report.rows_read == expected.rows
    assert report.rejected_by_reason == {"nominative_data": expected.nominative_rows}
    assert report.accepted == expected.rows - expected.nominative_rows
    assert planted_values_found(mons, expected.planted) == []
    assert all(value.lower() not in caplog.text.lower() for value in expected.planted)
    ((_, reason, column, message, raw),) = _rejected(mons)
    assert reason == "nominative_data"
    assert column in {"Suite donnée", "Motif", "Réf. intervention"}
    assert message.startswith("donnée nominative (") and message.endswith(f"dans « {column} » : valeur masquée")
    assert "[masqué]" in raw[column]


def test_name_and_birth_date_in_an_attribute_reject_the_row_by_default(mons: Engine, tmp_path: Path) -> None:
    report = _ingest(mons, _file(tmp_path, {"Suite donnée": NAME_AND_BIRTH}))
    assert (report.accepted, report.rejected_by_reason) == (3, {"nominative_data": 1})
    ((line, _, column, message, raw),) = _rejected(mons)
    assert (line, column) == (2, "Suite donnée")
    assert message == "donnée nominative (des noms et des dates de naissance) dans « Suite donnée » : valeur masquée"
    assert raw["Suite donnée"] == "Rappel à l'ordre à [masqué], [masqué]"
    assert planted_values_found(mons, ["LEFEBVRE", "12/03/1987"]) == []
    with mons.connect() as connection:
        kept = connection.execute(text("SELECT DISTINCT attributes->>'Suite donnée' FROM event")).scalars().all()
    assert sorted(kept) == ["Dispersion", "Sans suite", "Verbalisation"]


def test_name_in_an_unknown_label_is_masked_in_the_rejected_row(mons: Engine, tmp_path: Path) -> None:
    report = _ingest(mons, _file(tmp_path, {"Motif": "Tapage de Sandrine VERHAEGHE"}))
    assert report.rejected_by_reason == {"nominative_data": 1}
    ((_, _, column, message, raw),) = _rejected(mons)
    assert column == "Motif"
    assert raw["Motif"] == "Tapage de [masqué]"
    assert "VERHAEGHE" not in message
    assert planted_values_found(mons, ["VERHAEGHE", "Sandrine"]) == []


def test_drop_column_policy_keeps_the_facts_and_stores_none_of_the_column(mons: Engine, tmp_path: Path) -> None:
    report = _ingest(mons, _file(tmp_path, {"Suite donnée": NAME_AND_BIRTH}), _mapping(tmp_path, "drop_column"))
    assert (report.accepted, report.rejected) == (4, 0)
    assert report.dropped_columns == {"Suite donnée": "des noms et des dates de naissance"}
    with mons.connect() as connection:
        keys = connection.execute(text("SELECT DISTINCT jsonb_object_keys(attributes) FROM event")).scalars().all()
    assert keys == []
    assert planted_values_found(mons, ["LEFEBVRE", "12/03/1987", "Dispersion"]) == []


DROPPED = {"Suite donnée": "des noms et des dates de naissance"}


def test_a_file_sent_again_still_says_which_column_was_dropped(mons: Engine, tmp_path: Path) -> None:
    path, mapping = _file(tmp_path, {"Suite donnée": NAME_AND_BIRTH}), _mapping(tmp_path, "drop_column")
    first = _ingest(mons, path, mapping)
    again = _ingest(mons, path, mapping)
    assert (again.already_ingested, again.batch_id, first.dropped_columns) == (True, first.batch_id, DROPPED)
    assert again.dropped_columns == DROPPED
    with mons.connect() as connection:
        assert connection.execute(text("SELECT dropped_columns FROM batch")).scalar_one() == DROPPED


def test_the_api_reports_the_dropped_column_of_a_file_sent_again(
    mons: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "mappings"
    shipped.mkdir()
    for name, source in builtin_mappings().items():
        (shipped / f"{name}.yaml").write_bytes(source.read_bytes())
    _mapping(tmp_path, "drop_column").rename(shipped / "pm_drop.yaml")
    monkeypatch.setattr(etl.mapping, "BUILTIN", shipped)  # one more shipped mapping: the API takes only those
    with mons.begin() as connection:
        token = create_user(connection, "coordinateur", role="coordinator")
    content = _file(tmp_path, {"Suite donnée": NAME_AND_BIRTH}).read_bytes()
    form = {"mapping": "pm_drop", "source": "police-municipale"}
    with TestClient(create_app(engine=mons, settings=ApiSettings())) as client:
        reports = [
            client.post("/api/v1/ingest", headers={"Authorization": f"Bearer {token}"},
                        files={"file": ("pm.xlsx", content)}, data=form)
            for _ in range(2)
        ]  # fmt: skip
    assert [r.status_code for r in reports] == [200, 200], reports[0].text
    assert [(r.json()["already_ingested"], r.json()["dropped_columns"]) for r in reports] == [
        (False, DROPPED), (True, DROPPED)
    ]  # fmt: skip


def test_drop_column_policy_still_rejects_a_name_in_the_label(mons: Engine, tmp_path: Path) -> None:
    path = _file(tmp_path, {"Motif": "Tapage de Sandrine VERHAEGHE"})
    report = _ingest(mons, path, _mapping(tmp_path, "drop_column"))
    assert (report.rejected_by_reason, report.dropped_columns) == ({"nominative_data": 1}, {})
    assert planted_values_found(mons, ["VERHAEGHE"]) == []


def test_refuse_file_policy_refuses_naming_column_and_line_never_the_value(mons: Engine, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _ingest(mons, _file(tmp_path, {"Suite donnée": NAME_AND_BIRTH}), _mapping(tmp_path, "refuse_file"))
    message = str(refused.value)
    assert "« Suite donnée » (des noms et des dates de naissance, lignes 2)" in message
    assert "LEFEBVRE" not in message and "1987" not in message
    assert [count(mons, table) for table in ("batch", "event", "rejected_row")] == [0, 0, 0]


def test_cli_says_which_column_was_dropped(mons: Engine, database_url: str, tmp_path: Path) -> None:
    path, mapping = _file(tmp_path, {"Suite donnée": NAME_AND_BIRTH}), _mapping(tmp_path, "drop_column")
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    command = [sys.executable, "-m", "cli", "ingest", "--source", "police-municipale", "--mapping", str(mapping)]
    result = subprocess.run([*command, str(path)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "colonne Suite donnée écartée : contient des noms et des dates de naissance" in result.stdout
    assert "LEFEBVRE" not in result.stdout + result.stderr
    again = subprocess.run([*command, "--json", str(path)], env=env, capture_output=True, text=True, check=False)
    report = json.loads(again.stdout)
    assert (report["already_ingested"], report["dropped_columns"]) == (True, DROPPED), again.stderr


def test_a_reader_error_quoting_a_line_masks_its_personal_data(
    mons: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "pn.csv"
    header = "N° fait;Date des faits;Heure;Nature de l'infraction;X (L93);Y (L93)"
    ragged = "PN-2;02/01/2025;10:00;Vol simple;706000;7064000;Jean DUPONT tél 06 12 34 56 78"
    path.write_bytes(f"{header}\nPN-1;02/01/2025;10:00;Vol simple;706000;7064000\n{ragged}\n".encode("cp1252"))
    try:
        ingest_file(mons, path, source_code="police-nationale", mapping=load_mapping("police_nationale"))
    except InvalidInputError as error:
        assert "DUPONT" not in str(error) and "06 12 34 56 78" not in str(error)
        assert error.__cause__ is None
    assert planted_values_found(mons, ["DUPONT", "06 12 34 56 78"]) == []
    assert "DUPONT" not in caplog.text


@pytest.mark.parametrize("name", ["telephone", "email"])
def test_contact_details_in_observations_reject_the_row_not_the_file(mons: Engine, tmp_path: Path, name: str) -> None:
    column, value, planted = PLANTED[name]
    report = _ingest(mons, _file(tmp_path, {column: value}))
    assert (report.accepted, report.rejected_by_reason) == (3, {"nominative_data": 1})
    assert planted_values_found(mons, planted) == []


def test_a_name_in_the_file_name_is_stored_and_logged_nowhere(
    mons: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = _ingest(mons, _file(tmp_path, {}, name="plainte_Jean_Dupont.xlsx"))
    assert (report.file, report.accepted) == ("plainte_[masqué].xlsx", 4)
    with mons.connect() as connection:
        assert connection.execute(text("SELECT filename FROM batch")).scalar_one() == "plainte_[masqué].xlsx"
    assert planted_values_found(mons, ["Dupont"]) == []
    assert "Dupont" not in caplog.text
    refused = tmp_path / "signalement_Mme_Durand.xlsx"
    refused.write_bytes(b"")
    with pytest.raises(InvalidInputError, match=r"^signalement_\[masqué\]\.xlsx : le fichier est vide"):
        _ingest(mons, refused)
    assert "Durand" not in caplog.text
