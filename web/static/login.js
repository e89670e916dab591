// The login form: exchanges the token for a session cookie; says why when it is refused.
(function () {
  "use strict";
  const form = document.getElementById("login");
  const error = document.getElementById("error");
  if (new URLSearchParams(window.location.search).has("expired")) {
    error.textContent = "Session expirée : reconnectez-vous.";
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const response = await fetch("/api/v1/session", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: document.getElementById("token").value }),
    });
    // The form is served at the page asked for (the map, a workspace page): back to it, logged in.
    if (response.ok) { window.location.replace(window.location.pathname); return; }
    if (response.status === 429) {
      const wait = response.headers.get("Retry-After") || "60";
      error.textContent = "Trop de tentatives refusées depuis cette adresse : réessayez dans " + wait + " secondes.";
      return;
    }
    error.textContent = "Jeton refusé.";
  });
})();
