// The OLS map: fetches every layer from the API for the chosen period and filters.
(async function () {
  "use strict";
  const cfg = window.OLS_CONFIG;
  const map = window[cfg.map];
  const police = cfg.role === "coordinator" || cfg.role === "police";
  const coarse = cfg.role === "elu" || cfg.role === "public";
  const palette = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  const state = { loads: 0, counts: {} };
  window.OLS_STATE = state;
  const $ = (id) => document.getElementById(id);
  const status = (text) => { $("ols-status").textContent = text; };

  async function get(path, params) {
    const url = new URL(cfg.api + path, window.location.origin);
    Object.entries(params || {}).forEach(([key, value]) => { if (value !== "" && value != null) url.searchParams.set(key, value); });
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) { throw new Error(path + " " + response.status); }
    return response.json();
  }

  const groups = {
    boundary: L.featureGroup(), heatmap: L.featureGroup(), hotspots: L.featureGroup(),
    zones: L.featureGroup(), places: L.featureGroup(), deal: L.featureGroup(),
  };
  const names = {
    heatmap: "Carte de chaleur", hotspots: "Points chauds significatifs (Gi*)", zones: "Zones de vigilance",
    places: "Lieux sensibles", boundary: "Limite communale", deal: "Points de deal",
  };
  map.on("click", (event) => {
    if (!map.hasLayer(groups.heatmap) || !state.heatmapLabels) { return; }
    const cell = h3.latLngToCell(event.latlng.lat, event.latlng.lng, state.heatmapResolution);
    const label = state.heatmapLabels.get(cell);
    if (label) { L.popup().setLatLng(event.latlng).setContent(label + " faits").openOn(map); }
  });
  const control = L.control.layers(null, null, { collapsed: false, position: "bottomleft" }).addTo(map);
  ["heatmap", "hotspots", "zones", "places", "boundary"].concat(police ? ["deal"] : []).forEach((key) => {
    groups[key].addTo(map);
    control.addOverlay(groups[key], names[key]);
  });

  $("ols-user").textContent = cfg.user + " (" + cfg.role + ")";
  if (cfg.presentation) { document.body.classList.add("presentation"); }
  $("ols-presentation").addEventListener("click", () => document.body.classList.toggle("presentation"));
  const resolution = $("ols-resolution");
  resolution.value = coarse ? "8" : "9";
  if (coarse) { Array.from(resolution.options).forEach((o) => { o.disabled = o.value !== "8"; }); }

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
      .forEach((f) => f.categories.filter((c) => police || !c.sensitive).forEach((c) => select.add(new Option(c.label, c.code))));
  }
  fillCategories();
  L.geoJSON(territories, { style: { color: "#333", weight: 2, fill: false, dashArray: "6 4" } }).addTo(groups.boundary);
  L.geoJSON(places, {
    pointToLayer: (f, latlng) => {
      const marker = L.circleMarker(latlng, { radius: 6, color: "#1f4e9e", fillOpacity: 0.9, className: "ols-place" })
        .bindTooltip(f.properties.name + " (" + f.properties.kind + ")");
      if (f.properties.radius_m == null) { return marker; }
      return L.featureGroup([marker, L.circle(latlng, { radius: f.properties.radius_m, color: "#1f4e9e", weight: 1,
        fillOpacity: 0.1, className: "ols-camera" })]);
    },
  }).addTo(groups.places);

  function colour(count, breaks) {
    if (count == null) { return "#bdbdbd"; }
    const index = breaks.findIndex((b) => count <= b);
    return palette[index < 0 ? palette.length - 1 : Math.min(index, palette.length - 1)];
  }

  function legend(meta) {
    const breaks = meta.breaks || [];
    let low = 1;
    const rows = breaks.map((b, i) => { const row = '<div class="ols-legend-row"><span class="ols-swatch" style="background:' +
      palette[Math.min(i, palette.length - 1)] + '"></span>' + low + " – " + b + " faits</div>"; low = b + 1; return row; });
    if (meta.suppression_threshold) {
      rows.push('<div class="ols-legend-row"><span class="ols-swatch" style="background:#bdbdbd"></span>&lt; ' +
        meta.suppression_threshold + " faits (masqué)</div>");
    }
    rows.push('<div class="ols-legend-row"><span class="ols-swatch" style="background:#d7301f"></span>Point chaud (Gi*, 95–99 %)</div>');
    rows.push('<div class="ols-legend-row"><span class="ols-swatch" style="border:2px dashed #e66101"></span>Zone calculée</div>');
    rows.push('<div class="ols-legend-row"><span class="ols-swatch" style="border:2px solid #5e3c99"></span>Zone déclarée</div>');
    $("ols-legend").innerHTML = "<h3>Légende — " + meta.label + "</h3>" + rows.join("");
  }

  // Large heatmaps are painted on one canvas (one Leaflet layer per hexagon is too slow past a few thousand).
  const HexCanvas = L.Layer.extend({
    initialize(cells) { this.cells = cells; },
    onAdd(target) {
      this.canvas = L.DomUtil.create("canvas", "ols-hexcanvas leaflet-zoom-hide");
      target.getPanes().overlayPane.appendChild(this.canvas);
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
      cells.forEach((cell) => groups.heatmap.addLayer(L.polygon(cell.boundary, { className: "ols-heat", color: "#555",
        weight: 0.3, fillOpacity: 0.65, fillColor: cell.fill })));
    }
    state.heatmapLabels = labels;
    state.heatmapResolution = Number(params.resolution);
    state.counts.heatmap = data.cells.length;
    legend(data.metadata);
  }

  async function loadHotspots(params) {
    const data = await get("/hotspots", { period: params.period, resolution: params.resolution, family: params.family,
      significant_only: true });
    groups.hotspots.clearLayers();
    const significant = data.features.filter((f) => f.properties.class.startsWith("hot_95") || f.properties.class.startsWith("hot_99")
      || f.properties.class.startsWith("cold_95") || f.properties.class.startsWith("cold_99"));
    L.geoJSON({ type: "FeatureCollection", features: significant }, {
      style: (f) => ({ className: "ols-hotspot", color: f.properties.class.startsWith("hot") ? "#d7301f" : "#2c7bb6",
        weight: 2, fill: false }),
      onEachFeature: (f, layer) => layer.bindTooltip("Gi* z = " + f.properties.z.toFixed(2) + " — " + f.properties.class),
    }).addTo(groups.hotspots);
    state.counts.hotspots = significant.length;
  }

  async function loadZones(period) {
    groups.zones.clearLayers();
    if (cfg.role === "public") { state.counts.zones = 0; return; }
    const data = await get("/zones", { period });
    L.geoJSON(data, {
      style: (f) => ({ className: "ols-zone", color: f.properties.kind === "computed" ? "#e66101" : "#5e3c99", weight: 3,
        dashArray: f.properties.kind === "computed" ? "8 6" : null, fillOpacity: 0.08 }),
      onEachFeature: (f, layer) => layer.bindPopup("<strong>" + f.properties.name + "</strong><br>" + f.properties.rationale +
        "<br><em>" + (f.properties.owner || "") + (f.properties.review_date ? " — révision " + f.properties.review_date : "") + "</em>"),
    }).addTo(groups.zones);
    state.counts.zones = data.features.length;
    const compare = await get("/zones/compare", { period });
    const list = (title, items) => items.length ? "<h3>" + title + "</h3><ul class='ols-compare'>" +
      items.map((z) => "<li>" + z.name + " (" + z.code + ")</li>").join("") + "</ul>" : "";
    $("ols-compare").innerHTML = list("Nouvelles zones", compare.entering) + list("Zones sorties", compare.leaving) +
      list("Zones déclarées non chaudes", compare.declared_not_hot) + list("Zones chaudes hors zones déclarées", compare.hot_outside_declared);
  }

  async function loadDealPoints() {
    if (!police) { return; }
    const data = await get("/deal-points");
    groups.deal.clearLayers();
    L.geoJSON(data, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 8, color: "#7a0177", fillColor: "#f768a1", fillOpacity: 0.9,
        className: "ols-deal" }).bindPopup("<strong>" + f.properties.label + "</strong><br>statut : " + f.properties.status +
        "<br>signalements : " + f.properties.reports + " (dernier " + f.properties.last_reported + ")"),
    }).addTo(groups.deal);
    state.counts.deal = data.features.length;
  }

  async function loadProfile(params) {
    const profile = await get("/profiles/time", { period: params.period, family: params.family });
    const max = Math.max(1, ...profile.grid.flat().filter((n) => n != null));
    const rows = profile.grid.map((row, day) => "<tr><th>" + profile.weekdays[day].slice(0, 3) + "</th>" +
      row.map((n, hour) => '<td title="' + profile.weekdays[day] + " " + hour + 'h : ' + (n == null ? "< 5" : n) +
      '" style="background:' + (n == null ? "#ddd" : "rgba(189,0,38," + (n / max).toFixed(2) + ")") + '"></td>').join("") + "</tr>");
    $("ols-profile").innerHTML = "<h3>Heures × jours</h3><table class='ols-profile'>" + rows.join("") + "</table>" +
      "<p>Heure inconnue : " + profile.heure_inconnue.map((n) => (n == null ? "< 5" : n)).reduce((a, b) => a + " · " + b) + "</p>";
  }

  async function reload() {
    const params = { period: $("ols-period").value, resolution: resolution.value, family: $("ols-family").value,
      category: $("ols-category").value, source: $("ols-source").value };
    status("Chargement…");
    document.body.dataset.olsReady = "0";
    try {
      await Promise.all([loadHeatmap(params), loadHotspots(params), loadZones(params.period), loadDealPoints()]);
      state.loads += 1;
      state.period = params.period;
      status("");
    } catch (error) {
      status("Erreur : " + error.message);
    }
    document.body.dataset.olsReady = "1";
    loadProfile(params).catch((error) => status("Profil horaire : " + error.message));
  }

  ["ols-period", "ols-category", "ols-source", "ols-resolution"].forEach((id) => $(id).addEventListener("change", reload));
  $("ols-family").addEventListener("change", () => { fillCategories(); reload(); });
  if (cfg.role === "coordinator" && L.Draw) {
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
