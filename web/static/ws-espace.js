// The workspace's home: one card per page of the navigation (the roles' rule is the server's, in web/workspace.py).
(function () {
  "use strict";
  const list = document.getElementById("ws-pages");
  document.querySelectorAll(".ols-nav a").forEach((link) => {
    if (link.getAttribute("aria-current") === "page") { return; }
    const item = document.createElement("li");
    const copy = document.createElement("a");
    copy.href = link.getAttribute("href");
    copy.textContent = link.textContent;
    item.appendChild(copy);
    list.appendChild(item);
  });
})();
