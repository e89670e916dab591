"""The web assets (``/static``, ``/vendor``): a stamped address is kept by browsers, any other is revalidated.

The pages ask for their scripts and styles at addresses stamped with the file's hash (``web.page.asset``):
such an answer never changes, so it is marked immutable for a year and a returning reader's browser asks
nothing. An unstamped address (a CSS file's images, a page's static HTML links) is revalidated at each use
(ETag), so that an upgrade is never hidden behind a stale copy. Text assets are gzipped once per version
(keyed by their ETag) rather than by the compression middleware at every request: a first visit asks for
half a megabyte of scripts, which took the server's only event loop some 30 ms to compress each time.
The map page's scripts come as bundles (``/bundles/{name}.js``, :data:`web.page.BUNDLES`), made and gzipped once.
"""

from __future__ import annotations

import gzip
import os

from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from web.page import BUNDLES, bundle, bundle_url

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
KEPT = ("content-type", "etag", "last-modified")


class Assets(StaticFiles):
    """Static files whose stamped addresses (``?v=…``) are immutable, text ones sent gzipped from memory."""

    def __init__(self, *, directory: str | os.PathLike[str]) -> None:
        super().__init__(directory=directory)
        self.gzipped: dict[str, bytes] = {}

    def _gzipped(self, response: FileResponse) -> Response:
        """The file's gzip, made at its first request and kept under its ETag (a new version has a new ETag)."""
        etag = response.headers["etag"]
        if etag not in self.gzipped:
            with open(response.path, "rb") as file:
                self.gzipped[etag] = gzip.compress(file.read(), compresslevel=9)
        headers = {name: response.headers[name] for name in KEPT if name in response.headers}
        return Response(self.gzipped[etag], headers=headers | {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with its caching rule."""
        response = await super().get_response(path, scope)
        accepts = "gzip" in Headers(scope=scope).get("accept-encoding", "")
        text = response.headers.get("content-type", "").startswith(COMPRESSIBLE)
        if isinstance(response, FileResponse) and response.status_code == 200 and accepts and text:
            response = self._gzipped(response)
        stamped = scope.get("query_string", b"").startswith(b"v=")
        response.headers["Cache-Control"] = IMMUTABLE if stamped and response.status_code == 200 else REVALIDATE
        return response


BUNDLED: dict[str, bytes] = {}


async def bundle_response(name: str, request: Request) -> Response:
    """A bundle of the map page's scripts: gzipped once; immutable at its stamped address, revalidated otherwise."""
    if name not in BUNDLES:
        raise HTTPException(status_code=404, detail="Not Found")
    stamp = bundle_url(name).partition("?v=")[2]
    headers = {"ETag": f'"{stamp}"', "Content-Type": "application/javascript; charset=utf-8"}
    headers["Cache-Control"] = IMMUTABLE if request.query_params.get("v") == stamp else REVALIDATE
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(bundle(name), headers=headers)
    if name not in BUNDLED:
        BUNDLED[name] = gzip.compress(bundle(name), compresslevel=9)
    return Response(BUNDLED[name], headers=headers | {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
