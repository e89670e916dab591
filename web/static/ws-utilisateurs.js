// Users: create (the token shown once, never again: it is not stored), scope, disable, list. Every change is audited
// by the server; a disabled account's token fails at its next request.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const $ = (id) => document.getElementById(id);
  const data = ws.config.data;
  let known = [];
  const ROLES = { coordinator: "coordonnateur", police: "police", partner: "partenaire", elu: "élu", public: "public" };


  function chosen(select) { return Array.from(select.selectedOptions).map((item) => item.value); }

  function fill() {
    $("user-role").replaceChildren(...data.roles.map((role) => new Option(ROLES[role] || role, role)));
    $("user-territories").replaceChildren(...data.territories.map((t) => new Option(t.name + " (" + t.code + ")", t.code)));
    $("user-sectors").replaceChildren(...data.sectors.map((s) => new Option(s.name + " — " + s.territory, s.code)));
    $("user-source").replaceChildren(new Option("(aucune)", ""), ...data.sources.map((s) => new Option(s.name, s.code)));
    $("scope-territories").replaceChildren(...data.territories.map((t) => new Option(t.name + " (" + t.code + ")", t.code)));
    $("scope-sectors").replaceChildren(...data.sectors.map((s) => new Option(s.name + " — " + s.territory, s.code)));
  }

  // The scope form shows the chosen account's current territories and sectors, to be changed.
  function showScope() {
    const user = known.find((item) => String(item.id) === $("scope-user").value);
    Array.from($("scope-territories").options).forEach((item) => {
      item.selected = Boolean(user) && user.territories.includes(item.value);
    });
    Array.from($("scope-sectors").options).forEach((item) => {
      item.selected = Boolean(user) && user.sectors.includes(item.value);
    });
  }

  async function scope(event) {
    event.preventDefault();
    $("user-problem").textContent = "";
    const body = { territories: chosen($("scope-territories")), sectors: chosen($("scope-sectors")) };
    try {
      const done = await ws.api("users/" + $("scope-user").value, { method: "PATCH", body });
      ws.announce("Portée du compte « " + done.name + " » enregistrée.");
      await list();
    } catch (error) {
      $("user-problem").textContent = error.message;
    }
  }

  async function toggle(user, button) {
    button.disabled = true;
    try {
      await ws.api("users/" + user.id, { method: "PATCH", body: { disabled: !user.disabled } });
      ws.announce("Compte « " + user.name + " » " + (user.disabled ? "réactivé." : "désactivé : son jeton ne fonctionne plus."));
      await list();
    } catch (error) {
      $("user-problem").textContent = error.message;
      button.disabled = false;
    }
  }

  function action(_, user) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = (user.disabled ? "Réactiver " : "Désactiver ") + user.name;
    if (user.name === ws.config.user) { button.disabled = true; button.title = "votre propre compte"; }
    button.addEventListener("click", () => toggle(user, button));
    return button;
  }

  async function list() {
    const users = await ws.api("users");
    known = users;
    const current = $("scope-user").value;
    $("scope-user").replaceChildren(...users.filter((user) => !user.disabled).map((user) => new Option(user.name, user.id)));
    if (current) { $("scope-user").value = current; }
    showScope();
    ws.table($("user-list"), "Comptes de l'observatoire", [
      { key: "name", label: "Compte" },
      { key: "role", label: "Rôle", format: (role) => ROLES[role] || role },
      { key: "territories", label: "Territoires", format: (codes) => (codes.length ? codes.join(", ") : "tous") },
      { key: "sectors", label: "Secteurs", format: (codes) => (codes.length ? codes.join(", ") : "—") },
      { key: "source_code", label: "Source" },
      { key: "created_at", label: "Créé le", format: (iso) => ws.fr.date(iso) },
      { key: "disabled", label: "État", format: (off) => (off ? "désactivé" : "actif") },
      { key: "id", label: "Action", format: action },
    ], users, { rowHeaders: true });
  }

  async function create(event) {
    event.preventDefault();
    $("user-problem").textContent = "";
    const body = { name: $("user-name").value.trim(), role: $("user-role").value, territories: chosen($("user-territories")),
      sectors: chosen($("user-sectors")), source: $("user-source").value || null };
    try {
      const made = await ws.api("users", { method: "POST", body });
      $("user-token-warning").textContent = made.warning;
      $("user-token-name").textContent = made.name;
      $("user-token-value").value = made.token;
      $("user-token").hidden = false;
      $("user-token-value").focus();
      $("user-token-value").select();
      ws.announce("Compte « " + made.name + " » créé. " + made.warning);
      $("user-form").reset();
      await list();
    } catch (error) {
      $("user-problem").textContent = error.message;
    }
  }

  fill();
  $("user-form").addEventListener("submit", create);
  $("scope-form").addEventListener("submit", scope);
  $("scope-user").addEventListener("change", showScope);
  list();
})();
