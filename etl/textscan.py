"""Delimited text files: their encoding, their ``sep=`` line, their header and the file line of each row.

The mapping names the partner's encoding; the bytes may say otherwise. A byte-order mark or the
zero bytes of UTF-16 are unambiguous: UTF-16 and UTF-32 are refused (unless the mapping names
them), saying to re-save the file in UTF-8. A file that decodes as UTF-8 and holds accented
letters is UTF-8 whatever the mapping says (the same bytes read as cp1252 would be mojibake,
« Ã© »), and is read so. A file that does not decode in the encoding it is read with is refused,
naming the line of the first bad byte and what to do. Excel's ``sep=;`` first line sets the
separator. Blank lines are counted, so that every row keeps its true line number, and rows are
counted before any is parsed, so that a file over ``OLS_MAX_ROWS`` is refused at once.

The scan measures every line too. A line longer than any line within the limits can be
(:func:`line_limit`: ``OLS_MAX_COLUMNS`` cells of the largest cell limit, every quote doubled)
holds a cell over its limit, whatever its columns: it is left out of the parse (:class:`Overlong`)
and its row rejected (``too_long``) without ever being read, so that a 150 MB cell under the file
limit costs no memory; a header line that long refuses the file. The file is mapped in memory
and each block scanned is released at once, so that the scan holds one block, not the file.
"""

from __future__ import annotations

import codecs
import csv
import logging
import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from etl.mapping import CsvOptions
from etl.sniff import Kind, file_name, refuse
from ols.settings import IngestLimits

logger = logging.getLogger(__name__)

BLOCK = 4 << 20  # a scan holds about three blocks at once (bytes, decoded text, line breaks)
SEP_LINE = re.compile(r"sep=(.)\s*")
SEP_LINE_BYTES = 16
RELEASE = getattr(mmap, "MADV_DONTNEED", None)


def line_limit(limits: IngestLimits) -> int:
    """The most characters a line within the limits can hold: ``OLS_MAX_COLUMNS`` cells of the largest cell limit,
    each quoted with every quote in it doubled, and their separators."""
    cell = max(limits.max_cell_chars, limits.max_attribute_chars, limits.max_label_chars, limits.max_ref_chars)
    return limits.max_columns * (2 * cell + 3)


@dataclass(frozen=True)
class Overlong:
    """The rows left unread for being longer than :func:`line_limit`: their index among the rows, their length in
    characters, and the byte ranges (line and line break) the parse leaves out."""

    limit: int
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    chars: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class TextLayout:
    """How to read a text file: its encoding, separator and header, where its rows start, and their lines."""

    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    data: bytes | np.ndarray  # the file's bytes (a memory map), or its text re-encoded in UTF-8
    data_offset: int
    lines: np.ndarray  # the file line (1-based) of every non-blank line after the header, overlong ones too
    longest: int  # bytes of the longest line read
    overlong: Overlong

    def rows(self) -> pa.Buffer:
        """The bytes of the rows to parse: after the header, without the overlong lines."""
        if not self.overlong.spans:
            return pa.py_buffer(self.data).slice(self.data_offset)
        data = np.frombuffer(self.data, dtype=np.uint8) if isinstance(self.data, bytes) else self.data
        bounds = [self.data_offset, *(edge for span in self.overlong.spans for edge in span), len(data)]
        return pa.py_buffer(np.concatenate([data[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True)]))


@dataclass
class _Lines:
    """Non-blank lines found so far: their numbers and start offsets, the longest line within ``limit`` bytes, and
    those over it (their rank among the non-blank lines, start and length), to be measured in characters."""

    numbers: list[np.ndarray]
    starts: list[np.ndarray]
    limit: int
    longest: int = 0
    seen: int = 0  # lines counted so far (blank ones too)
    count: int = 0  # non-blank lines
    long: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, data: np.ndarray, breaks: np.ndarray, first_start: int, crlf: bool) -> int:
        """Record the lines ending at ``breaks`` (offsets of their line breaks); the start of the next line."""
        starts = np.concatenate(([first_start], breaks[:-1] + 1)) if len(breaks) else np.zeros(0, np.int64)
        ends = breaks.copy()
        if crlf and len(breaks):
            ends -= ((data[np.maximum(breaks - 1, 0)] == 13) & (breaks > starts)).astype(np.int64)
        lengths = ends - starts
        full = lengths > 0
        long = lengths > self.limit
        if long.any():
            ranks = self.count + np.cumsum(full)[long] - 1
            self.long += zip(ranks.tolist(), starts[long].tolist(), lengths[long].tolist(), strict=True)
        self.numbers.append(self.seen + 1 + np.flatnonzero(full))
        self.starts.append(starts[full])
        self.longest = max(self.longest, int(lengths[~long].max(initial=0)))
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


def mapped(path: Path) -> np.ndarray:
    """The file's bytes, mapped in memory (read-only): pages are read when touched, and can be released."""
    with path.open("rb") as handle:
        if not path.stat().st_size:
            return np.zeros(0, dtype=np.uint8)
        return np.frombuffer(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ), dtype=np.uint8)


def release(data: np.ndarray, start: int, stop: int) -> None:
    """Give back the pages of ``data[start:stop]`` a scan has read (a mapped file's only: they are read again from
    the page cache if touched), so that scanning a file holds one block of it, not the file."""
    owner = data.base.obj if isinstance(data.base, memoryview) else data.base  # what np.frombuffer keeps
    if RELEASE is None or not isinstance(owner, mmap.mmap):
        return
    first, stop = start - start % mmap.PAGESIZE, min(stop, len(data))
    if stop > first:
        owner.madvise(RELEASE, first, stop - first)


