"""A seeded corpus of bad partner files, each with the answer OLS owes it (:func:`make_corpus`).

Every file is built for one shipped mapping (the API takes only those) over the test territory
:data:`MONS`. A case says either that the file must be refused whole (``refused``: a fragment of
the French message) or that it is stored with every row accounted for (``rows`` read, and the
exact rejection ``reasons``). Categories: encodings, compression, truncations, zip bombs, huge
cells, geometries, headers, wrong types, empty files, binary junk, malformed rows, row counts,
upload names and nominative data.

The nominative cases of ``tests/nominative_cases.py`` (nominative headers, each refusing its file;
names, birth dates, phones, e-mails, plates and NIR in the free text a mapping keeps, each
rejecting its row) join through :data:`NOMINATIVE`, with the values each plants (``planted``): the
corpus test runs them through the command line and the API like every other case, then searches
the whole database and the logs for those values.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
from pyproj import Transformer
from shapely.geometry import Point

from tests.nominative_cases import nominative_cases

MONS = (3.09, 50.63, 3.13, 50.65)
ROW_LIMIT = 2_000  # OLS_MAX_ROWS while the corpus runs: the "too many rows" files stay small
UK_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
              "LSOA name", "Crime type", "Last outcome category", "Context"]  # fmt: skip
UK_LABELS = ["Burglary", "Vehicle crime", "Criminal damage and arson", "Shoplifting"]
PN_COLUMNS = ["N° fait", "Date des faits", "Heure", "Nature de l'infraction", "X (L93)", "Y (L93)"]
PN_LABELS = ["Vol à la roulotte", "Destructions dégradations", "Cambriolage de résidence principale", "Vol simple"]
PM_COLUMNS = ["Réf. intervention", "Motif", "Date/heure", "Longitude", "Latitude", "Suite donnée"]
PM_LABELS = ["Rodéo urbain", "Tapage nocturne", "Véhicule ventouse", "Dépôt sauvage constaté"]
MED_LABELS = ["Regroupement de jeunes", "Nuisances sonores", "Rodéo", "Incivilité"]
ST_LABELS = ["Enlèvement de tags", "Dépôt sauvage", "Encombrants"]
TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)


@dataclass(frozen=True)
class Case:
    """One bad file and the answer it must get.

    ``refused``: a fragment of the French message refusing the file, which must also hold each of
    ``mentions``; else ``rows`` read and the exact rejection ``reasons``. ``planted``: personal
    values the file (or its name) carries, which must be stored, said and logged nowhere. ``shown``:
    the name messages give the file when its own names someone (masked), else its name.
    """

    name: str
    category: str
    mapping: str
    data: bytes
    refused: str | None = None
    rows: int | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    path: Path = Path()
    mentions: tuple[str, ...] = ()
    planted: tuple[str, ...] = ()
    shown: str = ""

    def __post_init__(self) -> None:
        assert (self.refused is None) != (self.rows is None), f"{self.name}: refused or stored, not both"


class Maker:
    """Builds the valid rows each mapping expects, from one seeded generator, with unique references."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.serial = 0

    def _points(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        return self.rng.uniform(3.095, 3.125, count), self.rng.uniform(50.632, 50.648, count)

    def _tag(self) -> str:
        self.serial += 1
        return f"C{self.serial:03d}"

    def uk(self, count: int = 5) -> list[list[str]]:
        """police_uk rows (``Crime ID`` unique across the corpus)."""
        lon, lat = self._points(count)
        tag = self._tag()
        return [[f"{tag}-{i}", f"2024-{1 + i % 12:02d}", "Test", "Test", f"{lon[i]:.6f}", f"{lat[i]:.6f}",
                 "On or near Rue Test", "E01000001", "Mons 001", UK_LABELS[i % 4], "Under investigation", ""]
                for i in range(count)]  # fmt: skip

    def pn(self, count: int = 5) -> list[list[str]]:
        """police_nationale rows: Lambert-93 with decimal commas, accented labels."""
        x, y = TO_L93.transform(*self._points(count))
        tag = self._tag()
        return [[f"{tag}-{i}", f"{1 + i % 28:02d}/03/2024", f"{i % 24:02d}:15", PN_LABELS[i % 4],
                 f"{x[i]:.1f}".replace(".", ","), f"{y[i]:.1f}".replace(".", ",")] for i in range(count)]  # fmt: skip

    def pm(self, count: int = 5) -> list[list[object]]:
        """police_municipale rows (XLSX cells: numbers stay numbers)."""
        lon, lat = self._points(count)
        tag = self._tag()
        return [[f"{tag}-{i}", PM_LABELS[i % 4], f"{1 + i % 28:02d}/04/2024 22:{i % 60:02d}", round(lon[i], 6),
                 round(lat[i], 6), "Rappel à l'ordre"] for i in range(count)]  # fmt: skip

    def features(self, count: int = 5) -> list[dict[str, object]]:
        """mediation GeoJSON features (points)."""
        lon, lat = self._points(count)
        self._tag()
        return [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon[i], 6), round(lat[i], 6)]},
                "properties": {
                    "motif": MED_LABELS[i % 4],
                    "date_intervention": f"2024-05-{1 + i % 28:02d}T18:{i % 60:02d}",
                    "duree_min": 10 + i,
                },
            }
            for i in range(count)
        ]


