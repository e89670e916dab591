"""The web assets (``/static``, ``/vendor``): a stamped address is kept by browsers, any other is revalidated.

The pages ask for their scripts and styles at addresses stamped with the file's hash (``web.page.asset``):
such an answer never changes, so it is marked immutable for a year and a returning reader's browser asks
nothing. An unstamped address (a CSS file's images, a page's static HTML links) is revalidated at each use
(ETag), so that an upgrade is never hidden behind a stale copy.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class Assets(StaticFiles):
    """Static files whose stamped addresses (``?v=…``) are immutable."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with its caching rule."""
        response = await super().get_response(path, scope)
        stamped = scope.get("query_string", b"").startswith(b"v=")
        response.headers["Cache-Control"] = IMMUTABLE if stamped and response.status_code == 200 else REVALIDATE
        return response
