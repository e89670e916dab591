// The OLS map: fetches every layer the reader's audience grants from the API, for the chosen period and filters.
// Every text that comes from data (names, labels, reasons) reaches the page through textContent, never as markup.
// Each layer lies in a pane of its own with a fixed z-index (web/static/ols-style.json), so that the order of the
// layers never depends on which answer came first; a reload aborts the requests of the previous one, fetches every
// layer in parallel and draws them all at once, or nothing when a newer reload has started.
(async function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("ols-config").textContent);
  const map = window[cfg.map];
  const STYLE = cfg.style;
  Object.entries(STYLE.panes).forEach(([name, zIndex]) => { map.createPane(name).style.zIndex = zIndex; });
  L.control.scale({ imperial: false }).addTo(map);
  const granted = new Set(cfg.layers);
  const palette = STYLE.heat.palette;
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
  const aborted = () => Object.assign(new Error("requête remplacée"), { name: "AbortError" });

  // An expired session: nothing of the old map stays on screen, and the login page says why.
  let expiring = false;
  function expire() {
    if (!expiring) {
      expiring = true;
      if (current) { current.abort(); }
      Object.values(groups).forEach((group) => group.clearLayers());
      $("ols-legend").replaceChildren();
      status("Session expirée : retour à la page de connexion…");
      window.location.replace("/?expired=1");
    }
    return aborted();
  }

  // A busy server answers 503 with Retry-After: ask once more after that delay, then show its French reason.
  async function get(path, params, signal, retried) {
    const url = new URL(cfg.api + path, window.location.origin);
    Object.entries(params || {}).forEach(([key, value]) => { if (value !== "" && value != null) url.searchParams.set(key, value); });
    const response = await fetch(url, { credentials: "same-origin", signal });
    if (response.status === 401) { throw expire(); }
    const delay = Number(response.headers.get("Retry-After"));
    if (response.status === 503 && !retried && delay > 0) {
      status("Serveur occupé : nouvel essai dans " + Math.min(delay, 30) + " s…");
      await pause(Math.min(delay, 30));
      if (signal && signal.aborted) { throw aborted(); }
      return get(path, params, signal, true);
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
    outlined("boundary", territories, () => "boundary", () => ({ fill: false, interactive: false,
      className: "ols-commune-border" }), (f, layer) => {
      if (named) {
        layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "ols-commune", pane: "olsLabels" });
      }
    }).forEach((layer) => layer.addTo(groups.boundary));
  }
  // The page's parts other scripts build on (table view, presentation mode): one object, read-only by convention.
  window.OLS = { cfg, map, groups, names, state, el, get };
  const { HexCanvas, OutlineCanvas, explain, showMethod, zoneCard, drawProfile, panelSection, lineStyle, haloStyle, outlined } =
    window.OLSParts(window.OLS);
  const OVERLAYS = ["heatmap", "hotspots", "zones", "near_repeat", "crosswatch", "places", "boundary", "deal_points"];
  // What the heatmap and the hot spots count: facts suffered, or a service's activity (never added together).
  const MEASURES = window.OLSLegend.MEASURES;
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

  // The first load says so on the map until every layer is drawn (or the error is shown).
  function loaded() { $("ols-loading").hidden = true; }
  let periods, families, sources, territories, places;
  try {
    [periods, families, sources, territories, places] = await Promise.all([
      get("/periods"), get("/nomenclature"), get("/sources"), get("/territories"), granted.has("places") ? get("/places") : null,
    ]);
  } catch (error) {
    if (error.name !== "AbortError") { status("Erreur : " + error.message); loaded(); document.body.dataset.olsReady = "1"; }
    return;
  }
  if (!periods.length) { status("Aucune période calculée : la carte est vide."); loaded(); document.body.dataset.olsReady = "1"; return; }
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
  if (places) {
    L.geoJSON(places, {
      pointToLayer: (f, latlng) => {
        const marker = L.circleMarker(latlng, lineStyle("place", "places", { radius: 6, fillColor: "#4d7fd1", fillOpacity: 0.9,
          className: "ols-place" })).bindTooltip(el("span", {}, f.properties.name + " (" + (f.properties.kind_label || f.properties.kind) + ")"));
        const halo = L.circleMarker(latlng, Object.assign(haloStyle("place", "places"), { radius: 6 }));
        if (f.properties.radius_m == null) { return L.featureGroup([halo, marker]); }
        return L.featureGroup([L.circle(latlng, lineStyle("place", "places", { radius: f.properties.radius_m, weight: 1,
          fillOpacity: 0.1, interactive: false, className: "ols-camera" })), halo, marker]);
      },
    }).addTo(groups.places);
    state.drawn.places = places.features;
  }

  function colour(count, breaks) {
    if (count == null) { return STYLE.heat.suppressed; }
    const index = breaks.findIndex((b) => count <= b);
    return palette[index < 0 ? palette.length - 1 : Math.min(index, palette.length - 1)];
  }

  function legend(meta) { $("ols-legend").replaceChildren(...window.OLSLegend.build(window.OLS, meta)); }


  function drawHeatmap(data, params) {
    const threshold = data.metadata.suppression_threshold;
    const labels = new Map();
    const fills = data.cells.map(([cell, count]) => {
      labels.set(cell, count == null ? "< " + threshold : String(count));
      return colour(count, data.metadata.breaks);
    });
    if (fills.length > 1000) {
      groups.heatmap.addLayer(new HexCanvas(data.outlines, fills));
    } else {
      data.cells.forEach(([cell], index) => groups.heatmap.addLayer(L.polygon(h3.cellToBoundary(cell), {
        pane: "olsHeat", className: "ols-heat", color: "#555", weight: 0.3, fillOpacity: STYLE.heat.opacity,
        fillColor: fills[index], interactive: false })));
    }
    state.heatmapLabels = labels;
    state.drawn.heatmap = { cells: data.cells, metadata: data.metadata };
    state.heatmapResolution = Number(params.resolution);
    state.counts.heatmap = data.cells.length;
  }

  // Past this many hot spots, they are painted on one canvas (OutlineCanvas): a few hundred SVG outlines, each
  // with its halo, held the first render about 0,1 s.
  const CANVAS_HOTSPOTS = 200;
  // Hot spots are computed per family: with a category or a source chosen, none is drawn rather than wrong ones.
  function fetchHotspots(params, signal) {
    if (!granted.has("hotspots") || params.category || params.source) { return null; }
    return get("/hotspots", { period: params.period, resolution: params.resolution, family: params.family,
      significant_only: true, measure: params.measure }, signal);
  }

  function drawHotspots(data, params) {
    if (!granted.has("hotspots")) { return; }
    if (data === null) {
      state.drawn.hotspots = [];
      state.counts.hotspots = 0;
      state.hotCells = new Set();
      $("ols-hotspot-note").textContent = "Points chauds : calculés par famille, ils ne suivent pas le choix d'une " +
        "catégorie ou d'une source ; choisissez « Toutes les catégories » et « Toutes les sources » pour les voir.";
      $("ols-explain-hot").replaceChildren();
      return;
    }
    showMethod(data.metadata && data.metadata.method_text);
    const classOf = (f) => (STYLE.outlines[f.properties.class] ? f.properties.class : "hot_90");
    const label = (f) => el("span", {}, (f.properties.label || cfg.classes[f.properties.class]) + " — " +
      f.properties.count_label + " " + unit());
    if (data.features.length > CANVAS_HOTSPOTS) {
      groups.hotspots.addLayer(new OutlineCanvas("hotspots", data.features, classOf, label));
    } else {
      outlined("hotspots", data, classOf, (f) => ({ className: "ols-hotspot ols-" + f.properties.class.replace("_", "-"),
        fill: false }), (f, layer) => layer.bindTooltip(label(f))).forEach((layer) => layer.addTo(groups.hotspots));
    }
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


  async function fetchZones(period, signal) {
    if (!granted.has("zones")) { return null; }
    const [zones, compare] = await Promise.all([get("/zones", { period }, signal), get("/zones/compare", { period }, signal)]);
    return { zones, compare };
  }

  function drawZones(data) {
    if (data === null) { state.counts.zones = 0; return; }
    const kindOf = (f) => (f.properties.kind === "computed" ? "zone_computed" : "zone_declared");
    outlined("zones", data.zones, kindOf, () => ({ className: "ols-zone", fillColor: "#4a1486", fillOpacity: 0.06 }),
      (f, layer) => layer.bindPopup(() => zoneCard(f.properties))).forEach((layer) => layer.addTo(groups.zones));
    state.counts.zones = data.zones.features.length;
    state.drawn.zones = data.zones.features;
    const computed = data.zones.features.filter((f) => f.properties.kind === "computed");
    $("ols-explain-list").replaceChildren(...(computed.length ? [el("h3", {}, "Pourquoi ces zones ?")] : []),
      ...computed.map((f) => {
        const button = el("button", { type: "button" }, "Pourquoi « " + f.properties.name + " » ?");
        button.addEventListener("click", () => explain({ zone: f.properties.code }));
        return button;
      }));
    const compare = data.compare;
    const list = (title, items) => items.length ? [el("h3", {}, title),
      el("ul", { class: "ols-compare" }, items.map((z) => el("li", {}, z.name + " (" + z.code + ")")))] : [];
    const rows = [...list("Nouvelles zones", compare.entering), ...list("Zones sorties", compare.leaving),
      ...list("Zones déclarées non chaudes", compare.declared_not_hot),
      ...list("Zones chaudes hors zones déclarées", compare.hot_outside_declared)];
    $("ols-compare").replaceChildren(...(data.zones.features.length ? rows :
      [el("p", { class: "ols-empty" }, "Aucune zone de vigilance pour cette période.")]));
  }

  const STATUS_LABELS = { actif: "actif", en_surveillance: "en surveillance", demantele: "démantelé" };

  // Deal points, each status with its symbol (filled, ring, dashed hollow ring for a dismantled one), haloed.
  function drawDealPoints(data) {
    if (data === null) { return; }
    L.geoJSON(data, {
      pointToLayer: (f, latlng) => {
        const style = window.OLSLegend.dealStyle(STYLE.outlines, f.properties.status);
        const halo = L.circleMarker(latlng, Object.assign(haloStyle("deal", "deal_points"), { radius: 8 }));
        const point = L.circleMarker(latlng, { pane: "olsDeal", radius: 8, color: style.color, weight: style.weight,
          dashArray: style.dashArray, fillColor: style.fillColor, fillOpacity: style.fillOpacity,
          className: "ols-deal ols-deal-" + f.properties.status }).bindPopup(() => el("div", {}, el("strong", {}, f.properties.label),
          el("br"), "statut : " + (STATUS_LABELS[f.properties.status] || f.properties.status), el("br"),
          "signalements : " + f.properties.reports + " (dernier " + f.properties.last_reported + ")"));
        return L.featureGroup([halo, point]);
      },
    }).addTo(groups.deal_points);
    state.counts.deal = data.features.length;
    state.drawn.deal_points = data.features;
  }

  // Near-repeat and the veille croisée are read once per period (the API audits each read), not at each filter.
  const analyses = {};
  function fetchAnalysis(key, path, period, signal) {
    if (!granted.has(key)) { return null; }
    if (analyses[key] && analyses[key].period === period) { return analyses[key].data; }
    return get(path, { period }, signal).then((data) => { analyses[key] = { period, data }; return data; });
  }

  // Near-repeat: a disc of elevated risk around each recent burglary, with the Knox sentence (police roles).
  function drawNearRepeat(data) {
    if (data === null) { return; }
    outlined("near_repeat", data.risk_zones, () => "near_repeat", () => ({ className: "ols-risk", fillColor: "#fff",
      fillOpacity: 0.55 }), (f, layer) => layer.bindPopup(() => el("div", {}, el("strong", {}, names.near_repeat),
      el("p", {}, f.properties.sentence), el("p", {}, data.sentence)))).forEach((layer) => layer.addTo(groups.near_repeat));
    const areas = data.risk_zones.features.length;
    panelSection("ols-near-repeat", names.near_repeat, el("p", {}, data.sentence),
      el("p", { class: "ols-note" }, areas + (areas > 1 ? " zones de risque" : " zone de risque") + " sur la carte."));
    state.counts.near_repeat = areas;
    state.drawn.near_repeat = data.risk_zones.features;
    state.nearRepeat = data;
  }

  // Veille croisée: the named places where several kinds of facts gather together (police roles).
  function drawCrosswatch(data) {
    if (data === null) { return; }
    outlined("crosswatch", data, () => "crosswatch", () => ({ className: "ols-crosswatch", fillColor: "#35978f",
      fillOpacity: 0.25 }), (f, layer) => layer.bindPopup(() => el("div", {}, el("strong", {}, f.properties.name),
      el("p", {}, f.properties.sentence), el("p", { class: "ols-note" }, "Risque que ce soit le hasard : " +
      f.properties.chance + ".")))).forEach((layer) => layer.addTo(groups.crosswatch));
    const listed = data.features.map((f) => el("li", {}, f.properties.name));
    panelSection("ols-crosswatch", names.crosswatch, listed.length ? el("ul", {}, listed) :
      el("p", { class: "ols-note" }, "Aucun lieu où ces faits se concentrent ensemble plus qu'ailleurs."));
    state.counts.crosswatch = data.features.length;
    state.crosswatch = data;
    state.drawn.crosswatch = data.features;
  }

  // Every layer of a reload, fetched in parallel (null: a layer this reader does not receive).
  function fetchAll(params, signal) {
    return Promise.all([get("/heatmap/cells", Object.assign({}, params, { outlines: true }), signal), fetchHotspots(params, signal),
      fetchZones(params.period, signal),
      granted.has("deal_points") ? get("/deal-points", {}, signal) : null]);
  }

  const REDRAWN = ["heatmap", "hotspots", "zones", "deal_points"];
  // Everything a reload draws, at once: a map never shows one period's layers beside another's.
  function drawAll([heat, hot, zones, deal], params) {
    REDRAWN.forEach((key) => { groups[key].clearLayers(); delete state.drawn[key]; });
    drawHeatmap(heat, params);
    drawHotspots(hot, params);
    drawZones(zones);
    state.compared = { period: params.period, data: zones ? zones.compare : null };
    drawDealPoints(deal);
    legend(heat.metadata);
  }

  // Near-repeat and the veille croisée (live analyses of the period, slow on a large semester) are asked once the
  // map is drawn, so that they never hold the server's workers from its layers, and drawn in their pane when they
  // arrive, for the current reload only.
  const ANALYSES = { near_repeat: ["/near-repeat", drawNearRepeat], crosswatch: ["/crosswatch", drawCrosswatch] };
  function loadAnalyses(period, signal) {
    Object.entries(ANALYSES).filter(([key]) => granted.has(key)).forEach(([key, [path, draw]]) => {
      if (!analyses[key] || analyses[key].period !== period) { groups[key].clearLayers(); delete state.drawn[key]; }
      Promise.resolve(fetchAnalysis(key, path, period, signal)).then((data) => {
        if (signal.aborted) { return; }
        groups[key].clearLayers();
        draw(data);
        if (state.drawn.heatmap) { legend(state.drawn.heatmap.metadata); }
      }).catch((error) => { if (error.name !== "AbortError") { status(names[key] + " : " + error.message); } });
    });
  }

  // The legend follows the layers shown: a layer switched on or off (by the reader, or by the presentation mode).
  const shown = new Set(Object.values(groups));
  map.on("layeradd layerremove", (event) => {
    if (shown.has(event.layer) && state.drawn.heatmap) { legend(state.drawn.heatmap.metadata); }
  });

  // A failed reload leaves no layer of the previous choice under the new one: the layers are emptied.
  function fail(error) {
    REDRAWN.forEach((key) => { groups[key].clearLayers(); delete state.drawn[key]; });
    $("ols-legend").replaceChildren();
    status("Erreur : " + error.message);
  }

  let current = null;
  async function reload() {
    if (current) { current.abort(); }
    const controller = new AbortController();
    current = controller;
    const params = { period: $("ols-period").value, resolution: resolution.value, family: $("ols-family").value,
      category: $("ols-category").value, source: $("ols-source").value, measure: measure() };
    status("Chargement…");
    document.body.dataset.olsReady = "0";
    try {
      const data = await fetchAll(params, controller.signal);
      if (controller.signal.aborted) { return; }
      drawAll(data, params);
      state.loads += 1;
      state.period = params.period;
      state.params = params;
      status(data[0].cells.length ? "" : "Aucun fait pour ce filtre.");
      if (!performance.getEntriesByName("ols-ready").length) { performance.mark("ols-ready"); }
      document.dispatchEvent(new CustomEvent("ols:drawn", { detail: { params, drawn: state.drawn } }));
    } catch (error) {
      if (error.name === "AbortError" || controller.signal.aborted) { return; }
      fail(error);
    }
    loaded();
    document.body.dataset.olsReady = "1";
    loadAnalyses(params.period, controller.signal);
    if (granted.has("profiles")) {
      get("/profiles/time", { period: params.period, family: params.family, category: params.category, source: params.source },
        controller.signal).then((profile) => { if (!controller.signal.aborted) { drawProfile(profile); } })
        .catch((error) => { if (error.name !== "AbortError") { status("Profil horaire : " + error.message); } });
    }
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
      await reload();
    });
  }
  await reload();
})();