def csv_bytes(header: list[str], rows: list[list[str]], *, sep: str = ",", encoding: str = "utf-8",
              newline: str = "\n") -> bytes:  # fmt: skip
    """A CSV file's bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def uk_csv(rows: list[list[str]], **options: str) -> bytes:
    """A police_uk file."""
    return csv_bytes(UK_COLUMNS, rows, **options)


def pn_csv(rows: list[list[str]], *, encoding: str = "cp1252", sep: str = ";") -> bytes:
    """A police_nationale file (cp1252, ``;``)."""
    return csv_bytes(PN_COLUMNS, rows, sep=sep, encoding=encoding)


def xlsx_bytes(header: list[object], rows: list[list[object]], *, sheet: str = "Interventions") -> bytes:
    """A workbook with one sheet."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def geojson_bytes(features: list[dict[str, object]]) -> bytes:
    """A FeatureCollection."""
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def gpkg_bytes(folder: Path, labels: list[str], points: list[Point], *, layer: str = "interventions") -> bytes:
    """A services_techniques GeoPackage (Lambert-93), built through GDAL in ``folder``."""
    path = folder / "_building.gpkg"
    frame = gpd.GeoDataFrame(
        {"type_intervention": labels, "date_signalement": [f"2024-06-{1 + i % 28:02d}" for i in range(len(labels))]},
        geometry=points,
        crs=4326,
    ).to_crs(2154)
    frame.to_file(path, layer=layer, driver="GPKG")
    data = path.read_bytes()
    path.unlink()
    return data


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A ZIP archive of ``members``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bomb_xlsx(megabytes: int) -> bytes:
    """A valid-looking workbook whose only cell holds ``megabytes`` MB of one letter (a few hundred KB zipped)."""
    buffer = io.BytesIO()
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main"><sheets><sheet name="Interventions" sheetId="1"/></sheets></workbook>',
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
            block = b"A" * (1 << 20)
            for _ in range(megabytes):
                sheet.write(block)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return buffer.getvalue()


def junk(rng: np.random.Generator, size: int, *, prefix: bytes = b"") -> bytes:
    """Seeded random bytes after ``prefix``."""
    return prefix + rng.integers(0, 256, size, dtype=np.uint8).tobytes()


Build = Callable[[Maker, Path], list[Case]]


