"""The bad-file corpus (``tests/badfiles.py``) through the command line and the API, file by file.

For each file: no traceback (the CLI's stderr) and never a 500 (the API); the exit status or HTTP
status the case calls for; a French message naming the file; rows accounted for when the file is
stored (read = accepted + duplicates + rejected, as many events and rejected rows as the report
says); the database unchanged (``event``, ``batch``, ``rejected_row``) when it is refused. Then,
after the whole run (:func:`answered`, once per module): no batch is partial, nothing stored is
unbounded or holds a NUL character, and no personal value is anywhere — not in any text or JSON
column of any table (read from the catalogue), not in what the CLI printed or the API answered,
not in a log record of any level. The command line runs in this process through its real entry
point (``cli.main``: starting a Python per file would take minutes); one test runs it as a
subprocess, as a user does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from api.main import create_app
from ols import settings as ols_settings
from ols.access.users import create_user
from ols.settings import ApiSettings
from tests.badfiles import MONS, ROW_LIMIT, Case, make_corpus
from tests.helpers import add_territory, run_cli
from tests.nominative_cases import nominative_cases
from tests.stored_text import personal_data_found, planted_values_found

FRENCH = re.compile(r"\b(fichier|ligne|colonnes?|classeur|feuille|couche|encodé|correspondance|archive)\b", re.I)
ENGLISH = re.compile(r"\b(cannot|could not|error|expected|invalid|not found|unknown|failed|codec|no such)\b", re.I)
SOURCE = text("INSERT INTO source (code, name, kind, default_confidentiality) VALUES (:code, :name, 'other', 'open')")
COUNTS = text("SELECT (SELECT count(*) FROM event), (SELECT count(*) FROM batch), (SELECT count(*) FROM rejected_row)")
BATCHES = text(
    "SELECT b.id, b.filename, b.accepted, b.rejected, b.rows_read AS read, "
    "b.accepted + b.duplicates + b.rejected AS accounted, "
    "(SELECT count(*) FROM event e WHERE e.batch_id = b.id) AS events, "
    "(SELECT count(*) FROM rejected_row r WHERE r.batch_id = b.id) AS rejected_rows FROM batch b"
)


@dataclass
class Corpus:
    """The corpus written once, its database, an API client and a coordinator's header; what was said and logged."""

    cases: dict[str, Case]
    engine: Engine
    url: str
    client: TestClient
    auth: dict[str, str]
    said: list[str] = field(default_factory=list)  # every CLI output and API answer
    logs: list[str] = field(default_factory=list)  # every log record, of any level

    def counts(self) -> tuple[int, int, int]:
        """Rows in event, batch and rejected_row."""
        with self.engine.connect() as connection:
            event, batch, rejected = connection.execute(COUNTS).one()
        return int(event), int(batch), int(rejected)


def _settings_cleared() -> None:
    for accessor in (ols_settings.database_settings, ols_settings.data_settings, ols_settings.cartography_settings,
                     ols_settings.api_settings, ols_settings.ingest_limits):  # fmt: skip
        accessor.cache_clear()


