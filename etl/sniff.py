"""What a partner file really is, read from its first bytes before any reader opens it.

A reader handed the wrong kind of file fails in its library's words (``BadZipFile``, ``'charmap'
codec can't decode``). The first bytes tell what the file is — compressed, an archive, an Excel,
OpenDocument or Word document, a PDF, a SQLite database, an image, text (and in which Unicode
form), or binary junk — so that a file whose kind does not fit its mapping is refused here, in
French, saying what it is and what to do. A file over ``OLS_MAX_FILE_MB`` is refused here too.

Compressed files (gzip, bzip2, xz, zstd, ZIP, 7-Zip, RAR) are refused, not read transparently:
partners' software exports plain files, an archive may hold several, and decompressing would need
limits of its own (a few kilobytes of gzip unpack to gigabytes). The refusal says to decompress.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from etl.mapping import Mapping
from etl.privacy.filenames import masked_filename
from ols.errors import InvalidInputError
from ols.settings import IngestLimits

HEAD_BYTES = 64 * 1024
MEGABYTE = 1 << 20
SIGNATURES = (
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"%PDF-", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)
BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
WHAT = {
    "empty": "vide (0 octet)",
    "text": "du texte",
    "binary": "binaire : ni du texte ni un format de données connu",
    "gzip": "compressé (gzip)",
    "bzip2": "compressé (bzip2)",
    "xz": "compressé (xz)",
    "zstd": "compressé (zstd)",
    "7z": "une archive 7-Zip",
    "rar": "une archive RAR",
    "zip": "une archive ZIP",
    "xlsx": "un classeur Excel (.xlsx)",
    "ods": "un classeur OpenDocument (.ods)",
    "docx": "un document Word (.docx)",
    "pdf": "un document PDF",
    "ole": "un ancien classeur ou document Office (.xls, .doc)",
    "sqlite": "une base SQLite (GeoPackage ?)",
    "image": "une image",
}
UNPACK = "décompressez-le et envoyez le fichier qu'il contient"
DOCUMENT = "envoyez l'export de données (CSV, XLSX, GeoJSON ou GeoPackage), pas un document"
ADVICE = {
    "empty": "ré-exportez-le depuis le logiciel du partenaire",
    "binary": "vérifiez que c'est bien l'export attendu, et non un fichier endommagé",
    **dict.fromkeys(("gzip", "bzip2", "xz", "zstd", "7z", "rar", "zip"), UNPACK),
    "xlsx": "choisissez la correspondance du classeur, ou enregistrez la feuille en CSV depuis Excel",
    "ods": "enregistrez-le en .xlsx ou en CSV",
    "docx": DOCUMENT,
    "pdf": DOCUMENT,
    "image": DOCUMENT,
    "ole": "ouvrez-le dans Excel et enregistrez-le en .xlsx (ou en CSV)",
    "sqlite": "choisissez la correspondance du GeoPackage, ou exportez la couche en CSV ou en GeoJSON",
    "text": "choisissez la correspondance de son format, ou ré-exportez-le dans le format attendu",
}
EXPECTED = {
    "csv": "un fichier texte CSV",
    "xlsx": "un classeur Excel (.xlsx)",
    "geojson": "un fichier GeoJSON",
    "gpkg": "un GeoPackage (.gpkg)",
}
FITS = {"csv": "text", "geojson": "text", "xlsx": "xlsx", "gpkg": "sqlite"}


@dataclass(frozen=True)
class Kind:
    """What a file is (a key of :data:`WHAT`), and for text its Unicode form and the length of its byte-order mark."""

    name: str
    unicode: str | None = None
    bom: int = 0


def _utf16_without_bom(head: bytes) -> bool:
    """Zero bytes at every other position: ASCII text written in UTF-16 without a byte-order mark."""
    size = len(head) - len(head) % 2
    if size < 8:
        return False
    pairs = np.frombuffer(head[:size], dtype=np.uint8).reshape(-1, 2) == 0
    even, odd = pairs.mean(axis=0)
    return bool(max(even, odd) > 0.3 and min(even, odd) < 0.05)


def _is_binary(head: bytes) -> bool:
    """Control bytes other than tab, line feed, form feed and carriage return in more than 5 % of the head."""
    values = np.frombuffer(head, dtype=np.uint8)
    control = (values < 32) & ~np.isin(values, (9, 10, 12, 13))
    return bool(control.mean() > 0.05)


def _text_kind(head: bytes) -> Kind:
    for mark, unicode in BOMS:
        if head.startswith(mark):
            return Kind("text", unicode, len(mark))
    if _utf16_without_bom(head):
        return Kind("text", "UTF-16")
    return Kind("binary") if _is_binary(head) else Kind("text")


def _zip_kind(path: Path) -> str:
    """An XLSX, ODS or DOCX document, another archive, or an archive too damaged to open."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.open("mimetype").read(64) if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return "broken-zip"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "ods"
    return "docx" if "word/document.xml" in names else "zip"


def file_kind(path: Path) -> Kind:
    """What the file is, from its first bytes (and, for a ZIP archive, its directory)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        return Kind("empty")
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        return Kind("bzip2")
    for signature, name in SIGNATURES:
        if head.startswith(signature):
            return Kind(_zip_kind(path) if name == "zip" else name)
    return _text_kind(head)


def file_name(path: Path) -> str:
    """The name every message and log line gives the file: its own, any personal data in it masked."""
    return masked_filename(path.name)


def refuse(path: Path, what: str) -> InvalidInputError:
    """The error that refuses ``path`` (``what``: what is wrong and what to do), named as every refusal is."""
    return InvalidInputError(f"{file_name(path)} : {what}")


def _mismatch(path: Path, kind: Kind, mapping: Mapping) -> InvalidInputError:
    if kind.name == "empty":
        return refuse(path, f"le fichier est vide (0 octet) : {ADVICE['empty']}")
    if kind.name == "broken-zip":
        if mapping.format == "xlsx":
            return refuse(
                path,
                "le classeur est tronqué ou endommagé (archive ZIP illisible) : réenregistrez-le "
                "depuis Excel et envoyez-le à nouveau",
            )
        kind = Kind("zip")
    return refuse(
        path,
        f"le fichier est {WHAT[kind.name]}, alors que la correspondance « {mapping.name} » attend "
        f"{EXPECTED[mapping.format]} : {ADVICE[kind.name]}",
    )


def inspect(path: Path, mapping: Mapping, limits: IngestLimits) -> Kind:
    """The file's kind, once checked that it fits the mapping's format and ``OLS_MAX_FILE_MB``."""
    size = path.stat().st_size
    if size > limits.max_file_mb * MEGABYTE:
        raise refuse(
            path,
            f"le fichier pèse {size / MEGABYTE:.0f} Mo, au-delà de la limite de {limits.max_file_mb} Mo "
            "(OLS_MAX_FILE_MB) : découpez-le (par exemple par mois) ou faites relever la limite",
        )
    kind = file_kind(path)
    if FITS[mapping.format] != kind.name:
        raise _mismatch(path, kind, mapping)
    return kind
