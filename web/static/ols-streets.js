// The offline base map: the streets the territory loaded (`ols territory load-streets`), drawn from the API's
// vector tiles (/api/v1/tiles/streets) by Leaflet.VectorGrid on canvas, in a pane of their own (olsStreets) above
// the online tiles' pane and under every OLS layer. No request leaves the server: the map reads without internet.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("ols-config").textContent);
  const streets = cfg.streets;
  const map = window[cfg.map];
  if (!streets || !map || !L.vectorGrid) { return; }
  const pane = map.createPane(streets.pane);
  pane.style.zIndex = streets.z_index;
  pane.style.pointerEvents = "none";
  map.getContainer().style.background = "#f4f1ea";
  // Roads by class (OSM highway): major roads wider and warmer, minor ones thin and grey, all quieter than the data.
  const CLASSES = {
    motorway: ["#d9a04a", 3], trunk: ["#d9a04a", 3], primary: ["#dcae62", 2.6], secondary: ["#e2bf80", 2.2],
    tertiary: ["#b9b2a6", 1.8], residential: ["#c6c0b5", 1.4], unclassified: ["#c6c0b5", 1.4],
    living_street: ["#c6c0b5", 1.4], road: ["#c6c0b5", 1.4], pedestrian: ["#cfc9bf", 1.2],
  };
  const MINOR = ["#d3cdc3", 0.8];
  function style(properties, zoom) {
    const [color, width] = CLASSES[properties.highway] || MINOR;
    const scale = Math.max(0.6, Math.min(2.4, (zoom - 11) / 3));
    return { color, weight: width * scale, opacity: 1, lineCap: "round", lineJoin: "round" };
  }
  const layer = L.vectorGrid.protobuf(streets.url, {
    pane: streets.pane, rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: 18, maxZoom: 22,
    vectorTileLayerStyles: { streets: style }, fetchOptions: { credentials: "same-origin" },
    attribution: streets.label,
  });
  // One fetch per tile for the lines and the names: the tile's decoding is kept (a few hundred tiles at most).
  const decoded = new Map();
  const decode = layer._getVectorTilePromise.bind(layer);
  layer._getVectorTilePromise = function (coords) {
    const key = coords.z + "/" + coords.x + "/" + coords.y;
    if (!decoded.has(key)) {
      if (decoded.size > 300) { decoded.delete(decoded.keys().next().value); }
      decoded.set(key, decode(coords));
    }
    return decoded.get(key);
  };
  layer.addTo(map);

  // Street names from zoom 16, along the longest straight stretch of each street in a tile, once per tile.
  const LABEL_ZOOM = 16;
  function longestStretch(rings, scale) {
    let best = null;
    rings.forEach((ring) => ring.slice(1).forEach((point, i) => {
      const a = ring[i];
      const length = Math.hypot(point.x - a.x, point.y - a.y) * scale;
      if (!best || length > best.length) { best = { a, b: point, length }; }
    }));
    return best;
  }
  function drawNames(canvas, tile) {
    const streetsLayer = tile.layers.streets;
    if (!streetsLayer) { return; }
    const ratio = window.devicePixelRatio || 1;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.font = "12px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#f4f1ea";
    ctx.fillStyle = "#4a4440";
    const scale = 256 / streetsLayer.extent;
    const named = new Set();
    streetsLayer.features.forEach((feature) => {
      const name = feature.properties.name;
      if (!name || named.has(name)) { return; }
      const stretch = longestStretch(feature.geometry, scale);
      if (!stretch || stretch.length < ctx.measureText(name).width + 16) { return; }
      let angle = Math.atan2(stretch.b.y - stretch.a.y, stretch.b.x - stretch.a.x);
      if (angle > Math.PI / 2) { angle -= Math.PI; } else if (angle < -Math.PI / 2) { angle += Math.PI; }
      ctx.save();
      ctx.translate((stretch.a.x + stretch.b.x) / 2 * scale, (stretch.a.y + stretch.b.y) / 2 * scale);
      ctx.rotate(angle);
      ctx.strokeText(name, 0, 0);
      ctx.fillText(name, 0, 0);
      ctx.restore();
      named.add(name);
    });
  }
  const Names = L.GridLayer.extend({
    createTile(coords, done) {
      const canvas = L.DomUtil.create("canvas", "ols-street-names");
      const ratio = window.devicePixelRatio || 1;
      canvas.width = canvas.height = 256 * ratio;
      layer._getVectorTilePromise(coords).then((tile) => { drawNames(canvas, tile); done(null, canvas); },
        (error) => done(error, canvas));
      return canvas;
    },
  });
  const names = new Names({ pane: streets.pane, minZoom: LABEL_ZOOM, maxNativeZoom: 18, maxZoom: 22, zIndex: 2 });
  names.addTo(map);
  window.OLS_STREETS = { lines: layer, names };
})();