@pytest.fixture(scope="module")
def corpus(template_url: str, server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """The corpus's own database (territory, two sources, a coordinator), with ``OLS_MAX_ROWS`` at the corpus's."""
    name = f"ols_corpus_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE ols_test_template"))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    add_territory(engine, MONS)
    with engine.begin() as connection:
        for code in ("corpus-cli", "corpus-api", "corpus-sub"):
            connection.execute(SOURCE, {"code": code, "name": code})
        token = create_user(connection, "coordinateur-corpus", role="coordinator")
    cases = make_corpus(tmp_path_factory.mktemp("corpus"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OLS_DATABASE_URL", url)
        patch.setenv("OLS_MAX_ROWS", str(ROW_LIMIT))
        _settings_cleared()
        with TestClient(create_app(engine=engine, settings=ApiSettings())) as client:
            yield Corpus({case.name: case for case in cases}, engine, url, client, {"Authorization": f"Bearer {token}"})
    _settings_cleared()
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _assert_french(message: str, case: Case) -> None:
    assert re.search(re.escape(case.shown or case.name) + " ?: ", message), message
    assert case.refused is not None and case.refused.lower() in message.lower(), message
    assert all(fragment.lower() in message.lower() for fragment in case.mentions), (case.mentions, message)
    assert FRENCH.search(message) and not ENGLISH.search(message), message


def _assert_stored(
    report: dict[str, Any], case: Case, before: tuple[int, int, int], after: tuple[int, int, int]
) -> None:
    assert report["rows_read"] == case.rows, report
    assert report["rejected_by_reason"] == case.reasons, report
    assert report["accepted"] + report["duplicates"] + report["rejected"] == report["rows_read"], report
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (
        report["accepted"], 1, report["rejected"]
    ), report  # fmt: skip


def _through_cli(corpus: Corpus, case: Case) -> None:
    before = corpus.counts()
    status, out, err = run_cli("ingest", "--source", "corpus-cli", "--mapping", case.mapping, "--json", str(case.path))
    after = corpus.counts()
    corpus.said += [out, err]
    assert "Traceback" not in err, err
    if case.refused is not None:
        assert status == 1, (status, out, err)
        assert after == before
        message = " ".join(err.split())
        assert message.count("erreur:") == 1, message
        _assert_french(message[message.index("erreur:") :], case)
    else:
        assert status == 0, (status, out, err)
        _assert_stored(json.loads(out), case, before, after)


def _through_api(corpus: Corpus, case: Case) -> None:
    before = corpus.counts()
    response = corpus.client.post(
        "/api/v1/ingest",
        headers=corpus.auth,
        files={"file": (case.name, case.path.read_bytes())},
        data={"mapping": case.mapping, "source": "corpus-api"},
    )
    after = corpus.counts()
    corpus.said.append(response.text)
    assert response.status_code != 500, response.text
    assert response.headers["content-type"] == "application/json"
    if case.refused is not None:
        assert response.status_code == 422, response.text
        assert after == before
        _assert_french(response.json()["detail"], case)
    else:
        assert response.status_code == 200, response.text
        _assert_stored(response.json(), case, before, after)


class _Kept(logging.Handler):
    """Keeps the text of every record it is given (message, arguments and traceback formatted)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.texts = texts

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@contextlib.contextmanager
def _logs_kept(texts: list[str]) -> Iterator[None]:
    """Every log record into ``texts``: the root logger at DEBUG (the API's requests), and OLS's own loggers,
    whose records the CLI (which sets the root's handlers and level for its run) still hands them."""
    kept, root = _Kept(texts), logging.getLogger()
    level, loggers = root.level, [logging.getLogger(name) for name in ("etl", "ols", "api", "cli")]
    for logger in [root, *loggers]:
        logger.addHandler(kept)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.setLevel(level)
        for logger in [root, *loggers]:
            logger.removeHandler(kept)


@pytest.fixture(scope="module")
def answered(corpus: Corpus) -> list[str]:
    """Every file through the CLI and the API, once per module, its logs kept: the failures, one line each."""
    failures = []
    with _logs_kept(corpus.logs):
        for case in corpus.cases.values():
            for path, check in (("cli", _through_cli), ("api", _through_api)):
                try:
                    check(corpus, case)
                except AssertionError as failure:
                    failures.append(f"{case.category} / {case.name} ({path}): {str(failure)[:600]}")
    return failures


def test_every_file_is_answered_clearly(answered: list[str]) -> None:
    assert not answered, f"{len(answered)} failures:\n" + "\n".join(answered)


def test_no_batch_is_partial(corpus: Corpus, answered: list[str]) -> None:
    """Each batch holds exactly what it says: as many events and rejected rows as its counts, every row read."""
    stored = [case.name for case in corpus.cases.values() if case.refused is None]
    with corpus.engine.connect() as connection:
        batches = connection.execute(BATCHES).all()
    assert len(batches) == 2 * len(stored), (len(batches), len(stored))
    partial = [b for b in batches if (b.events, b.rejected_rows, b.read) != (b.accepted, b.rejected, b.accounted)]
    assert not partial, partial[:5]


def test_nothing_nominative_is_stored_said_or_logged(corpus: Corpus, answered: list[str]) -> None:
    planted = sorted({value for case in corpus.cases.values() for value in case.planted})
    assert len(planted) > 10 and corpus.logs and corpus.said
    assert planted_values_found(corpus.engine, planted) == []
    assert personal_data_found(corpus.engine) == []
    heard = "\n".join(corpus.said + corpus.logs).lower().replace("\\/", "/")
    assert [value for value in planted if value.lower() in heard] == []


def test_nothing_stored_is_unbounded_or_holds_a_nul(corpus: Corpus, answered: list[str]) -> None:
    with corpus.engine.connect() as connection:
        raw = connection.execute(text("SELECT max(length(value)) FROM rejected_row, jsonb_each_text(raw)")).scalar()
        message = connection.execute(text("SELECT max(length(message)) FROM rejected_row")).scalar()
        label, ref = connection.execute(
            text("SELECT max(length(raw_label)), max(length(partner_ref)) FROM event")
        ).one()
        attribute = connection.execute(
            text("SELECT max(length(value)) FROM event, jsonb_each_text(attributes)")
        ).scalar()
        shown_nul = connection.execute(
            text("SELECT DISTINCT b.filename FROM rejected_row r JOIN batch b ON b.id = r.batch_id "
                 "WHERE r.raw::text LIKE '%' || chr(65533) || '%'")
        ).scalars()  # fmt: skip
        files_with_nul = set(shown_nul)
        rows = connection.execute(text("SELECT count(*) FROM rejected_row")).scalar()
    assert rows and rows > 20, "the corpus stores rejected rows"
    assert (raw or 0) <= 201 and (message or 0) <= 300, (raw, message)
    assert (label or 0) <= 200 and (ref or 0) <= 100 and (attribute or 0) <= 1000, (label, ref, attribute)
    assert files_with_nul == {"nul_in_label.csv", "nul_in_pn_label.csv"}, "a NUL comes back as U+FFFD, in its row only"


def test_the_real_command_line_on_a_few_files(corpus: Corpus) -> None:
    """``python -m cli ingest`` as a user runs it: the stored files reported, then the bad one refused in one line."""
    files = [corpus.cases[name].path for name in ("crlf.csv", "extra_cell.csv", "utf16le_bom.csv")]
    env = dict(os.environ, OLS_DATABASE_URL=corpus.url, OLS_MAX_ROWS=str(ROW_LIMIT))
    before = corpus.counts()
    result = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--source", "corpus-sub", "--mapping", "police_uk", "--json",
         *map(str, files)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["file"], r["rows_read"], r["rejected"]) for r in reports] == [
        ("crlf.csv", 5, 0),
        ("extra_cell.csv", 6, 1),
    ]
    assert " ".join(result.stderr.split()).startswith("erreur: utf16le_bom.csv : le fichier semble encodé en UTF-16")
    assert corpus.counts()[1] == before[1] + 2


def test_the_corpus_holds_every_nominative_case(corpus: Corpus) -> None:
    names = {name for name, _, _ in nominative_cases()}
    assert len(names) == 86
    assert names <= set(corpus.cases), sorted(names - set(corpus.cases))[:5]
    assert len(corpus.cases) >= 100
