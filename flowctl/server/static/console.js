// flowctl console: live updates (server-sent events), fragments, and forms posted to the JSON API.
// Everything shown is rendered by the server; this file only swaps, recolours and submits.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

async function api(method, url, body) {
  const headers = body === undefined ? {} : { "Content-Type": "application/json" };
  const csrf = $('meta[name="csrf-token"]');  // a signed-in console session: its CSRF token on every write
  if (csrf) headers["X-CSRF-Token"] = csrf.content;
  const response = await fetch(url, {
    method, headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw data || { title: `HTTP ${response.status}`, errors: [] };
  return data;
}

function showProblem(box, problem) {
  const errors = (problem.errors && problem.errors.length) ? problem.errors : [{ title: problem.title, where: problem.where, fix: problem.fix }];
  box.innerHTML = "";
  const title = document.createElement("b");
  title.textContent = errors.length > 1 ? `${errors.length} problems` : "Could not do that";
  box.appendChild(title);
  const list = document.createElement("ul");
  for (const e of errors) {
    const item = document.createElement("li");
    item.innerHTML = "<span class=t></span> <div class=where></div><div class=fix></div>";
    item.querySelector(".t").textContent = e.title;
    item.querySelector(".where").textContent = e.where || "";
    item.querySelector(".fix").textContent = e.fix || "";
    list.appendChild(item);
  }
  box.appendChild(list);
  box.hidden = false;
}

async function fragment(url, target) {
  const response = await fetch(url);
  target.innerHTML = await response.text();
  wire(target);
}

// ------------------------------------------------------------------ execution page
function colourDag(nodes) {
  for (const g of $$("svg.dag .node")) {
    const phase = nodes[g.dataset.node];
    g.classList.forEach((c) => c.startsWith("p-") && g.classList.remove(c));
    if (phase) g.classList.add(`p-${phase}`);
  }
}

function openNode(id) {
  const page = $("[data-execution]");
  if (!page) return;
  $$("svg.dag .node.sel").forEach((g) => g.classList.remove("sel"));
  const g = $(`svg.dag .node[data-node="${CSS.escape(id)}"]`);
  if (g) g.classList.add("sel");
  page.classList.add("with-panel");
  const panel = $("#panel");
  panel.dataset.node = id;
  return fragment(`${page.dataset.execution}/node?id=${encodeURIComponent(id)}`, panel);
}

function live(page) {
  const url = page.dataset.events;
  if (!url || !window.EventSource) return;
  const source = new EventSource(url);
  let pending = null;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      await fragment(`${page.dataset.execution}?part=live`, $("#live"));
      const panel = $("#panel");
      if (panel.dataset.node && page.classList.contains("with-panel")) openNode(panel.dataset.node);
    }, 150);
  };
  source.addEventListener("update", (event) => {
    const state = JSON.parse(event.data);
    colourDag(state.nodes);
    $$("[data-phase-badge]").forEach((el) => { el.className = `phase ${state.phase}`; el.textContent = state.phase.replace("_", " "); });
    refresh();
  });
  source.addEventListener("end", (event) => {
    source.close();
    refresh();
    const phase = JSON.parse(event.data).phase;
    $$("[data-when-active]").forEach((b) => { b.disabled = true; });
    $$("[data-recover]").forEach((b) => { b.disabled = !["failed", "timed_out", "aborted"].includes(phase); });
  });
}

// ------------------------------------------------------------------ wiring
function wire(root) {
  for (const g of $$("svg.dag .node", root)) g.addEventListener("click", () => openNode(g.dataset.node));
  for (const row of $$("[data-open-node]", root)) row.addEventListener("click", () => openNode(row.dataset.openNode));
  for (const close of $$("[data-close-panel]", root)) close.addEventListener("click", () => $("[data-execution]").classList.remove("with-panel"));
  for (const d of $$("details[data-logs]", root)) {
    const load = () => { if (d.open && !d.dataset.loaded) { d.dataset.loaded = "1"; fragment(d.dataset.logs, $(".body", d)); } };
    d.addEventListener("toggle", load);
    load();
  }
  for (const button of $$("button[data-post]", root)) {
    button.addEventListener("click", async () => {
      const box = $("#problem");
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      button.disabled = true;
      try {
        const method = button.dataset.method || "POST";
        const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
        const result = await api(method, button.dataset.post, body);
        if (button.dataset.go && result && result.name) {
          window.location = `${button.dataset.go}/${encodeURIComponent(result.name)}`;
        } else {
          window.location.reload();
        }
      } catch (problem) {
        button.disabled = false;
        if (box) showProblem(box, problem);
      }
    });
  }
  for (const zoom of $$("[data-zoom]", root)) {
    zoom.addEventListener("click", () => {
      const svg = $("svg.dag");
      const width = Number(svg.getAttribute("data-width"));
      const now = Number(svg.getAttribute("width"));
      const next = zoom.dataset.zoom === "fit" ? Math.min(width, svg.parentElement.clientWidth - 4) : now * Number(zoom.dataset.zoom);
      svg.setAttribute("width", Math.max(120, next));
      svg.setAttribute("height", Math.max(60, next * Number(svg.getAttribute("data-height")) / width));
    });
  }
}

function launchForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("#problem");
    box.hidden = true;
    const inputs = {};
    for (const el of $$("[data-input]", form)) {
      if (el.disabled) continue;  // fixed inputs: the launch plan sets them
      const value = el.type === "checkbox" ? String(el.checked) : el.value;
      if (value !== "") inputs[el.name] = value;  // empty: the default (or the server says it is required)
    }
    const body = { inputs_text: inputs, version: form.dataset.version || null };
    const name = $("[name=__name]", form).value.trim();
    if (name) body.name = name;
    const submit = $("button[type=submit]", form);
    submit.disabled = true;
    try {
      const execution = await api("POST", form.dataset.api, body);
      window.location = `${form.dataset.go}/${encodeURIComponent(execution.name)}`;
    } catch (problem) {
      submit.disabled = false;
      showProblem(box, problem);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wire(document);
  for (const form of $$("form[data-drop-empty]")) {
    form.addEventListener("submit", () => $$("input, select", form).forEach((el) => { if (!el.value) el.disabled = true; }));
  }
  const form = $("form[data-launch]");
  if (form) launchForm(form);
  const phases = $("#node-phases");
  if (phases) colourDag(JSON.parse(phases.textContent));
  const page = $("[data-execution]");
  if (page) live(page);
  for (const t of $$("time[data-local]")) t.title = new Date(t.getAttribute("datetime")).toLocaleString();
});
