// Patrol planning: the form (window, teams, mode, start, stops, dwell) → POST /patrols/plan; the routes and numbered
// stops on the map; each team's stops in a table (time, place, reason) with its main-courante entry; the downloads.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const data = ws.config.data;
  const map = window.olsWorkspaceMap;
  const COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d"];
  const DAYS = ["dim", "lun", "mar", "mer", "jeu", "ven", "sam"];
  const MODES = { pedestre: "pédestre", cycliste: "cycliste", vehicule: "véhicule" };
  const layer = map ? L.layerGroup().addTo(map) : null;
  const $ = (id) => document.getElementById(id);
  let planId = null;

  data.periods.forEach((period) => { $("pt-period").add(new Option(period, period)); });
  $("pt-date").value = new Date().toISOString().slice(0, 10);
  if (map) {
    map.on("click", (event) => {
      $("pt-start").value = "";
      $("pt-lon").value = event.latlng.lng.toFixed(6);
      $("pt-lat").value = event.latlng.lat.toFixed(6);
      ws.announce("Départ repris de la carte : longitude " + ws.fr.number(event.latlng.lng, 5) + ", latitude " + ws.fr.number(event.latlng.lat, 5) + ".");
    });
  }

  function request() {
    const day = DAYS[new Date($("pt-date").value + "T12:00:00").getDay()];
    const body = { period: $("pt-period").value, window: day + " " + $("pt-from").value + "-" + $("pt-to").value,
      teams: Number($("pt-teams").value), mode: $("pt-mode").value, stops: Number($("pt-stops").value),
      dwell: Number($("pt-dwell").value) };
    if ($("pt-start").value.trim()) { body.start = $("pt-start").value.trim(); } else {
      body.start_lon = Number($("pt-lon").value);
      body.start_lat = Number($("pt-lat").value);
    }
    return body;
  }

  function where(stop) {
    return stop.name || window.olsNearestPlace(stop.lon, stop.lat) || ("lon. " + ws.fr.number(stop.lon, 5) + ", lat. " + ws.fr.number(stop.lat, 5));
  }

  function draw(plan) {
    if (!layer) { return; }
    layer.clearLayers();
    const bounds = [];
    plan.features.forEach((f) => {
      const colour = COLOURS[(f.properties.team - 1) % COLOURS.length];
      if (f.properties.kind === "route") {
        const line = f.geometry.coordinates.map(([lon, lat]) => [lat, lon]);
        bounds.push(...line);
        L.polyline(line, { color: colour, weight: 4, opacity: 0.85, interactive: false }).addTo(layer);
      } else {
        const [lon, lat] = f.geometry.coordinates;
        const icon = L.divIcon({ className: "ws-stop", html: "<span style=\"background:" + colour + "\">" + f.properties.order + "</span>", iconSize: [24, 24] });
        L.marker([lat, lon], { icon, keyboard: false, interactive: false }).addTo(layer)
          .bindTooltip("Équipe " + f.properties.team + ", arrêt " + f.properties.order + " à " + f.properties.arrival + " : " + f.properties.reason);
      }
    });
    if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); }
  }

  function logged(stop) {
    if (stop.done === true) { return "fait"; }
    if (stop.done === false) { return "non fait — " + (stop.outcome_label || stop.outcome); }
    return "à renseigner";
  }

  function logControl(stop) {
    const box = document.createElement("span");
    box.className = "ws-log";
    const select = document.createElement("select");
    select.setAttribute("aria-label", "Main courante, équipe " + stop.team + ", arrêt " + stop.position);
    select.add(new Option("fait", "done"));
    Object.entries(data.outcomes).forEach(([code, text]) => select.add(new Option("non fait — " + text, code)));
    if (stop.done === false) { select.value = stop.outcome; }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Enregistrer";
    button.setAttribute("aria-label", "Enregistrer la main courante de l'arrêt " + stop.position + " de l'équipe " + stop.team);
    button.addEventListener("click", async () => {
      const done = select.value === "done";
      try {
        await ws.api("patrols/" + planId + "/log", { method: "POST",
          body: { team: stop.team, position: stop.position, done, outcome: done ? null : select.value } });
        await showLog();
        ws.announce("Équipe " + stop.team + ", arrêt " + stop.position + " : " + (done ? "fait" : "non fait") + ", enregistré.");
      } catch (error) { ws.announce("Main courante non enregistrée : " + error.message); }
    });
    box.append(select, button);
    return box;
  }

  async function showLog() {
    const log = await ws.api("patrols/" + planId + "/log");
    ws.table($("pt-stops-table"), "Arrêts du plan n° " + planId + " (" + log.window + ", " + (MODES[log.mode] || log.mode) + ")", [
      { key: "label", label: "Arrêt", format: (v, s) => "Équipe " + s.team + ", arrêt " + s.position },
      { key: "arrival", label: "Heure" },
      { key: "dwell_min", label: "Durée (min)", numeric: true, format: (v) => ws.fr.integer(v) },
      { key: "lon", label: "Lieu", format: (v, s) => where(s) },
      { key: "reason", label: "Pourquoi cet arrêt" },
      { key: "done", label: "Main courante", format: (v, s) => logged(s) },
      { key: "position", label: "Saisie", format: (v, s) => logControl(s) },
    ], log.stops, { rowHeaders: true, empty: "Aucun arrêt : aucun lieu à visiter dans ce créneau." });
  }

  function downloads() {
    const list = $("pt-downloads");
    list.replaceChildren();
    [["gpx", "GPX (téléphones)"], ["geojson", "GeoJSON"], ["pdf", "PDF à imprimer"]].forEach(([format, text]) => {
      const link = document.createElement("a");
      link.href = ws.config.api + "/patrols/" + planId + "/plan." + format;
      link.download = "patrouille-" + planId + "." + format;
      link.textContent = "Télécharger le plan n° " + planId + " en " + text;
      const item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  async function show(plan) {
    planId = plan.plan_id;
    $("pt-result").hidden = false;
    $("pt-title").textContent = "Plan n° " + planId + " — " + plan.window + ", " + (MODES[plan.mode] || plan.mode);
    $("pt-notes").textContent = plan.notes && plan.notes.length ? "À noter : " + plan.notes.join(" ; ") + "." : "";
    draw(plan);
    downloads();
    await showLog();
    $("pt-title").focus();
  }

  $("pt-plan").addEventListener("submit", async (event) => {
    event.preventDefault();
    ws.announce("Planification en cours…");
    try {
      const plan = await ws.api("patrols/plan", { method: "POST", body: request() });
      await show(plan);
      ws.announce("Plan n° " + plan.plan_id + " prêt.");
    } catch (error) { ws.announce("Plan non établi : " + error.message); }
  });
  $("pt-reopen").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await show(await ws.api("patrols/" + Number($("pt-reopen-id").value) + "/plan.geojson"));
      ws.announce("Plan n° " + planId + " rouvert.");
    } catch (error) { ws.announce("Plan introuvable : " + error.message); }
  });
})();
