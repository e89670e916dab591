// The workspace's shared part: its configuration, the API with the session cookie, French formats, accessible
// tables, the live region, and the progress of a background job. Each page's script uses window.OLSWorkspace.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("ols-workspace-config").textContent);
  const status = document.getElementById("ols-status");
  const numbers = new Intl.NumberFormat("fr-FR");
  const dates = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long" });
  const moments = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeStyle: "short" });

  // An API error in French: the server's detail when it gave one (a 422 lists what is wrong, field by field).
  function detail(body, statusCode) {
    if (body && typeof body.detail === "string") { return body.detail; }
    if (body && Array.isArray(body.detail)) {
      return body.detail.map((item) => (item.loc || []).slice(1).join(".") + " : " + item.msg).join(" ; ");
    }
    return "erreur du serveur (" + statusCode + ")";
  }

  // Call the API (JSON in and out, or a FormData body); an expired session goes back to the login form.
  async function api(path, options) {
    const opts = Object.assign({ method: "GET" }, options || {});
    const init = { method: opts.method, credentials: "same-origin", headers: {} };
    if (opts.form) { init.body = opts.form; } else if (opts.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    const response = await fetch(path.startsWith("/") ? path : config.api + "/" + path, init);
    if (response.status === 401) { window.location.replace(window.location.pathname + "?expired"); }
    if (response.status === 204) { return null; }
    const type = response.headers.get("Content-Type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const error = new Error(detail(body, response.status));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  const fr = {
    number: (value, digits) => (value === null || value === undefined ? "—"
      : new Intl.NumberFormat("fr-FR", { maximumFractionDigits: digits === undefined ? 1 : digits }).format(value)),
    integer: (value) => (value === null || value === undefined ? "—" : numbers.format(value)),
    percent: (share, digits) => (share === null || share === undefined ? "—"
      : new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: digits === undefined ? 1 : digits })
        .format(share)),
    date: (iso) => (iso ? dates.format(new Date(iso)) : "—"),
    moment: (iso) => (iso ? moments.format(new Date(iso)) : "—"),
  };

  // Say something to screen readers and on screen (the page's live region).
  function announce(text) { status.textContent = text; }

  // Fill ``container`` with an accessible table: a caption, column headers, a row header per row when asked.
  // Each column: {key, label, format?(value, row) -> string | Node, numeric?}.
  function table(container, caption, columns, rows, options) {
    const opts = options || {};
    const element = document.createElement("table");
    element.className = "ols-table";
    const title = element.createCaption();
    title.textContent = caption;
    const head = element.createTHead().insertRow();
    columns.forEach((column) => {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.textContent = column.label;
      if (column.numeric) { cell.className = "num"; }
      head.appendChild(cell);
    });
    const body = element.createTBody();
    rows.forEach((row) => {
      const line = body.insertRow();
      columns.forEach((column, index) => {
        const cell = index === 0 && opts.rowHeaders ? document.createElement("th") : document.createElement("td");
        if (cell.tagName === "TH") { cell.scope = "row"; }
        const value = column.format ? column.format(row[column.key], row) : row[column.key];
        if (value instanceof Node) { cell.appendChild(value); } else { cell.textContent = value === null || value === undefined ? "—" : String(value); }
        if (column.numeric) { cell.className = "num"; }
        line.appendChild(cell);
      });
    });
    if (!rows.length) {
      const line = body.insertRow();
      const cell = line.insertCell();
      cell.colSpan = columns.length;
      cell.textContent = opts.empty || "Aucune ligne.";
    }
    container.replaceChildren(element);
    return element;
  }

  // Follow a background job (GET /api/v1/jobs/{id}) until it ends; onProgress(job) at each poll. Resolves with the
  // finished job, rejects with its French error when it failed.
  async function follow(id, onProgress, interval) {
    for (;;) {
      const job = await api("jobs/" + encodeURIComponent(id));
      if (onProgress) { onProgress(job); }
      if (job.state === "done") { return job; }
      if (job.state === "failed") { throw new Error(job.error || "la tâche a échoué"); }
      await new Promise((resolve) => { window.setTimeout(resolve, interval || 500); });
    }
  }

  document.getElementById("ols-logout").addEventListener("click", async () => {
    await fetch(config.api + "/session", { method: "DELETE", credentials: "same-origin" });
    window.location.replace("/");
  });

  window.OLSWorkspace = { config, api, fr, announce, table, follow };
})();
