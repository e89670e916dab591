"""The bad files of issue 19, one by one: each is refused whole with a French message naming the file and
what to do, or stored with its bad rows rejected for a reason — never a traceback, never a bare 500."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from sqlalchemy import Engine, text

from api.main import create_app
from etl.context import Context, TerritoryArea
from etl.ingest import BatchReport, ingest_file
from etl.mapping import load_mapping
from etl.readers import read_file
from etl.validate import validate_chunks
from etl.verdicts import REASONS
from ols.access.users import create_user
from ols.errors import InvalidInputError
from ols.settings import ApiSettings, IngestLimits
from tests.badfiles import (
    MONS,
    PM_COLUMNS,
    UK_COLUMNS,
    Maker,
    bomb_xlsx,
    csv_bytes,
    geojson_bytes,
    gpkg_bytes,
    pn_csv,
    uk_csv,
    xlsx_bytes,
)
from tests.helpers import add_territory, count

TABLES = ("event", "batch", "rejected_row")


@pytest.fixture
def mons(engine: Engine) -> Engine:
    """The test database with the territory the corpus files lie in."""
    add_territory(engine, MONS)
    return engine


@pytest.fixture
def maker() -> Maker:
    """Valid rows for each mapping, seeded."""
    return Maker(1919)


def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _ingest(engine: Engine, path: Path, mapping: str, *, limits: IngestLimits | None = None) -> BatchReport:
    return ingest_file(engine, path, source_code="police-uk", mapping=load_mapping(mapping), limits=limits)


def _counts(engine: Engine) -> list[int]:
    return [count(engine, table) for table in TABLES]


def _refused(engine: Engine, path: Path, mapping: str, *, limits: IngestLimits | None = None) -> str:
    """The one-line French message of a refusal, once checked that the database did not change."""
    before = _counts(engine)
    with pytest.raises(InvalidInputError) as refusal:
        _ingest(engine, path, mapping, limits=limits)
    assert _counts(engine) == before
    message = str(refusal.value)
    assert message.startswith(f"{path.name} : "), message
    assert "\n" not in message
    return message


def test_a_duplicated_column_the_mapping_reads_is_named(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    path = _file(tmp_path, "double.csv", csv_bytes([*UK_COLUMNS[:11], "Crime type"], maker.uk()))
    message = _refused(mons, path, "police_uk")
    assert "la colonne « Crime type » apparaît deux fois (colonnes 10 et 12)" in message
    unused = _file(tmp_path, "double-unused.csv", csv_bytes([*UK_COLUMNS[:11], "Reported by"], maker.uk()))
    assert _ingest(mons, unused, "police_uk").accepted == 5  # a repeated column no one reads is harmless


def test_a_nul_byte_rejects_its_row_only(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    data = uk_csv(maker.uk(4)).replace(b"Burglary", b"Burg\x00lary")
    report = _ingest(mons, _file(tmp_path, "nul.csv", data), "police_uk")
    assert (report.rows_read, report.accepted, report.rejected_by_reason) == (4, 3, {"invalid_text": 1})
    with mons.connect() as connection:
        line, column, message, raw = connection.execute(
            text("SELECT line, column_name, message, raw FROM rejected_row")
        ).one()
    assert (line, column) == (2, "Crime type")
    assert "caractère nul" in message
    assert raw["Crime type"] == "Burg\ufffdlary"


def test_a_truncated_workbook_and_a_csv_named_xlsx(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    workbook = xlsx_bytes(PM_COLUMNS, maker.pm(30))
    cut = _refused(mons, _file(tmp_path, "coupé.xlsx", workbook[: len(workbook) // 2]), "police_municipale")
    assert "le classeur est tronqué ou endommagé" in cut and "réenregistrez-le" in cut
    text_file = _refused(mons, _file(tmp_path, "export.xlsx", uk_csv(maker.uk())), "police_municipale")
    assert "le fichier est du texte" in text_file and "classeur Excel" in text_file


def test_an_unclosed_ring_rejects_its_feature(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    features = maker.features(3)
    features[1]["geometry"] = {"type": "Polygon", "coordinates": [[[3.1, 50.64], [3.101, 50.64], [3.101, 50.641]]]}
    report = _ingest(mons, _file(tmp_path, "anneau.geojson", geojson_bytes(features)), "mediation")
    assert (report.rows_read, report.accepted, report.rejected_by_reason) == (3, 2, {"invalid_geometry": 1})
    with mons.connect() as connection:
        line, column, message = connection.execute(text("SELECT line, column_name, message FROM rejected_row")).one()
    assert (line, column) == (2, "geometry")
    assert message.startswith("géométrie illisible") and "SIG" in message


def test_a_geopackage_without_the_layer_names_the_layers_it_has(mons: Engine, tmp_path: Path) -> None:
    from shapely.geometry import Point

    data = gpkg_bytes(tmp_path, ["Dépôt sauvage"], [Point(3.1, 50.64)], layer="export_2024")
    message = _refused(mons, _file(tmp_path, "st.gpkg", data), "services_techniques")
    assert "la couche « interventions » est absente (couches du fichier : export_2024)" in message


def test_utf16_gzip_and_cp1252_are_named_with_what_to_do(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    import gzip

    utf16 = _refused(mons, _file(tmp_path, "u16.csv", uk_csv(maker.uk()).decode().encode("utf-16")), "police_uk")
    assert (
        "le fichier semble encodé en UTF-16 : réenregistrez-le en UTF-8 ou choisissez l'encodage dans la "
        "correspondance" in utf16
    )
    packed = _refused(mons, _file(tmp_path, "export.csv", gzip.compress(uk_csv(maker.uk()))), "police_uk")
    assert "le fichier est compressé (gzip)" in packed and "décompressez-le" in packed
    rows = maker.uk()
    rows[2][6] = "Près de l'église"
    windows = _refused(mons, _file(tmp_path, "w.csv", uk_csv(rows, encoding="cp1252")), "police_uk")
    assert "ligne 4" in windows and "Windows-1252" in windows and "encoding" in windows


def test_utf8_files_of_a_cp1252_partner_are_read_as_utf8(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    for name, encoding in (("bom.csv", "utf-8-sig"), ("plain.csv", "utf-8")):
        path = _file(tmp_path, name, pn_csv(maker.pn(), encoding=encoding))
        report = ingest_file(mons, path, source_code="police-nationale", mapping=load_mapping("police_nationale"))
        assert (report.rows_read, report.accepted, report.rejected) == (5, 5, 0)
    with mons.connect() as connection:
        labels = set(connection.execute(text("SELECT raw_label FROM event")).scalars())
    assert "Vol à la roulotte" in labels


def test_an_empty_feature_collection_is_an_empty_batch(mons: Engine, tmp_path: Path) -> None:
    report = _ingest(mons, _file(tmp_path, "vide.geojson", geojson_bytes([])), "mediation")
    assert (report.rows_read, report.accepted, report.rejected) == (0, 0, 0)


def test_a_sep_line_sets_the_separator_and_lines_stay_true(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    rows = maker.pn()
    rows[3][3] = "Inconnu"
    data = b"sep=,\r\n" + pn_csv(rows, sep=",").replace(b"\n", b"\n\n", 2)
    report = ingest_file(mons, _file(tmp_path, "sep.csv", data), source_code="police-nationale",
                         mapping=load_mapping("police_nationale"))  # fmt: skip
    assert (report.rows_read, report.accepted, report.rejected_by_reason) == (5, 4, {"unknown_label": 1})
    with mons.connect() as connection:
        assert connection.execute(text("SELECT line FROM rejected_row")).scalar_one() == 8  # sep=, header, 2 blanks


def test_a_row_with_the_wrong_number_of_cells_is_rejected_on_its_line(
    mons: Engine, maker: Maker, tmp_path: Path
) -> None:
    lines = uk_csv(maker.uk(5)).split(b"\n")
    lines[3] += b",de trop"
    report = _ingest(mons, _file(tmp_path, "cells.csv", b"\n".join(lines)), "police_uk")
    assert (report.rows_read, report.accepted, report.rejected_by_reason) == (5, 4, {"malformed_row": 1})
    with mons.connect() as connection:
        line, message, raw = connection.execute(text("SELECT line, message, raw FROM rejected_row")).one()
    assert line == 4 and "13 cellules au lieu de 12" in message
    assert raw["Crime type"] == "Criminal damage and arson"


def test_cells_over_their_limit_reject_the_row_and_raw_text_is_bounded(
    mons: Engine, maker: Maker, tmp_path: Path
) -> None:
    rows = maker.uk(4)
    rows[0][9] = "B" * 5_000  # label
    rows[1][0] = "R" * 5_000  # reference
    rows[2][6] = "L" * 50_000  # attribute
    report = _ingest(mons, _file(tmp_path, "long.csv", uk_csv(rows)), "police_uk")
    assert (report.accepted, report.rejected_by_reason) == (1, {"too_long": 3})
    with mons.connect() as connection:
        rejected = connection.execute(text("SELECT column_name, message, raw::text FROM rejected_row ORDER BY line"))
        found = [(column, message, len(raw)) for column, message, raw in rejected]
    assert [column for column, _, _ in found] == ["Crime type", "Crime ID", "Location"]
    assert "5000 caractères, au plus 200 (OLS_MAX_LABEL_CHARS)" in found[0][1]
    assert all(size < 2_000 for _, _, size in found), found


# Small limits: a line of the 12 police_uk columns holds at most 12 × (2 × 40 + 3) = 996 characters.
NARROW = IngestLimits(max_columns=12, max_cell_chars=40, max_label_chars=40, max_attribute_chars=40, max_ref_chars=40)


def test_a_line_too_long_for_any_cell_limit_is_rejected_without_being_read(
    mons: Engine, maker: Maker, tmp_path: Path
) -> None:
    rows = maker.uk(5)
    rows[1][11] = "c" * 5_000  # an unread column: the line cannot fit the limits all the same
    rows[3][11] = "é" * 600  # 1 200 bytes, but 700 characters: the line fits
    path = _file(tmp_path, "ligne_longue.csv", uk_csv(rows))
    table = read_file(path, load_mapping("police_uk"), NARROW)
    assert (len(table), list(table.lines)) == (5, [2, 3, 4, 5, 6])
    assert table.frame.iloc[1].str.len().sum() == 0 and table.frame.iloc[3, 11] == "é" * 600
    assert table.issues is not None and list(table.issues["reason"]) == [None, "too_long", None, None, None]
    assert (
        table.issues.loc[1, "detail"].startswith("ligne de 5\u202f1")
        and "(996 : OLS_MAX_" in table.issues.loc[1, "detail"]
    )
    report = _ingest(mons, path, "police_uk", limits=NARROW)
    assert (report.accepted, report.rejected_by_reason) == (4, {"too_long": 1})
    with mons.connect() as connection:
        line, message = connection.execute(text("SELECT line, message FROM rejected_row")).one()
    assert line == 3 and message.startswith("cellule trop longue: ligne de 5\u202f1") and "non lue" in message, message


def test_overlong_lines_keep_their_place_among_malformed_rows_and_crlf(maker: Maker, tmp_path: Path) -> None:
    rows = maker.uk(6)
    lines = uk_csv(rows, newline="\r\n").split(b"\r\n")
    lines[1] += b",surplus"  # line 2: one cell too many
    lines[3] = lines[3].replace(b"Test", b"T" * 3_000, 1)  # line 4: overlong
    lines[6] = lines[6].replace(b"Test", b"T" * 3_000, 1)  # line 7, the last, without a line break: overlong
    table = read_file(_file(tmp_path, "crlf.csv", b"\r\n".join(lines[:7])), load_mapping("police_uk"), NARROW)
    assert list(table.lines) == [2, 3, 4, 5, 6, 7]
    assert table.issues is not None
    assert list(table.issues["reason"]) == ["malformed_row", None, "too_long", None, None, "too_long"]
    assert list(table.frame["Crime ID"]) == [rows[0][0], rows[1][0], "", rows[3][0], rows[4][0], ""]
    only = _file(tmp_path, "seule.csv", lines[0] + b"\n" + lines[3] + b"\n")
    table = read_file(only, load_mapping("police_uk"), NARROW)
    assert (list(table.lines), list(table.issues["reason"])) == ([2], ["too_long"])  # type: ignore[index]


def test_a_header_too_long_for_the_limits_refuses_the_file(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    header = b",".join([b'"' + column.encode() + b" " * 100 + b'"' for column in UK_COLUMNS])
    path = _file(tmp_path, "entete.csv", header + b"\n" + uk_csv(maker.uk()).split(b"\n", 1)[1])
    message = _refused(mons, path, "police_uk", limits=NARROW)
    assert "l'en-tête (ligne 1) compte 1\u202f" in message and "(996 : OLS_MAX_COLUMNS" in message, message


def test_a_huge_cell_is_never_held_in_memory(tmp_path: Path) -> None:
    """A 96 MB cell under the file limit: reading the file costs a fraction of it (it cost 5 times it)."""
    path = tmp_path / "cellule_geante.csv"
    rows = Maker(4).uk(5)
    head, tail = uk_csv(rows[:2]), uk_csv(rows[3:]).split(b"\n", 1)[1]
    with path.open("wb") as handle:
        handle.write(head + ",".join(rows[2][:9]).encode() + b",")
        for _ in range(96):
            handle.write(b"V" * (1 << 20))
        handle.write(b",Under investigation,\n" + tail)
    child = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True)
    read, before, peak = json.loads(child.stdout)
    assert read == [5, "too_long"]
    assert peak - before < 48, (before, peak)  # MB


PEAK = """
import contextlib, json, resource, sys
from pathlib import Path
from etl.mapping import load_mapping
from etl.readers import read_file
mapping = load_mapping("police_uk")
with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as marks:
    marks.write("5")  # Linux: the peak so far (imports) forgotten, the read's own is measured
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
table = read_file(Path(sys.argv[1]), mapping)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps([[len(table), table.issues["reason"][2] if table.issues is not None else None],
                  before / 1024, peak / 1024]))