def _encodings(m: Maker, folder: Path) -> list[Case]:
    text = uk_csv(m.uk()).decode()
    accented = m.pn()
    mixed = uk_csv(m.uk(8)).splitlines(keepends=True)
    mixed[6] = mixed[6].replace(b"Rue Test", "Rue Théodore".encode("cp1252"))
    return [
        Case("utf16le_bom.csv", "encodings", "police_uk", text.encode("utf-16"), refused="UTF-16"),
        Case("utf16be_bom.csv", "encodings", "police_uk", b"\xfe\xff" + text.encode("utf-16-be"), refused="UTF-16"),
        Case("utf16le_nobom.csv", "encodings", "police_uk", text.encode("utf-16-le"), refused="UTF-16"),
        Case("utf16_pn.csv", "encodings", "police_nationale", pn_csv(m.pn(), encoding="utf-16"), refused="UTF-16"),
        Case("utf32.csv", "encodings", "police_uk", text.encode("utf-32"), refused="UTF-32"),
        Case("utf8_bom.csv", "encodings", "police_uk", uk_csv(m.uk(), encoding="utf-8-sig"), rows=5),
        Case("utf8_bom_on_cp1252.csv", "encodings", "police_nationale", pn_csv(accented, encoding="utf-8-sig"), rows=5),
        Case("utf8_on_cp1252.csv", "encodings", "police_nationale", pn_csv(m.pn(), encoding="utf-8"), rows=5),
        Case("cp1252_on_utf8.csv", "encodings", "police_uk",
             uk_csv([[*r[:6], "Près de l'église", *r[7:]] for r in m.uk()], encoding="cp1252"), refused="Windows-1252"),
        Case("undefined_cp1252_byte.csv", "encodings", "police_nationale",
             pn_csv(m.pn()).replace(b"Vol simple", b"Vol \x81simple"), refused="illisible"),
        Case("mixed_encodings.csv", "encodings", "police_uk", b"".join(mixed), refused="ligne 7"),
        Case("cut_multibyte.csv", "encodings", "police_uk", "Près".encode().join([uk_csv(m.uk()), b""])[:-2],
             refused="UTF-8"),
        Case("overlong_utf8.csv", "encodings", "police_uk", uk_csv(m.uk()).replace(b"Test", b"T\xc0\x80st", 1),
             refused="UTF-8"),
        Case("ebcdic.csv", "encodings", "police_uk", uk_csv(m.uk()).decode().encode("cp500"), refused="UTF-8"),
        Case("crlf.csv", "encodings", "police_uk", uk_csv(m.uk(), newline="\r\n"), rows=5),
        Case("cr_only.csv", "encodings", "police_uk", uk_csv(m.uk(), newline="\r"), rows=5),
        Case("bom_and_sep.csv", "encodings", "police_nationale",
             b"\xef\xbb\xbfsep=;\n" + pn_csv(m.pn(), encoding="utf-8"), rows=5),
    ]  # fmt: skip


def _compression(m: Maker, folder: Path) -> list[Case]:
    text = uk_csv(m.uk())
    feature = geojson_bytes(m.features())
    return [
        Case("gzip.csv", "compression", "police_uk", gzip.compress(text, mtime=0), refused="compressé (gzip)"),
        Case("export.csv.gz", "compression", "police_nationale", gzip.compress(pn_csv(m.pn()), mtime=0),
             refused="compressé (gzip)"),
        Case("bzip2.csv", "compression", "police_uk", bz2.compress(text), refused="compressé (bzip2)"),
        Case("xz.csv", "compression", "police_uk", lzma.compress(text), refused="compressé (xz)"),
        Case("zstd.csv", "compression", "police_uk", b"\x28\xb5\x2f\xfd" + text, refused="compressé (zstd)"),
        Case("seven.csv", "compression", "police_uk", b"7z\xbc\xaf\x27\x1c" + text, refused="archive 7-Zip"),
        Case("rar.csv", "compression", "police_uk", b"Rar!\x1a\x07\x00" + text, refused="archive RAR"),
        Case("zipped.csv", "compression", "police_uk", zip_bytes({"export.csv": text}), refused="archive ZIP"),
        Case("zipped.geojson", "compression", "mediation", zip_bytes({"a.geojson": feature}), refused="archive ZIP"),
        Case("gzip.geojson", "compression", "mediation", gzip.compress(feature, mtime=0), refused="compressé"),
    ]  # fmt: skip


