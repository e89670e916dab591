"""The map page, built with Folium: an empty Leaflet map, the OLS panel and script, local assets.

Layers are never embedded: ``static/ols.js`` fetches them from the API (so the page stays light
with 20,000 hexagons and follows the period and filters), and only the layers the reader's
audience grants are offered. Nothing a user typed is written into the page's HTML: the page's
configuration travels as a JSON data block (with ``<``, ``>`` and ``&`` escaped) that the script
reads as text, and every inline script carries the response's CSP nonce, so that the policy needs
no ``'unsafe-inline'`` for scripts. Leaflet and Leaflet.draw come from the pinned npm packages
under ``web/`` and are served by the API, never from a CDN. The default base map is the territory's
own streets, drawn from the API's vector tiles (``static/ols-streets.js``), so that the map reads
without internet; the online base maps (OpenStreetMap, Plan IGN) stay available with ``?basemap=``,
and when their tiles cannot load, every OLS layer still shows on a plain background.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import folium
from folium.plugins import Draw

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.caveats import CAVEATS, METHOD_TITLE, TITLE, method_paragraphs
from ols.wording import CLASS_LABELS

WEB = Path(__file__).resolve().parent
VENDOR = WEB / "node_modules"
BASEMAPS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© contributeurs OpenStreetMap"),
    "ign": (
        "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
        "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
        "© IGN — Géoplateforme (Plan IGN)",
    ),
}
# The offline base map: the streets the territory loaded, as vector tiles of the API (web/static/ols-streets.js).
STREETS = {"url": "/api/v1/tiles/streets/{z}/{x}/{y}.mvt", "label": "Plan des rues (hors ligne)", "pane": "olsStreets",
           "z_index": 250}  # fmt: skip
STREETS_JS = ("/vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js", "/static/ols-streets.js")
# The colours, outlines and panes of the map (a test checks their contrast against the heat ramp).
STYLE = json.loads((WEB / "static" / "ols-style.json").read_text(encoding="utf-8"))
# ols.js's fetch (same origin, credentials same-origin) uses a preload made in CORS mode without credentials.
PRELOAD = '<link rel="preload" as="fetch" crossorigin="anonymous" href="{url}">'
SCRIPT_TAG = re.compile(r"<script(?=[\s>])")
# Folium's page says no language and forbids zooming the page (WCAG 3.1.1, 1.4.4): French, and zoomable.
HTML_TAG = re.compile(r"<html>")
NO_ZOOM = re.compile(r",\s*maximum-scale=1\.0,\s*user-scalable=no")
POLICY = ("default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
          "script-src 'self'{nonce}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
          "object-src 'none'; form-action 'self'")  # fmt: skip


def _file(url: str) -> Path | None:
    """The file behind an asset's address (``/static/…`` or ``/vendor/…``), None when there is none."""
    folder, _, rest = url.lstrip("/").partition("/")
    root = {"static": WEB / "static", "vendor": VENDOR}.get(folder)
    path = root / rest if root else None
    return path if path is not None and path.is_file() else None


@functools.cache
def asset(url: str) -> str:
    """``url`` (``/static/…`` or ``/vendor/…``) stamped with its content's hash: the server marks a stamped asset
    immutable, so a browser keeps it and a returning reader's map waits for none of its scripts, while a new
    version of a file gets a new address."""
    path = _file(url)
    return f"{url}?v={hashlib.sha256(path.read_bytes()).hexdigest()[:12]}" if path else url


@functools.cache
def bundle(name: str) -> bytes:
    """The scripts of :data:`BUNDLES` ``name``, in order, each ended on a line of its own (a script's last line may
    be a comment); KeyError for an unknown name."""
    return b"".join(path.read_bytes() + b"\n;\n" for path in map(_file, BUNDLES[name]) if path is not None)


