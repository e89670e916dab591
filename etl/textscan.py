"""Delimited text files: their encoding, their ``sep=`` line, their header and the file line of each row.

The mapping names the partner's encoding; the bytes may say otherwise. A byte-order mark or the
zero bytes of UTF-16 are unambiguous: UTF-16 and UTF-32 are refused (unless the mapping names
them), saying to re-save the file in UTF-8. A file that decodes as UTF-8 and holds accented
letters is UTF-8 whatever the mapping says (the same bytes read as cp1252 would be mojibake,
« Ã© »), and is read so. A file that does not decode in the encoding it is read with is refused,
naming the line of the first bad byte and what to do. Excel's ``sep=;`` first line sets the
separator. Blank lines are counted, so that every row keeps its true line number, and rows are
counted before any is parsed, so that a file over ``OLS_MAX_ROWS`` is refused at once.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from etl.mapping import CsvOptions
from etl.sniff import Kind, file_name, refuse
from ols.settings import IngestLimits

logger = logging.getLogger(__name__)

BLOCK = 16 << 20
SEP_LINE = re.compile(r"sep=(.)\s*")


@dataclass(frozen=True)
class TextLayout:
    """How to read a text file: its encoding, separator and header, where its rows start, and their lines."""

    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    data: bytes | np.ndarray  # the file's bytes (a memory map), or its text re-encoded in UTF-8
    data_offset: int
    lines: np.ndarray  # the file line (1-based) of every non-blank line after the header
    longest: int  # bytes of the longest line


@dataclass
class _Lines:
    """Non-blank lines found so far: their numbers and start offsets, and the longest line."""

    numbers: list[np.ndarray]
    starts: list[np.ndarray]
    longest: int = 0
    seen: int = 0  # lines counted so far (blank ones too)
    count: int = 0  # non-blank lines

    def add(self, data: np.ndarray, breaks: np.ndarray, first_start: int, crlf: bool) -> int:
        """Record the lines ending at ``breaks`` (offsets of their line breaks); the start of the next line."""
        starts = np.concatenate(([first_start], breaks[:-1] + 1)) if len(breaks) else np.zeros(0, np.int64)
        ends = breaks.copy()
        if crlf and len(breaks):
            ends -= ((data[np.maximum(breaks - 1, 0)] == 13) & (breaks > starts)).astype(np.int64)
        lengths = ends - starts
        full = lengths > 0
        self.numbers.append(self.seen + 1 + np.flatnonzero(full))
        self.starts.append(starts[full])
        self.longest = max(self.longest, int(lengths.max(initial=0)))
        self.seen += len(breaks)
        self.count += int(full.sum())
        return int(breaks[-1]) + 1 if len(breaks) else first_start


class _Decoding:
    """Whether the bytes decode as UTF-8 and as the declared encoding, and where they first fail."""

    def __init__(self, declared: str) -> None:
        self.declared = declared
        self.decoders = {"utf_8": codecs.getincrementaldecoder("utf_8")()}
        if declared != "utf_8":
            self.decoders[declared] = codecs.getincrementaldecoder(declared)()
        self.failed: dict[str, int] = {}  # decoder → offset of the first byte it could not decode
        self.non_ascii = False

    def feed(self, block: bytes, offset: int, *, final: bool) -> None:
        """Decode the next block with every decoder that has not failed yet."""
        self.non_ascii = self.non_ascii or not block.isascii()
        for name, decoder in self.decoders.items():
            if name in self.failed:
                continue
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as error:
                self.failed[name] = offset + error.start


def _line_of(data: np.ndarray, offset: int) -> int:
    return int(np.count_nonzero(data[:offset] == 10)) + 1


def _bad_byte(data: np.ndarray, offset: int) -> str:
    """Where decoding failed, as the partner can find it: the line and the byte."""
    if offset >= len(data):
        return f"ligne {_line_of(data, len(data))}, caractère coupé en fin de fichier"
    return f"ligne {_line_of(data, offset)}, octet 0x{int(data[offset]):02X}"


def require_utf8(path: Path, kind: Kind, *, advice: str) -> None:
    """Refuse a file that is not UTF-8 (a GeoJSON always is), naming the line of its first bad byte."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    decoding = _Decoding("utf_8")
    for offset in range(kind.bom, len(data), BLOCK):
        decoding.feed(data[offset : offset + BLOCK].tobytes(), offset, final=offset + BLOCK >= len(data))
        if "utf_8" in decoding.failed:
            where = _bad_byte(data, decoding.failed["utf_8"])
            raise refuse(path, f"le fichier n'est pas encodé en UTF-8 ({where} illisible) : {advice}")


