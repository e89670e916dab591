// The sheets page: pick a place or sector and a period, read its sheet (cut for the reader by the server),
// download it as PDF, note the period's ambiance, download a commune's schéma local.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const subject = document.getElementById("fiche-subject");
  const period = document.getElementById("fiche-period");
  const result = document.getElementById("fiche-result");
  const hidden = (value, threshold) => (value === null ? (threshold ? "< " + threshold : "—") : ws.fr.integer(value));
  period.value = ws.config.data.period || "";
  document.getElementById("ambiance-form").hidden = !ws.config.data.rates;


  async function loadSubjects() {
    const found = await ws.api("sheets/subjects");
    [["Secteurs", "sector", found.sectors], ["Lieux", "place", found.places]].forEach(([label, kind, items]) => {
      if (!items.length) { return; }
      const group = document.createElement("optgroup");
      group.label = label;
      items.forEach((item) => group.appendChild(new Option(item.name, kind + "|" + item.code)));
      subject.appendChild(group);
    });
    const communes = document.getElementById("schema-commune");
    found.communes.forEach((item) => communes.add(new Option(item.name, item.code)));
  }

  function path(format) {
    const [kind, code] = subject.value.split("|");
    return "sheets/" + kind + "/" + encodeURIComponent(code) + "?period=" + encodeURIComponent(period.value) +
      "&format=" + format;
  }

  function show(sheet) {
    const t = sheet.suppression_threshold;
    document.getElementById("fiche-title").textContent = sheet.subject.title + " — " + sheet.period_label;
    document.getElementById("fiche-pdf").href = ws.config.api + "/" + path("pdf");
    const words = document.getElementById("fiche-words");
    words.replaceChildren(...sheet.periods_in_words.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
    const hours = sheet.hour_blocks.map((label, index) => ({ key: index, label: label, numeric: true,
      format: (value) => hidden(value, t) }));
    ws.table(document.getElementById("fiche-grid"), "Faits par jour et par heure",
      [{ key: "day", label: "Jour" }].concat(hours),
      sheet.grid.map((row, index) => Object.assign({ day: sheet.weekdays[index] }, row)), { rowHeaders: true });
    ws.table(document.getElementById("fiche-families"), "Évolution par famille de faits",
      [{ key: "label", label: "Famille" }].concat(sheet.semesters.map((label, index) => ({ key: "s" + index,
        label: label, numeric: true, format: (value) => hidden(value, t) }))),
      sheet.families.map((family) => Object.assign({ label: family.label },
        Object.fromEntries(family.counts.map((value, index) => ["s" + index, value])))),
      { rowHeaders: true, empty: "Aucun fait enregistré ici." });
    ws.table(document.getElementById("fiche-partners"), "Partenaires présents",
      [{ key: "source", label: "Partenaire" }, { key: "measure", label: "Nature" },
        { key: "count", label: "Signalements", numeric: true, format: (value) => hidden(value, t) }],
      sheet.partners, { rowHeaders: true, empty: "Aucun partenaire n'a transmis de signalement ici." });
    const m = sheet.mediation;
    ws.table(document.getElementById("fiche-mediation"), "Médiation et faits, par tranche de trois heures",
      [{ key: "block", label: "Tranche" }, { key: "facts", label: "Faits", numeric: true, format: (v) => hidden(v, t) },
        { key: "unattended", label: "Sans médiateur", numeric: true, format: (v) => hidden(v, t) },
        { key: "presence", label: "Heures de présence", numeric: true, format: (v) => hidden(v, t) }],
      m && m.reported ? m.blocks.map((block, i) => ({ block: block, facts: m.facts[i], unattended: m.unattended[i],
        presence: m.presence_hours[i] })) : [],
      { rowHeaders: true, empty: "La médiation n'a transmis aucune présence ici pour la période." });
    document.getElementById("fiche-cameras").textContent = sheet.cameras.length
      ? ws.fr.integer(sheet.cameras.length) + " caméra(s) : " + sheet.cameras.slice(0, 6).join(", ") +
        " ; faits dans leur champ : " + hidden(sheet.covered.covered, t) + " sur " + hidden(sheet.covered.total, t)
      : "Aucune caméra active ne couvre ce lieu.";
    ws.table(document.getElementById("fiche-ambiance"), "Ambiances notées pour la période",
      [{ key: "date", label: "Date" }, { key: "rating", label: "Appréciation" },
        { key: "observation", label: "Observation" }, { key: "author", label: "Par" }],
      sheet.ambiance, { empty: "Aucune appréciation pour la période." });
    result.hidden = false;
  }

  async function load(event) {
    if (event) { event.preventDefault(); }
    if (!subject.value || !period.checkValidity()) { ws.announce("Choisissez un lieu ou un secteur et une période valide."); return; }
    ws.announce("Chargement de la fiche…");
    try {
      show(await ws.api(path("json")));
      ws.announce("Fiche affichée.");
    } catch (error) { ws.announce("Fiche impossible : " + error.message); }
  }

  document.getElementById("fiche-form").addEventListener("submit", load);
  document.getElementById("ambiance-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const [kind, code] = subject.value.split("|");
    try {
      await ws.api("sheets/ambiance", { method: "POST", body: { kind: kind, code: code, period: period.value,
        rating: document.getElementById("ambiance-rating").value,
        observation: document.getElementById("ambiance-observation").value } });
      ws.announce("Ambiance enregistrée.");
      await load();
    } catch (error) { ws.announce("Ambiance refusée : " + error.message); }
  });
  document.getElementById("schema-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const commune = document.getElementById("schema-commune").value;
    if (!commune) { return; }
    window.location.assign(ws.config.api + "/local-plans/" + encodeURIComponent(commune) + "?period=" +
      encodeURIComponent(period.value) + "&format=pdf");
  });
  loadSubjects().then(() => (subject.value ? load() : null)).catch((error) => ws.announce(error.message));
})();
