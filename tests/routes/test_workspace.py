"""The workspace's frame: login at the page asked for, a navigation cut by role, axe-clean, logout."""

from __future__ import annotations

from playwright.sync_api import Browser
from starlette.testclient import TestClient

from tests.routes.browsing import axe_violations, workspace
from web.workspace import TABS


def test_a_workspace_page_without_session_is_the_login_form(client: TestClient) -> None:
    response = client.get("/espace")
    assert response.status_code == 200 and "Jeton d'accès" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_the_workspace_home_lists_what_the_role_opens_and_logs_out(
    browser: Browser, server: str, tokens: dict[str, str]
) -> None:
    for role in ("coordinator", "public"):
        with workspace(browser, server, tokens[role], "/espace") as page:
            page.wait_for_selector("#ws-pages li")
            assert page.locator("h1").inner_text() == "Espace de travail"
            shown = page.locator(".ols-nav a").all_inner_texts()
            assert shown[:2] == ["Carte", "Espace de travail"]
            assert len(shown) == sum(1 for tab in TABS if tab.needs is None or role == "coordinator"), shown
            assert axe_violations(page) == [], role
            page.click("#ols-logout")
            page.wait_for_url(server + "/")
            assert page.goto(server + "/espace") is not None and page.locator("#token").count() == 1
