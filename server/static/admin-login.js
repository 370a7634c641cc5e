"use strict";
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {
    username: document.getElementById("username").value,
    password: document.getElementById("password").value,
  };
  const response = await fetch("/admin/api/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.ok) {
    window.location.reload();
  } else {
    const data = await response.json().catch(() => ({}));
    document.getElementById("error").textContent = data.detail || "Connexion impossible.";
  }
});
