"""Serving cache of layer responses: gzip-ready bytes with an ETag, invalidated by refresh.

A key holds the request's layer parameters and the caller's audience (role and territories);
its entry is valid while the period's refresh stamp is the same one it was built from.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass

import orjson

MAX_ENTRIES = 512


@dataclass(frozen=True)
class Entry:
    """One cached response."""

    stamp: str
    etag: str
    body: bytes
    gzipped: bytes


class LayerCache:
    """A small thread-safe map from request keys to encoded responses."""

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], stamp: str) -> Entry | None:
        """The entry if it was built from the same refresh."""
        entry = self._entries.get(key)
        return entry if entry is not None and entry.stamp == stamp else None

    def put(self, key: tuple[object, ...], stamp: str, payload: object) -> Entry:
        """Encode a payload once (orjson, then gzip level 1) and keep it."""
        body = orjson.dumps(payload)
        etag = '"' + hashlib.sha256(repr((key, stamp)).encode()).hexdigest()[:32] + '"'
        entry = Entry(stamp=stamp, etag=etag, body=body, gzipped=gzip.compress(body, compresslevel=1))
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = entry
        return entry
