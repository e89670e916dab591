// The map's text alternative (RGAA 4.1 / WCAG 2.1 AA): a French summary of what is drawn, announced in a live region,
// a table view of every drawn layer whose rows centre the map on a feature and open its card, zones and deal points
// reachable by keyboard on the map itself, and the layer switches early in the tab order. It reads what ols.js drew
// (window.OLS, the "ols:drawn" event) and never fetches a layer again, so that it lists exactly what the map shows.
(function () {
  "use strict";
  const OLS = window.OLS;
  if (!OLS) { return; }
  const { cfg, map, groups, names, state, el } = OLS;
  const $ = (id) => document.getElementById(id);
  const number = new Intl.NumberFormat("fr-FR");
  const fmt = (n) => number.format(n);
  const plural = (n, one, many) => fmt(n) + " " + (n >= 2 ? many : one);
  const CELL_ROWS = 1000;  // the busiest cells listed (a fine grid holds tens of thousands)
  const KINDS = { computed: "calculée", declared: "déclarée" };
  const STATUSES = { actif: "actif", en_surveillance: "en surveillance", demantele: "démantelé" };
  const sr = (text) => el("span", { class: "ols-sr" }, text);

  // Each leaf layer of a group that stands for one feature (L.geoJSON sets layer.feature).
  function leaves(group) {
    const found = [];
    // A halo (the casing drawn under an outline, not interactive) is not a feature a reader opens.
    const walk = (layer) => {
      if (layer.feature) { if (layer.options.interactive !== false) { found.push(layer); } } else if (layer.eachLayer) { layer.eachLayer(walk); }
    };
    if (group) { group.eachLayer(walk); }
    return found;
  }

  function same(a, b) {
    const p = a.properties, q = b.properties;
    return a === b || (p.code !== undefined && p.code === q.code) || (p.id !== undefined && p.id === q.id) ||
      (p.h3 !== undefined && p.h3 === q.h3);
  }

  // The part of the map no overlay hides: what a feature is fitted into.
  function insets() {
    const visible = (id) => $(id) && !$(id).hidden && $(id).offsetParent !== null;
    const present = document.body.classList.contains("presentation");
    const band = present && $("ols-present") ? document.querySelector(".ols-band").offsetHeight : 0;
    const right = present ? ($("ols-present-legend").offsetWidth || 0) : (visible("ols-panel") ? $("ols-panel").offsetWidth : 0);
    const left = visible("ols-tableview") ? $("ols-tableview").offsetWidth + 60 : 0;
    const bottom = present ? document.querySelector(".ols-present-keys").offsetHeight + 30 : 0;
    return { paddingTopLeft: [left + 20, band + 20], paddingBottomRight: [right + 30, bottom + 30] };
  }
  OLS.insets = insets;

  // Focus goes into an opened card (so that its buttons are next), and back to what opened it when it closes.
  function focusCard(popup, opener) {
    const content = popup.getElement() && popup.getElement().querySelector(".leaflet-popup-content");
    if (content) { content.setAttribute("tabindex", "-1"); content.focus({ preventScroll: true }); }
    const back = (event) => {
      if (event.popup !== popup) { return; }
      map.off("popupclose", back);
      const inside = !document.activeElement || document.activeElement === document.body ||
        map.getContainer().contains(document.activeElement);
      if (opener && opener.isConnected && inside) { opener.focus({ preventScroll: true }); }
    };
    map.on("popupclose", back);
  }

  // Where a cell lies, in words a reader knows: the nearest sensitive place within 800 m, else its coordinates.
  const decimals = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 4, maximumFractionDigits: 4 });
  function where(cell) {
    const [lat, lng] = h3.cellToLatLng(cell);
    const near = (state.drawn.places || []).map((f) => ({ name: f.properties.name,
      metres: map.distance([lat, lng], [f.geometry.coordinates[1], f.geometry.coordinates[0]]) }))
      .sort((a, b) => a.metres - b.metres)[0];
    if (near && near.metres < 800) { return "à " + fmt(Math.round(near.metres / 10) * 10) + " m de « " + near.name + " »"; }
    return decimals.format(lat) + " N, " + decimals.format(lng) + " E";
  }

  function cellCard(cell, count) {
    const meta = state.drawn.heatmap.metadata;
    return el("div", {}, el("strong", {}, "Cellule " + where(cell)), el("br"), countLabel(count, meta) + " " + unitOf(meta),
      el("br"), cellClass(count, meta));
  }

  function textCard(title, text) { return el("div", {}, el("strong", {}, title), el("br"), text); }

  // Centre the map on one drawn feature and open its card (its own popup when it has one).
  function showFeature(kind, feature, opener) {
    if (groups[kind] && !map.hasLayer(groups[kind])) { map.addLayer(groups[kind]); }
    let popup;
    if (kind === "heatmap") {
      const [cell, count] = feature;
      const centre = h3.cellToLatLng(cell);
      map.setView(centre, Math.max(map.getZoom(), 15), { animate: false });
      popup = L.popup().setLatLng(centre).setContent(cellCard(cell, count)).openOn(map);
    } else {
      // Many hot spots are painted on a canvas, with no layer of their own: their card is the table's.
      const layer = leaves(groups[kind]).find((candidate) => same(candidate.feature, feature)) ||
        (kind === "hotspots" ? L.geoJSON(feature) : null);
      if (!layer) { return; }
      const bounds = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng(), layer.getLatLng()]);
      map.fitBounds(bounds, Object.assign({ maxZoom: 17, animate: false }, insets()));
      const centre = bounds.getCenter();
      if (layer.getPopup && layer.getPopup()) {
        layer.openPopup(centre);
        popup = layer.getPopup();
      } else {
        popup = L.popup().setLatLng(centre).setContent(fallbackCard(kind, feature.properties)).openOn(map);
      }
    }
    focusCard(popup, opener);
  }
  OLS.showFeature = showFeature;

  function fallbackCard(kind, p) {
    if (kind === "hotspots") { return textCard(p.label || cfg.classes[p.class], p.count_label + " " + unitOf(state.drawn.heatmap.metadata)); }
    if (kind === "places") { return textCard(p.name, p.kind_label || p.kind); }
    return textCard(names[kind], p.name || p.label || "");
  }

  const unitOf = (meta) => (meta && meta.measure === "activity" ? "actions des services" : "faits");
  const countLabel = (count, meta) => (count == null ? "< " + (meta.suppression_threshold || cfg.threshold || 5) : fmt(count));

  // The legend's class of a count, in words (the colour is never the only carrier of the class).
  function cellClass(count, meta) {
    if (count == null) { return "sous le seuil de diffusion"; }
    const breaks = meta.breaks || [];
    let index = breaks.findIndex((b) => count <= b);
    index = index < 0 ? breaks.length - 1 : index;
    const low = index === 0 ? (meta.suppression_threshold || 1) : breaks[index - 1] + 1;
    return "classe " + (index + 1) + " sur " + breaks.length + " (" + fmt(low) + " à " + fmt(breaks[index]) + ")";
  }

  function showButton(kind, feature, name) {
    const button = el("button", { type: "button", class: "ols-show" }, "Voir sur la carte", sr(" : " + name));
    button.addEventListener("click", () => showFeature(kind, feature, button));
    return button;
  }

  // One table: a caption, column headers, one row per drawn feature (its first cell heads the row).
  // The key a test (or a script) finds a row's feature by: its H3 cell, its code, its id, its name.
  function key(item) {
    if (Array.isArray(item)) { return item[0]; }
    const p = item.properties;
    return String([p.h3, p.code, p.id, p.name, p.label].find((value) => value != null));
  }

  function table(kind, caption, headers, items, cells) {
    const head = el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)), el("th", { scope: "col" }, "Carte"));
    const rows = items.map((item, index) => {
      const [first, ...rest] = cells(item, index);
      return el("tr", { "data-key": key(item) }, el("th", { scope: "row" }, first), rest.map((c) => el("td", {}, c)),
        el("td", {}, showButton(kind, item, first)));
    });
    return el("table", { class: "ols-table", "data-kind": kind }, el("caption", {}, caption), el("thead", {}, head),
      el("tbody", {}, rows));
  }

  function zonesTable(zones) {
    const events = (p) => (p.stats && p.stats.events !== undefined ? countLabel(p.stats.events, {}) : "—");
    return table("zones", names.zones + " : " + fmt(zones.length), ["Zone", "Type", "Faits", "Communes"], zones,
      (f) => [f.properties.name, KINDS[f.properties.kind] || f.properties.kind, events(f.properties),
        (f.properties.communes || []).join(", ")]);
  }

  function hotspotsTable(spots) {
    const meta = state.drawn.heatmap ? state.drawn.heatmap.metadata : {};
    return table("hotspots", names.hotspots + " : " + fmt(spots.length), ["Classe", "Lieu", "Effectif"], spots,
      (f) => [f.properties.label || cfg.classes[f.properties.class], where(f.properties.h3),
        f.properties.count_label + " " + unitOf(meta)]);
  }

  function dealTable(points) {
    const day = (iso) => (iso ? new Date(iso + "T12:00:00").toLocaleDateString("fr-FR") : "—");
    return table("deal_points", names.deal_points + " : " + fmt(points.length),
      ["Point", "Statut", "Signalements", "Dernier signalement"], points,
      (f) => [f.properties.label, STATUSES[f.properties.status] || f.properties.status, fmt(f.properties.reports),
        day(f.properties.last_reported)]);
  }

  function placesTable(places) {
    return table("places", names.places + " : " + fmt(places.length), ["Lieu", "Type"], places,
      (f) => [f.properties.name, f.properties.kind_label || f.properties.kind]);
  }

  // The heatmap's cells, busiest first (hidden counts last), at most CELL_ROWS of them.
  function cellsTable(heatmap) {
    const meta = heatmap.metadata;
    const sorted = heatmap.cells.slice().sort((a, b) => (b[1] == null ? -1 : b[1]) - (a[1] == null ? -1 : a[1]));
    const shown = sorted.slice(0, CELL_ROWS);
    const caption = names.heatmap + " (maille " + meta.resolution + ") : " + plural(heatmap.cells.length, "cellule", "cellules") +
      (shown.length < sorted.length ? ", les " + fmt(shown.length) + " plus chargées listées" : "");
    return table("heatmap", caption, ["Cellule", "Effectif", "Classe"], shown, ([cell, count], index) =>
      ["n° " + fmt(index + 1) + ", " + where(cell), countLabel(count, meta) + " " + unitOf(meta), cellClass(count, meta)]);
  }

  function buildTables() {
    const drawn = state.drawn;
    const granted = new Set(cfg.layers);
    const parts = [];
    if (granted.has("zones") && drawn.zones) { parts.push(zonesTable(drawn.zones)); }
    if (granted.has("hotspots") && drawn.hotspots) { parts.push(hotspotsTable(drawn.hotspots)); }
    if (granted.has("deal_points") && drawn.deal_points) { parts.push(dealTable(drawn.deal_points)); }
    if (drawn.places) { parts.push(placesTable(drawn.places)); }
    if (drawn.heatmap) { parts.push(cellsTable(drawn.heatmap)); }
    $("ols-tableview-body").replaceChildren(...parts);
  }

  function openTables(open) {
    $("ols-tableview").hidden = !open;
    $("ols-tableview-toggle").setAttribute("aria-expanded", String(open));
    if (open) { buildTables(); $("ols-tableview-title").focus(); } else { $("ols-tableview-toggle").focus(); }
  }
  $("ols-tableview-toggle").addEventListener("click", () => openTables($("ols-tableview").hidden));
  $("ols-tableview-close").addEventListener("click", () => openTables(false));
  $("ols-tableview").addEventListener("keydown", (event) => { if (event.key === "Escape") { openTables(false); } });

  // "12 zones de vigilance, dont 3 nouvelles ; 48 points chauds… ; 1 234 faits sur la période".
  const compared = {};
  async function newZones(period) {
    if (!cfg.layers.includes("zones")) { return null; }
    const drawn = OLS.state.compared;  // the comparison the map drew with its zones, when it is this period's
    if (drawn && drawn.period === period && drawn.data) { return drawn.data.entering.length; }
    if (!(period in compared)) { compared[period] = OLS.get("/zones/compare", { period }).catch(() => null); }
    const found = await compared[period];
    return found ? found.entering.length : null;
  }

  function heatSentence(heatmap) {
    const meta = heatmap.metadata;
    const counted = heatmap.cells.reduce((sum, [, n]) => sum + (n || 0), 0);
    const total = meta.measure !== "activity" && typeof meta.facts === "number" ? meta.facts : counted;
    return fmt(total) + " " + unitOf(meta) + " sur la période, en " + plural(heatmap.cells.length, "cellule", "cellules");
  }

  function summary(drawn, fresh) {
    const parts = [];
    if (drawn.zones) {
      const declared = drawn.zones.filter((f) => f.properties.kind === "declared").length;
      parts.push(plural(drawn.zones.length, "zone de vigilance", "zones de vigilance") +
        (fresh ? ", dont " + plural(fresh, "nouvelle", "nouvelles") : (fresh === 0 ? ", aucune nouvelle" : "")) +
        " (" + plural(declared, "déclarée", "déclarées") + ")");
    }
    if (drawn.hotspots) {
      const hot = drawn.hotspots.filter((f) => f.properties.class.startsWith("hot")).length;
      const cold = drawn.hotspots.length - hot;
      parts.push(plural(hot, "point chaud significatif", "points chauds significatifs") + ", " +
        (cold ? plural(cold, "point froid", "points froids") : "aucun point froid"));
    }
    if (drawn.heatmap) { parts.push(heatSentence(drawn.heatmap)); }
    if (drawn.deal_points) { parts.push(plural(drawn.deal_points.length, "point de deal", "points de deal")); }
    if (drawn.places) { parts.push(plural(drawn.places.length, "lieu sensible", "lieux sensibles")); }
    const label = drawn.heatmap ? drawn.heatmap.metadata.label : "";
    return "Sur la carte" + (label ? " (" + label + ")" : "") + " : " + parts.join(" ; ") + ".";
  }

  // Zones and deal points on the map itself: in the tab order, named, opened with Enter or Space.
  function focusablePaths() {
    ["zones", "deal_points"].forEach((kind) => leaves(groups[kind]).forEach((layer) => {
      const node = layer.getElement && layer.getElement();
      if (!node || node.hasAttribute("tabindex")) { return; }
      const p = layer.feature.properties;
      node.setAttribute("tabindex", "0");
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", names[kind] + " : " + (p.name || p.label) + " (ouvrir la fiche)");
      node.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") { return; }
        event.preventDefault();
        event.stopPropagation();
        showFeature(kind, layer.feature, node);
      });
    }));
  }

  async function drawn(event) {
    const shown = event.detail.drawn;
    const label = shown.heatmap ? shown.heatmap.metadata.label : "";
    $("ols-title-period").textContent = label ? "— " + label : "";
    if (!$("ols-tableview").hidden) { buildTables(); }
    focusablePaths();
    const fresh = await newZones(event.detail.params.period);
    $("ols-summary").textContent = summary(shown, fresh);
  }
  document.addEventListener("ols:drawn", drawn);

  // The layer switches under the filters (Leaflet puts them in a map corner, last in the tab order).
  const control = document.querySelector(".leaflet-control-layers");
  if (control) { $("ols-layers").append(control); }
  $("ols-skip-map").setAttribute("href", "#" + map.getContainer().id);
  map.getContainer().setAttribute("role", "region");
  map.getContainer().setAttribute("aria-label", "Carte : " + cfg.observatory + " (vue tableau et résumé dans le panneau)");
})();