"""


def test_a_workbook_bomb_is_refused_before_it_is_read(mons: Engine, tmp_path: Path) -> None:
    path = _file(tmp_path, "bombe.xlsx", bomb_xlsx(150))
    assert path.stat().st_size < 400_000
    started = time.perf_counter()
    message = _refused(mons, path, "police_municipale")
    assert time.perf_counter() - started < 5  # reading 150 MB would take far longer (and 1.8 GB)
    assert "se décompresse en 150 Mo" in message


def test_rows_columns_and_bytes_over_the_limits_refuse_the_file(mons: Engine, maker: Maker, tmp_path: Path) -> None:
    limits = IngestLimits(max_rows=10, max_columns=12, max_file_mb=1)
    rows = _refused(mons, _file(tmp_path, "rows.csv", uk_csv(maker.uk(11))), "police_uk", limits=limits)
    assert "plus de 10 lignes" in rows and "OLS_MAX_ROWS" in rows
    wide = csv_bytes([*UK_COLUMNS, "x"], [[*r, ""] for r in maker.uk()])
    assert "13 colonnes" in _refused(mons, _file(tmp_path, "wide.csv", wide), "police_uk", limits=limits)
    big = uk_csv(maker.uk()) + b"\n" * (2 << 20)
    assert "OLS_MAX_FILE_MB" in _refused(mons, _file(tmp_path, "big.csv", big), "police_uk", limits=limits)
    assert _ingest(mons, _file(tmp_path, "ok.csv", uk_csv(maker.uk(10))), "police_uk", limits=limits).accepted == 10


@pytest.fixture
def coordinator(mons: Engine) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An API client on the test database, and a coordinator's authorisation header."""
    with mons.begin() as connection:
        token = create_user(connection, "coordinateur-corpus", role="coordinator")
    with TestClient(create_app(engine=mons, settings=ApiSettings())) as client:
        yield client, {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("name", ["..", "/", "../../etc/passwd", ".", "a\x00b.csv", "é" * 300 + ".csv", "\\"])
def test_any_upload_name_is_stored_under_a_harmless_one(
    coordinator: tuple[TestClient, dict[str, str]], maker: Maker, name: str
) -> None:
    client, auth = coordinator
    form = {"mapping": "police_uk", "source": "police-uk"}
    response = client.post("/api/v1/ingest", headers=auth, files={"file": (name, uk_csv(maker.uk()))}, data=form)
    assert response.status_code == 200, response.text
    stored = response.json()["file"]
    assert "/" not in stored and "\\" not in stored and "\x00" not in stored and stored not in ("", ".", "..")
    assert len(stored) <= 100


def test_the_api_answers_a_refused_file_with_a_french_422(
    coordinator: tuple[TestClient, dict[str, str]], maker: Maker
) -> None:
    client, auth = coordinator
    form = {"mapping": "police_municipale", "source": "police-uk"}
    response = client.post("/api/v1/ingest", headers=auth, files={"file": ("a.xlsx", uk_csv(maker.uk()))}, data=form)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("a.xlsx : le fichier est du texte")
    unknown = client.post("/api/v1/ingest", headers=auth, files={"file": ("a.csv", b"x")},
                          data={"mapping": "inconnue", "source": "police-uk"})  # fmt: skip
    assert unknown.status_code == 422 and "correspondance « inconnue » inconnue" in json.dumps(
        unknown.json(), ensure_ascii=False
    )


SEEDED = Maker(2019)
MUTABLE = {
    "police_uk": (uk_csv(SEEDED.uk(12)), "csv"),
    "police_nationale": (pn_csv(SEEDED.pn(12)), "csv"),
    "police_municipale": (xlsx_bytes(PM_COLUMNS, SEEDED.pm(12)), "xlsx"),
    "mediation": (geojson_bytes(SEEDED.features(12)), "geojson"),
}
EDITS = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), st.binary(max_size=3)), max_size=8)


