// The map page's parts that hold no reload state: the outlined styles (a halo cased under each line, in the layer's
// pane), the heat canvas, the « Pourquoi ? » dialog, the method, the zone card, the hour × weekday table and the
// panel's sections. ols.js builds them once from window.OLS.
window.OLSParts = function (OLS) {
  "use strict";
  const { cfg, map, el, get, state } = OLS;
  const STYLE = cfg.style;
  const $ = (id) => document.getElementById(id);
  // The pane of each layer (their z-indexes: ols-style.json), whatever order their answers arrive in.
  const PANES = { heatmap: "olsHeat", hotspots: "olsHot", zones: "olsZones", near_repeat: "olsAnalyses",
    crosswatch: "olsAnalyses", places: "olsPlaces", boundary: "olsBoundary", deal_points: "olsDeal" };

  // A line style of ols-style.json, for a layer's pane (extra: class name, fill); its halo is cased under it.
  function lineStyle(key, layer, extra) {
    const outline = STYLE.outlines[key];
    return Object.assign({ pane: PANES[layer], color: outline.color, weight: outline.weight,
      dashArray: outline.dashArray || null, opacity: 1 }, extra);
  }
  function haloStyle(key, layer) {
    const outline = STYLE.outlines[key];
    return { pane: PANES[layer], color: outline.halo, weight: outline.weight + 3, opacity: 0.9, fill: false,
      interactive: false, className: "ols-halo" };
  }
  // A GeoJSON layer drawn outlined: every feature's halo first, then its line (same pane, so always under it).
  function outlined(layer, data, keyOf, extraOf, onEachFeature) {
    const halo = L.geoJSON(data, { pane: PANES[layer], interactive: false, style: (f) => haloStyle(keyOf(f), layer) });
    const line = L.geoJSON(data, { pane: PANES[layer], style: (f) => lineStyle(keyOf(f), layer, extraOf(f)), onEachFeature });
    return [halo, line];
  }

  // Leaflet's own words in French: the zoom buttons, the attribution's prefix, every popup's close button.
  function frenchControls() {
    if (map.zoomControl) {
      const buttons = { ".leaflet-control-zoom-in": "Zoom avant", ".leaflet-control-zoom-out": "Zoom arrière" };
      Object.entries(buttons).forEach(([selector, label]) => {
        const button = map.zoomControl.getContainer().querySelector(selector);
        button.title = label;
        button.setAttribute("aria-label", label);
      });
    }
    if (map.attributionControl) { map.attributionControl.setPrefix("Leaflet"); }
    map.on("popupopen", (event) => {
      const close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", "Fermer"); close.title = "Fermer"; }
    });
  }
  frenchControls();

  // Large heatmaps are painted on one canvas (one Leaflet layer per hexagon is too slow past a few thousand).
  const HexCanvas = L.Layer.extend({
    // The outlines are projected once (the map's CRS, in metres from the first vertex, so that the canvas's
    // single-precision geometry keeps its detail) into one Path2D per fill colour, built from a path string in one
    // call: a redraw (pan, zoom, resize) only sets the canvas transform and fills one path per colour class.
    initialize(cells) {
      const projection = map.options.crs.projection;
      const parts = new Map();
      this.origin = null;
      cells.forEach((cell) => {
        const ring = cell.boundary.map(([lat, lng]) => projection.project(L.latLng(lat, lng)));
        if (this.origin === null) { this.origin = ring[0]; }
        const { x, y } = this.origin;
        const path = "M" + ring.map((point) => (point.x - x).toFixed(1) + " " + (point.y - y).toFixed(1)).join("L") + "Z";
        if (!parts.has(cell.fill)) { parts.set(cell.fill, []); }
        parts.get(cell.fill).push(path);
      });
      this.classes = new Map(Array.from(parts, ([fill, paths]) => [fill, new Path2D(paths.join(""))]));
    },
    onAdd(target) {
      this.canvas = L.DomUtil.create("canvas", "ols-hexcanvas leaflet-zoom-hide");
      target.getPane("olsHeat").appendChild(this.canvas);
      target.on("moveend zoomend resize", this.redraw, this);
      this.redraw();
    },
    onRemove(target) { L.DomUtil.remove(this.canvas); target.off("moveend zoomend resize", this.redraw, this); },
    // Projected metres → screen pixels at the current view: the CRS's affine transformation at this zoom, then
    // the pixel origin and the map pane's offset (what map.latLngToContainerPoint does, without rounding).
    screen() {
      const crs = map.options.crs;
      const scale = crs.scale(map.getZoom());
      const zero = crs.transformation.transform(L.point(0, 0), scale);
      const one = crs.transformation.transform(L.point(1, 1), scale);
      const origin = map.getPixelOrigin();
      const pane = map.layerPointToContainerPoint([0, 0]);
      return { ax: one.x - zero.x, bx: zero.x - origin.x + pane.x, ay: one.y - zero.y, by: zero.y - origin.y + pane.y };
    },
    redraw() {
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      this.canvas.width = size.x * ratio;
      this.canvas.height = size.y * ratio;
      this.canvas.style.width = size.x + "px";
      this.canvas.style.height = size.y + "px";
      L.DomUtil.setPosition(this.canvas, map.containerPointToLayerPoint([0, 0]));
      if (this.origin === null) { return; }
      const context = this.canvas.getContext("2d");
      const { ax, bx, ay, by } = this.screen();
      context.setTransform(ratio * ax, 0, 0, ratio * ay, ratio * (ax * this.origin.x + bx), ratio * (ay * this.origin.y + by));
      context.globalAlpha = STYLE.heat.opacity;
      context.strokeStyle = "rgba(85,85,85,0.5)";
      context.lineWidth = 0.3 / Math.abs(ax);
      this.classes.forEach((path, fill) => {
        context.fillStyle = fill;
        context.fill(path);
        context.stroke(path);
      });
    },
  });

  // « Pourquoi cette cellule ? »: the API's sentences in a panel that takes the focus and gives it back on closing.
  let explainOpener = null;
  async function explain(target) {
    const box = $("ols-explain");
    explainOpener = document.activeElement;
    $("ols-explain-title").textContent = target.zone ? "Pourquoi cette zone ?" : "Pourquoi cette cellule ?";
    $("ols-explain-body").replaceChildren(el("p", {}, "Chargement…"));
    box.hidden = false;
    box.focus();
    try {
      const found = await get("/explain", Object.assign({ period: $("ols-period").value }, target));
      $("ols-explain-title").textContent = found.title + (found.label ? " — " + found.label : "");
      $("ols-explain-body").replaceChildren(...found.sentences.map((sentence) => el("p", {}, sentence)),
        el("h3", {}, cfg.caveats.title), el("ul", {}, found.caveats.map((caveat) => el("li", { class: "ols-note" }, caveat))));
      state.explained = found;
    } catch (error) {
      $("ols-explain-body").replaceChildren(el("p", {}, "Explication indisponible : " + error.message));
    }
  }
  function closeExplain() {
    $("ols-explain").hidden = true;
    if (explainOpener && explainOpener.focus) { explainOpener.focus(); }
  }
  $("ols-explain-close").addEventListener("click", closeExplain);
  $("ols-explain").addEventListener("keydown", (event) => { if (event.key === "Escape") { closeExplain(); } });
  const method = el("div", { id: "ols-method" });
  $("ols-caveats").append(...cfg.caveats.paragraphs.map((text) => el("p", {}, text)), el("h3", {}, cfg.caveats.method_title),
    method);
  // The method as the shown period was computed (its refresh's figures); the settings in force until a layer says.
  function showMethod(paragraphs) {
    method.replaceChildren(...(paragraphs || cfg.caveats.method).map((text) => el("p", { class: "ols-note" }, text)));
  }
  showMethod(null);

  function zoneCard(properties) {
    const parts = [el("strong", {}, properties.name), el("br"), properties.rationale || ""];
    const details = [properties.owner, properties.review_date ? "révision " + properties.review_date : ""].filter(Boolean);
    if (details.length) { parts.push(el("br"), el("em", {}, details.join(" — "))); }
    if (properties.stats && properties.stats.events !== undefined) {
      const events = properties.stats.events == null ? "< " + cfg.threshold : properties.stats.events;
      parts.push(el("br"), events + " faits");
    }
    const why = el("button", { type: "button", class: "ols-why" }, "Pourquoi cette zone ?");
    why.addEventListener("click", () => explain({ zone: properties.code }));
    parts.push(el("br"), why);
    return el("div", {}, parts);
  }

  function drawProfile(profile) {
    const hidden = "< " + (profile.suppression_threshold || 5);
    const max = Math.max(1, ...profile.grid.flat().filter((n) => n != null));
    const head = el("tr", {}, el("th", { scope: "col" }, "jour"),
      Array.from({ length: 24 }, (_, hour) => el("th", { scope: "col" },
        hour % 6 === 0 ? hour + "h" : el("span", { class: "ols-sr" }, hour + "h"))));
    const rows = profile.grid.map((row, day) => el("tr", {}, el("th", { scope: "row" }, profile.weekdays[day].slice(0, 3)),
      row.map((n, hour) => el("td", { title: profile.weekdays[day] + " " + hour + "h : " + (n == null ? hidden : n),
        style: { background: n == null ? "#ddd" : "rgba(189,0,38," + (n / max).toFixed(2) + ")" } },
        el("span", { class: "ols-sr" }, n == null ? hidden : n)))));
    const unknown = profile.heure_inconnue.map((n) => (n == null ? hidden : n)).join(" · ");
    $("ols-profile").replaceChildren(el("h3", {}, "Heures × jours"),
      el("table", { class: "ols-profile" }, el("caption", {}, "Faits par jour et heure"), el("thead", {}, head),
        el("tbody", {}, rows)),
      el("p", {}, "Heure inconnue : " + unknown));
  }

  // A panel section: a title and its paragraphs or list (nothing when the reader does not receive the layer).
  function panelSection(id, title, ...children) {
    $(id).replaceChildren(el("h3", {}, title), ...children);
  }


  return { HexCanvas, explain, showMethod, zoneCard, drawProfile, panelSection, lineStyle, haloStyle, outlined };
};
