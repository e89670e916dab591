// The tableau de bord: fiches actions and their states, indicators with a sparkline (inline SVG with its text
// alternative), target and trend in words, the reader's decisions, and for the coordinator the meetings and their PDF.
// Who may change a fiche's state or enter an indicator's value is the board's "editable" (decided by the audience
// layer, checked again by the API): the coordinator gets the two forms, whose changes redraw the board.
(function () {
  "use strict";
  const ws = window.OLSWorkspace;
  const SVG = "http://www.w3.org/2000/svg";
  const STATES = { a_lancer: "à lancer", en_cours: "en cours", realisee: "réalisée", abandonnee: "abandonnée" };
  const PLURALS = { a_lancer: "à lancer", en_cours: "en cours", realisee: "réalisées", abandonnee: "abandonnées" };
  const DECISIONS = { open: "ouverte", done: "réalisée", dropped: "abandonnée" };

  function shown(item) { return item.value === null ? "masqué" : ws.fr.number(item.value); }

  // A small line of the known values; its text alternative lists them, period by period.
  function sparkline(indicator) {
    const known = indicator.values.filter((item) => item.value !== null);
    const words = indicator.values.map((item) => item.period + " : " + shown(item)).join(" ; ");
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "96");
    svg.setAttribute("height", "28");
    svg.setAttribute("viewBox", "0 0 96 28");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Évolution de « " + indicator.name + " » : " + (words || "aucune valeur"));
    svg.setAttribute("class", "ws-spark");
    if (known.length) {
      const values = known.map((item) => item.value);
      const low = Math.min(...values), high = Math.max(...values);
      const x = (i) => (known.length === 1 ? 48 : 4 + (88 * i) / (known.length - 1));
      const y = (v) => (high === low ? 14 : 24 - (20 * (v - low)) / (high - low));
      const line = document.createElementNS(SVG, "polyline");
      line.setAttribute("points", known.map((item, i) => x(i) + "," + y(item.value)).join(" "));
      svg.appendChild(line);
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", x(known.length - 1));
      dot.setAttribute("cy", y(values[values.length - 1]));
      dot.setAttribute("r", "2.5");
      svg.appendChild(dot);
    }
    return svg;
  }

  function history(action) {
    return action.history.map((step) => step.state_label + " le " + ws.fr.date(step.on)).join(" ; ") || "—";
  }

  function axis(container, item) {
    const section = document.createElement("section");
    const title = document.createElement("h2");
    title.textContent = "Axe " + item.code + " : " + item.title;
    section.appendChild(title);
    const actions = document.createElement("div");
    section.appendChild(actions);
    ws.table(actions, "Fiches actions de l'axe " + item.code, [
      { key: "code", label: "Fiche" }, { key: "title", label: "Intitulé" }, { key: "pilot", label: "Pilote" },
      { key: "schedule", label: "Échéance" }, { key: "state_label", label: "État" },
      { key: "history", label: "Historique", format: (value, row) => history(row) },
    ], item.actions, { rowHeaders: true });
    const indicators = item.actions.flatMap((action) => action.indicators.map((ind) => Object.assign({ fiche: action.code }, ind)));
    if (indicators.length) {
      const box = document.createElement("div");
      section.appendChild(box);
      ws.table(box, "Indicateurs de l'axe " + item.code, [
        { key: "name", label: "Indicateur" }, { key: "fiche", label: "Fiche" }, { key: "kind_label", label: "Type" },
        { key: "values", label: "Évolution", format: (value, row) => sparkline(row) },
        { key: "values", label: "Dernière valeur", numeric: true,
          format: (value, row) => (value.length ? shown(value[value.length - 1]) + " " + row.unit + " (" + value[value.length - 1].period + ")" : "—") },
        { key: "target", label: "Cible", numeric: true, format: (value) => (value === null ? "—" : ws.fr.number(value)) },
        { key: "trend", label: "Tendance" },
      ], indicators, { rowHeaders: true });
    }
    container.appendChild(section);
  }

  function decisions(rows) {
    ws.table(document.getElementById("ws-decisions"), "Décisions de la cellule de veille", [
      { key: "id", label: "N°" }, { key: "text", label: "Décision" }, { key: "partner_name", label: "Partenaire en charge", format: (value, row) => value || row.partner },
      { key: "due_on", label: "Échéance", format: (value) => ws.fr.date(value) },
      { key: "state", label: "État", format: (value) => DECISIONS[value] },
    ], rows, { rowHeaders: true, empty: "Aucune décision ne vous concerne." });
  }

  function doleances(rows) {
    if (!rows.length) { return; }
    document.getElementById("ws-doleances-section").hidden = false;
    ws.table(document.getElementById("ws-doleances"), "Doléances reçues et suites données, par période", [
      { key: "period", label: "Période" }, { key: "received", label: "Reçues", numeric: true, format: ws.fr.integer },
      { key: "closed", label: "Avec une suite", numeric: true, format: ws.fr.integer },
      { key: "share_closed", label: "Part traitée", numeric: true, format: (value) => ws.fr.percent(value) },
      { key: "median_days", label: "Délai médian (jours)", numeric: true, format: (value) => ws.fr.number(value) },
      { key: "without_suite", label: "Sans suite", numeric: true, format: ws.fr.integer },
    ], rows, { rowHeaders: true });
  }

  // The coordinator, or the partner in charge, marks a decision done, dropped or open again (the API checks who).
  function decisionForm(rows) {
    const form = document.getElementById("ws-decision-form");
    const choice = document.getElementById("ws-decision-id");
    if (!rows.length || !["coordinator", "partner"].includes(ws.config.role)) { return; }
    choice.replaceChildren(...rows.map((row) => {
      const option = document.createElement("option");
      option.value = row.id;
      option.textContent = "n° " + row.id + " — " + row.text + " (" + DECISIONS[row.state] + ")";
      return option;
    }));
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const state = document.getElementById("ws-decision-state").value;
      try {
        await ws.api("decisions/" + encodeURIComponent(choice.value), { method: "PATCH", body: { state } });
        const board = await ws.api("indicators/dashboard");
        decisions(board.decisions);
        ws.announce("Décision n° " + choice.value + " : " + DECISIONS[state] + ".");
      } catch (error) {
        ws.announce(error.message);
      }
    });
  }

  function drawBoard(board) {
    document.getElementById("ws-states").textContent = Object.entries(board.states)
      .map(([state, count]) => ws.fr.integer(count) + " " + (count > 1 ? PLURALS : STATES)[state]).join(", ") + ".";
    const container = document.getElementById("ws-axes");
    container.replaceChildren();
    board.axes.forEach((item) => axis(container, item));
  }

  function fillEditChoices(board) {
    const actions = board.axes.flatMap((item) => item.actions);
    const code = document.getElementById("ws-action-code");
    const chosen = code.value;
    code.replaceChildren(...actions.map((action) =>
      new Option("Fiche " + action.code + " — " + action.title + " (" + action.state_label + ")", action.code)));
    if (chosen) { code.value = chosen; }
    const entered = actions.flatMap((action) => action.indicators).filter((ind) => ind.source === "entered");
    const indicator = document.getElementById("ws-value-code");
    const picked = indicator.value;
    indicator.replaceChildren(...entered.map((ind) => new Option(ind.name + " (" + ind.unit + ")", ind.code)));
    if (picked) { indicator.value = picked; }
  }

  async function redraw() {
    const board = await ws.api("indicators/dashboard");
    drawBoard(board);
    fillEditChoices(board);
  }

  // The coordinator changes a fiche's state or enters an indicator's value, through the API the command line's
  // functions serve; the board is drawn again from the API's answer, so what is shown is what is stored.
  function editForms(board) {
    if (!board.editable) { return; }
    document.getElementById("ws-edit-section").hidden = false;
    fillEditChoices(board);
    document.getElementById("ws-action-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const code = document.getElementById("ws-action-code").value;
      const state = document.getElementById("ws-action-state").value;
      try {
        await ws.api("actions/" + encodeURIComponent(code), { method: "PATCH", body: { state } });
        await redraw();
        ws.announce("Fiche " + code + " : " + STATES[state] + ".");
      } catch (error) {
        ws.announce(error.message);
      }
    });
    document.getElementById("ws-value-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const select = document.getElementById("ws-value-code");
      const period = document.getElementById("ws-value-period").value.trim();
      const value = Number(document.getElementById("ws-value-number").value.trim().replace(",", "."));
      try {
        await ws.api("indicators/" + encodeURIComponent(select.value) + "/values",
          { method: "POST", body: { period, value } });
        await redraw();
        ws.announce(select.selectedOptions[0].textContent + " : " + ws.fr.number(value) + " saisi pour " + period + ".");
      } catch (error) {
        ws.announce(error.message);
      }
    });
  }

  async function meetings() {
    const rows = await ws.api("meetings");
    document.getElementById("ws-meetings-section").hidden = false;
    ws.table(document.getElementById("ws-meetings"), "Réunions, la plus récente d'abord", [
      { key: "held_on", label: "Date", format: (value) => ws.fr.date(value) },
      { key: "decisions", label: "Décisions", numeric: true },
      { key: "state", label: "État", format: (value) => (value === "closed" ? "close" : "en cours") },
      { key: "id", label: "Ordre du jour et relevé", format: (value, row) => {
        const link = document.createElement("a");
        link.href = ws.config.api + "/meetings/" + value + "/pdf";
        link.textContent = "PDF de la réunion du " + ws.fr.date(row.held_on);
        return link;
      } },
    ], rows, { rowHeaders: true, empty: "Aucune réunion." });
  }

  async function load() {
    try {
      const board = await ws.api("indicators/dashboard");
      drawBoard(board);
      editForms(board);
      doleances(board.doleances);
      decisions(board.decisions);
      decisionForm(board.decisions);
      if (ws.config.data.meetings) { await meetings(); }
      ws.announce("Tableau de bord chargé.");
    } catch (error) {
      ws.announce(error.message);
    }
  }
  load();
})();
