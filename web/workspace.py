"""The workspace pages (import, batches, semester, users, points de deal, patrols, tableau de bord, sheets…).

Each page is one static HTML fragment (``static/workspace/<name>.html``: no user data is ever written
into it) wrapped in the same frame: skip link, title band, a navigation listing only the pages the
reader's role may open, the logout button, the accessibility link. The page's script reads its
configuration from a JSON data block (escaped like the map's) and talks to the API with the session
cookie, through ``static/ols-workspace.js`` (fetch, French numbers and dates, tables, live region,
background-job progress). A rule of who may open which page lives here, in ``TABS``, and nowhere else;
the API behind each page checks the same audience again.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from typing import Any

from ols.access.audience import Audience
from ols.access.roles import Layer
from web.page import WEB, asset, json_block

FRAGMENTS = WEB / "static" / "workspace"
NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Tab:
    """One workspace page: its path, its French title, and the layer a reader needs to open it."""

    path: str
    title: str
    needs: Layer | None = None  # None: any logged-in reader


# The workspace's pages, in the navigation's order (the map first). A lane adds its page here.
TABS: tuple[Tab, ...] = (
    Tab("/", "Carte"),
    Tab("/espace", "Espace de travail"),
    Tab("/import", "Import de fichiers", Layer.MANAGE),
    Tab("/lots", "Lots importés", Layer.MANAGE),
    Tab("/semestre", "Semestre et éditions", Layer.MANAGE),
    Tab("/correspondances", "Correspondances", Layer.MANAGE),
    Tab("/utilisateurs", "Utilisateurs", Layer.MANAGE),
    Tab("/journal", "Journal d'audit", Layer.MANAGE),
    Tab("/fiches", "Fiches lieu et secteur", Layer.SHEETS),
    Tab("/points-de-deal", "Points de deal", Layer.DEAL_POINTS),
    Tab("/patrouilles", "Patrouilles", Layer.PATROLS),
    Tab("/tableau-de-bord", "Tableau de bord", Layer.DASHBOARD),
)


def tab(path: str) -> Tab:
    """The workspace page at ``path`` (KeyError when there is none)."""
    return next(item for item in TABS if item.path == path)


def allowed(audience: Audience, path: str) -> bool:
    """Whether ``audience`` may open the page at ``path``."""
    needs = tab(path).needs
    return needs is None or audience.may(needs)


def _navigation(audience: Audience, current: str) -> str:
    items = []
    for item in TABS:
        if item.needs is not None and not audience.may(item.needs):
            continue
        here = ' aria-current="page"' if item.path == current else ""
        items.append(f'<li><a href="{item.path}"{here}>{html.escape(item.title)}</a></li>')
    return f'<nav aria-label="Espace de travail"><ul class="ols-nav">{"".join(items)}</ul></nav>'


def workspace_page(
    *, path: str, fragment: str, audience: Audience, scripts: tuple[str, ...] = (), data: dict[str, Any] | None = None
) -> tuple[str, str]:
    """The HTML of the workspace page at ``path`` for ``audience`` and the CSP nonce of its inline data block.

    ``fragment`` names ``static/workspace/<fragment>.html`` (the page's body, static); ``scripts`` are files of
    ``static/`` (or absolute paths, such as ``/vendor/…``) loaded after ``ols-workspace.js``; ``data`` reaches
    them as ``OLSWorkspace.config.data``.
    """
    if not NAME.match(fragment):
        raise ValueError(f"nom de fragment invalide : {fragment}")
    title = tab(path).title
    body = (FRAGMENTS / f"{fragment}.html").read_text(encoding="utf-8")
    config = json_block({"path": path, "role": audience.role.value, "role_label": audience.label,
                         "user": audience.name, "marking": audience.marking, "api": "/api/v1",
                         "data": data or {}})  # fmt: skip
    nonce = secrets.token_urlsafe(16)
    marking = f'<p class="ols-marking">{html.escape(audience.marking)}</p>' if audience.marking else ""
    tags = "".join(f'<script src="{html.escape(asset(name if name.startswith("/") else "/static/" + name))}" defer>'
                   '</script>'
                   for name in ("ols-workspace.js", *scripts))  # fmt: skip
    page = f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — OLS</title>
<link rel="stylesheet" href="{asset("/static/ols-workspace.css")}">
</head>
<body class="ols-workspace">
<a class="ols-skip" href="#contenu">Aller au contenu</a>
<header class="ols-band">
<p class="ols-brand">Observatoire local de la sécurité</p>
{_navigation(audience, path)}
<p class="ols-who"><span>{html.escape(audience.name)} ({html.escape(audience.label)})</span>
<button type="button" id="ols-logout">Se déconnecter</button></p>
</header>
{marking}
<main id="contenu" tabindex="-1">
<h1>{html.escape(title)}</h1>
{body}
<p id="ols-status" class="ols-status" role="status" aria-live="polite"></p>
</main>
<footer class="ols-footer"><a href="/accessibilite">Accessibilité : non conforme</a></footer>
<script type="application/json" id="ols-workspace-config" nonce="{nonce}">{config}</script>
{tags}
</body>
</html>
"""
    return page, nonce
