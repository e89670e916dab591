// Leaflet.draw's texts in French: loaded after leaflet.draw.js and before the draw control is built, which reads them.
(function () {
  "use strict";
  const cancel = { title: "Annuler le tracé", text: "Annuler" };
  L.drawLocal = {
    draw: {
      toolbar: {
        actions: cancel,
        finish: { title: "Terminer le tracé", text: "Terminer" },
        undo: { title: "Effacer le dernier point tracé", text: "Effacer le dernier point" },
        buttons: { polyline: "Tracer une ligne", polygon: "Tracer une zone (polygone)", rectangle: "Tracer une zone (rectangle)",
          circle: "Tracer un cercle", marker: "Placer un repère", circlemarker: "Placer un cercle" },
      },
      handlers: {
        circle: { tooltip: { start: "Cliquez et faites glisser pour tracer un cercle." }, radius: "Rayon" },
        circlemarker: { tooltip: { start: "Cliquez sur la carte pour placer le cercle." } },
        marker: { tooltip: { start: "Cliquez sur la carte pour placer le repère." } },
        polygon: { tooltip: { start: "Cliquez pour commencer la zone.", cont: "Cliquez pour continuer la zone.",
          end: "Cliquez sur le premier point pour fermer la zone." } },
        polyline: { error: "<strong>Erreur :</strong> les côtés ne peuvent pas se croiser !",
          tooltip: { start: "Cliquez pour commencer la ligne.", cont: "Cliquez pour continuer la ligne.",
            end: "Cliquez sur le dernier point pour finir la ligne." } },
        rectangle: { tooltip: { start: "Cliquez et faites glisser pour tracer le rectangle." } },
        simpleshape: { tooltip: { end: "Relâchez la souris pour finir le tracé." } },
      },
    },
    edit: {
      toolbar: {
        actions: { save: { title: "Enregistrer les modifications", text: "Enregistrer" },
          cancel: { title: "Annuler la modification et ses changements", text: "Annuler" },
          clearAll: { title: "Effacer toutes les couches", text: "Tout effacer" } },
        buttons: { edit: "Modifier les tracés", editDisabled: "Aucun tracé à modifier", remove: "Supprimer des tracés",
          removeDisabled: "Aucun tracé à supprimer" },
      },
      handlers: {
        edit: { tooltip: { text: "Faites glisser les poignées pour modifier le tracé.",
          subtext: "Cliquez sur Annuler pour revenir en arrière." } },
        remove: { tooltip: { text: "Cliquez sur un tracé pour le supprimer." } },
      },
    },
  };
})();
