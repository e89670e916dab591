// Semester page: refresh a period as a background job (its progress polled), read its summary and the preview of
// its edition (the zones the cellule de veille will see, compared), publish it, and compare the editions.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const select = document.getElementById("sem-period");
  const other = document.getElementById("sem-other");
  const error = document.getElementById("sem-error");
  const int = { numeric: true, format: ws.fr.integer };
  const LISTS = { entering: "Zones entrantes (absentes de la période précédente)", leaving: "Zones sortantes",
    continuing: "Zones maintenues", declared_not_hot: "Zones déclarées qui ne sont plus chaudes",
    hot_outside_declared: "Zones chaudes hors des zones déclarées" };

  function period() { return other.value.trim().toUpperCase() || select.value; }

  async function periods(keep) {
    const rows = await ws.api("semester");
    select.replaceChildren();
    rows.forEach((row) => {
      const item = document.createElement("option");
      item.value = row.period;
      item.textContent = row.label + " (" + row.period + ")" + (row.stale ? " — à rafraîchir" : "")
        + (row.edition ? " — publiée" : "");
      select.appendChild(item);
    });
    if (keep) { select.value = keep; }
  }

  async function editions() {
    const rows = await ws.api("editions");
    ws.table(document.getElementById("sem-editions"), "Éditions publiées, comparées", [
      { key: "label", label: "Période" }, { key: "published_at", label: "Publiée le", format: ws.fr.moment },
      { key: "published_by", label: "Par" }, Object.assign({ key: "events", label: "Faits" }, int),
      Object.assign({ key: "zones", label: "Zones calculées" }, int),
      Object.assign({ key: "hotspot_cells", label: "Cellules de la couche des points chauds" }, int),
      Object.assign({ key: "entering", label: "Zones entrantes" }, int),
      Object.assign({ key: "leaving", label: "Zones sortantes" }, int),
    ], rows, { rowHeaders: true, empty: "Aucune édition publiée." });
  }

  async function show(name) {
    error.textContent = "";
    const seen = await ws.api("semester/" + encodeURIComponent(name));
    const summary = seen.summary;
    document.getElementById("sem-summary-section").hidden = false;
    document.getElementById("sem-summary-title").textContent = "Résumé : " + summary.label;
    document.getElementById("sem-summary").textContent = "Calculée le " + ws.fr.moment(summary.refreshed_at) + " : "
      + ws.fr.integer(summary.events) + " faits, dont " + ws.fr.integer(summary.merged || 0)
      + " fusionnés avec le signalement d'un autre partenaire ; activité des services comptée à part : "
      + ws.fr.integer(summary.activity || 0) + " ; " + ws.fr.integer(summary.zones.length) + " zone(s) de vigilance calculée(s).";
    document.getElementById("sem-stale").textContent = seen.stale
      ? "Des faits de cette période ont changé depuis (lot annulé) : rafraîchissez-la avant de publier." : "";
    ws.table(document.getElementById("sem-zones"), "Zones de vigilance calculées", [
      { key: "code", label: "Zone" }, Object.assign({ key: "events", label: "Faits" }, int),
      Object.assign({ key: "cells", label: "Cellules" }, int),
      { key: "area_km2", label: "Surface (km²)", numeric: true, format: (v) => ws.fr.number(v, 3) },
      { key: "near", label: "Repère" },
    ], summary.zones, { rowHeaders: true, empty: "Aucune zone calculée." });
    document.getElementById("sem-map").href = seen.map;
    const counts = Object.entries(LISTS).map(([key, label]) => ({ label, count: seen.comparison[key].length,
      zones: seen.comparison[key].map((zone) => zone.name || zone.code).join(", ") }));
    document.getElementById("sem-preview").textContent = seen.edition
      ? "Édition publiée le " + ws.fr.moment(seen.edition.published_at) + " par " + seen.edition.published_by + "."
      : "L'édition n'est pas encore publiée : la cellule de veille verra les zones ci-dessous, comparées aux zones déclarées et à la période précédente.";
    ws.table(document.getElementById("sem-compare"), "Zones comparées", [{ key: "label", label: "Zones" },
      Object.assign({ key: "count", label: "Nombre" }, int), { key: "zones", label: "Lesquelles" }], counts, { rowHeaders: true });
    document.getElementById("sem-publish").disabled = Boolean(seen.edition);
    ws.announce("Résumé de " + summary.label + " affiché.");
  }

  async function run(path, bar, message) {
    const started = await ws.api(path, { method: "POST" });
    return ws.follow(started.job, (job) => {
      bar.value = job.progress;
      message.textContent = ws.fr.percent(job.progress, 0) + " — " + job.message;
    });
  }

  async function refresh(event) {
    event.preventDefault();
    error.textContent = "";
    const name = period();
    if (!name) { error.textContent = "choisissez une période"; return; }
    document.getElementById("sem-run").hidden = false;
    const message = document.getElementById("sem-message");
    try {
      ws.announce("Rafraîchissement de " + name + " lancé.");
      const done = await run("semester/" + encodeURIComponent(name) + "/refresh", document.getElementById("sem-progress"), message);
      message.textContent = "Terminé en " + ws.fr.number(done.result.seconds, 1) + " s.";
      await periods(done.result.period);
      other.value = "";
      await show(done.result.period);
      ws.announce(done.result.label + " rafraîchie : " + ws.fr.integer(done.result.events) + " faits.");
    } catch (failure) { error.textContent = failure.message; ws.announce(failure.message); }
  }

  async function publish() {
    const name = period();
    const published = document.getElementById("sem-published");
    document.getElementById("sem-publish-run").hidden = false;
    try {
      const done = await run("semester/" + encodeURIComponent(name) + "/publish",
        document.getElementById("sem-publish-progress"), published);
      published.textContent = "Édition " + done.result.edition + " publiée pour " + done.result.period + ".";
      ws.announce(published.textContent);
      await Promise.all([periods(name), editions(), show(name)]);
    } catch (failure) { error.textContent = failure.message; ws.announce(failure.message); }
  }

  // A bilan: written by a background job, then one link per file it wrote.
  async function report(event) {
    event.preventDefault();
    error.textContent = "";
    const asked = { kind: document.getElementById("sem-report-kind").value,
      period: document.getElementById("sem-report-period").value.trim().toUpperCase(),
      role: document.getElementById("sem-report-role").value };
    const message = document.getElementById("sem-report-message");
    const list = document.getElementById("sem-report-files");
    list.replaceChildren();
    document.getElementById("sem-report-run").hidden = false;
    try {
      const started = await ws.api("reports", { method: "POST", body: asked });
      const done = await ws.follow(started.job, (job) => {
        document.getElementById("sem-report-progress").value = job.progress;
        message.textContent = ws.fr.percent(job.progress, 0) + " — " + job.message;
      });
      done.result.files.forEach((name) => {
        const link = document.createElement("a");
        link.href = ws.config.api + "/reports/" + started.job + "/" + encodeURIComponent(name);
        link.textContent = name;
        link.setAttribute("download", name);
        const item = document.createElement("li");
        item.appendChild(link);
        list.appendChild(item);
      });
      message.textContent = "Bilan rédigé : " + done.result.files.length + " fichiers.";
      ws.announce(message.textContent);
    } catch (failure) { error.textContent = failure.message; ws.announce(failure.message); }
  }

  document.getElementById("sem-report-form").addEventListener("submit", report);
  document.getElementById("sem-form").addEventListener("submit", refresh);
  document.getElementById("sem-show").addEventListener("click", () => show(period()).catch((f) => { error.textContent = f.message; }));
  document.getElementById("sem-publish").addEventListener("click", publish);
  Promise.all([periods(), editions()]).catch((failure) => { error.textContent = failure.message; });
})();
