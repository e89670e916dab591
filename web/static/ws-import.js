// Import page: preview a partner file as OLS reads it, ingest the files as background jobs (one per file) with a
// progress bar each, then each batch's report and its rejected rows, downloadable to send back to the partner.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const form = document.getElementById("import-form");
  const files = document.getElementById("import-files");
  const source = document.getElementById("import-source");
  const mapping = document.getElementById("import-mapping");
  const error = document.getElementById("import-error");
  const runs = document.getElementById("import-runs");
  document.getElementById("import-files-hint").textContent = "Jusqu'à " + ws.fr.integer(ws.config.data.max_upload_mb)
    + " Mo par envoi (OLS_MAX_UPLOAD_MB).";


  async function load() {
    const options = await ws.api("intake/options");
    options.sources.forEach((item) => source.add(new Option(item.name + " (" + item.code + ")", item.code)));
    options.mappings.forEach((item) => mapping.add(new Option(item.name + " — " + item.description, item.name)));
  }

  // A file chosen: OLS reads its header and proposes the known mapping that reads it (the mapping assistant's
  // suggestion), else says that none does; the coordinator may still choose another.
  const hint = document.getElementById("import-mapping-hint");
  const helpText = hint.textContent;
  let touched = false;  // a mapping chosen by hand after the files is never replaced by a late suggestion
  mapping.addEventListener("change", () => { touched = true; });
  async function suggest() {
    touched = false;
    if (!files.files.length) { hint.textContent = helpText; return; }
    const body = new FormData();
    body.append("file", files.files[0]);
    try {
      const found = await ws.api("mappings/suggest", { method: "POST", form: body });
      if (found.best) {
        if (!touched) { mapping.value = found.best.name; }
        hint.textContent = "Correspondance proposée d'après l'en-tête de " + files.files[0].name + " : « "
          + found.best.name + " » (" + found.best.matched + " colonnes reconnues).";
      } else {
        hint.textContent = "Aucune correspondance connue ne lit l'en-tête de " + files.files[0].name
          + " : décrivez ce format dans l'assistant de correspondance.";
      }
    } catch (failure) { hint.textContent = "En-tête illisible : " + failure.message; }
    ws.announce(hint.textContent);
  }
  files.addEventListener("change", suggest);

  function chosen() {
    if (!files.files.length) { throw new Error("choisissez au moins un fichier"); }
    const form = new FormData();
    form.append("mapping", mapping.value);
    return form;
  }

  async function preview() {
    error.textContent = "";
    try {
      const body = chosen();
      body.append("file", files.files[0]);
      const seen = await ws.api("intake/preview", { method: "POST", form: body });
      document.getElementById("import-preview-section").hidden = false;
      document.getElementById("import-preview-summary").textContent = seen.file + " : " + ws.fr.integer(seen.rows_read)
        + " lignes lues avec la correspondance " + seen.mapping + ". Catégorie « — » : libellé inconnu, la ligne sera rejetée.";
      const columns = [{ key: "line", label: "Ligne", numeric: true }, { key: "label", label: "Libellé lu" },
        { key: "category", label: "Catégorie OLS" }, { key: "date", label: "Date lue" }]
        .concat(seen.columns.map((name, index) => ({ key: "c" + index, label: name })));
      const rows = seen.rows.map((row) => Object.assign({ line: row.line, label: row.label, category: row.category,
        date: row.date }, Object.fromEntries(row.cells.map((cell, index) => ["c" + index, cell]))));
      ws.table(document.getElementById("import-preview-table"), "Premières lignes de " + seen.file, columns, rows);
      ws.announce("Aperçu de " + seen.file + " affiché.");
    } catch (failure) { error.textContent = failure.message; ws.announce(failure.message); }
  }

  function runBlock(file, index) {
    const block = document.createElement("div");
    block.className = "ws-run";
    const title = document.createElement("h3");
    title.textContent = file;
    const label = document.createElement("label");
    label.htmlFor = "import-progress-" + index;
    label.textContent = "Progression de " + file;
    const bar = document.createElement("progress");
    bar.id = "import-progress-" + index;
    bar.max = 1;
    bar.value = 0;
    const message = document.createElement("p");
    message.className = "ws-message";
    const report = document.createElement("div");
    block.append(title, label, bar, message, report);
    runs.appendChild(block);
    return { bar, message, report };
  }

  async function showReport(result, parts) {
    const counts = document.createElement("p");
    counts.className = result.already_ingested ? "ols-error" : "ols-ok";
    counts.textContent = (result.already_ingested ? "Fichier déjà importé (lot " + result.batch_id
      + ") : rien n'a changé. " : "Lot " + result.batch_id + " : ") + ws.fr.integer(result.rows_read)
      + " lignes lues — " + result.counts_text + ".";
    parts.report.appendChild(counts);
    const reasons = Object.entries(result.reasons_text || {}).map(([reason, count]) => ({ reason, count }));
    const reasonBox = document.createElement("div");
    parts.report.appendChild(reasonBox);
    ws.table(reasonBox, "Rejets par motif", [{ key: "reason", label: "Motif" },
      { key: "count", label: "Lignes", numeric: true, format: ws.fr.integer }], reasons, { empty: "Aucun rejet." });
    if (result.rejected) { await showRejected(result.batch_id, parts.report); }
    ws.announce(result.file + " : " + counts.textContent);
  }

  async function showRejected(batchId, container) {
    const detail = await ws.api("batches/" + batchId);
    const link = document.createElement("a");
    link.href = ws.config.api + "/batches/" + batchId + "/rejected.csv";
    link.setAttribute("download", "lot-" + batchId + "-rejets.csv");
    link.className = "ws-download";
    link.textContent = "Télécharger les lignes rejetées du lot " + batchId + " (CSV, à renvoyer au partenaire)";
    const box = document.createElement("div");
    box.className = "ws-scroll";
    container.append(link, box);
    const columns = detail.rejected_columns.map((name, index) => ({ key: index, label: name }));
    ws.table(box, "Lignes rejetées du lot " + batchId + " (" + ws.fr.integer(detail.rejected_shown) + " premières)",
      columns, detail.rejected_rows);
  }

  async function follow(job, file, index) {
    const parts = runBlock(file, index);
    try {
      const done = await ws.follow(job, (state) => {
        parts.bar.value = state.progress;
        parts.message.textContent = ws.fr.percent(state.progress, 0) + " — " + state.message;
      });
      parts.message.textContent = "Terminé.";
      await showReport(done.result, parts);
    } catch (failure) {
      parts.message.className = "ols-error";
      parts.message.textContent = "Échec : " + failure.message;
      ws.announce(file + " : échec, " + failure.message);
    }
  }

  async function submit(event) {
    event.preventDefault();
    error.textContent = "";
    try {
      const body = chosen();
      body.append("source", source.value);
      Array.from(files.files).forEach((file) => body.append("files", file));
      const started = await ws.api("intake/files", { method: "POST", form: body });
      document.getElementById("import-runs-section").hidden = false;
      ws.announce(started.jobs.length + " fichier(s) en cours d'import.");
      const offset = runs.children.length;
      await Promise.all(started.jobs.map((item, index) => follow(item.job, item.file, offset + index)));
    } catch (failure) { error.textContent = failure.message; ws.announce(failure.message); }
  }

  document.getElementById("import-preview").addEventListener("click", preview);
  form.addEventListener("submit", submit);
  load().catch((failure) => { error.textContent = failure.message; });
})();
