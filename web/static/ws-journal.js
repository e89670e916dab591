// The audit log: filters (user, action, days), pages of 50, the CSV of the filtered entries.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const $ = (id) => document.getElementById(id);
  const SIZE = 50;
  let page = 1;
  let known = false;

  function query() {
    const params = new URLSearchParams();
    [["user", "log-user"], ["action", "log-action"], ["since", "log-since"], ["until", "log-until"]].forEach(([key, id]) => {
      const value = $(id).value.trim();
      if (value) { params.set(key, value); }
    });
    return params;
  }

  function actions(list) {
    if (known) { return; }
    known = true;
    list.forEach((name) => {
      const item = document.createElement("option");
      item.value = name;
      item.textContent = name;
      $("log-action").appendChild(item);
    });
  }

  async function load() {
    const params = query();
    $("log-csv").href = "/api/v1/audit.csv" + (params.toString() ? "?" + params : "");
    params.set("page", page);
    params.set("size", SIZE);
    $("log-problem").textContent = "";
    try {
      const found = await ws.api("audit?" + params);
      actions(found.actions);
      ws.table($("log-table"), "Entrées du journal, les plus récentes d'abord", [
        { key: "at", label: "Date et heure", format: (iso) => ws.fr.moment(iso) },
        { key: "user", label: "Utilisateur" },
        { key: "role", label: "Rôle" },
        { key: "action", label: "Action" },
        { key: "resource", label: "Ressource" },
        { key: "parameters", label: "Paramètres", format: (value) => JSON.stringify(value) },
      ], found.entries, { empty: "Aucune entrée pour ces filtres." });
      const pages = Math.max(1, Math.ceil(found.total / SIZE));
      $("log-page").textContent = "Page " + ws.fr.integer(page) + " sur " + ws.fr.integer(pages) + " ("
        + ws.fr.integer(found.total) + " entrées)";
      $("log-previous").disabled = page <= 1;
      $("log-next").disabled = page >= pages;
      ws.announce(ws.fr.integer(found.total) + " entrées.");
    } catch (error) {
      $("log-problem").textContent = error.message;
    }
  }

  $("log-form").addEventListener("submit", (event) => { event.preventDefault(); page = 1; load(); });
  $("log-previous").addEventListener("click", () => { page -= 1; load(); });
  $("log-next").addEventListener("click", () => { page += 1; load(); });
  load();
})();
