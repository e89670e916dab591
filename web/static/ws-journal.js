// The audit log: filters (user, action, days), pages of 50, the CSV of the filtered entries.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const $ = (id) => document.getElementById(id);
  const SIZE = 50;
  const ACTIONS = { read: "lecture", export: "export", create: "création", update: "modification", plan: "planification",
    disable: "désactivation", enable: "réactivation", scope: "changement de portée", save: "enregistrement" };
  const ROLES = { coordinator: "coordonnateur", police: "police", partner: "partenaire", elu: "élu", public: "public" };
  const entries = (n) => ws.fr.integer(n) + (n > 1 ? " entrées" : " entrée");
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
      item.textContent = ACTIONS[name] || name;
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
        { key: "role", label: "Rôle", format: (role) => ROLES[role] || role },
        { key: "action", label: "Action", format: (action) => ACTIONS[action] || action },
        { key: "resource", label: "Ressource" },
        { key: "parameters", label: "Paramètres", format: (value) => JSON.stringify(value) },
      ], found.entries, { empty: "Aucune entrée pour ces filtres." });
      const pages = Math.max(1, Math.ceil(found.total / SIZE));
      $("log-page").textContent = "Page " + ws.fr.integer(page) + " sur " + ws.fr.integer(pages)
        + " (" + entries(found.total) + ")";
      $("log-previous").disabled = page <= 1;
      $("log-next").disabled = page >= pages;
      ws.announce(entries(found.total) + ".");
    } catch (error) {
      $("log-problem").textContent = error.message;
    }
  }

  $("log-form").addEventListener("submit", (event) => { event.preventDefault(); page = 1; load(); });
  $("log-previous").addEventListener("click", () => { page -= 1; load(); });
  $("log-next").addEventListener("click", () => { page += 1; load(); });
  load();
})();
