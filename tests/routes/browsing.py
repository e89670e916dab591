"""What the browser tests share: a page kept off the internet, as the meeting room without a connection; a workspace
page opened as a role; axe-core's verdict on a page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page


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


AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const found = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
  return found.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
}"""


@contextmanager
def workspace(browser: Browser, server: str, token: str, path: str) -> Iterator[Page]:
    """A fresh context (offline, CSP bypassed for axe) logged in with ``token`` at the workspace page ``path``: the
    page answers with the login form, which brings the reader back to it."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    keep_offline(page, server)
    page.goto(server + path)
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("#ols-workspace-config", state="attached", timeout=30_000)
    try:
        yield page
    finally:
        context.close()


def axe_violations(page: Page) -> list[Any]:
    """axe-core's WCAG 2.1 A/AA violations on ``page`` as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations: list[Any] = page.evaluate(AXE_RUN)
    return violations
