// The map's legend, generated from what the map drew (window.OLS.state.drawn), with swatches drawn as the map draws:
// the same colours, halos, weights and dash patterns (web/static/ols-style.json), in French with French numbers.
window.OLSLegend = (function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const number = new Intl.NumberFormat("fr-FR");
  // What the heatmap and the hot spots count: facts suffered, or a service's activity (never added together).
  const MEASURES = {
    facts: { label: "Faits constatés", unit: "faits", one: "fait" },
    activity: { label: "Activité des services", unit: "actions des services", one: "action des services" },
  };
  // The statuses of a deal point, each with its own symbol: filled, ring, hollow dashed ring (dismantled).
  const DEAL = {
    actif: { label: "actif", fill: true },
    en_surveillance: { label: "en surveillance", fill: false },
    demantele: { label: "démantelé", fill: false, dashArray: "2 2" },
  };

  function svgNode(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attributes).forEach(([key, value]) => { if (value != null) { node.setAttribute(key, value); } });
    return node;
  }

  // A swatch: an outline (its halo under its line, as on the map), a filled box, or a deal-point symbol.
  function swatch(kind, style) {
    const box = svgNode("svg", { width: 30, height: 18, viewBox: "0 0 30 18", class: "ols-swatch", "aria-hidden": "true" });
    if (kind === "fill") {
      box.append(svgNode("rect", { x: 1, y: 1, width: 28, height: 16, fill: style.fill, "fill-opacity": style.opacity,
        stroke: "#555", "stroke-width": 0.5 }));
      return box;
    }
    const shape = kind === "point" ? (extra) => svgNode("circle", Object.assign({ cx: 15, cy: 9, r: 6 }, extra)) :
      (extra) => svgNode("rect", Object.assign({ x: 4, y: 3, width: 22, height: 12 }, extra));
    if (style.halo) { box.append(shape({ fill: "none", stroke: style.halo, "stroke-width": style.weight + 3 })); }
    box.append(shape({ fill: style.fillColor || "none", "fill-opacity": style.fillOpacity, stroke: style.color,
      "stroke-width": style.weight, "stroke-dasharray": style.dashArray }));
    return box;
  }

  function row(el, node, text) { return el("div", { class: "ols-legend-row" }, node, el("span", {}, text)); }

  // "1 fait", "2 à 5 faits", "1 234 à 2 000 faits": the classes of the heat ramp in words.
  function range(low, high, unit) {
    const word = high === 1 ? unit.one : unit.many;
    return low >= high ? number.format(high) + " " + word : number.format(low) + " à " + number.format(high) + " " + word;
  }

  function heatRows(el, cells, meta, heat, unit) {
    if (!cells || !cells.length) { return [el("p", { class: "ols-empty" }, "Aucun fait pour ce filtre.")]; }
    const rows = [];
    let low = meta.suppression_threshold || 1;
    (meta.breaks || []).forEach((high, i) => {
      rows.push(row(el, swatch("fill", { fill: heat.palette[Math.min(i, heat.palette.length - 1)], opacity: heat.opacity }),
        range(low, high, unit)));
      low = high + 1;
    });
    if (meta.suppression_threshold) {
      rows.push(row(el, swatch("fill", { fill: heat.suppressed, opacity: heat.opacity }),
        "moins de " + number.format(meta.suppression_threshold) + " " + unit.many + " (effectif masqué)"));
      rows.push(el("p", { class: "ols-note" }, "Effectifs arrondis à " + number.format(meta.rounded_to) +
        " près ; catégories sensibles non comprises."));
    }
    return rows;
  }

  function hotRows(el, hotspots, outlines, classes) {
    if (!hotspots) { return []; }
    if (!hotspots.length) { return [el("p", { class: "ols-empty" }, "Aucun point chaud ni froid significatif pour ce filtre.")]; }
    const codes = ["hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90"];
    return [el("h3", {}, "Points chauds et froids"), ...codes.map((code) => row(el, swatch("line", outlines[code]), classes[code])),
      el("p", { class: "ols-note" }, "Cliquez sur un point chaud, ou sur une zone, pour savoir pourquoi.")];
  }

  function zoneRows(el, zones, outlines) {
    if (!zones || !zones.length) { return []; }
    const kinds = new Set(zones.map((f) => f.properties.kind));
    return [el("h3", {}, "Zones de vigilance"),
      ...(kinds.has("computed") ? [row(el, swatch("line", outlines.zone_computed), "Zone calculée")] : []),
      ...(kinds.has("declared") ? [row(el, swatch("line", outlines.zone_declared), "Zone déclarée")] : [])];
  }

  function dealRows(el, points, outlines) {
    if (!points || !points.length) { return []; }
    const present = new Set(points.map((f) => f.properties.status));
    return [el("h3", {}, "Points de deal"), ...Object.entries(DEAL).filter(([code]) => present.has(code))
      .map(([code, status]) => row(el, swatch("point", dealStyle(outlines, code)), status.label))];
  }

  // The style of a deal point of one status (the map and its legend draw it from here).
  function dealStyle(outlines, code) {
    const status = DEAL[code] || DEAL.actif;
    return Object.assign({}, outlines.deal, { fillColor: status.fill ? outlines.deal.fillColor : "#ffffff",
      fillOpacity: status.fill ? 0.95 : 0.6, dashArray: status.dashArray || null });
  }

  // Which measure the map shows, said first: facts and activity are never read as one another.
  function measureRows(el, meta) {
    const shown = MEASURES[meta.measure] || MEASURES.facts;
    const note = meta.measure === "activity" ? "Activité des services : interventions, passages, enlèvements ; " +
      "elle dit où les services sont allés, pas où les faits ont eu lieu." : "Faits constatés et signalements, " +
      "chaque événement compté une fois ; l'activité des services est comptée à part.";
    return [el("p", { id: "ols-measure-shown", class: "ols-shown" }, "Carte : " + shown.label),
      el("p", { class: "ols-note" }, note)];
  }

  // The whole legend: the measure shown, then one section per layer drawn and shown (nothing for a layer not
  // received, or switched off: the deal points in presentation mode, a layer unticked by the reader).
  function build(OLS, meta) {
    const { el, cfg, state, names, map, groups } = OLS;
    const drawn = Object.fromEntries(Object.entries(state.drawn)
      .filter(([key]) => !groups[key] || map.hasLayer(groups[key])));
    const outlines = cfg.style.outlines;
    const measured = MEASURES[meta.measure] || MEASURES.facts;
    const rows = [el("h3", {}, "Légende — " + meta.label), ...measureRows(el, meta),
      ...heatRows(el, drawn.heatmap && drawn.heatmap.cells, meta, cfg.style.heat, { one: measured.one, many: measured.unit }),
      ...hotRows(el, drawn.hotspots, outlines, cfg.classes), ...zoneRows(el, drawn.zones, outlines),
      ...dealRows(el, drawn.deal_points, outlines)];
    const analyses = ["near_repeat", "crosswatch"].filter((key) => drawn[key] && drawn[key].length);
    if (analyses.length) { rows.push(el("h3", {}, "Analyses de la période")); }
    analyses.forEach((key) => rows.push(row(el, swatch("line", outlines[key]), names[key])));
    return rows;
  }

  return { MEASURES, build, swatch, dealStyle, range, number };
})();
