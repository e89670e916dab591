"""What the browser tests share: a page kept off the internet, as the meeting room without a connection."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page


def keep_offline(page: Page, server: str) -> list[str]:
    """Abort every request of ``page`` that leaves ``server``; the list the aborted URLs are written to."""
    blocked: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return blocked