def _truncations(m: Maker, folder: Path) -> list[Case]:
    workbook = xlsx_bytes(PM_COLUMNS, m.pm(40))
    feature = geojson_bytes(m.features(20))
    package = gpkg_bytes(folder, ST_LABELS * 4, [Point(3.1 + i / 1000, 50.64) for i in range(12)])
    text = uk_csv(m.uk(6))
    cut_in_quotes = uk_csv(m.uk(3)) + b'X-9,2024-01,Test,Test,3.1,50.64,"On or near'
    return [
        *(Case(f"truncated_{p}.xlsx", "truncations", "police_municipale", workbook[: len(workbook) * p // 100],
               refused="endommagé") for p in (10, 50, 90, 99)),
        Case("no_directory.xlsx", "truncations", "police_municipale", workbook[: workbook.rfind(b"PK\x01\x02")],
             refused="endommagé"),
        *(Case(f"truncated_{p}.geojson", "truncations", "mediation", feature[: len(feature) * p // 100],
               refused="GeoJSON illisible") for p in (5, 50, 95)),
        *(Case(f"truncated_{p}.gpkg", "truncations", "services_techniques", package[: len(package) * p // 100],
               refused="GeoPackage illisible") for p in (3, 40)),
        Case("truncated_row.csv", "truncations", "police_uk", text[: text.rfind(b",Test,") + 5], rows=6,
             reasons={"malformed_row": 1}),
        Case("truncated_in_quotes.csv", "truncations", "police_uk", cut_in_quotes, rows=4,
             reasons={"malformed_row": 1}),
        Case("header_only.csv", "truncations", "police_uk", uk_csv([]), rows=0),
    ]  # fmt: skip


def _bombs(m: Maker, folder: Path) -> list[Case]:
    many = zip_bytes({f"xl/worksheets/s{i}.xml": b"" for i in range(12_000)} | {"xl/workbook.xml": b"<workbook/>"})
    rows = b'<row><c s="1"/><c s="1"/><c s="1"/></row>' * 600_000  # a million styled empty cells
    return [
        Case("bomb_150mb_cell.xlsx", "zip bombs", "police_municipale", bomb_xlsx(150), refused="se décompresse"),
        Case("bomb_20mb_cell.xlsx", "zip bombs", "police_municipale", bomb_xlsx(20), refused="se décompresse"),
        Case("bomb_members.xlsx", "zip bombs", "police_municipale", many, refused="fichiers"),
        Case("bomb_rows.xlsx", "zip bombs", "police_municipale",
             zip_bytes({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": rows}),
             refused="se décompresse"),
        Case("bomb_zip.csv", "zip bombs", "police_uk", zip_bytes({"a.csv": b"a" * (50 << 20)}), refused="archive ZIP"),
        Case("bomb_gzip.csv", "zip bombs", "police_uk", gzip.compress(b"a" * (50 << 20), mtime=0),
             refused="compressé"),
    ]  # fmt: skip


def _huge_cells(m: Maker, folder: Path) -> list[Case]:
    def uk_with(index: int, value: str, count: int = 5) -> bytes:
        rows = m.uk(count)
        rows[1][index] = value
        return uk_csv(rows)

    letters = "".join(m.rng.choice(list("abcdefghij "), 10_000))
    pm = m.pm()
    pm[2][1] = letters
    features = m.features()
    features[0]["properties"] = {**features[0]["properties"], "motif": letters}  # type: ignore[dict-item]
    return [
        Case("label_5k.csv", "huge cells", "police_uk", uk_with(9, "B" * 5_000), rows=5, reasons={"too_long": 1}),
        Case("ref_1k.csv", "huge cells", "police_uk", uk_with(0, "R" * 1_000), rows=5, reasons={"too_long": 1}),
        Case("attribute_100k.csv", "huge cells", "police_uk", uk_with(6, "L" * 100_000), rows=5,
             reasons={"too_long": 1}),
        Case("date_50k.csv", "huge cells", "police_uk", uk_with(1, "2" * 50_000), rows=5, reasons={"too_long": 1}),
        Case("label_20mb.csv", "huge cells", "police_uk", uk_with(9, "V" * (20 << 20)), rows=5,
             reasons={"too_long": 1}),
        Case("unused_100k.csv", "huge cells", "police_uk", uk_with(11, "c" * 100_000), rows=5),  # column not read
        Case("unused_2mb.csv", "huge cells", "police_uk", uk_with(11, "c" * (2 << 20)), rows=5,
             reasons={"too_long": 1}),  # a line no row within the limits needs: not read, whatever its column
        Case("pn_label_300.csv", "huge cells", "police_nationale",
             pn_csv([[*r[:3], "é" * 300, *r[4:]] for r in m.pn(3)]), rows=3, reasons={"too_long": 3}),
        Case("cell_10k.xlsx", "huge cells", "police_municipale", xlsx_bytes(PM_COLUMNS, pm), rows=5,
             reasons={"too_long": 1}),
        Case("property_10k.geojson", "huge cells", "mediation", geojson_bytes(features), rows=5,
             reasons={"too_long": 1}),
    ]  # fmt: skip


def _feature(m: Maker, geometry: object) -> dict[str, object]:
    feature = m.features(1)[0]
    return {**feature, "geometry": geometry}


def _geometries(m: Maker, folder: Path) -> list[Case]:
    ring = [[3.1, 50.64], [3.101, 50.64], [3.101, 50.641]]
    bad = {
        "unclosed_ring": ({"type": "Polygon", "coordinates": [ring]}, "invalid_geometry"),
        "one_point_line": ({"type": "LineString", "coordinates": [[3.1, 50.64]]}, "invalid_geometry"),
        "null_geometry": (None, "missing_coordinates"),
        "empty_point": ({"type": "Point", "coordinates": []}, "missing_coordinates"),
        "out_of_range": ({"type": "Point", "coordinates": [500.0, 95.0]}, "invalid_coordinates"),
        "outside": ({"type": "Point", "coordinates": [2.35, 48.85]}, "outside_territory"),
        "unknown_type": ({"type": "Circle", "coordinates": [3.1, 50.64]}, "missing_coordinates"),
        "empty_geometry_collection": ({"type": "GeometryCollection", "geometries": []}, "missing_coordinates"),
    }
    bowtie = {"type": "Polygon", "coordinates": [[[3.1, 50.64], [3.11, 50.645], [3.11, 50.64], [3.1, 50.645],
                                                  [3.1, 50.64]]]}  # fmt: skip
    cases = [
        Case(f"{name}.geojson", "geometries", "mediation", geojson_bytes([*m.features(3), _feature(m, geometry)]),
             rows=4, reasons={reason: 1})
        for name, (geometry, reason) in bad.items()
    ]  # fmt: skip
    flat = {"type": "Polygon", "coordinates": [[ring[0], ring[1], ring[0]]]}  # no area, but a point all the same
    cases.append(Case("bowtie.geojson", "geometries", "mediation", geojson_bytes([_feature(m, bowtie)]), rows=1))
    cases.append(Case("flat_ring.geojson", "geometries", "mediation", geojson_bytes([_feature(m, flat)]), rows=1))
    package = gpkg_bytes(folder, ["Dépôt sauvage", "Enlèvement de tags"], [Point(3.1, 50.64), Point(3.11, 50.64)])
    point = TO_L93.transform(3.11, 50.64)
    blob = np.array(point, dtype="<f8").tobytes()
    assert blob in package, "the GeoPackage must hold the point's coordinates as written"
    broken = package.replace(blob, b"\xff" * len(blob))
    cases.append(Case("nan_point.gpkg", "geometries", "services_techniques", broken, rows=2,
                      reasons={"missing_coordinates": 1}))  # fmt: skip
    return cases


def _headers(m: Maker, folder: Path) -> list[Case]:
    duplicated = [*UK_COLUMNS[:11], "Crime type"]
    unused_twice = [*UK_COLUMNS[:11], "Reported by"]
    pm_twice = [*PM_COLUMNS, "Motif"]
    return [
        Case("duplicate_used.csv", "headers", "police_uk", csv_bytes(duplicated, m.uk()), refused="deux fois"),
        Case("duplicate_unused.csv", "headers", "police_uk", csv_bytes(unused_twice, m.uk()), rows=5),
        Case("duplicate_used.xlsx", "headers", "police_municipale",
             xlsx_bytes(pm_twice, [[*r, "Autre"] for r in m.pm()]), refused="deux fois"),
        Case("missing_column.csv", "headers", "police_uk",
             csv_bytes(UK_COLUMNS[:9] + UK_COLUMNS[10:], [r[:9] + r[10:] for r in m.uk()]), refused="absente"),
        Case("lowercase_header.csv", "headers", "police_uk",
             csv_bytes([c.lower() for c in UK_COLUMNS], m.uk()), refused="crime type"),
        Case("empty_header.csv", "headers", "police_uk", b",,,,,,,,,,,\n" + uk_csv(m.uk()).split(b"\n", 1)[1],
             refused="en-tête"),
        Case("blank_first_line.csv", "headers", "police_uk", b"\n\r\n" + uk_csv(m.uk()), rows=5),
        Case("wrong_separator.csv", "headers", "police_uk", uk_csv(m.uk(), sep=";"), refused="séparateur"),
        Case("sep_line.csv", "headers", "police_nationale", b"sep=;\r\n" + pn_csv(m.pn()), rows=5),
        Case("sep_line_comma.csv", "headers", "police_nationale", b"sep=,\n" + pn_csv(m.pn(), sep=","), rows=5),
        Case("blank_lines.csv", "headers", "police_uk", uk_csv(m.uk()).replace(b"\n", b"\n\n", 3), rows=5),
        Case("columns_300.csv", "headers", "police_uk",
             csv_bytes(UK_COLUMNS + [f"extra {i}" for i in range(300)], [r + [""] * 300 for r in m.uk()]),
             refused="OLS_MAX_COLUMNS"),
        Case("ragged_features.geojson", "headers", "mediation",
             geojson_bytes([*m.features(2), {**_feature(m, None), "properties": {"autre": 1}}]), rows=3,
             reasons={"missing_label": 1}),
        Case("no_sheet.xlsx", "headers", "police_municipale", xlsx_bytes(PM_COLUMNS, m.pm(), sheet="Feuil1"),
             refused="feuille"),
        Case("no_layer.gpkg", "headers", "services_techniques",
             gpkg_bytes(folder, ["Dépôt sauvage"], [Point(3.1, 50.64)], layer="autre"), refused="couche"),
    ]  # fmt: skip


def _types(m: Maker, folder: Path) -> list[Case]:
    workbook = xlsx_bytes(PM_COLUMNS, m.pm())
    package = gpkg_bytes(folder, ["Dépôt sauvage"], [Point(3.1, 50.64)])
    ods = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
    docx = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    return [
        Case("csv_named.xlsx", "wrong types", "police_municipale", uk_csv(m.uk()), refused="texte"),
        Case("xlsx_named.csv", "wrong types", "police_uk", workbook, refused="classeur Excel"),
        Case("old_excel.xls", "wrong types", "police_municipale",
             junk(m.rng, 4096, prefix=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), refused=".xls"),
        Case("report.pdf", "wrong types", "police_uk", b"%PDF-1.7\n" + junk(m.rng, 2048), refused="PDF"),
        Case("picture.csv", "wrong types", "police_uk", junk(m.rng, 2048, prefix=b"\x89PNG\r\n\x1a\n"),
             refused="image"),
        Case("gpkg_named.geojson", "wrong types", "mediation", package, refused="SQLite"),
        Case("geojson_named.gpkg", "wrong types", "services_techniques", geojson_bytes(m.features()),
             refused="texte"),
        Case("page.csv", "wrong types", "police_uk",
             b"<!DOCTYPE html>\n<html><body><p>Session expir\xc3\xa9e</p></body></html>\n", refused="absente"),
        Case("array.geojson", "wrong types", "mediation", json.dumps([1, 2, 3]).encode(), refused="GeoJSON"),
        Case("plain.json", "wrong types", "mediation", json.dumps({"motif": "Rodéo"}).encode(), refused="GeoJSON"),
        Case("sheet.ods", "wrong types", "police_municipale", ods, refused="OpenDocument"),
        Case("letter.docx", "wrong types", "police_municipale", docx, refused="Word"),
        Case("shapefile.zip", "wrong types", "services_techniques", zip_bytes({"a.shp": b"\x00\x00\x27\x0a"}),
             refused="archive ZIP"),
        Case("xlsx_named.gpkg", "wrong types", "services_techniques", workbook, refused="classeur Excel"),
        Case("csv_for_transport.xlsx", "wrong types", "transport", workbook, refused="classeur Excel"),
        Case("sqlite.gpkg", "wrong types", "services_techniques", _sqlite(folder), refused="couche"),
    ]  # fmt: skip


def _sqlite(folder: Path) -> bytes:
    import sqlite3

    path = folder / "_plain.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (a TEXT)")
    connection.close()
    data = path.read_bytes()
    path.unlink()
    return data


def _empty(m: Maker, folder: Path) -> list[Case]:
    return [
        *(Case(f"empty_{mapping}.{ext}", "empty files", mapping, b"", refused="vide")
          for mapping, ext in (("police_uk", "csv"), ("police_municipale", "xlsx"), ("mediation", "geojson"),
                               ("services_techniques", "gpkg"), ("bailleur", "csv"), ("transport", "csv"))),
        Case("only_bom.csv", "empty files", "police_uk", b"\xef\xbb\xbf", refused="vide"),
        Case("only_newlines.csv", "empty files", "police_uk", b"\n\n\r\n", refused="en-tête"),
        Case("only_spaces.geojson", "empty files", "mediation", b"   \n ", refused="vide"),
        Case("empty_object.geojson", "empty files", "mediation", b"{}", refused="GeoJSON"),
        Case("empty_collection.geojson", "empty files", "mediation", geojson_bytes([]), rows=0),
        Case("empty_sheet.xlsx", "empty files", "police_municipale", xlsx_bytes([], []), refused="en-tête"),
    ]  # fmt: skip


def _junk(m: Maker, folder: Path) -> list[Case]:
    return [
        Case("junk.csv", "binary junk", "police_uk", junk(m.rng, 8192), refused="binaire"),
        Case("junk_pn.csv", "binary junk", "police_nationale", junk(m.rng, 8192), refused="binaire"),
        Case("junk.xlsx", "binary junk", "police_municipale", junk(m.rng, 8192), refused="binaire"),
        Case("junk.geojson", "binary junk", "mediation", junk(m.rng, 8192), refused="binaire"),
        Case("junk.gpkg", "binary junk", "services_techniques", junk(m.rng, 8192), refused="binaire"),
        Case("brace_junk.geojson", "binary junk", "mediation", b'{"type": ' + junk(m.rng, 4096), refused="binaire"),
        Case("zip_junk.xlsx", "binary junk", "police_municipale", junk(m.rng, 4096, prefix=b"PK\x03\x04"),
             refused="endommagé"),
        Case("sqlite_junk.gpkg", "binary junk", "services_techniques",
             junk(m.rng, 4096, prefix=b"SQLite format 3\x00"), refused="GeoPackage illisible"),
        Case("nul_filled.csv", "binary junk", "police_uk", b"\x00" * 4096, refused="binaire"),
    ]  # fmt: skip


def _malformed(m: Maker, folder: Path) -> list[Case]:
    def uk_lines(edit: Callable[[list[bytes]], None], count: int = 6) -> bytes:
        lines = uk_csv(m.uk(count)).split(b"\n")
        edit(lines)
        return b"\n".join(lines)

    def extra(lines: list[bytes]) -> None:
        lines[2] += b",surplus"

    def fewer(lines: list[bytes]) -> None:
        lines[3] = lines[3].rsplit(b",", 3)[0]

    def quote(lines: list[bytes]) -> None:
        lines[4] = lines[4].replace(b"On or near", b'"On or near', 1)

    def nul_label(lines: list[bytes]) -> None:
        lines[1] = lines[1].replace(b"Burglary", b"Burg\x00lary")

    def nul_unused(lines: list[bytes]) -> None:
        lines[1] = lines[1].replace(b"Test,Test", b"T\x00st,Test")

    def separators(lines: list[bytes]) -> None:
        lines[2] = b"," * 11

    def control(lines: list[bytes]) -> None:
        lines[2] = lines[2].replace(b"Vehicle crime", b"Vehicle\x01crime")

    edits = {
        "extra_cell": (extra, "malformed_row"),
        "missing_cells": (fewer, "malformed_row"),
        "open_quote": (quote, "malformed_row"),
        "nul_in_label": (nul_label, "invalid_text"),
        "only_separators": (separators, "missing_label"),
    }
    cases = [Case(f"{name}.csv", "malformed rows", "police_uk", uk_lines(edit), rows=6, reasons={reason: 1})
             for name, (edit, reason) in edits.items()]  # fmt: skip
    cases.append(Case("nul_in_unused.csv", "malformed rows", "police_uk", uk_lines(nul_unused), rows=6))
    cases.append(Case("control_in_label.csv", "malformed rows", "police_uk", uk_lines(control), rows=6))  # label known
    cases.append(Case("nul_in_pn_label.csv", "malformed rows", "police_nationale",
                      pn_csv(m.pn()).replace(b"Vol simple", b"Vol\x00simple"), rows=5,
                      reasons={"invalid_text": 1}))  # fmt: skip
    return cases


def _row_counts(m: Maker, folder: Path) -> list[Case]:
    over = ROW_LIMIT + 1
    feature = m.features(1)[0]
    return [
        Case("rows_over.csv", "row counts", "police_uk", uk_csv(m.uk(over)), refused="OLS_MAX_ROWS"),
        Case("rows_at_limit.csv", "row counts", "police_uk", uk_csv(m.uk(ROW_LIMIT)), rows=ROW_LIMIT),
        Case("rows_over_blank.csv", "row counts", "police_uk", uk_csv(m.uk(10)) + b"\n" * (3 * ROW_LIMIT), rows=10),
        Case("rows_over.geojson", "row counts", "mediation", geojson_bytes([feature] * over), refused="OLS_MAX_ROWS"),
        Case("rows_over.xlsx", "row counts", "police_municipale", xlsx_bytes(PM_COLUMNS, m.pm(over)),
             refused="OLS_MAX_ROWS"),
    ]  # fmt: skip


def _nominative(m: Maker, folder: Path) -> list[Case]:
    rows = m.uk()
    contact = [[*r[:6], "Appeler le 06 12 34 56 78", *r[7:]] for r in m.uk()]
    return [
        Case("nominative_header.csv", "nominative", "police_uk",
             csv_bytes([*UK_COLUMNS, "Nom"], [[*r, "Jean DUPONT"] for r in rows]), refused="nominatives",
             planted=("Jean DUPONT",)),
        Case("nominative_contact.csv", "nominative", "police_uk", uk_csv(contact), rows=len(contact),
             reasons={"nominative_data": len(contact)}, planted=("06 12 34 56 78",)),  # the default: reject_row
        Case("plainte_Jean_Dupont.csv", "nominative", "police_uk", uk_csv(m.uk()), rows=5, planted=("Dupont",)),
        Case("signalement_Mme_Durand.csv", "nominative", "police_uk", b"", refused="vide",
             shown="signalement_[masqué].csv", planted=("Durand",)),
    ]  # fmt: skip


def _nominative_cases(m: Maker, folder: Path) -> list[Case]:
    """The cases of ``tests/nominative_cases.py``: a nominative header refuses its file (the message names the
    header), personal data in kept text rejects its row (the references repeat from file to file: duplicates)."""
    cases = []
    for name, data, expected in nominative_cases():
        if expected.refused:
            first, *more = expected.message
            case = Case(name, "nominative", expected.mapping, data, refused=first, mentions=tuple(more),
                        planted=expected.planted)  # fmt: skip
        else:
            case = Case(name, "nominative", expected.mapping, data, rows=expected.rows,
                        reasons={"nominative_data": expected.nominative_rows}, planted=expected.planted)  # fmt: skip
        cases.append(case)
    return cases


CATEGORIES: list[Build] = [_encodings, _compression, _truncations, _bombs, _huge_cells, _geometries, _headers, _types,
                           _empty, _junk, _malformed, _row_counts, _nominative]  # fmt: skip
NOMINATIVE: list[Build] = [_nominative_cases]


def make_corpus(folder: Path, *, seed: int = 19) -> list[Case]:
    """Write every case's file into ``folder`` (names are unique) and return the cases."""
    maker = Maker(seed)
    cases = [case for build in [*CATEGORIES, *NOMINATIVE] for case in build(maker, folder)]
    names = [case.name for case in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    written = []
    for case in cases:
        path = folder / case.name
        path.write_bytes(case.data)
        written.append(replace(case, data=b"", path=path))
    return written