def _mutated(data: bytes, edits: list[tuple[float, int, bytes]], keep: float) -> bytes:
    """``data`` with bytes replaced, inserted or deleted at the edits' positions, then cut to ``keep`` of it."""
    mutated = bytearray(data)
    for where, how, chunk in edits:
        at = int(where * (len(mutated) - 1))
        if how == 0:
            mutated[at : at + len(chunk)] = chunk
        elif how == 1:
            mutated[at:at] = chunk
        else:
            del mutated[at : at + how]
    return bytes(mutated[: max(1, int(keep * len(mutated)))])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mapping_name=st.sampled_from(sorted(MUTABLE)), edits=EDITS, keep=st.floats(0.5, 1))
def test_a_damaged_file_is_read_or_refused_never_crashes(
    tmp_path: Path, mapping_name: str, edits: list[tuple[float, int, bytes]], keep: float
) -> None:
    """Bytes replaced, inserted, deleted, the end cut: read and validated, or refused in French — no other error."""
    data, extension = MUTABLE[mapping_name]
    path = _file(tmp_path, f"abîmé.{extension}", _mutated(data, edits, 1.0 if keep > 0.9 else keep))
    mapping = load_mapping(mapping_name)
    try:
        table = read_file(path, mapping, IngestLimits())
    except InvalidInputError as refusal:
        assert str(refusal).startswith(f"{path.name} : "), refusal
        return
    assert len(table.lines) == len(table) and (table.issues is None or len(table.issues) == len(table))
    context = Context([TerritoryArea(1, "T", None, box(*MONS))], timezone="Europe/Paris", limits=IngestLimits())
    checked = [rows for _, rows in validate_chunks([table], mapping, context)]
    assert sum(len(rows) for rows in checked) == len(table)
    assert all(rows["reason"].dropna().isin(list(REASONS)).all() for rows in checked)
