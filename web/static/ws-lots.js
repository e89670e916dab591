// Batches page: the batches with filters, one batch's report and rejected rows, and its undo (confirmed first).
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const error = document.getElementById("lots-error");
  const section = document.getElementById("lots-detail-section");
  let current = null;


  function query() {
    const params = new URLSearchParams();
    [["source", "lots-source"], ["since", "lots-since"], ["until", "lots-until"], ["state", "lots-state"]]
      .forEach(([name, id]) => { const value = document.getElementById(id).value; if (value) { params.set(name, value); } });
    return params.toString();
  }

  function openButton(row) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Lot " + row.batch_id;
    button.setAttribute("aria-label", "Voir le lot " + row.batch_id + " (" + row.filename + ")");
    button.addEventListener("click", () => show(row.batch_id));
    return button;
  }

  async function list() {
    error.textContent = "";
    try {
      const rows = await ws.api("batches?" + query());
      const int = { numeric: true, format: ws.fr.integer };
      ws.table(document.getElementById("lots-list"), "Lots importés (" + ws.fr.integer(rows.length) + ")", [
        { key: "batch_id", label: "Lot", format: (value, row) => openButton(row) },
        { key: "source", label: "Source" }, { key: "filename", label: "Fichier" },
        { key: "ingested_at", label: "Importé le", format: ws.fr.moment }, { key: "ingested_by", label: "Par" },
        Object.assign({ key: "rows_read", label: "Lignes lues" }, int), Object.assign({ key: "accepted", label: "Faits" }, int),
        Object.assign({ key: "duplicates", label: "Doublons" }, int), Object.assign({ key: "rejected", label: "Rejets" }, int),
      ], rows, { rowHeaders: true, empty: "Aucun lot ne répond à ces filtres." });
      ws.announce(ws.fr.integer(rows.length) + " lot(s) affiché(s).");
    } catch (failure) { error.textContent = failure.message; }
  }

  function fact(list, term, value) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.append(dt, dd);
  }

  async function show(batchId) {
    error.textContent = "";
    document.getElementById("lots-undone").textContent = "";
    try {
      const batch = await ws.api("batches/" + batchId);
      current = batch;
      section.hidden = false;
      document.getElementById("lots-detail-title").textContent = "Lot " + batch.batch_id + " : " + batch.filename;
      const facts = document.getElementById("lots-detail");
      facts.replaceChildren();
      fact(facts, "Source", batch.source);
      fact(facts, "Correspondance", batch.mapping_name);
      fact(facts, "Importé", ws.fr.moment(batch.ingested_at) + " par " + batch.ingested_by);
      fact(facts, "Lignes", ws.fr.integer(batch.rows_read) + " lues, " + ws.fr.integer(batch.accepted) + " faits, "
        + ws.fr.integer(batch.duplicates) + " doublons, " + ws.fr.integer(batch.rejected) + " rejets");
      const reasons = Object.entries(batch.reasons_text).map(([reason, count]) => ({ reason, count }));
      ws.table(document.getElementById("lots-reasons"), "Rejets par motif", [{ key: "reason", label: "Motif" },
        { key: "count", label: "Lignes", numeric: true, format: ws.fr.integer }], reasons, { empty: "Aucun rejet." });
      const download = document.getElementById("lots-download");
      download.href = ws.config.api + "/batches/" + batch.batch_id + "/rejected.csv";
      download.hidden = !batch.rejected;
      ws.table(document.getElementById("lots-rejected"), "Lignes rejetées (" + ws.fr.integer(batch.rejected_shown)
        + " premières)", batch.rejected_columns.map((name, index) => ({ key: index, label: name })), batch.rejected_rows,
        { empty: "Aucune ligne rejetée." });
      section.focus();
    } catch (failure) { error.textContent = failure.message; }
  }

  async function undo() {
    if (!current) { return; }
    const sure = window.confirm("Annuler le lot " + current.batch_id + " (" + current.filename + ") ? Ses "
      + ws.fr.integer(current.accepted) + " faits seront retirés.");
    if (!sure) { return; }
    try {
      const done = await ws.api("batches/" + current.batch_id, { method: "DELETE" });
      const stale = done.stale_periods.length ? " Périodes à rafraîchir : " + done.stale_periods.join(", ") + "." : "";
      const text = "Lot " + done.batch_id + " annulé : " + ws.fr.integer(done.facts_removed) + " faits retirés." + stale;
      document.getElementById("lots-undone").textContent = text;
      ws.announce(text);
      current = null;
      await list();
    } catch (failure) { error.textContent = failure.message; }
  }

  async function load() {
    const options = await ws.api("intake/options");
    options.sources.forEach((item) => document.getElementById("lots-source").add(new Option(item.name, item.code)));
    Object.entries(options.states).forEach(([code, label]) => document.getElementById("lots-state").add(new Option(label, code)));
    await list();
  }

  document.getElementById("lots-filters").addEventListener("submit", (event) => { event.preventDefault(); list(); });
  document.getElementById("lots-undo").addEventListener("click", undo);
  load().catch((failure) => { error.textContent = failure.message; });
})();