def require_utf8(path: Path, kind: Kind, *, advice: str) -> None:
    """Refuse a file that is not UTF-8 (a GeoJSON always is), naming the line of its first bad byte."""
    data = mapped(path)
    decoding = _Decoding("utf_8")
    for offset in range(kind.bom, len(data), BLOCK):
        decoding.feed(data[offset : offset + BLOCK].tobytes(), offset, final=offset + BLOCK >= len(data))
        release(data, offset, offset + BLOCK)
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


def _scan(data: np.ndarray, start: int, decoding: _Decoding | None, stop_after: int, limit: int) -> _Lines:
    """Line breaks (``\\n``, or ``\\r`` in a file without ``\\n``), lengths and decoding, block after block."""
    head = data[: 1 << 16]
    newline = 13 if not np.any(head == 10) and np.any(head == 13) else 10
    lines, line_start = _Lines([], [], limit), start
    for offset in range(start, max(len(data), start + 1), BLOCK):
        block = data[offset : offset + BLOCK]
        if decoding is not None:
            decoding.feed(block.tobytes(), offset, final=offset + BLOCK >= len(data))
        line_start = lines.add(data, offset + np.flatnonzero(block == newline), line_start, newline == 10)
        release(data, offset, offset + BLOCK)
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
        data = mapped(path)
        decoding, start = _Decoding(declared), kind.bom
    limit = line_limit(limits)
    lines = _scan(data, start, decoding, stop_after=limits.max_rows + options.skip_rows + 2, limit=limit)
    encoding = "utf_8" if decoding is None else _choose_encoding(path, data, decoding, kind)
    return _layout(path, data, lines, encoding, options, limits, _overlong(data, lines, encoding))


def _characters(data: np.ndarray, start: int, length: int, encoding: str) -> int:
    """Characters of the ``length`` bytes at ``start``: UTF-8 counts the bytes that start one, block by block."""
    if encoding != "utf_8":
        return length
    count = 0
    for offset in range(start, start + length, BLOCK):
        block = data[offset : min(offset + BLOCK, start + length)]
        count += int(np.count_nonzero((block & 0xC0) != 0x80))
        release(data, offset, offset + BLOCK)
    return count


def _overlong(data: np.ndarray, lines: _Lines, encoding: str) -> dict[int, int]:
    """The lines longer than the limit in characters, by rank among the non-blank lines, with their length; a line
    over the limit in bytes but not in characters is read (and counts for the longest line)."""
    found = {}
    for rank, start, length in lines.long:
        chars = _characters(data, start, length, encoding)
        if chars > lines.limit:
            found[rank] = chars
        else:
            lines.longest = max(lines.longest, length)
    return found


def _text_of(data: np.ndarray, start: int, longest: int, encoding: str) -> str:
    """The line starting at ``start`` (at most ``longest`` bytes: never an overlong line), decoded."""
    breaks = np.flatnonzero(np.isin(data[start : start + longest + 2], (10, 13)))
    end = start + int(breaks[0]) if len(breaks) else start + longest + 2
    return data[start:end].tobytes().decode(encoding, errors="replace")


def french(count: int) -> str:
    """A count as French writes it: ``157 286 417`` (narrow no-break spaces)."""
    return f"{count:,}".replace(",", "\u202f")


def _set_aside(data: np.ndarray, starts: np.ndarray, first: int, overlong: dict[int, int], limit: int) -> Overlong:
    """The overlong lines after the header ``first`` as rows left unread, with the bytes the parse leaves out."""
    ranks = sorted(rank for rank in overlong if rank > first)
    ends = [int(starts[rank + 1]) if rank + 1 < len(starts) else len(data) for rank in ranks]
    return Overlong(
        limit,
        rows=np.array([rank - first - 1 for rank in ranks], dtype=np.int64),
        chars=np.array([overlong[rank] for rank in ranks], dtype=np.int64),
        spans=[(int(starts[rank]), end) for rank, end in zip(ranks, ends, strict=True)],
    )


def _layout(
    path: Path,
    data: np.ndarray,
    lines: _Lines,
    encoding: str,
    options: CsvOptions,
    limits: IngestLimits,
    overlong: dict[int, int],
) -> TextLayout:
    numbers = np.concatenate(lines.numbers) if lines.numbers else np.zeros(0, np.int64)
    starts = np.concatenate(lines.starts) if lines.starts else np.zeros(0, np.int64)
    delimiter, skipped = options.delimiter, options.skip_rows
    if (
        len(numbers)
        and numbers[0] == 1
        and (found := SEP_LINE.fullmatch(_text_of(data, int(starts[0]), SEP_LINE_BYTES, encoding)))
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
    if first in overlong:
        raise refuse(
            path,
            f"l'en-tête (ligne {numbers[first]}) compte {french(overlong[first])} caractères, plus que les limites "
            f"n'en permettent ({french(lines.limit)} : OLS_MAX_COLUMNS × OLS_MAX_*_CHARS) : vérifiez que le fichier "
            "est bien un export CSV",
        )
    header = next(csv.reader([_text_of(data, int(starts[first]), lines.longest, encoding)], delimiter=delimiter), [])
    data_offset = int(starts[first + 1]) if first + 1 < len(starts) else len(data)
    return TextLayout(
        encoding, delimiter, header, int(numbers[first]), data, data_offset, numbers[first + 1 :], lines.longest,
        _set_aside(data, starts, first, overlong, lines.limit),
    )  # fmt: skip
