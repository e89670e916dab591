// The workspace's map (points de deal, patrols): Leaflet in #ws-map, framed on the reader's territories, drawn on the
// territory's own streets when it loaded some (static/ols-streets.js, offline: no request leaves the server).
// A page's script reads it as window.olsWorkspaceMap; a map is never the only way in: each page has its forms.
(function () {
  "use strict";
  const data = window.OLSWorkspace.config.data;
  const holder = document.getElementById("ws-map");
  if (!holder || !window.L) { return; }
  const style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = "/vendor/leaflet/dist/leaflet.css";
  document.head.appendChild(style);
  const [west, south, east, north] = data.bounds;
  const map = L.map(holder, { zoomSnap: 0.5 }).fitBounds([[south, west], [north, east]]);
  map.attributionControl.setPrefix("");
  style.addEventListener("load", () => map.invalidateSize());
  window.olsWorkspaceMap = map;
  // ols-streets.js reads the map page's configuration block: give it the same two keys.
  const block = document.createElement("script");
  block.type = "application/json";
  block.id = "ols-config";
  block.textContent = JSON.stringify({ map: "olsWorkspaceMap", streets: data.streets });
  document.body.appendChild(block);

  // The loaded places, offered in the forms' lists (a keyboard alternative to clicking the map).
  const list = document.getElementById("ws-places");
  (data.places || []).forEach((place) => {
    const option = document.createElement("option");
    option.value = place.name;
    list.appendChild(option);
  });
  window.olsPlaceNamed = (name) => (data.places || []).find((p) => p.name.toLowerCase() === name.trim().toLowerCase());
  // The nearest loaded place within 200 m of a point, else null (a stop is read by its place's name).
  window.olsNearestPlace = (lon, lat) => {
    let best = null;
    (data.places || []).forEach((place) => {
      const dx = (place.lon - lon) * 111320 * Math.cos(lat * Math.PI / 180);
      const distance = Math.hypot(dx, (place.lat - lat) * 110540);
      if (distance < 200 && (!best || distance < best.distance)) { best = { name: place.name, distance }; }
    });
    return best ? best.name : null;
  };
})();
