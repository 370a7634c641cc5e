"use strict";
// The back office: reads /admin/api with the session cookie. Every value is
// written with textContent, never as HTML.
let me = null;

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "" : String(value);
  row.appendChild(td);
  return td;
}

async function api(path, options = {}) {
  const response = await fetch(`/admin/api${path}`, {
    headers: { "content-type": "application/json" },
    ...options,
  });
  if (response.status === 401) {
    window.location.reload();
    return null;
  }
  return response.json();
}

function rows(sectionId) {
  const body = document.querySelector(`#${sectionId} tbody`);
  body.replaceChildren();
  return body;
}

async function showTickets(query = "") {
  const body = rows("tickets");
  for (const ticket of (await api(`/tickets${query}`)) || []) {
    const tr = document.createElement("tr");
    const ref = cell(tr, "");
    const link = document.createElement("button");
    link.type = "button";
    link.textContent = ticket.reference;
    link.addEventListener("click", () => showTicket(ticket.reference));
    ref.appendChild(link);
    for (const key of ["request_type", "service", "status", "notification", "created_at"]) cell(tr, ticket[key]);
    body.appendChild(tr);
  }
}

async function showTicket(reference) {
  const ticket = await api(`/tickets/${encodeURIComponent(reference)}`);
  const box = document.getElementById("ticket-detail");
  box.replaceChildren();
  box.hidden = false;
  const title = document.createElement("h3");
  title.textContent = `${ticket.reference} — ${ticket.request_type} (${ticket.service})`;
  box.appendChild(title);
  for (const [label, value] of [["Contact", ticket.contact], ["Description", ticket.description], ["Conversation", ticket.transcript || "non jointe"]]) {
    const p = document.createElement("pre");
    p.textContent = `${label} : ${value}`;
    box.appendChild(p);
  }
  for (const note of ticket.notes) {
    const p = document.createElement("p");
    p.textContent = `Note de ${note.username} (${note.created_at}) : ${note.text}`;
    box.appendChild(p);
  }
  if (me.role === "gestionnaire") {
    const select = document.createElement("select");
    for (const status of ["nouveau", "en_cours", "clos"]) {
      const option = document.createElement("option");
      option.textContent = status;
      option.selected = status === ticket.status;
      select.appendChild(option);
    }
    select.setAttribute("aria-label", "Statut");
    select.addEventListener("change", async () => {
      await api(`/tickets/${encodeURIComponent(reference)}`, { method: "PATCH", body: JSON.stringify({ status: select.value }) });
      showTickets();
    });
    box.appendChild(select);
    const note = document.createElement("textarea");
    note.setAttribute("aria-label", "Note interne");
    const add = document.createElement("button");
    add.type = "button";
    add.textContent = "Ajouter la note";
    add.addEventListener("click", async () => {
      await api(`/tickets/${encodeURIComponent(reference)}/notes`, { method: "POST", body: JSON.stringify({ text: note.value }) });
      showTicket(reference);
    });
    box.append(note, add);
  }
}

async function showRegistrations() {
  const body = rows("registrations");
  for (const r of (await api("/registrations")) || []) {
    const tr = document.createElement("tr");
    cell(tr, r.reference);
    cell(tr, `${r.prenom} ${r.nom}`);
    for (const key of ["email", "telephone", "profil"]) cell(tr, r[key]);
    cell(tr, r.domaines.join(", "));
    cell(tr, r.status);
    body.appendChild(tr);
  }
}

async function showUnanswered() {
  const body = rows("unanswered");
  for (const item of (await api("/unanswered")) || []) {
    const tr = document.createElement("tr");
    for (const key of ["created_at", "kind", "text", "topic"]) cell(tr, item[key]);
    const done = cell(tr, item.handled_at ? `oui (${item.handled_by})` : "");
    if (!item.handled_at && me.role === "gestionnaire") {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Marquer traitée";
      button.addEventListener("click", async () => {
        await api(`/unanswered/${item.id}`, { method: "PATCH", body: JSON.stringify({ handled: true }) });
        showUnanswered();
      });
      done.appendChild(button);
    }
    body.appendChild(tr);
  }
}

async function showOutbox() {
  const body = rows("outbox");
  for (const mail of (await api("/outbox")) || []) {
    const tr = document.createElement("tr");
    for (const key of ["to", "subject", "state", "attempts", "last_error"]) cell(tr, mail[key]);
    body.appendChild(tr);
  }
}

async function showAudit() {
  const body = rows("audit");
  for (const entry of (await api("/audit")) || []) {
    const tr = document.createElement("tr");
    for (const key of ["at", "username", "action", "object_type", "detail"]) cell(tr, entry[key]);
    body.appendChild(tr);
  }
}

async function showStats() {
  const stats = await api("/stats");
  const box = document.getElementById("stats-body");
  box.replaceChildren();
  const summary = document.createElement("p");
  summary.textContent = `Taux de questions non comprises : ${(stats.fallback_rate * 100).toFixed(1)} %. Délai moyen de clôture : ${stats.mean_hours_to_close === null ? "aucune demande close" : `${stats.mean_hours_to_close.toFixed(1)} h`}.`;
  box.appendChild(summary);
  for (const [title, key] of [["Questions par sujet", "questions_per_topic"], ["Questions par jour", "questions_per_day"], ["Questions par canal", "questions_per_channel"], ["Inscriptions par semaine", "registrations_per_week"], ["Demandes par service", "tickets_per_service"]]) {
    const h = document.createElement("h3");
    h.textContent = title;
    box.appendChild(h);
    if (window.Chart) {
      // A bar chart (chart.js), with the same figures in the table below it.
      const figure = document.createElement("div");
      figure.className = "chart";
      const canvas = document.createElement("canvas");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", title);
      canvas.dataset.chart = key;
      figure.appendChild(canvas);
      box.appendChild(figure);
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: stats[key].map((item) => item.key),
          datasets: [{ label: title, data: stats[key].map((item) => item.count), backgroundColor: "#00426a", borderColor: "#00426a" }],
        },
        options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    const table = document.createElement("table");
    for (const item of stats[key]) {
      const tr = document.createElement("tr");
      cell(tr, item.key);
      cell(tr, item.count);
      table.appendChild(tr);
    }
    box.appendChild(table);
  }
}

const views = { tickets: showTickets, registrations: showRegistrations, unanswered: showUnanswered, outbox: showOutbox, stats: showStats, audit: showAudit };

function show(view) {
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== view;
  for (const button of document.querySelectorAll("nav button")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  views[view]();
}

document.getElementById("ticket-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(event.target)) if (value) params.set(key, value);
  showTickets(params.toString() ? `?${params}` : "");
});
document.getElementById("logout").addEventListener("click", async () => {
  await api("/logout", { method: "POST" });
  window.location.reload();
});
for (const button of document.querySelectorAll("nav button")) button.addEventListener("click", () => show(button.dataset.view));

(async () => {
  me = await api("/me");
  if (!me) return;
  document.getElementById("who").textContent = `${me.username} (${me.role})`;
  if (me.role !== "gestionnaire") for (const el of document.querySelectorAll(".manager")) el.hidden = true;
  show("tickets");
})();
