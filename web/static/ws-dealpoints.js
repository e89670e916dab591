// Points de deal: the map and the table of the reader's points, the entry form (a click on the map, a loaded place or
// typed coordinates), and one point's update form and history. The API checks the audience again and audits.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const map = window.olsWorkspaceMap;
  const STATUS = { actif: "actif", en_surveillance: "en surveillance", demantele: "démantelé" };
  const COLOURS = { actif: "#a50f15", en_surveillance: "#b35806", demantele: "#4d4d4d" };
  const layer = map ? L.layerGroup().addTo(map) : null;
  let draft = null;
  let current = null;
  let framed = false;
  const $ = (id) => document.getElementById(id);
  $("dp-date").value = new Date().toISOString().slice(0, 10);

  function setPoint(lon, lat, said) {
    $("dp-lon").value = lon.toFixed(6);
    $("dp-lat").value = lat.toFixed(6);
    if (map) {
      if (draft) { draft.remove(); }
      draft = L.circleMarker([lat, lon], { radius: 9, color: "#1d3557", weight: 3, fillOpacity: 0.2 }).addTo(map);
    }
    ws.announce(said + " : longitude " + ws.fr.number(lon, 5) + ", latitude " + ws.fr.number(lat, 5) + ".");
  }
  if (map) { map.on("click", (event) => setPoint(event.latlng.lng, event.latlng.lat, "Coordonnées reprises de la carte")); }
  $("dp-place").addEventListener("change", () => {
    const place = window.olsPlaceNamed($("dp-place").value);
    if (place) { setPoint(place.lon, place.lat, "Coordonnées du lieu « " + place.name + " »"); }
  });

  function describe(change) {
    if (change.event === "created") {
      return "création (statut " + (STATUS[change.status] || change.status) + ", signalé le " + ws.fr.date(change.reported_on) + ")";
    }
    const parts = [];
    if (change.status) { parts.push("statut : " + (STATUS[change.status.from] || change.status.from) + " → " + (STATUS[change.status.to] || change.status.to)); }
    if (change.reported_on) { parts.push("nouveau signalement le " + ws.fr.date(change.reported_on)); }
    if (change.notes) { parts.push("notes modifiées"); }
    return parts.join(" ; ") || "mise à jour";
  }

  async function open(id, focus) {
    const found = await ws.api("deal-points/" + id + "/history");
    current = found;
    $("dp-detail").hidden = false;
    $("dp-detail-title").textContent = "Point « " + found.label + " » — " + (STATUS[found.status] || found.status) + ", "
      + ws.fr.integer(found.reports) + " signalement" + (found.reports > 1 ? "s" : "");
    ws.table($("dp-history"), "Historique du point « " + found.label + " »", [
      { key: "at", label: "Date", format: (v) => ws.fr.moment(v) },
      { key: "by", label: "Par" },
      { key: "event", label: "Changement", format: (v, row) => describe(row) },
    ], found.history, { empty: "Aucun changement." });
    if (focus) { $("dp-detail-title").focus(); }
  }

  function openButton(row) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Historique et mise à jour";
    button.setAttribute("aria-label", "Historique et mise à jour du point « " + row.label + " »");
    button.addEventListener("click", () => open(row.id, true).catch((error) => ws.announce(error.message)));
    return button;
  }

  async function load() {
    const found = await ws.api("deal-points");
    const rows = found.features.map((f) => Object.assign({ lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }, f.properties));
    ws.table($("dp-table"), "Points de deal (" + ws.fr.integer(rows.length) + ")", [
      { key: "label", label: "Libellé" },
      { key: "status", label: "Statut", format: (v) => STATUS[v] || v },
      { key: "reports", label: "Signalements", numeric: true, format: (v) => ws.fr.integer(v) },
      { key: "first_reported", label: "Premier signalement", format: (v) => ws.fr.date(v) },
      { key: "last_reported", label: "Dernier signalement", format: (v) => ws.fr.date(v) },
      { key: "id", label: "Action", format: (v, row) => openButton(row) },
    ], rows, { rowHeaders: true, empty: "Aucun point de deal dans votre périmètre." });
    if (!layer) { return rows; }
    layer.clearLayers();
    rows.forEach((row) => {
      L.circleMarker([row.lat, row.lon], { radius: 7, color: "#fff", weight: 2, fillColor: COLOURS[row.status] || "#a50f15", fillOpacity: 0.95 })
        .bindTooltip(row.label + " — " + (STATUS[row.status] || row.status))
        .on("click", () => open(row.id, true))
        .addTo(layer);
    });
    if (rows.length && !framed) {  // once: the points, not the whole extent, fill the map
      map.fitBounds(rows.map((row) => [row.lat, row.lon]), { padding: [40, 40], maxZoom: 16 });
      framed = true;
    }
    return rows;
  }

  $("dp-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { label: $("dp-label").value.trim(), lon: Number($("dp-lon").value), lat: Number($("dp-lat").value),
      reported_on: $("dp-date").value, status: $("dp-status").value, notes: $("dp-notes").value.trim() };
    try {
      const created = await ws.api("deal-points", { method: "POST", body });
      ws.announce("Point « " + body.label + " » enregistré.");
      $("dp-create").reset();
      $("dp-date").value = new Date().toISOString().slice(0, 10);
      if (draft) { draft.remove(); draft = null; }
      await load();
      await open(created.id, false);
    } catch (error) { ws.announce("Point non enregistré : " + error.message); }
  });

  $("dp-update").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) { return; }
    const body = {};
    if ($("dp-new-status").value) { body.status = $("dp-new-status").value; }
    if ($("dp-new-date").value) { body.reported_on = $("dp-new-date").value; }
    if ($("dp-new-notes").value.trim()) { body.notes = $("dp-new-notes").value.trim(); }
    if (!Object.keys(body).length) { ws.announce("Rien à enregistrer : choisissez un statut, une date ou des notes."); return; }
    try {
      await ws.api("deal-points/" + current.id, { method: "PATCH", body });
      $("dp-update").reset();
      await load();
      await open(current.id, false);
      ws.announce("Point « " + current.label + " » mis à jour.");
    } catch (error) { ws.announce("Mise à jour refusée : " + error.message); }
  });

  load().catch((error) => ws.announce("Points de deal illisibles : " + error.message));
})();
