// Glossary page: lists /api/glossaire, filters it as you type (?q= on the server,
// which also searches the aliases) and builds the roles table from
// /api/glossaire/roles/comparaison. Data is always inserted as text (textContent).
"use strict";

const GROUPS = {
  role: "Rôles des patients engagés",
  engagement: "Engagement des usagers",
  droit: "Droits des patients",
  service: "Services de l'hôpital",
};
const OTHER_GROUP = "Autres notions";
const PROFILE_FIELDS = ["who", "what", "where", "training", "recognition", "path"];
const dateFormat = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "UTC" });

const list = document.getElementById("glossary");
const search = document.getElementById("q");
const count = document.getElementById("count");
const empty = document.getElementById("empty");
const error = document.getElementById("error");
const tableBody = document.querySelector("#roles-table tbody");

let items = [];
let searchSeq = 0;
let searchTimer = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function kindOf(id) {
  const dot = id.indexOf(".");
  return dot > 0 ? id.slice(0, dot) : "";
}

function fold(text) {
  return text
    .toLocaleLowerCase("fr")
    .replace(/œ/g, "oe")
    .replace(/æ/g, "ae")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

function formatDate(iso) {
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

function renderItem(item) {
  const article = el("article", null, "entry");
  article.id = item.id;
  article.dataset.id = item.id;
  article.appendChild(el("h4", item.title));
  article.appendChild(el("p", item.short, "short"));

  const sources = el("div", null, "sources");
  sources.appendChild(el("p", item.sources.length > 1 ? "Sources" : "Source", "label"));
  const ul = el("ul");
  for (const source of item.sources) {
    const li = el("li");
    li.appendChild(el("span", source.label, "source-label"));
    li.appendChild(document.createTextNode(" — "));
    li.appendChild(el("span", source.reference, "source-reference"));
    ul.appendChild(li);
  }
  sources.appendChild(ul);
  article.appendChild(sources);

  const reviewed = el("p", "Relu le ", "reviewed");
  const time = el("time", formatDate(item.reviewed));
  time.dateTime = item.reviewed;
  reviewed.appendChild(time);
  article.appendChild(reviewed);
  return article;
}

function renderList() {
  list.replaceChildren();
  const groups = new Map();
  for (const item of items) {
    const kind = kindOf(item.id);
    const label = GROUPS[kind] || OTHER_GROUP;
    if (!groups.has(label)) {
      const section = el("section", null, "group");
      section.dataset.kind = kind;
      section.appendChild(el("h3", label));
      groups.set(label, section);
      list.appendChild(section);
    }
    groups.get(label).appendChild(renderItem(item));
  }
  list.setAttribute("aria-busy", "false");
}

function show(visibleIds) {
  let shown = 0;
  for (const article of list.querySelectorAll("article.entry")) {
    const visible = visibleIds.has(article.dataset.id);
    article.hidden = !visible;
    if (visible) shown += 1;
  }
  for (const group of list.querySelectorAll("section.group")) {
    group.hidden = !group.querySelector("article.entry:not([hidden])");
  }
  empty.hidden = shown > 0;
  count.textContent = shown === items.length
    ? `${items.length} définitions`
    : `${shown} définition${shown > 1 ? "s" : ""} sur ${items.length}`;
}

function localMatches(query) {
  const words = fold(query).split(" ").filter(Boolean);
  return new Set(items
    .filter((item) => {
      const haystack = ` ${fold(`${item.title} ${item.short}`)}`;
      return words.every((word) => haystack.includes(` ${word}`));
    })
    .map((item) => item.id));
}

async function applySearch() {
  const query = search.value.trim();
  const seq = ++searchSeq;
  if (!query) {
    show(new Set(items.map((item) => item.id)));
    return;
  }
  let ids;
  try {
    const response = await fetch(`/api/glossaire?q=${encodeURIComponent(query)}`, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    ids = new Set((await response.json()).map((item) => item.id));
  } catch (_) {
    ids = localMatches(query); // offline or refused: title and definition only
  }
  if (seq === searchSeq) show(ids);
}

function renderTable(roles) {
  tableBody.replaceChildren();
  for (const role of roles) {
    const row = el("tr");
    row.dataset.id = role.id;
    const header = el("th");
    header.scope = "row";
    const link = el("a", role.title);
    link.href = `#${encodeURIComponent(role.id)}`;
    header.appendChild(link);
    row.appendChild(header);
    for (const field of PROFILE_FIELDS) {
      const value = role.profile[field];
      const cell = el("td");
      cell.dataset.field = field;
      if (field === "path") cell.textContent = value ? value.title : "—";
      else cell.textContent = value;
      row.appendChild(cell);
    }
    tableBody.appendChild(row);
  }
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

async function start() {
  try {
    const [glossary, roles] = await Promise.all([
      getJson("/api/glossaire"),
      getJson("/api/glossaire/roles/comparaison"),
    ]);
    items = glossary;
    renderList();
    renderTable(roles);
  } catch (_) {
    error.textContent = "Le glossaire n'a pas pu être chargé. Merci de recharger la page dans quelques instants.";
    error.hidden = false;
    list.setAttribute("aria-busy", "false");
    return;
  }
  const initial = new URLSearchParams(window.location.search).get("q");
  if (initial) search.value = initial;
  await applySearch();
  document.body.dataset.ready = "true";
  if (window.location.hash) {
    const target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (target) target.scrollIntoView();
  }
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  window.clearTimeout(searchTimer);
  applySearch();
});
search.addEventListener("input", () => {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(applySearch, 120);
});

start();