def _choose_encoding(path: Path, data: np.ndarray, decoding: _Decoding, kind: Kind) -> str:
    """UTF-8 when the bytes are UTF-8 (and not plain ASCII read as declared), else the declared encoding."""
    if "utf_8" not in decoding.failed:
        if not decoding.non_ascii and kind.unicode != "UTF-8":
            return decoding.declared  # plain ASCII: the same text in either
        if decoding.declared != "utf_8":
            logger.info("%s : encodé en UTF-8 (et non en %s) : lu en UTF-8", file_name(path), decoding.declared)
        return "utf_8"
    if kind.unicode == "UTF-8" or decoding.declared == "utf_8":
        offset = decoding.failed["utf_8"]
        chunk = bytes(data[max(0, offset - 40) : offset + 40])
        hint = ""
        try:
            chunk.decode("cp1252")
            hint = " ; il semble encodé en Windows-1252 (cp1252)"
        except UnicodeDecodeError:
            pass
        raise refuse(
            path,
            f"le fichier n'est pas encodé en UTF-8 ({_bad_byte(data, offset)} illisible){hint} : "
            "réenregistrez-le en UTF-8 ou indiquez son encodage dans la correspondance (csv: encoding: cp1252)",
        )
    if decoding.declared in decoding.failed:
        offset = decoding.failed[decoding.declared]
        raise refuse(
            path,
            f"le fichier n'est pas lisible en {decoding.declared} ({_bad_byte(data, offset)} illisible) : "
            "il est endommagé ou dans un autre encodage ; réenregistrez-le en UTF-8 ou indiquez son encodage dans "
            "la correspondance",
        )
    return decoding.declared


def _wide_text(path: Path, declared: str, unicode: str) -> np.ndarray:
    """A UTF-16 or UTF-32 file the mapping declares, as UTF-8 bytes (refused when the mapping does not say so)."""
    if not declared.startswith(unicode.lower().replace("-", "_")):
        raise refuse(
            path,
            f"le fichier semble encodé en {unicode} : réenregistrez-le en UTF-8 ou choisissez l'encodage dans "
            "la correspondance",
        )
    try:
        text = path.read_bytes().decode(declared)
    except UnicodeDecodeError as error:
        raise refuse(
            path, f"le fichier n'est pas lisible en {unicode} (octet {error.start}) : réenregistrez-le en UTF-8"
        ) from None
    return np.frombuffer(text.lstrip("\ufeff").encode(), dtype=np.uint8)


def _scan(data: np.ndarray, start: int, decoding: _Decoding | None, stop_after: int) -> _Lines:
    """Line breaks (``\\n``, or ``\\r`` in a file without ``\\n``) and decoding, block after block."""
    head = data[: 1 << 16]
    newline = 13 if not np.any(head == 10) and np.any(head == 13) else 10
    lines, line_start = _Lines([], []), start
    for offset in range(start, max(len(data), start + 1), BLOCK):
        block = data[offset : offset + BLOCK]
        if decoding is not None:
            decoding.feed(block.tobytes(), offset, final=offset + BLOCK >= len(data))
        line_start = lines.add(data, offset + np.flatnonzero(block == newline), line_start, newline == 10)
        if lines.count > stop_after:
            return lines
    if line_start < len(data):
        lines.add(data, np.array([len(data)], dtype=np.int64), line_start, crlf=False)
    return lines


def scan_text(path: Path, options: CsvOptions, kind: Kind, limits: IngestLimits) -> TextLayout:
    """The layout of a delimited text file, or a refusal naming what is wrong with it."""
    declared = codecs.lookup(options.encoding).name.replace("-", "_")
    if kind.unicode in ("UTF-16", "UTF-32"):
        data: np.ndarray = _wide_text(path, declared, kind.unicode)
        decoding, start = None, 0
    else:
        data = np.memmap(path, dtype=np.uint8, mode="r")
        decoding, start = _Decoding(declared), kind.bom
    lines = _scan(data, start, decoding, stop_after=limits.max_rows + options.skip_rows + 2)
    encoding = "utf_8" if decoding is None else _choose_encoding(path, data, decoding, kind)
    return _layout(path, data, lines, encoding, options, limits)


def _text_of(data: np.ndarray, start: int, longest: int, encoding: str) -> str:
    """The line starting at ``start``, decoded."""
    breaks = np.flatnonzero(np.isin(data[start : start + longest + 2], (10, 13)))
    end = start + int(breaks[0]) if len(breaks) else start + longest + 2
    return data[start:end].tobytes().decode(encoding, errors="replace")


def _layout(
    path: Path, data: np.ndarray, lines: _Lines, encoding: str, options: CsvOptions, limits: IngestLimits
) -> TextLayout:
    numbers = np.concatenate(lines.numbers) if lines.numbers else np.zeros(0, np.int64)
    starts = np.concatenate(lines.starts) if lines.starts else np.zeros(0, np.int64)
    delimiter, skipped = options.delimiter, options.skip_rows
    if (
        len(numbers)
        and numbers[0] == 1
        and (found := SEP_LINE.fullmatch(_text_of(data, int(starts[0]), lines.longest, encoding)))
    ):
        delimiter, skipped = found.group(1), skipped + 1
    after = numbers > skipped
    if not after.any():
        raise refuse(
            path,
            "le fichier ne contient aucun en-tête de colonnes : il est vide ou n'a que des lignes "
            "vides ; ré-exportez-le depuis le logiciel du partenaire",
        )
    first = int(np.argmax(after))
    if lines.count - first - 1 > limits.max_rows:
        raise refuse(
            path,
            f"le fichier compte plus de {limits.max_rows} lignes (OLS_MAX_ROWS) : découpez-le "
            "(par exemple par mois) ou faites relever la limite",
        )
    header = next(csv.reader([_text_of(data, int(starts[first]), lines.longest, encoding)], delimiter=delimiter), [])
    data_offset = int(starts[first + 1]) if first + 1 < len(starts) else len(data)
    return TextLayout(
        encoding, delimiter, header, int(numbers[first]), data, data_offset, numbers[first + 1 :], lines.longest
    )
