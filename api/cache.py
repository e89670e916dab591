"""The response cache of the analysis routes: encoded answers kept per audience, valid while their data is.

A key is the route, its normalised parameters and the audience's identity of what it may see
(:attr:`ols.access.audience.Audience.cache_key`: role, territories, own source, threshold), so
two audiences never share an entry. An entry carries the data stamp it was built from
(:meth:`ols.store.changes.DataStamps.of`): it is served only while the stamp of the same data is
unchanged, so a new ingest, refresh, zone or deal-point change makes it stale at once. Answers are
kept encoded (the bytes and their gzip) with an ETag, in a least-recently-used map bounded by the
bytes it holds (``OLS_CACHE_MB``), not by a number of entries: one heatmap of 20,000 cells weighs
what a thousand small answers do.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
from fastapi import Request, Response

Key = tuple[object, ...]
JSON = "application/json"
CACHE_CONTROL = "private, max-age=0, must-revalidate"


@dataclass(frozen=True)
class Entry:
    """One encoded answer, with the stamp of the data it was built from."""

    stamp: str
    etag: str
    media: str
    body: bytes
    gzipped: bytes

    @property
    def size(self) -> int:
        """The bytes it holds."""
        return len(self.body) + len(self.gzipped)


def _default(value: Any) -> Any:
    """What orjson does not encode by itself, as FastAPI's encoder would send it."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(type(value).__name__)


def dumps(payload: object) -> bytes:
    """JSON bytes of an answer (orjson: several times faster than FastAPI's encoder, and off the event loop)."""
    return orjson.dumps(payload, default=_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def encode(key: Key, stamp: str, payload: object, media: str = JSON) -> Entry:
    """Encode an answer once (orjson for JSON, bytes as they are, then gzip level 1), with its ETag."""
    body = payload if isinstance(payload, bytes) else dumps(payload)
    etag = '"' + hashlib.sha256(repr((key, stamp)).encode()).hexdigest()[:32] + '"'
    return Entry(stamp=stamp, etag=etag, media=media, body=body, gzipped=gzip.compress(body, compresslevel=1))


class ResponseCache:
    """A thread-safe least-recently-used map from keys to entries, holding at most ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key, stamp: str) -> Entry | None:
        """The entry if it was built from data with the same stamp (and it becomes the most recent)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.stamp != stamp:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Key, entry: Entry) -> None:
        """Keep an entry, forgetting the least recently used ones beyond the bound (one larger than it is not kept)."""
        if entry.size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self.bytes += entry.size - (old.size if old else 0)
            self._entries[key] = entry
            while self.bytes > self.max_bytes:
                _, gone = self._entries.popitem(last=False)
                self.bytes -= gone.size


def respond(request: Request, entry: Entry, *, hit: bool) -> Response:
    """The entry as the client asked for it: 304 when its ETag matches, gzip when accepted.

    ``X-Cache`` says whether it was served from the cache (``hit``) or computed for this request (``miss``).
    """
    headers = {"ETag": entry.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding",
               "X-Cache": "hit" if hit else "miss"}  # fmt: skip
    if request.headers.get("if-none-match") == entry.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gzipped, media_type=entry.media, headers=headers)
    return Response(entry.body, media_type=entry.media, headers=headers)
