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

  // A canvas of one pane painting paths projected once (the map's CRS, in ``unit`` metres from an ``origin``, so
  // that the canvas's single-precision geometry keeps its detail): a redraw (pan, zoom, resize) only sets the
  // canvas transform and paints its few paths (``paint(context, pixel)``, ``pixel``: one screen pixel in units).
  const ProjectedCanvas = L.Layer.extend({
    onAdd(target) {
      this.canvas = L.DomUtil.create("canvas", this.className + " leaflet-zoom-hide");
      target.getPane(this.pane).appendChild(this.canvas);
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
      const context = this.canvas.getContext("2d");
      const { ax, bx, ay, by } = this.screen();
      context.setTransform(ratio * ax * this.unit, 0, 0, ratio * ay * this.unit, ratio * (ax * this.origin.x + bx),
        ratio * (ay * this.origin.y + by));
      this.paint(context, 1 / Math.abs(ax * this.unit));
    },
  });

  // Large heatmaps are painted on one canvas (one Leaflet layer per hexagon is too slow past a few thousand).
  // The API sends each cell's outline already projected, as path data: the page joins them into one Path2D per
  // fill colour, in one call each, and does no work per vertex.
  // ``outlines``: the answer's outlines (crs, unit, origin, paths); ``fills``: each cell's colour, same order.
  const HexCanvas = ProjectedCanvas.extend({
    initialize(outlines, fills) {
      const parts = new Map();
      outlines.paths.forEach((path, index) => {
        if (!parts.has(fills[index])) { parts.set(fills[index], []); }
        parts.get(fills[index]).push(path);
      });
      this.pane = PANES.heatmap;
      this.className = "ols-hexcanvas";
      this.origin = L.point(outlines.origin[0], outlines.origin[1]);
      this.unit = outlines.unit;
      this.classes = new Map(Array.from(parts, ([fill, paths]) => [fill, new Path2D(paths.join(""))]));
    },
    paint(context, pixel) {
      context.globalAlpha = STYLE.heat.opacity;
      context.strokeStyle = "rgba(85,85,85,0.5)";
      context.lineWidth = 0.3 * pixel;
      this.classes.forEach((path, fill) => {
        context.fillStyle = fill;
        context.fill(path);
        context.stroke(path);
      });
    },
  });

  // Many outlined H3 cells (hot spots past a few hundred) on one canvas of their layer's pane, styled as the SVG
  // outlines: every halo first, then every line, one path per style key. An SVG path each, and its halo, held the
  // first render about 0,1 s. A cell says what it is on hover (``label(feature)``), found by its H3 index.
  const OutlineCanvas = ProjectedCanvas.extend({
    initialize(layer, features, keyOf, label) {
      const projection = L.Projection.SphericalMercator;
      this.layer = layer;
      this.pane = PANES[layer];
      this.className = "ols-outlinecanvas";
      this.unit = 1;
      this.origin = null;
      this.label = label;
      this.cells = new Map(features.map((f) => [f.properties.h3, f]));
      this.resolution = features.length ? h3.getResolution(features[0].properties.h3) : null;
      this.paths = new Map();
      features.forEach((f) => {
        const key = keyOf(f);
        if (!this.paths.has(key)) { this.paths.set(key, new Path2D()); }
        const path = this.paths.get(key);
        f.geometry.coordinates[0].forEach(([lng, lat], index) => {
          const point = projection.project(L.latLng(lat, lng));
          if (this.origin === null) { this.origin = point; }
          path[index === 0 ? "moveTo" : "lineTo"](point.x - this.origin.x, point.y - this.origin.y);
        });
        path.closePath();
      });
      this.origin = this.origin || L.point(0, 0);
      this.tooltip = L.tooltip({ direction: "top", offset: [0, -8], className: "ols-canvas-tooltip" });
    },
    onAdd(target) {
      ProjectedCanvas.prototype.onAdd.call(this, target);
      target.on("mousemove", this.hover, this);
    },
    onRemove(target) {
      target.off("mousemove", this.hover, this);
      target.closeTooltip(this.tooltip);
      ProjectedCanvas.prototype.onRemove.call(this, target);
    },
    hover(event) {
      const cell = this.resolution === null ? null : h3.latLngToCell(event.latlng.lat, event.latlng.lng, this.resolution);
      const feature = this.cells.get(cell);
      if (!feature) { map.closeTooltip(this.tooltip); return; }
      if (this.tooltip.feature !== feature) {
        this.tooltip.feature = feature;
        this.tooltip.setContent(this.label(feature)).setLatLng(h3.cellToLatLng(cell));
      }
      if (!map.hasLayer(this.tooltip)) { map.openTooltip(this.tooltip); }
    },
    paint(context, pixel) {
      const stroke = (path, color, weight, opacity, dash) => {
        context.strokeStyle = color;
        context.globalAlpha = opacity;
        context.lineWidth = weight * pixel;
        context.setLineDash(dash ? String(dash).split(/[ ,]+/).map((n) => Number(n) * pixel) : []);
        context.stroke(path);
      };
      this.paths.forEach((path, key) => { const halo = haloStyle(key, this.layer); stroke(path, halo.color, halo.weight, halo.opacity); });
      this.paths.forEach((path, key) => { const line = lineStyle(key, this.layer); stroke(path, line.color, line.weight, line.opacity, line.dashArray); });
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


  return { HexCanvas, OutlineCanvas, explain, showMethod, zoneCard, drawProfile, panelSection, lineStyle, haloStyle, outlined };
};
