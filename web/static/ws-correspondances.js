// The mapping assistant: a sample file read by the server (columns, personal data flagged, a suggested draft), the
// columns picked, every change checked by the server as the ingest would read the file, labels mapped, saved as YAML.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const $ = (id) => document.getElementById(id);
  const state = { file: null, columns: [], categories: [], table: {}, timer: null, sample: null };
  const fields = Array.from(document.querySelectorAll("#map-form select[data-field]"));


  // Each column picker lists the file's columns; a refused one says why in its option (the server refuses it too).
  function fillPickers(draft) {
    fields.forEach((select) => {
      const items = [new Option(select.dataset.optional ? "(aucune)" : "(choisir une colonne)", "")];
      state.columns.forEach((column) => {
        const text = column.nominative ? column.name + " — refusée : " + column.nominative : column.name;
        items.push(new Option(text, column.name));
      });
      select.replaceChildren(...items);
      select.value = draft[select.dataset.field] || "";
    });
    $("map-location-type").value = draft.location_type || "lonlat";
    $("map-crs").value = draft.crs || "EPSG:4326";
    if (draft.date_formats && draft.date_formats.length) { $("map-date-format").value = draft.date_formats[0]; }
    showKind();
  }

  function showKind() {
    const kind = $("map-location-type").value;
    document.querySelectorAll("#map-form [data-kind]").forEach((block) => {
      block.hidden = !block.dataset.kind.split(" ").includes(kind);
    });
  }

  function draft() {
    const value = { format: state.sample.format, delimiter: state.sample.delimiter, encoding: state.sample.encoding,
      name: $("map-name").value.trim(), description: $("map-description").value.trim(),
      location_type: $("map-location-type").value, crs: $("map-crs").value,
      date_formats: [$("map-date-format").value], categories: state.table, attributes: [] };
    fields.forEach((select) => {
      const block = select.closest("[data-kind]");
      value[select.dataset.field] = block && block.hidden ? null : (select.value || null);
    });
    return value;
  }

  function form() {
    const body = new FormData();
    body.append("file", state.file);
    body.append("draft", JSON.stringify(draft()));
    return body;
  }

  function renderColumns() {
    ws.table($("map-columns"), "Colonnes du fichier d'exemple", [
      { key: "name", label: "Colonne" },
      { key: "examples", label: "Exemples", format: (values) => (values.length ? values.join(" · ") : "—") },
      { key: "nominative", label: "Données nominatives", format: (why) => {
        const span = document.createElement("span");
        span.className = why ? "ols-refused" : "";
        span.textContent = why ? "Refusée : " + why : "aucune détectée";
        return span;
      } },
    ], state.columns, { rowHeaders: true });
  }

  function categoryPicker(row) {
    const select = document.createElement("select");
    select.id = "map-cat-" + Math.random().toString(36).slice(2);
    select.setAttribute("aria-label", "Catégorie pour « " + row.label + " »");
    select.appendChild(new Option("(libellé inconnu : choisir une catégorie)", ""));
    let family = null;
    let group = null;
    state.categories.forEach((category) => {
      if (category.family !== family) {
        family = category.family;
        group = document.createElement("optgroup");
        group.label = family;
        select.appendChild(group);
      }
      group.appendChild(new Option(category.label, category.code));
    });
    select.value = state.table[row.label] || row.category || "";
    select.addEventListener("change", () => { state.table[row.label] = select.value; schedule(); });
    return select;
  }

  // The server gives the moment in the territories' own time (ISO with its offset): shown as written, in French.
  function localMoment(iso) {
    if (!iso) { return "—"; }
    return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4) + " " + iso.slice(11, 16);
  }

  function render(result) {
    const counts = result.counts;
    const refused = result.ingest_refuses_file;
    $("map-warning").hidden = !refused.length;
    $("map-warning").textContent = refused.length ? "À l'import, ce fichier sera refusé tant qu'il a "
      + (refused.length > 1 ? "les colonnes " : "la colonne ") + refused.map((name) => "« " + name + " »").join(", ")
      + " : demandez au partenaire de la retirer de son export. La correspondance, elle, ne la lit pas." : "";
    const parts = Object.entries(counts.rejected).map(([reason, n]) => ws.fr.integer(n) + " « " + reason + " »");
    $("map-counts").textContent = ws.fr.integer(counts.read) + " lignes lues, " + ws.fr.integer(counts.accepted)
      + " acceptées" + (parts.length ? ", rejetées : " + parts.join(", ") : "") + ".";
    ws.table($("map-rows"), "Lignes vérifiées (200 premières)", [
      { key: "line", label: "Ligne", numeric: true },
      { key: "label", label: "Libellé" },
      { key: "ok", label: "Verdict", format: (ok, row) => (ok ? "acceptée" : "rejetée : " + row.message) },
      { key: "occurred_at", label: "Date (heure locale)", format: localMoment },
      { key: "lon", label: "Longitude", numeric: true, format: (v) => ws.fr.number(v, 5) },
      { key: "lat", label: "Latitude", numeric: true, format: (v) => ws.fr.number(v, 5) },
    ], result.rows, { rowHeaders: true });
    const element = ws.table($("map-labels"), "Libellés du fichier", [
      { key: "label", label: "Libellé" },
      { key: "rows", label: "Lignes", numeric: true, format: (n) => ws.fr.integer(n) },
      { key: "category", label: "Catégorie", format: (_, row) => categoryPicker(row) },
      { key: "category", label: "État", format: (code, row) => {
        const span = document.createElement("span");
        const known = code || state.table[row.label];
        span.className = known ? "" : "ols-unknown-tag";
        span.textContent = known ? "associé" : "inconnu";
        return span;
      } },
    ], result.labels, { rowHeaders: true });
    result.labels.forEach((row, index) => {
      if (!row.category) { element.tBodies[0].rows[index].classList.add("ols-unknown"); }
    });
    const unknown = result.labels.filter((row) => !row.category).length;
    ws.announce(ws.fr.integer(counts.accepted) + " lignes acceptées sur " + ws.fr.integer(counts.read)
      + (unknown ? ", " + ws.fr.integer(unknown) + " libellés inconnus" : ""));
  }

  async function check() {
    $("map-problem").textContent = "";
    try {
      render(await ws.api("mappings/check", { method: "POST", form: form() }));
    } catch (error) {
      $("map-problem").textContent = error.message;
      ws.announce("Correspondance à compléter : " + error.message);
    }
  }

  function schedule() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(check, 300);
  }

  async function read() {
    state.file = $("map-file").files[0] || null;
    if (!state.file) { return; }
    const body = new FormData();
    body.append("file", state.file);
    try {
      const found = await ws.api("mappings/suggest", { method: "POST", form: body });
      state.sample = found.sample;
      state.columns = found.sample.columns;
      state.table = {};
      $("map-suggestion").textContent = found.best
        ? "Ce fichier a toutes les colonnes de la correspondance « " + found.best.name + " » (" + found.best.description
          + ") : vous pouvez l'importer avec elle, ou en décrire une nouvelle ci-dessous."
        : "Aucune correspondance connue ne lit ce fichier : une première proposition est faite ci-dessous.";
      renderColumns();
      fillPickers(found.draft);
      $("map-form-section").hidden = false;
      check();
    } catch (error) {
      $("map-suggestion").textContent = error.message;
      ws.announce(error.message);
    }
  }

  async function save(event) {
    event.preventDefault();
    try {
      const saved = await ws.api("mappings", { method: "POST", form: form() });
      $("map-saved").textContent = "Correspondance « " + saved.name + " » enregistrée : elle est proposée à l'import "
        + "et utilisable par « ols ingest --mapping " + saved.name + " ».";
    } catch (error) {
      $("map-saved").textContent = "Non enregistrée : " + error.message;
    }
  }

  ws.api("mappings").then((known) => { state.categories = known.categories; });
  $("map-file").addEventListener("change", read);
  $("map-location-type").addEventListener("change", () => { showKind(); schedule(); });
  $("map-form").addEventListener("change", schedule);
  $("map-save").addEventListener("submit", save);
})();
