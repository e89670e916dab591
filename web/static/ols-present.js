// Presentation mode, for the cellule de veille's projector: the map across the screen, refitted to the territory, under a
// title band (observatory, period, date of the edition, marking where due) beside a legend readable from the back of the
// room; no user name, no controls but stepping through the zones (→/N, ←/P, each zone centred with its card) and
// Escape to leave. Points de deal are switched off on entering (élus may be in the room) and restored on leaving.
(function () {
  "use strict";
  const OLS = window.OLS;
  if (!OLS) { return; }
  const { cfg, map, groups, state } = OLS;
  const $ = (id) => document.getElementById(id);
  const legend = $("ols-legend");
  const legendHome = { parent: legend.parentNode, next: legend.nextSibling };
  let active = false;
  let dealsWereOn = false;
  let zone = -1;
  let popupOpen = false;
  map.on("popupopen", () => { popupOpen = true; });
  map.on("popupclose", () => { popupOpen = false; });

  function day(iso) {
    return new Date(iso.length === 10 ? iso + "T12:00:00" : iso).toLocaleDateString("fr-FR",
      { day: "numeric", month: "long", year: "numeric" });
  }

  // The band: what the room must know before reading the map.
  function band() {
    const heatmap = state.drawn.heatmap;
    const meta = heatmap ? heatmap.metadata : {};
    const period = meta.period || $("ols-period").value;
    const published = (cfg.editions || {})[period];
    $("ols-present-title").textContent = cfg.observatory;
    $("ols-present-period").textContent = meta.label || "";
    $("ols-present-date").textContent = published ? "Édition publiée le " + day(published) :
      (meta.refreshed_at ? "Données mises à jour le " + day(meta.refreshed_at) : "");
    $("ols-present-marking").textContent = cfg.marking || "";
    $("ols-present-marking").hidden = !cfg.marking;
    document.body.style.setProperty("--ols-band", document.querySelector(".ols-band").offsetHeight + "px");
  }

  function refit() {
    const [west, south, east, north] = cfg.bounds;
    map.invalidateSize();
    map.fitBounds([[south, west], [north, east]], Object.assign({ animate: false }, OLS.insets ? OLS.insets() : {}));
  }

  function enter() {
    if (active) { return; }
    active = true;
    document.body.classList.add("presentation");
    $("ols-present").hidden = false;
    $("ols-presentation").setAttribute("aria-pressed", "true");
    $("ols-present-legend").append(legend);
    dealsWereOn = Boolean(groups.deal_points && map.hasLayer(groups.deal_points));
    if (dealsWereOn) { map.removeLayer(groups.deal_points); }
    map.closePopup();
    zone = -1;
    $("ols-present-zone").textContent = "";
    band();
    refit();
    $("ols-present-next").focus({ preventScroll: true });
  }

  function leave() {
    if (!active) { return; }
    active = false;
    map.closePopup();
    document.body.classList.remove("presentation");
    $("ols-present").hidden = true;
    $("ols-presentation").setAttribute("aria-pressed", "false");
    legendHome.parent.insertBefore(legend, legendHome.next);
    if (dealsWereOn) { map.addLayer(groups.deal_points); }
    refit();
    $("ols-presentation").focus({ preventScroll: true });
  }

  // The next (step 1) or previous (step -1) zone, centred with its card.
  function step(by, opener) {
    const zones = state.drawn.zones || [];
    if (!zones.length || !OLS.showFeature) { $("ols-present-zone").textContent = "Aucune zone de vigilance sur la carte."; return; }
    zone = (zone + by + zones.length) % zones.length;
    $("ols-present-zone").textContent = "Zone " + (zone + 1) + " sur " + zones.length + " : " + zones[zone].properties.name;
    OLS.showFeature("zones", zones[zone], opener);
  }

  const typing = (target) => target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
  const KEYS = { ArrowRight: 1, n: 1, N: 1, ArrowLeft: -1, p: -1, P: -1 };
  document.addEventListener("keydown", (event) => {
    if (!active || typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key in KEYS) {
      step(KEYS[event.key], $("ols-present-next"));
    } else if (event.key === "Escape") {
      if (popupOpen) { map.closePopup(); } else { leave(); }
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);

  $("ols-presentation").addEventListener("click", () => (active ? leave() : enter()));
  $("ols-present-exit").addEventListener("click", leave);
  $("ols-present-next").addEventListener("click", (event) => step(1, event.currentTarget));
  $("ols-present-prev").addEventListener("click", (event) => step(-1, event.currentTarget));
  document.addEventListener("ols:drawn", () => { if (active) { band(); } });
  if (cfg.presentation) { enter(); }
})();
