"""The map page, built with Folium: an empty Leaflet map, the OLS panel and script, local assets.

Layers are never embedded: ``static/ols.js`` fetches them from the API (so the page stays light
with 20,000 hexagons and follows the period and filters). Leaflet and Leaflet.draw come from the
pinned npm packages under ``web/`` and are served by the API, never from a CDN; when the base map's
tiles cannot load, every OLS layer still shows on a plain background.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import folium
from folium.plugins import Draw

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


def map_page(
    *, bounds: tuple[float, float, float, float], role: str, user: str, basemap: str = "osm", presentation: bool = False
) -> str:
    """The HTML of the map page for one user (the role decides the editing tools shown)."""
    west, south, east, north = bounds
    page = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=14, tiles=None,
                      control_scale=True)  # fmt: skip
    page.default_js = [("leaflet", "/vendor/leaflet/dist/leaflet.js"), ("h3", "/vendor/h3-js/dist/h3-js.umd.js")]
    page.default_css = [("leaflet_css", "/vendor/leaflet/dist/leaflet.css"), ("ols_css", "/static/ols.css")]
    if basemap in BASEMAPS:
        url, attribution = BASEMAPS[basemap]
        folium.TileLayer(url, attr=attribution, name="Fond de plan", max_zoom=19).add_to(page)
    if role == "coordinator":
        draw = Draw(  # type: ignore[no-untyped-call]
            export=False, draw_options={"polyline": False, "circle": False, "marker": False,
                                                "circlemarker": False, "rectangle": True, "polygon": True})  # fmt: skip
        draw.default_js = [("leaflet_draw_js", "/vendor/leaflet-draw/dist/leaflet.draw.js")]
        draw.default_css = [("leaflet_draw_css", "/vendor/leaflet-draw/dist/leaflet.draw.css")]
        draw.add_to(page)
    page.fit_bounds([[south, west], [north, east]])
    config = {"map": page.get_name(), "role": role, "user": user, "api": "/api/v1", "presentation": presentation,
              "bounds": [west, south, east, north]}  # fmt: skip
    panel = (WEB / "static" / "panel.html").read_text(encoding="utf-8")
    root: Any = page.get_root()
    root.html.add_child(folium.Element(panel))
    loader = (
        f"window.OLS_CONFIG = {json.dumps(config)};"
        "window.addEventListener('load', function () { var s = document.createElement('script');"
        " s.src = '/static/ols.js'; document.body.appendChild(s); });"
    )
    root.html.add_child(folium.Element(f"<script>{loader}</script>"))
    root.header.add_child(folium.Element('<meta charset="utf-8"><title>OLS — carte</title>'))
    return str(root.render())


def login_page() -> str:
    """The login page: a token field (the coordinator gives each partner its token)."""
    return (WEB / "static" / "login.html").read_text(encoding="utf-8")