@functools.cache
def bundle_url(name: str) -> str:
    """The address of a bundle, stamped with its content's hash (immutable, as a stamped asset)."""
    return f"/bundles/{name}.js?v={hashlib.sha256(bundle(name)).hexdigest()[:12]}"


def content_policy(nonce: str | None = None) -> str:
    """The Content-Security-Policy of OLS's responses (a page with inline scripts passes its nonce)."""
    return POLICY.format(nonce=f" 'nonce-{nonce}'" if nonce else "")


def json_block(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element: no markup can close it."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


OBSERVATORY = "Observatoire local de la sécurité"
# In this order: the legend and the parts ols.js draws with, ols.js, then the two that read what it drew.
SCRIPTS = ("ols-legend.js", "ols-parts.js", "ols.js", "ols-table.js", "ols-present.js")
# The map page's scripts travel in a few bundles, not a dozen files: over HTTP/1.1 a browser opens six connections
# to the server, which the page's first answers (preloaded) also take, and the last scripts waited for them (about
# 0,3 s of a first render). Leaflet and h3-js, which the page's inline map script needs, come first; Leaflet.draw
# and its French texts for those who draw zones; the offline streets' scripts; then OLS's own, deferred.
BUNDLES = {
    "map-base": ("/vendor/leaflet/dist/leaflet.js", "/vendor/h3-js/dist/h3-js.umd.js"),
    "map-draw": ("/vendor/leaflet-draw/dist/leaflet.draw.js", "/static/ols-fr.js"),
    "map-streets": STREETS_JS,
    "map": tuple(f"/static/{script}" for script in SCRIPTS),
}


@dataclass(frozen=True)
class Edition:
    """What the title of the map says about the observatory: its name, the reader's communes and the published
    editions' dates.

    ``observatory`` is the observatory's name as a report's title ends (« du CLSPD de Mons-en-Barœul »);
    ``published`` maps a period's name to the ISO date its edition was published (a period never published is
    dated by its refresh, which the heatmap's metadata carries).
    """

    observatory: str = ""
    communes: tuple[str, ...] = ()
    published: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """« Observatoire local de la sécurité du CLSPD de … », else its communes when few enough for a title band."""
        if self.observatory:
            return f"{OBSERVATORY} {self.observatory}"
        return OBSERVATORY + (" — " + ", ".join(self.communes) if 0 < len(self.communes) <= 3 else "")


def _config(audience: Audience, bounds: tuple[float, float, float, float], presentation: bool, name: str,
            edition: Edition, streets: bool) -> str:  # fmt: skip
    return json_block({
        "map": name, "role": audience.role.value, "role_label": audience.label, "user": audience.name,
        "observatory": edition.title, "editions": edition.published, "marking": audience.marking,
        "api": "/api/v1", "presentation": presentation, "bounds": list(bounds), "layers": audience.layers(),
        "resolutions": list(audience.resolutions), "resolution": audience.resolution(),
        "manages": audience.may(Layer.MANAGE), "threshold": audience.threshold if audience.suppressed else None,
        "classes": CLASS_LABELS, "style": STYLE, "caveats": {"title": TITLE, "paragraphs": list(CAVEATS),
                                             "method_title": METHOD_TITLE, "method": list(method_paragraphs())},
        "streets": STREETS if streets else None,
    })  # fmt: skip


def first_requests(audience: Audience, period: str | None) -> tuple[str, ...]:
    """The API answers ``static/ols.js`` asks for as the map opens, at the addresses it builds: its lists, then the
    layers of ``period`` (the newest, which it opens on) at the reader's resolution, for facts, every family.

    The page preloads them so that they travel while its scripts load, instead of after; a test checks that each
    is used, once (a changed address in ols.js would otherwise fetch twice).
    """
    granted = set(audience.layers())
    asked = ["/periods", "/nomenclature", "/sources", "/territories"] + (["/places"] if "places" in granted else [])
    if period is not None:
        layer = f"period={period}&resolution={audience.resolution()}"
        asked.append(f"/heatmap/cells?{layer}&measure=facts&outlines=true")
        asked += [f"/hotspots?{layer}&significant_only=true&measure=facts"] if "hotspots" in granted else []
        asked += [f"/zones?period={period}", f"/zones/compare?period={period}"] if "zones" in granted else []
        asked += ["/deal-points"] if "deal_points" in granted else []
    return tuple(f"/api/v1{path}" for path in asked)


def map_page(
    *, bounds: tuple[float, float, float, float], audience: Audience, basemap: str | None = None,
    presentation: bool = False, streets: bool = False,
    edition: Edition | None = None, period: str | None = None,
) -> tuple[str, str]:  # fmt: skip
    """The HTML of the map page for one audience, and the CSP nonce its inline scripts carry.

    The base map is ``basemap`` (``streets``, ``osm``, ``ign`` or ``none``); by default the territory's own
    streets when it has loaded some (``streets``: drawn offline from the API's tiles), else OpenStreetMap's tiles.
    ``period`` is the newest refreshed period, whose first answers the page preloads (:func:`first_requests`).
    """
    west, south, east, north = bounds
    basemap = basemap or ("streets" if streets else "osm")
    page = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=14, tiles=None)
    # Fitted before any layer is added, without animation: fitted after the base map, the page asked for tiles at
    # the start zoom, then zoomed to the territory through a quarter-second animation, on every opening.
    fit = folium.FitBounds([[south, west], [north, east]])
    fit.options["animate"] = False
    page.add_child(fit)
    page.default_js = [("map_base", bundle_url("map-base"))]
    page.default_css = [("leaflet_css", asset("/vendor/leaflet/dist/leaflet.css")),
                        ("ols_css", asset("/static/ols.css"))]  # fmt: skip
    if basemap in BASEMAPS:
        url, attribution = BASEMAPS[basemap]
        folium.TileLayer(url, attr=attribution, name="Fond de plan", max_zoom=19).add_to(page)
    if audience.may(Layer.MANAGE):
        draw = Draw(  # type: ignore[no-untyped-call]
            export=False, draw_options={"polyline": False, "circle": False, "marker": False,
                                                "circlemarker": False, "rectangle": True, "polygon": True})  # fmt: skip
        draw.default_js = [("map_draw", bundle_url("map-draw"))]  # its texts in French, before the control is built
        draw.default_css = [("leaflet_draw_css", asset("/vendor/leaflet-draw/dist/leaflet.draw.css"))]
        draw.add_to(page)
    root: Any = page.get_root()
    root.html.add_child(folium.Element((WEB / "static" / "panel.html").read_text(encoding="utf-8")))
    offline = streets and basemap == "streets"
    config = _config(audience, bounds, presentation, page.get_name(), edition or Edition(), offline)
    root.html.add_child(folium.Element(f'<script type="application/json" id="ols-config">{config}</script>'))
    for name in ("map-streets", "map") if offline else ("map",):
        root.html.add_child(folium.Element(f'<script src="{bundle_url(name)}" defer></script>'))
    root.header.add_child(folium.Element('<meta charset="utf-8"><title>OLS — carte</title>'))
    for url in first_requests(audience, period):
        root.header.add_child(folium.Element(PRELOAD.format(url=escape(url))))
    nonce = secrets.token_urlsafe(16)
    text = NO_ZOOM.sub("", HTML_TAG.sub('<html lang="fr">', str(root.render()), count=1))
    return SCRIPT_TAG.sub(f'<script nonce="{nonce}"', text), nonce


def login_page() -> str:
    """The login page: a token field (the coordinator gives each partner its token)."""
    return (WEB / "static" / "login.html").read_text(encoding="utf-8")


def accessibility_page() -> str:
    """The accessibility statement of OLS (déclaration d'accessibilité, RGAA 4.1 model)."""
    return (WEB / "static" / "accessibilite.html").read_text(encoding="utf-8")
