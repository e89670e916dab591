// The OLS map: fetches every layer the reader's audience grants from the API, for the chosen period and filters.
// Every text that comes from data (names, labels, reasons) reaches the page through textContent, never as markup.
(async function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("ols-config").textContent);
  const map = window[cfg.map];
  // The heatmap lies in a pane of its own under every other layer, however often it is redrawn.
  map.createPane("olsHeat").style.zIndex = 390;
  const granted = new Set(cfg.layers);
  const palette = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  const HOT_STYLES = {
    hot_99: { color: "#b2182b", weight: 3 }, hot_95: { color: "#d6604d", weight: 2 },
    hot_90: { color: "#f4a582", weight: 2, dashArray: "4 3" }, cold_99: { color: "#2166ac", weight: 3 },
    cold_95: { color: "#4393c3", weight: 2 }, cold_90: { color: "#92c5de", weight: 2, dashArray: "4 3" },
  };
  // What the map drew last, layer by layer (the table view and the presentation mode read it; see web/README.md).
  const state = { loads: 0, counts: {}, drawn: {} };
  window.OLS_STATE = state;
  const $ = (id) => document.getElementById(id);
  const status = (text) => { $("ols-status").textContent = text; };

  // An element with attributes and children (strings become text nodes).
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => {
      if (key === "style") { Object.assign(node.style, value); } else { node.setAttribute(key, value); }
    });
    children.flat().forEach((child) => node.append(child instanceof Node ? child : String(child)));
    return node;
  }

  const pause = (seconds) => new Promise((resolve) => { setTimeout(resolve, seconds * 1000); });

  // A busy server answers 503 with Retry-After: ask once more after that delay, then show its French reason.
  async function get(path, params, retried) {
    const url = new URL(cfg.api + path, window.location.origin);
    Object.entries(params || {}).forEach(([key, value]) => { if (value !== "" && value != null) url.searchParams.set(key, value); });
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.status === 401) { window.location.replace("/?expired=1"); throw new Error("session expirée"); }
    const delay = Number(response.headers.get("Retry-After"));
    if (response.status === 503 && !retried && delay > 0) {
      status("Serveur occupé : nouvel essai dans " + Math.min(delay, 30) + " s…");
      await pause(Math.min(delay, 30));
      return get(path, params, true);
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(typeof body.detail === "string" ? body.detail : "erreur " + response.status);
    }
    return response.json();
  }

  const groups = {
    boundary: L.featureGroup(), heatmap: L.featureGroup(), hotspots: L.featureGroup(),
    zones: L.featureGroup(), places: L.featureGroup(), deal_points: L.featureGroup(),
    near_repeat: L.featureGroup(), crosswatch: L.featureGroup(),
  };
  const names = {
    heatmap: "Carte de chaleur", hotspots: "Points chauds significatifs (Gi*)", zones: "Zones de vigilance",
    places: "Lieux sensibles", boundary: "Limites communales", deal_points: "Points de deal",
    near_repeat: "Risque de répétition (cambriolages)", crosswatch: "Veille croisée",
  };
  /** The observatory's communes: their borders, and their names when it has several (a CISPD, an EPCI). */
  function drawCommunes(territories) {
    const named = territories.features.length > 1;
    L.geoJSON(territories, {
      style: { color: "#333", weight: 2, fill: false, dashArray: "6 4", className: "ols-commune-border" },
      onEachFeature: (f, layer) => {
        if (named) layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "ols-commune" });
      },
    }).addTo(groups.boundary);
  }
  // The page's parts other scripts build on (table view, presentation mode): one object, read-only by convention.
  window.OLS = { cfg, map, groups, names, state, el, get };
  const OVERLAYS = ["heatmap", "hotspots", "zones", "near_repeat", "crosswatch", "places", "boundary", "deal_points"];
  // What the heatmap and the hot spots count: facts suffered, or a service's activity (never added together).
  const MEASURES = {
    facts: { label: "Faits constatés", unit: "faits" },
    activity: { label: "Activité des services", unit: "actions des services" },
  };
  const measure = () => document.querySelector("input[name='ols-measure']:checked").value;
  const unit = () => MEASURES[measure()].unit;
  map.on("click", (event) => {
    if (state.hotCells && map.hasLayer(groups.hotspots)) {
      const hot = h3.latLngToCell(event.latlng.lat, event.latlng.lng, state.hotResolution);
      if (state.hotCells.has(hot)) { explain({ cell: hot, family: state.family }); return; }
    }
    if (!map.hasLayer(groups.heatmap) || !state.heatmapLabels) { return; }
    const cell = h3.latLngToCell(event.latlng.lat, event.latlng.lng, state.heatmapResolution);
    const label = state.heatmapLabels.get(cell);
    if (label) { L.popup().setLatLng(event.latlng).setContent(el("span", {}, label + " " + unit())).openOn(map); }
  });
  const control = L.control.layers(null, null, { collapsed: false, position: "bottomleft" }).addTo(map);
  OVERLAYS.filter((key) => granted.has(key)).forEach((key) => {
    groups[key].addTo(map);
    control.addOverlay(groups[key], names[key]);
  });

  $("ols-user").textContent = cfg.user + " (" + cfg.role_label + ")";
  $("ols-logout").addEventListener("click", async () => {
    await fetch(cfg.api + "/session", { method: "DELETE", credentials: "same-origin" });
    window.location.replace("/");
  });
  const resolution = $("ols-resolution");
  Array.from(resolution.options).forEach((option) => { option.disabled = !cfg.resolutions.includes(Number(option.value)); });
  resolution.value = String(cfg.resolution);

  const [periods, families, sources, territories, places] = await Promise.all([
    get("/periods"), get("/nomenclature"), get("/sources"), get("/territories"), get("/places"),
  ]);
  periods.forEach((p) => $("ols-period").add(new Option(p.label + " (" + p.name + ")", p.name)));
  families.forEach((f) => $("ols-family").add(new Option(f.label, f.code)));
  sources.forEach((s) => $("ols-source").add(new Option(s.name, s.code)));
  function fillCategories() {
    const select = $("ols-category");
    select.length = 1;
    families.filter((f) => !$("ols-family").value || f.code === $("ols-family").value)
      .forEach((f) => f.categories.filter((c) => (cfg.threshold == null || !c.sensitive) && c.measure === measure())
        .forEach((c) => select.add(new Option(c.label, c.code))));
  }
  fillCategories();
  drawCommunes(territories);
  L.geoJSON(places, {
    pointToLayer: (f, latlng) => {
      const marker = L.circleMarker(latlng, { radius: 6, color: "#1f4e9e", fillOpacity: 0.9, className: "ols-place" })
        .bindTooltip(el("span", {}, f.properties.name + " (" + (f.properties.kind_label || f.properties.kind) + ")"));
      if (f.properties.radius_m == null) { return marker; }
      return L.featureGroup([marker, L.circle(latlng, { radius: f.properties.radius_m, color: "#1f4e9e", weight: 1,
        fillOpacity: 0.1, className: "ols-camera" })]);
    },
  }).addTo(groups.places);
  state.drawn.places = places.features;

  function colour(count, breaks) {
    if (count == null) { return "#bdbdbd"; }
    const index = breaks.findIndex((b) => count <= b);
    return palette[index < 0 ? palette.length - 1 : Math.min(index, palette.length - 1)];
  }

  function legendRow(swatchStyle, text) {
    return el("div", { class: "ols-legend-row" }, el("span", { class: "ols-swatch", style: swatchStyle }), text);
  }

  // Which measure the map shows, said first: facts and activity are never read as one another.
  function measureRows(meta) {
    const shown = MEASURES[meta.measure] || MEASURES.facts;
    const note = meta.measure === "activity" ? "Activité des services : interventions, passages, enlèvements ; " +
      "elle dit où les services sont allés, pas où les faits ont eu lieu." : "Faits constatés et signalements, " +
      "chaque événement compté une fois ; l'activité des services est comptée à part.";
    return [el("p", { id: "ols-measure-shown", class: "ols-shown" }, "Carte : " + shown.label),
      el("p", { class: "ols-note" }, note)];
  }

  function legend(meta) {
    const rows = measureRows(meta);
    const word = (MEASURES[meta.measure] || MEASURES.facts).unit;
    let low = meta.suppression_threshold || 1;
    (meta.breaks || []).forEach((b, i) => {
      rows.push(legendRow({ background: palette[Math.min(i, palette.length - 1)] }, low + " – " + b + " " + word));
      low = b + 1;
    });
    if (meta.suppression_threshold) {
      rows.push(legendRow({ background: "#ffffff" }, "sans couleur : < " + meta.suppression_threshold + " " + word));
      rows.push(el("p", { class: "ols-note" }, "Effectifs arrondis à " + meta.rounded_to +
        " près ; catégories sensibles non comprises."));
    }
    if (granted.has("hotspots")) {
      rows.push(el("h3", {}, "Points chauds et froids"));
      Object.entries(HOT_STYLES).forEach(([code, style]) => rows.push(legendRow({
        border: style.weight + "px " + (style.dashArray ? "dashed" : "solid") + " " + style.color }, cfg.classes[code])));
      rows.push(el("p", { class: "ols-note" }, "Cliquez sur un point chaud, ou sur une zone, pour savoir pourquoi."));
    }
    if (granted.has("zones")) {
      rows.push(legendRow({ border: "2px dashed #e66101" }, "Zone calculée"));
      rows.push(legendRow({ border: "2px solid #5e3c99" }, "Zone déclarée"));
    }
    if (granted.has("near_repeat")) { rows.push(legendRow(RISK_STYLE.swatch, names.near_repeat)); }
    if (granted.has("crosswatch")) { rows.push(legendRow(WATCH_STYLE.swatch, names.crosswatch)); }
    $("ols-legend").replaceChildren(el("h3", {}, "Légende — " + meta.label), ...rows);
  }

  // Large heatmaps are painted on one canvas (one Leaflet layer per hexagon is too slow past a few thousand).
  const HexCanvas = L.Layer.extend({
    initialize(cells) { this.cells = cells; },
    onAdd(target) {
      this.canvas = L.DomUtil.create("canvas", "ols-hexcanvas leaflet-zoom-hide");
      target.getPane("olsHeat").appendChild(this.canvas);
      target.on("moveend zoomend resize", this.redraw, this);
      this.redraw();
    },
    onRemove(target) { L.DomUtil.remove(this.canvas); target.off("moveend zoomend resize", this.redraw, this); },
    redraw() {
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      this.canvas.width = size.x * ratio;
      this.canvas.height = size.y * ratio;
      this.canvas.style.width = size.x + "px";
      this.canvas.style.height = size.y + "px";
      L.DomUtil.setPosition(this.canvas, map.containerPointToLayerPoint([0, 0]));
      const context = this.canvas.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      const view = map.getBounds().pad(0.05);
      context.globalAlpha = 0.65;
      context.strokeStyle = "rgba(85,85,85,0.5)";
      context.lineWidth = 0.3;
      this.cells.forEach((cell) => {
        if (!view.contains(cell.centre)) { return; }
        context.beginPath();
        cell.boundary.forEach(([lat, lng], index) => {
          const point = map.latLngToContainerPoint([lat, lng]);
          if (index === 0) { context.moveTo(point.x, point.y); } else { context.lineTo(point.x, point.y); }
        });
        context.closePath();
        context.fillStyle = cell.fill;
        context.fill();
        context.stroke();
      });
    },
  });

  async function loadHeatmap(params) {
    const data = await get("/heatmap/cells", params);
    groups.heatmap.clearLayers();
    const threshold = data.metadata.suppression_threshold;
    const labels = new Map();
    const cells = data.cells.map(([cell, count]) => {
      labels.set(cell, count == null ? "< " + threshold : String(count));
      return { boundary: h3.cellToBoundary(cell), centre: h3.cellToLatLng(cell), fill: colour(count, data.metadata.breaks) };
    });
    if (cells.length > 1000) {
      groups.heatmap.addLayer(new HexCanvas(cells));
    } else {
      cells.forEach((cell) => groups.heatmap.addLayer(L.polygon(cell.boundary, { pane: "olsHeat", className: "ols-heat", color: "#555",
        weight: 0.3, fillOpacity: 0.65, fillColor: cell.fill })));
    }
    state.heatmapLabels = labels;
    state.drawn.heatmap = { cells: data.cells, metadata: data.metadata };
    state.heatmapResolution = Number(params.resolution);
    state.counts.heatmap = data.cells.length;
    legend(data.metadata);
  }


  async function loadHotspots(params) {
    if (!granted.has("hotspots")) { return; }
    const data = await get("/hotspots", { period: params.period, resolution: params.resolution, family: params.family,
      significant_only: true, measure: params.measure });
    showMethod(data.metadata && data.metadata.method_text);
    groups.hotspots.clearLayers();
    L.geoJSON(data, {
      style: (f) => Object.assign({ className: "ols-hotspot ols-" + f.properties.class.replace("_", "-"), fill: false },
        HOT_STYLES[f.properties.class] || HOT_STYLES.hot_90),
      onEachFeature: (f, layer) => layer.bindTooltip(el("span", {}, (f.properties.label || cfg.classes[f.properties.class]) +
        " — " + f.properties.count_label + " " + unit())),
    }).addTo(groups.hotspots);
    state.counts.hotspots = data.features.length;
    state.drawn.hotspots = data.features;
    $("ols-hotspot-note").textContent = data.metadata && data.metadata.status === "insufficient" ?
      "Points chauds : " + data.metadata.reason + "." : "";
    // « Pourquoi ? » explains facts: activity hot spots are drawn, not explained.
    const explained = params.measure === "facts" ? data.features : [];
    state.hotCells = new Set(explained.map((f) => f.properties.h3));
    const strongest = explained.filter((f) => f.properties.class.startsWith("hot"))
      .sort((a, b) => a.properties.class.localeCompare(b.properties.class) * -1 || (b.properties.count || 0) - (a.properties.count || 0))
      .slice(0, 5);
    $("ols-explain-hot").replaceChildren(...(strongest.length ? [el("h3", {}, "Pourquoi ces points chauds ?")] : []),
      ...strongest.map((f) => {
        const button = el("button", { type: "button" }, f.properties.label + " — " + f.properties.count_label + " faits");
        button.addEventListener("click", () => explain({ cell: f.properties.h3, family: params.family }));
        return button;
      }));
    state.hotResolution = Number(params.resolution);
    state.family = params.family;
  }

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

  async function loadZones(period) {
    groups.zones.clearLayers();
    if (!granted.has("zones")) { state.counts.zones = 0; return; }
    const data = await get("/zones", { period });
    L.geoJSON(data, {
      style: (f) => ({ className: "ols-zone", color: f.properties.kind === "computed" ? "#e66101" : "#5e3c99", weight: 3,
        dashArray: f.properties.kind === "computed" ? "8 6" : null, fillOpacity: 0.08 }),
      onEachFeature: (f, layer) => layer.bindPopup(() => zoneCard(f.properties)),
    }).addTo(groups.zones);
    state.counts.zones = data.features.length;
    state.drawn.zones = data.features;
    const computed = data.features.filter((f) => f.properties.kind === "computed");
    $("ols-explain-list").replaceChildren(...(computed.length ? [el("h3", {}, "Pourquoi ces zones ?")] : []),
      ...computed.map((f) => {
        const button = el("button", { type: "button" }, "Pourquoi « " + f.properties.name + " » ?");
        button.addEventListener("click", () => explain({ zone: f.properties.code }));
        return button;
      }));
    const compare = await get("/zones/compare", { period });
    const list = (title, items) => items.length ? [el("h3", {}, title),
      el("ul", { class: "ols-compare" }, items.map((z) => el("li", {}, z.name + " (" + z.code + ")")))] : [];
    $("ols-compare").replaceChildren(...list("Nouvelles zones", compare.entering), ...list("Zones sorties", compare.leaving),
      ...list("Zones déclarées non chaudes", compare.declared_not_hot),
      ...list("Zones chaudes hors zones déclarées", compare.hot_outside_declared));
  }

  const STATUS_LABELS = { actif: "actif", en_surveillance: "en surveillance", demantele: "démantelé" };

  async function loadDealPoints() {
    if (!granted.has("deal_points")) { return; }
    const data = await get("/deal-points");
    groups.deal_points.clearLayers();
    L.geoJSON(data, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 8, color: "#7a0177", fillColor: "#f768a1", fillOpacity: 0.9,
        className: "ols-deal" }).bindPopup(() => el("div", {}, el("strong", {}, f.properties.label), el("br"),
        "statut : " + (STATUS_LABELS[f.properties.status] || f.properties.status), el("br"),
        "signalements : " + f.properties.reports + " (dernier " + f.properties.last_reported + ")")),
    }).addTo(groups.deal_points);
    state.counts.deal = data.features.length;
    state.drawn.deal_points = data.features;
  }

  async function loadProfile(params) {
    const profile = await get("/profiles/time", { period: params.period, family: params.family });
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

  // Risk areas in black and white, apart from the heatmap's yellow-to-red scale they lie on.
  const RISK_STYLE = { path: { className: "ols-risk", color: "#111", weight: 2, dashArray: "4 3", fillColor: "#fff",
    fillOpacity: 0.55 }, swatch: { background: "rgba(255,255,255,0.8)", border: "2px dashed #111" } };
  const WATCH_STYLE = { path: { className: "ols-crosswatch", color: "#01665e", weight: 3, fillColor: "#35978f",
    fillOpacity: 0.25 }, swatch: { background: "rgba(53,151,143,0.4)", border: "2px solid #01665e" } };

  // A panel section: a title and its paragraphs or list (nothing when the reader does not receive the layer).
  function panelSection(id, title, ...children) {
    $(id).replaceChildren(el("h3", {}, title), ...children);
  }

  // Near-repeat: a disc of elevated risk around each recent burglary, with the Knox sentence (police roles);
  // read once per period (the API audits each read), not at each change of filter.
  async function loadNearRepeat(period) {
    if (!granted.has("near_repeat") || (state.nearRepeat && state.nearRepeat.period === period)) { return; }
    groups.near_repeat.clearLayers();
    const data = await get("/near-repeat", { period });
    L.geoJSON(data.risk_zones, { style: RISK_STYLE.path, onEachFeature: (f, layer) => layer.bindPopup(() =>
      el("div", {}, el("strong", {}, names.near_repeat), el("p", {}, f.properties.sentence), el("p", {}, data.sentence))),
    }).addTo(groups.near_repeat);
    const areas = data.risk_zones.features.length;
    panelSection("ols-near-repeat", names.near_repeat, el("p", {}, data.sentence),
      el("p", { class: "ols-note" }, areas + (areas > 1 ? " zones de risque" : " zone de risque") + " sur la carte."));
    state.counts.near_repeat = areas;
    state.nearRepeat = data;
  }

  // Veille croisée: the named places where several kinds of facts gather together (police roles).
  async function loadCrosswatch(period) {
    if (!granted.has("crosswatch") || (state.crosswatch && state.crosswatch.metadata.period === period)) { return; }
    groups.crosswatch.clearLayers();
    const data = await get("/crosswatch", { period });
    L.geoJSON(data, { style: WATCH_STYLE.path, onEachFeature: (f, layer) => layer.bindPopup(() =>
      el("div", {}, el("strong", {}, f.properties.name), el("p", {}, f.properties.sentence),
        el("p", { class: "ols-note" }, "Risque que ce soit le hasard : " + f.properties.chance + "."))),
    }).addTo(groups.crosswatch);
    const places = data.features.map((f) => el("li", {}, f.properties.name));
    panelSection("ols-crosswatch", names.crosswatch, places.length ? el("ul", {}, places) :
      el("p", { class: "ols-note" }, "Aucun lieu où ces faits se concentrent ensemble plus qu'ailleurs."));
    state.counts.crosswatch = data.features.length;
    state.crosswatch = data;
  }

  // Redrawn zones are drawn over what was there: the risk areas and the veille croisée go back on top.
  function raiseAnalyses() {
    ["crosswatch", "near_repeat"].filter((key) => granted.has(key)).forEach((key) => groups[key].bringToFront());
  }

  async function reload() {
    const params = { period: $("ols-period").value, resolution: resolution.value, family: $("ols-family").value,
      category: $("ols-category").value, source: $("ols-source").value, measure: measure() };
    status("Chargement…");
    document.body.dataset.olsReady = "0";
    try {
      await Promise.all([loadHeatmap(params), loadHotspots(params), loadZones(params.period), loadDealPoints(),
        loadNearRepeat(params.period), loadCrosswatch(params.period)]);
      raiseAnalyses();
      state.loads += 1;
      state.period = params.period;
      status("");
      document.dispatchEvent(new CustomEvent("ols:drawn", { detail: { params, drawn: state.drawn } }));
    } catch (error) {
      status("Erreur : " + error.message);
    }
    document.body.dataset.olsReady = "1";
    if (granted.has("profiles")) { loadProfile(params).catch((error) => status("Profil horaire : " + error.message)); }
  }

  ["ols-period", "ols-category", "ols-source", "ols-resolution"].forEach((id) => $(id).addEventListener("change", reload));
  $("ols-family").addEventListener("change", () => { fillCategories(); reload(); });
  document.querySelectorAll("input[name='ols-measure']").forEach((input) => input.addEventListener("change", () => {
    fillCategories();
    reload();
  }));
  if (cfg.manages && L.Draw) {
    map.on(L.Draw.Event.CREATED, async (event) => {
      const name = window.prompt("Nom de la zone de vigilance déclarée");
      if (!name) { return; }
      const rationale = window.prompt("Motif (fait constaté, partenaire à l'origine)") || "";
      const code = "Z-" + Date.now();
      const response = await fetch(cfg.api + "/zones", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code, name, rationale: rationale || name,
          owner: cfg.user, geometry: event.layer.toGeoJSON().geometry }) });
      status(response.ok ? "Zone enregistrée" : "Zone refusée : " + (await response.json()).detail);
      await loadZones($("ols-period").value);
    });
  }
  await reload();
})();
