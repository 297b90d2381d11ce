// Nazar dashboard: a single page over the HTTP API (/api/v1), no build step.
//
// Rules this file keeps:
//  * The API key lives in sessionStorage only (never a URL, a cookie or localStorage).
//  * Text from the API is put in the page with textContent / text nodes, never innerHTML.
//  * Evidence offsets are Python str indices (code points); JS strings are UTF-16, so texts
//    are split with Array.from before slicing (emoji and other astral characters).
//  * What a role may not do is not shown (from GET /me permissions); the API still decides.

const KEY_STORAGE = "nazar.apiKey";
const API = "/api/v1";

// The taxonomy comes from the API (GET /me: nazar.types), so the page never drifts from it.
let LABELS = [];
let THEMES = [];
const LANGS = { ar: "Arabic", ru: "Russian", kk: "Kazakh", en: "English" };
const LABEL_COLOURS = {
  violent_extremist: "#c62828",
  news: "#1565c0",
  counter_narrative: "#2e7d32",
  religious: "#6a1b9a",
  other: "#757575",
};
const PALETTE = [
  "#c62828", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a",
  "#00838f", "#ad1457", "#4e342e", "#558b2f", "#283593",
];

const state = { key: null, me: null, seq: 0, charts: [] };

// ---------------------------------------------------------------- small DOM helpers

const $ = (sel, root = document) => root.querySelector(sel);

/** el("a", {href: "#/x", class: "c", onclick: fn}, "text", node, [more]) — text is escaped. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace a node's children; null/false children are skipped (the DOM would write "null"). */
function fill(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

function pct(x, digits = 1) {
  return x === null || x === undefined ? "–" : `${(x * 100).toFixed(digits)}%`;
}

function fmtTime(value) {
  if (!value) return "–";
  return String(value).replace("T", " ").slice(0, 16);
}

function langName(code) {
  return code ? `${LANGS[code] || code} (${code})` : "–";
}

function chip(text, cls = "") {
  return el("span", { class: `chip ${cls}`.trim() }, text);
}

function labelChip(label) {
  return label ? chip(label, `label label-${label}`) : chip("unscored", "label");
}

function can(permission) {
  return Boolean(state.me && state.me.permissions.includes(permission));
}

// ---------------------------------------------------------------- status line

function setStatus(message, kind = "info") {
  const status = $("#status");
  status.textContent = message || "";
  status.className = `status ${message ? kind : ""}`.trim();
}

function showError(err) {
  setStatus(err instanceof ApiError ? err.message : `error: ${err.message || err}`, "error");
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, code, detail) {
    super(`${code}: ${detail}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

function formatDetail(detail) {
  if (detail === null || detail === undefined) return "";
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (typeof d !== "object" || d === null) return String(d);
        const where = (d.loc || []).filter((p) => p !== "body").join(".");
        return where ? `${where}: ${d.msg}` : String(d.msg);
      })
      .join("; ");
  }
  return typeof detail === "object" ? JSON.stringify(detail) : String(detail);
}

async function api(path, { method = "GET", body, query, signingIn = false } = {}) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json" };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (err) {
    throw new ApiError(0, "network_error", "the service could not be reached");
  }
  const raw = await res.text();
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const code = (data && data.error) || `http_${res.status}`;
    const detail = data && "detail" in data ? formatDetail(data.detail) : res.statusText;
    const err = new ApiError(res.status, code, detail);
    err.raw = data && "detail" in data ? data.detail : null;
    if (res.status === 401 && !signingIn && state.key) {
      signOut(`Signed out: ${err.message}`);
    }
    throw err;
  }
  return data;
}

/** Run async jobs with at most `limit` in flight (the queue fetches each item's evidence). */
async function pool(values, limit, job) {
  const out = new Array(values.length);
  let next = 0;
  async function worker() {
    while (next < values.length) {
      const i = next++;
      out[i] = await job(values[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker));
  return out;
}

// ---------------------------------------------------------------- sign-in

async function signIn(key, { restoring = false } = {}) {
  state.key = key;
  try {
    state.me = await api("/me", { signingIn: true });
    LABELS = state.me.labels;
    THEMES = state.me.themes;
  } catch (err) {
    state.key = null;
    state.me = null;
    sessionStorage.removeItem(KEY_STORAGE);
    if (!restoring) {
      const msg = err.status === 401 ? `Sign-in failed: ${err.detail}` : `Sign-in failed: ${err.message}`;
      $("#signin-error").textContent = msg;
      setStatus(msg, "error");
    }
    showSignIn();
    return false;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  $("#signin-error").textContent = "";
  $("#signin-key").value = "";
  setStatus(restoring ? "" : `Signed in as ${state.me.name} (${state.me.role}).`, "ok");
  showApp();
  return true;
}

function signOut(message = "Signed out.") {
  state.key = null;
  state.me = null;
  sessionStorage.removeItem(KEY_STORAGE);
  destroyCharts();
  $("#view").replaceChildren();
  showSignIn();
  setStatus(message, "info");
}

function showSignIn() {
  $("#signin").hidden = false;
  $("#view").hidden = true;
  $("#nav").hidden = true;
  $("#whoami").hidden = true;
  $("#signin-key").focus();
}

function showApp() {
  $("#signin").hidden = true;
  $("#view").hidden = false;
  $("#nav").hidden = false;
  $("#whoami").hidden = false;
  $("#whoami-name").textContent = state.me.name;
  $("#whoami-role").textContent = state.me.role;
  for (const link of document.querySelectorAll("#nav a[data-perm]")) {
    link.parentElement.hidden = !can(link.dataset.perm);
  }
  route();
}

// ---------------------------------------------------------------- routing

const ROUTES = {
  trends: { perm: "trends", title: "Trends", render: renderTrends },
  review: { perm: "review", title: "Review queue", render: renderReview },
  items: { perm: "items:read", title: "Items", render: renderItems },
  sources: { perm: "sources:read", title: "Sources", render: renderSources },
  alerts: { perm: "alerts:read", title: "Alerts", render: renderAlerts },
  counter: { perm: "counter:read", title: "Counter-narratives", render: renderCounter },
  classify: { perm: "classify", title: "Check a text", render: renderClassify },
};

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || "", arg: parts[1], parts, params: new URLSearchParams(query) };
}

// A list page's filters from its hash parameters ("" when absent), and the page offset.
function listFilters(params, names) {
  const f = Object.fromEntries(names.map((name) => [name, params.get(name) || ""]));
  f.offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  return f;
}

function firstAllowedRoute() {
  return Object.keys(ROUTES).find((name) => can(ROUTES[name].perm));
}

function destroyCharts() {
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
}

async function route() {
  if (!state.me) return;
  const { name, arg, params } = parseHash();
  if (!name) {
    const first = firstAllowedRoute();
    if (first) {
      location.replace(`#/${first}`);
      return;
    }
  }
  const seq = ++state.seq;
  destroyCharts();
  const view = $("#view");
  view.replaceChildren();
  for (const link of document.querySelectorAll("#nav a[data-route]")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const spec = ROUTES[name];
  if (!name) {
    view.append(el("h2", {}, "Nothing to show"),
      el("p", { class: "denied" }, `The ${state.me.role} role has no pages in the dashboard.`));
    return;
  }
  if (!spec) {
    view.append(el("h2", {}, "Not found"), el("p", {}, "There is no such page."));
    return;
  }
  document.title = `${spec.title} — Nazar`;
  if (!can(spec.perm)) {
    view.append(
      el("h2", {}, spec.title),
      el("p", { class: "denied" },
        `The ${state.me.role} role may not see this page (it needs “${spec.perm}”).`),
    );
    return;
  }
  const ctx = { view, alive: () => seq === state.seq && state.me !== null };
  try {
    await spec.render(ctx, arg, params);
  } catch (err) {
    if (ctx.alive()) showError(err);
  }
}

// ---------------------------------------------------------------- evidence highlighting

/** The original text as nodes, with each evidence span in a <mark title=why>. */
function highlight(text, evidence) {
  const frag = document.createDocumentFragment();
  const cps = Array.from(text ?? ""); // code points, as Python counts them
  const spans = (evidence || [])
    .filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end)
      && e.start >= 0 && e.end <= cps.length && e.start < e.end)
    .slice()
    .sort((a, b) => a.start - b.start || b.end - a.end);
  let cursor = 0;
  for (const ev of spans) {
    const start = Math.max(ev.start, cursor); // overlapping spans: the first one wins
    if (start >= ev.end) continue;
    if (start > cursor) frag.append(cps.slice(cursor, start).join(""));
    const why = ev.why || "";
    const kind = why.startsWith("lexicon") ? "ev-lexicon" : why.startsWith("model") ? "ev-model" : "ev-other";
    frag.append(el("mark", { class: kind, title: why, "data-start": start, "data-end": ev.end },
      cps.slice(start, ev.end).join("")));
    cursor = ev.end;
  }
  if (cursor < cps.length) frag.append(cps.slice(cursor).join(""));
  return frag;
}

function itemText(item, evidence) {
  // dir=auto + unicode-bidi: plaintext (CSS) lets Arabic read right-to-left, Latin left-to-right.
  const p = el("p", { class: "item-text", dir: "auto", lang: item.lang || null });
  if (item.text === null || item.text === undefined) {
    p.append(el("em", {}, "(no text)"));
  } else {
    p.append(highlight(item.text, evidence));
  }
  return p;
}

function snippet(text, n = 160) {
  const cps = Array.from(text || "");
  return cps.length > n ? `${cps.slice(0, n).join("")}…` : cps.join("");
}

// ==================================================================================
// Extension hook: panels shown next to an item (review queue card and item detail).
// Each panel is `async (item) => Node | null`; a panel that returns null shows nothing.
// Once a panel's node is in the page it receives a "nazar:panel-shown" event.
// Counter-narrative suggestions are one: rendered only when
// GET /api/v1/counter/suggest/item/{id} answers 200 with suggestions, hidden otherwise
// (no placeholder while the counter-narrative API is not installed).
// ==================================================================================
let counterRouteMissing = false;

async function counterSuggestionsPanel(item) {
  if (!can("counter:read") || counterRouteMissing) return null;
  let data;
  try {
    data = await api(`/counter/suggest/item/${encodeURIComponent(item.id)}`);
  } catch (err) {
    // A missing route answers the generic 404 "Not Found": stop asking for this page load.
    if (err.status === 404 && err.detail === "Not Found") counterRouteMissing = true;
    return null;
  }
  const list = Array.isArray(data)
    ? data
    : (data && (data.suggestions || data.items || data.results)) || [];
  if (!Array.isArray(list) || list.length === 0) return null;
  const shown = list.slice(0, 5);
  const panel = el("section", { class: "panel counter-panel", "aria-label": "Counter-narrative suggestions",
    "data-source": data.source || null },
  el("div", { class: "panel-head" },
    el("h4", {}, "Counter-narrative suggestions"),
    data.source === "starter" ? starterBadge() : null),
  data.source === "starter"
    ? el("p", { class: "hint starter-note" },
      "Examples written for Nazar, not real material: import your catalogue to replace them.")
    : null,
  el("p", { class: "hint" }, "For the post's narratives: ",
    (data.themes || []).length ? data.themes.join(", ") : "none found",
    data.lang ? ` (${langName(data.lang)})` : ""),
  suggestionList(shown, { postId: item.id, track: true }));
  // Recorded once per post and suggestion for this page load, not on every redraw.
  panel.addEventListener("nazar:panel-shown", () => {
    for (const s of shown) {
      const key = `${item.id}|${s.item_id}`;
      if (counterSeen.shown.has(key)) continue;
      counterSeen.shown.add(key);
      counterEvent("shown", s.item_id, item.id).catch(() => counterSeen.shown.delete(key));
    }
  }, { once: true });
  return panel;
}

const ITEM_PANELS = [counterSuggestionsPanel];

function attachPanels(container, item, ctx) {
  for (const panel of ITEM_PANELS) {
    panel(item)
      .then((node) => {
        if (node && ctx.alive() && container.isConnected) {
          container.append(node);
          node.dispatchEvent(new CustomEvent("nazar:panel-shown"));
        }
      })
      .catch(() => {});
  }
}
// ======================================================== end of the extension hook

// ---------------------------------------------------------------- counter-narratives: shared

const KINDS = ["video", "article", "sermon", "testimony", "helpline", "campaign"];
const REVIEW_STATUSES = ["draft", "approved", "retired"];
const counterSeen = { shown: new Set(), clicked: new Set() };
let uidSeq = 0;
const uid = (prefix) => `${prefix}-${++uidSeq}`;

function counterEvent(event, counterItemId, postId) {
  return api("/counter/events", { method: "POST",
    body: { counter_item_id: counterItemId, event, item_id: postId ?? undefined } });
}

function starterBadge() {
  return el("span", { class: "chip starter", title: "The starter catalogue shipped with Nazar: "
    + "illustrative entries, not real material" }, "starter examples");
}

function safeLink(url) {
  return /^https?:\/\//i.test(url || "")
    ? el("a", { href: url, rel: "noopener noreferrer", target: "_blank", dir: "auto" }, url)
    : el("span", { dir: "auto" }, url);
}

/** Ranked suggestions; `track` records clicked/sent events for the post `postId`. */
function suggestionList(suggestions, { postId = null, track = false } = {}) {
  return el("ol", { class: "suggestions" }, suggestions.map((s) => suggestionEntry(s, postId, track)));
}

function suggestionEntry(s, postId, track) {
  const key = `${postId}|${s.item_id}`;
  const detailId = uid("sugg");
  const detail = el("div", { class: "suggestion-detail", id: detailId, hidden: true });
  let loaded = false;
  const open = el("button", { type: "button", class: "link-button suggestion-title", dir: "auto",
    "aria-expanded": "false", "aria-controls": detailId, onclick: async () => {
      detail.hidden = !detail.hidden;
      open.setAttribute("aria-expanded", String(!detail.hidden));
      if (detail.hidden) return;
      if (track && !counterSeen.clicked.has(key)) {
        counterSeen.clicked.add(key);
        counterEvent("clicked", s.item_id, postId).catch((err) => {
          counterSeen.clicked.delete(key);
          showError(err);
        });
      }
      if (loaded) return;
      loaded = true;
      detail.replaceChildren(el("p", { class: "hint" }, "Loading…"));
      try {
        const it = await api(`/counter/${encodeURIComponent(s.item_id)}`);
        fill(detail,
          el("p", { class: "summary", dir: "auto", lang: it.langs.length === 1 ? it.langs[0] : null },
            it.summary),
          el("div", { class: "meta" }, chip(it.kind, "kind"),
            it.audience ? chip(`audience: ${it.audience}`) : null,
            it.source_org ? el("span", { class: "why", dir: "auto" }, it.source_org) : null,
            it.date ? el("span", { class: "why" }, it.date) : null),
          it.url ? el("p", { class: "suggestion-url" }, safeLink(it.url)) : null,
          it.local_file ? el("p", { class: "why" }, "File: ", el("code", { dir: "auto" }, it.local_file))
            : null,
          can("counter:read") ? el("p", {}, el("a", { href: `#/counter/item/${encodeURIComponent(it.item_id)}` },
            "Open in the catalogue")) : null);
      } catch (err) {
        loaded = false;
        detail.replaceChildren(el("p", { class: "error" }, err.message));
      }
    } }, s.title || s.item_id || "untitled");
  const sent = track ? el("button", { type: "button", class: "secondary small", "data-action": "sent",
    onclick: async () => {
      sent.disabled = true;
      try {
        await counterEvent("sent", s.item_id, postId);
        sent.textContent = "Sent ✓";
        setStatus(`Recorded: “${s.title}” sent for item #${postId}.`, "ok");
      } catch (err) {
        sent.disabled = false;
        showError(err);
      }
    } }, "Mark as sent") : null;
  return el("li", { class: "suggestion", "data-counter-id": s.item_id },
    el("div", { class: "suggestion-head" }, open,
      s.lang ? chip(s.lang, "lang") : null,
      (s.themes || []).map((t) => chip(t, "theme")),
      typeof s.score === "number" ? chip(`score ${s.score.toFixed(2)}`, "score") : null),
    el("div", { class: "suggestion-foot" },
      s.why ? el("span", { class: "why", dir: "auto" }, s.why) : null, sent),
    detail);
}

/** The problems in an API error as a list (the catalogue's validation gives one per field). */
function problemList(err) {
  const raw = err instanceof ApiError ? err.raw : null;
  const items = Array.isArray(raw) ? raw.map((d) => formatDetail([d])) : [err.message || String(err)];
  return el("ul", {}, items.map((m) => el("li", {}, m)));
}

// ---------------------------------------------------------------- review actions

/** Confirm / Reject / Relabel controls for one item; onDone(item) after a successful POST. */
function reviewControls(item, onDone) {
  const uid = `rv-${item.id}`;
  const note = el("input", { id: `${uid}-note`, type: "text", maxlength: 4000, class: "note" });
  const labelSelect = el("select", { id: `${uid}-label` },
    LABELS.map((l) => el("option", { value: l, selected: l === item.final_label }, l)));
  const current = new Set(item.reviewed_themes || item.themes || []);
  const themeBoxes = THEMES.map((t) => {
    const id = `${uid}-theme-${t}`;
    return el("span", { class: "check" },
      el("input", { type: "checkbox", id, value: t, checked: current.has(t) }),
      el("label", { for: id }, t));
  });
  const relabelNote = el("textarea", { id: `${uid}-relabel-note`, rows: 2, maxlength: 4000 });
  const relabelForm = el("fieldset", { class: "relabel", hidden: true },
    el("legend", {}, `Relabel item #${item.id}`),
    el("div", { class: "field" }, el("label", { for: `${uid}-label` }, "Label"), labelSelect),
    el("fieldset", { class: "themes" }, el("legend", {}, "Themes"), themeBoxes),
    el("div", { class: "field" }, el("label", { for: `${uid}-relabel-note` }, "Note"), relabelNote),
    el("div", { class: "buttons" },
      el("button", { type: "button", class: "primary", onclick: () => submit("relabel") },
        "Save relabel"),
      el("button", { type: "button", class: "secondary",
        onclick: () => { relabelForm.hidden = true; relabelToggle.setAttribute("aria-expanded", "false"); } },
        "Cancel")));
  const relabelToggle = el("button", {
    type: "button", class: "secondary", "aria-expanded": "false", "data-action": "relabel",
    onclick: () => {
      relabelForm.hidden = !relabelForm.hidden;
      relabelToggle.setAttribute("aria-expanded", String(!relabelForm.hidden));
    },
  }, "Relabel…");
  const buttons = [
    el("button", { type: "button", class: "confirm", "data-action": "confirm",
      onclick: () => submit("confirm") }, "Confirm"),
    el("button", { type: "button", class: "reject", "data-action": "reject",
      onclick: () => submit("reject") }, "Reject"),
    relabelToggle,
  ];
  const box = el("div", { class: "review-actions" },
    el("div", { class: "field note-field" },
      el("label", { for: `${uid}-note` }, "Note (optional)"), note),
    el("div", { class: "buttons" }, buttons),
    relabelForm);

  async function submit(action) {
    const body = { action };
    if (action === "relabel") {
      body.label = labelSelect.value;
      body.themes = themeBoxes.map((s) => s.querySelector("input")).filter((i) => i.checked)
        .map((i) => i.value);
      body.note = relabelNote.value.trim() || note.value.trim() || undefined;
    } else if (note.value.trim()) {
      body.note = note.value.trim();
    }
    const all = box.querySelectorAll("button, input, select, textarea");
    all.forEach((c) => { c.disabled = true; });
    try {
      const out = await api(`/review/${item.id}`, { method: "POST", body });
      const verb = { confirm: "confirmed", reject: "rejected", relabel: "relabelled" }[action];
      setStatus(`Item #${item.id} ${verb} (label now ${out.item.final_label}).`, "ok");
      onDone(out.item);
    } catch (err) {
      all.forEach((c) => { c.disabled = false; });
      showError(err);
    }
  }
  return box;
}

// ---------------------------------------------------------------- trends

const trendsState = { group_by: "source", interval: "day", from: "", to: "", source: "" };

function nextDay(isoDate) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function trendQuery(extra = {}) {
  const q = { interval: trendsState.interval, source: trendsState.source, ...extra };
  if (trendsState.from) q.from = `${trendsState.from}T00:00:00Z`;
  if (trendsState.to) q.to = `${nextDay(trendsState.to)}T00:00:00Z`; // the day chosen is included
  return q;
}

function colourFor(group, i) {
  return LABEL_COLOURS[group] || PALETTE[i % PALETTE.length];
}

function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function select(id, labelText, options, value, onchange) {
  return el("div", { class: "field" },
    el("label", { for: id }, labelText),
    el("select", { id, onchange: (e) => onchange(e.target.value) },
      options.map(([v, text]) => el("option", { value: v, selected: v === value }, text))));
}

async function renderTrends(ctx) {
  const { view } = ctx;
  if (typeof window.Chart === "undefined") throw new Error("the charting library did not load");
  const sources = can("sources:read") ? await api("/sources") : [];
  if (!ctx.alive()) return;
  const redraw = () => drawTrends(ctx, parts).catch((err) => ctx.alive() && showError(err));
  const set = (k) => (v) => { trendsState[k] = v; redraw(); };
  const controls = el("form", { class: "controls", onsubmit: (e) => e.preventDefault() },
    select("trend-group", "Group by", [["source", "Source"], ["lang", "Language"], ["label", "Label"],
      ["theme", "Theme"]], trendsState.group_by, set("group_by")),
    select("trend-interval", "Interval", [["day", "Day"], ["week", "Week"]],
      trendsState.interval, set("interval")),
    el("div", { class: "field" }, el("label", { for: "trend-from" }, "From"),
      el("input", { id: "trend-from", type: "date", value: trendsState.from,
        onchange: (e) => set("from")(e.target.value) })),
    el("div", { class: "field" }, el("label", { for: "trend-to" }, "To"),
      el("input", { id: "trend-to", type: "date", value: trendsState.to,
        onchange: (e) => set("to")(e.target.value) })),
    sources.length ? select("trend-source", "Source", [["", "All sources"],
      ...sources.map((s) => [s.name, s.name])], trendsState.source, set("source")) : null);
  const parts = {
    shareTitle: el("h3", { id: "share-title" }),
    shareNote: el("p", { class: "hint" }),
    share: el("canvas", { id: "chart-share", role: "img", "aria-labelledby": "share-title" }),
    labels: el("canvas", { id: "chart-labels", role: "img", "aria-label": "Items per label" }),
    themes: el("canvas", { id: "chart-themes", role: "img", "aria-label": "Items per theme" }),
    empty: el("p", { class: "empty", hidden: true }, "No scored items in this range yet."),
    table: el("tbody"),
  };
  view.append(
    el("h2", {}, "Trends"),
    controls,
    parts.empty,
    el("div", { class: "chart-grid" },
      el("article", { class: "card chart-card wide" }, parts.shareTitle, parts.shareNote,
        el("div", { class: "chart-box" }, parts.share)),
      el("article", { class: "card chart-card" }, el("h3", {}, "Items per label"),
        el("div", { class: "chart-box" }, parts.labels)),
      el("article", { class: "card chart-card" }, el("h3", {}, "Items per theme"),
        el("div", { class: "chart-box" }, parts.themes))),
    el("details", { class: "card" }, el("summary", {}, "Data table"),
      el("div", { class: "table-wrap" }, el("table", {},
        el("thead", {}, el("tr", {}, ["Period", "Group", "Items", "Total", "violent_extremist",
          "Share", "95% interval"].map((h) => el("th", { scope: "col" }, h)))),
        parts.table))));
  await drawTrends(ctx, parts);
}

async function drawTrends(ctx, parts) {
  const group = trendsState.group_by;
  const [main, byLabel, byTheme] = await Promise.all([
    api("/trends", { query: trendQuery({ group_by: group }) }),
    api("/trends", { query: trendQuery({ group_by: "label" }) }),
    api("/trends", { query: trendQuery({ group_by: "theme" }) }),
  ]);
  if (!ctx.alive()) return;
  destroyCharts();
  const prevalence = group === "source" || group === "lang";
  parts.shareTitle.textContent = prevalence
    ? `Share of violent_extremist per ${trendsState.interval} by ${group === "lang" ? "language" : "source"}`
    : `Share of items per ${trendsState.interval} by ${group}`;
  parts.shareNote.textContent = "Shaded band: 95% Wilson confidence interval. Few items give a wide band.";
  parts.empty.hidden = main.points.length > 0;

  const buckets = [...new Set(main.points.map((p) => p.bucket))].sort();
  const groups = [...new Set(main.points.map((p) => p.group))].sort();
  const at = new Map(main.points.map((p) => [`${p.bucket}\u0000${p.group}`, p]));
  const datasets = [];
  groups.forEach((g, i) => {
    const colour = colourFor(g, i);
    const pts = buckets.map((b) => at.get(`${b}\u0000${g}`) || null);
    const common = { _group: g, pointRadius: 0, borderWidth: 0, spanGaps: false };
    datasets.push({ ...common, label: `${g} (upper 95%)`, _band: true, fill: false,
      data: pts.map((p) => (p ? p.ci_high : null)), borderColor: "transparent",
      backgroundColor: alpha(colour, 0.16) });
    datasets.push({ ...common, label: `${g} (lower 95%)`, _band: true, fill: "-1",
      data: pts.map((p) => (p ? p.ci_low : null)), borderColor: "transparent",
      backgroundColor: alpha(colour, 0.16) });
    datasets.push({ label: g, _group: g, _points: pts, data: pts.map((p) => (p ? p.share : null)),
      borderColor: colour, backgroundColor: colour, borderWidth: 2, pointRadius: 3,
      tension: 0, fill: false });
  });
  const maxHigh = Math.max(0, ...main.points.map((p) => p.ci_high));
  state.charts.push(new window.Chart(parts.share, {
    type: "line",
    data: { labels: buckets, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { min: 0, max: maxHigh > 0.75 ? 1 : undefined,
          ticks: { callback: (v) => pct(v, 0) }, title: { display: true, text: "share" } },
        x: { title: { display: true, text: trendsState.interval === "week" ? "week of" : "day" } },
      },
      plugins: {
        legend: {
          labels: { filter: (item, data) => !data.datasets[item.datasetIndex]._band },
          onClick: (_e, item, legend) => {
            const chart = legend.chart;
            const g = chart.data.datasets[item.datasetIndex]._group;
            const show = !chart.isDatasetVisible(item.datasetIndex);
            chart.data.datasets.forEach((ds, i) => {
              if (ds._group === g) chart.setDatasetVisibility(i, show);
            });
            chart.update();
          },
        },
        tooltip: {
          filter: (item) => !item.dataset._band,
          callbacks: {
            label: (item) => {
              const p = item.dataset._points[item.dataIndex];
              if (!p) return `${item.dataset.label}: no items`;
              const k = prevalence ? p.positive : p.count;
              return `${p.group}: ${pct(p.share)} (95% CI ${pct(p.ci_low)}–${pct(p.ci_high)}; ${k}/${p.total})`;
            },
          },
        },
      },
    },
  }));
  state.charts.push(stackedBars(parts.labels, byLabel.points));
  state.charts.push(stackedBars(parts.themes, byTheme.points));

  parts.table.replaceChildren(...main.points.map((p) => el("tr", {},
    el("td", {}, p.bucket), el("td", { dir: "auto" }, p.group), el("td", {}, p.count),
    el("td", {}, p.total), el("td", {}, p.positive), el("td", {}, pct(p.share)),
    el("td", {}, `${pct(p.ci_low)}–${pct(p.ci_high)}`))));
}

function stackedBars(canvas, points) {
  const buckets = [...new Set(points.map((p) => p.bucket))].sort();
  const groups = [...new Set(points.map((p) => p.group))].sort();
  const at = new Map(points.map((p) => [`${p.bucket}\u0000${p.group}`, p.count]));
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: buckets,
      datasets: groups.map((g, i) => ({
        label: g, backgroundColor: colourFor(g, i),
        data: buckets.map((b) => at.get(`${b}\u0000${g}`) || 0),
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true,
        ticks: { precision: 0 }, title: { display: true, text: "items" } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

// ---------------------------------------------------------------- review queue

const QUEUE_PAGE = 50;

async function renderReview(ctx) {
  const { view } = ctx;
  const counter = el("span", { id: "queue-total" });
  const list = el("ol", { class: "queue", id: "queue" });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  let total = 0;
  view.append(
    el("h2", {}, "Review queue"),
    el("p", { class: "hint" }, counter,
      " — flagged and uncertain items nobody has reviewed, most urgent first. Highlighted: ",
      "the evidence for the model's decision (hover or focus for the reason)."),
    list, more);

  const updateCount = () => {
    counter.textContent = `${total} item${total === 1 ? "" : "s"} waiting`;
    more.hidden = list.children.length >= total;
    if (total === 0 && list.children.length === 0) {
      list.replaceChildren(el("li", { class: "empty" }, "Nothing to review."));
    }
  };

  async function load() {
    more.disabled = true;
    const shown = list.querySelectorAll("li[data-item-id]").length;
    const page = await api("/review/queue", { query: { limit: QUEUE_PAGE, offset: shown } });
    if (!ctx.alive()) return;
    total = page.total;
    const cards = page.items.map((item) => {
      const li = el("li", { "data-item-id": item.id });
      li.append(queueCard(item, ctx, () => {
        li.remove();
        total = Math.max(0, total - 1);
        updateCount();
      }));
      list.append(li);
      return { item, li };
    });
    more.disabled = false;
    updateCount();
    // Evidence lives on the item detail: fetch it and highlight, a few requests at a time.
    await pool(cards, 4, async ({ item, li }) => {
      if (!ctx.alive() || !li.isConnected) return;
      try {
        const detail = await api(`/items/${item.id}`);
        const old = li.querySelector(".item-text");
        if (old && ctx.alive()) {
          old.replaceWith(itemText(detail, detail.evidence));
          li.querySelector(".scores-line")?.replaceChildren(...topScores(detail.scores));
        }
      } catch (err) {
        if (ctx.alive()) showError(err);
      }
    });
  }
  more.addEventListener("click", () => load().catch((err) => ctx.alive() && showError(err)));
  await load();
}

function topScores(scores) {
  const entries = Object.entries(scores || {}).sort((a, b) => b[1] - a[1]).slice(0, 3);
  return entries.map(([label, s]) => chip(`${label} ${pct(s, 0)}`, "score"));
}

function itemMeta(item) {
  return el("div", { class: "meta" },
    el("a", { href: `#/items/${item.id}`, class: "item-id" }, `#${item.id}`),
    chip(item.source, "source"),
    chip(langName(item.lang), "lang"),
    labelChip(item.final_label || item.label),
    item.score !== null && item.score !== undefined ? chip(`score ${item.score.toFixed(3)}`, "score") : null,
    item.flagged ? chip("flagged", "flagged") : null,
    item.review_state ? chip(item.review_state, "reviewed") : null,
    (item.reviewed_themes || item.themes || []).map((t) => chip(t, "theme")),
    el("span", { class: "when" }, fmtTime(item.published_at || item.received_at)));
}

function queueCard(item, ctx, onDone) {
  const card = el("article", { class: "card item-card", "aria-label": `Item ${item.id}` },
    itemMeta(item),
    itemText(item, []),
    el("div", { class: "scores-line" }),
    reviewControls(item, onDone));
  attachPanels(card, item, ctx);
  return card;
}

// ---------------------------------------------------------------- items

const ITEMS_PAGE = 25;

function itemsHash(params) {
  const clean = new URLSearchParams();
  for (const [k, v] of params) if (v !== "" && v !== null && v !== undefined) clean.set(k, v);
  const q = clean.toString();
  return `#/items${q ? `?${q}` : ""}`;
}

let lastItemsHash = "#/items"; // the "back to items" link keeps the search

async function renderItems(ctx, arg, params) {
  if (arg) return renderItemDetail(ctx, arg);
  lastItemsHash = location.hash || "#/items";
  const { view } = ctx;
  const f = listFilters(params, ["q", "source", "label", "lang", "flagged"]);
  const [sources, page] = await Promise.all([
    can("sources:read") ? api("/sources") : Promise.resolve(null),
    api("/items", { query: { q: f.q, source: f.source, label: f.label, lang: f.lang,
      flagged: f.flagged, limit: ITEMS_PAGE, offset: f.offset } }),
  ]);
  if (!ctx.alive()) return;

  const search = el("input", { id: "items-q", type: "search", value: f.q, maxlength: 200,
    dir: "auto", placeholder: "words in the text, or an external id" });
  const sourceInput = sources
    ? el("select", { id: "items-source" }, el("option", { value: "" }, "All sources"),
      sources.map((s) => el("option", { value: s.name, selected: s.name === f.source }, s.name)))
    : el("input", { id: "items-source", type: "text", value: f.source });
  const labelInput = el("select", { id: "items-label" }, el("option", { value: "" }, "All labels"),
    LABELS.map((l) => el("option", { value: l, selected: l === f.label }, l)));
  const langInput = el("select", { id: "items-lang" }, el("option", { value: "" }, "All languages"),
    Object.entries(LANGS).map(([c, n]) => el("option", { value: c, selected: c === f.lang }, n)));
  const flaggedInput = el("select", { id: "items-flagged" },
    [["", "Flagged or not"], ["true", "Flagged"], ["false", "Not flagged"]]
      .map(([v, t]) => el("option", { value: v, selected: v === f.flagged }, t)));
  const form = el("form", { class: "controls", role: "search", onsubmit: (e) => {
    e.preventDefault();
    location.hash = itemsHash([["q", search.value.trim()], ["source", sourceInput.value],
      ["label", labelInput.value], ["lang", langInput.value], ["flagged", flaggedInput.value]]);
  } },
  el("div", { class: "field grow" }, el("label", { for: "items-q" }, "Search"), search),
  el("div", { class: "field" }, el("label", { for: "items-source" }, "Source"), sourceInput),
  el("div", { class: "field" }, el("label", { for: "items-label" }, "Label"), labelInput),
  el("div", { class: "field" }, el("label", { for: "items-lang" }, "Language"), langInput),
  el("div", { class: "field" }, el("label", { for: "items-flagged" }, "Flagged"), flaggedInput),
  el("div", { class: "field buttons" }, el("button", { type: "submit" }, "Search"),
    el("a", { href: "#/items", class: "button secondary" }, "Clear")));

  const first = page.total ? f.offset + 1 : 0;
  const last = f.offset + page.items.length;
  const pageLink = (offset) => itemsHash([["q", f.q], ["source", f.source], ["label", f.label],
    ["lang", f.lang], ["flagged", f.flagged], ["offset", offset || ""]]);
  const rows = page.items.map((it) => el("tr", { "data-item-id": it.id },
    el("td", {}, el("a", { href: `#/items/${it.id}` }, `#${it.id}`)),
    el("td", { class: "nowrap" }, fmtTime(it.published_at || it.received_at)),
    el("td", { dir: "auto" }, it.source),
    el("td", {}, it.lang || "–"),
    el("td", {}, labelChip(it.final_label || it.label)),
    el("td", {}, it.score === null ? "–" : it.score.toFixed(3)),
    el("td", {}, it.review_state || "–"),
    el("td", { class: "snippet", dir: "auto" }, snippet(it.text))));
  const pager = el("nav", { class: "pager", "aria-label": "Pages" },
    el("button", { type: "button", class: "secondary", disabled: f.offset <= 0,
      onclick: () => { location.hash = pageLink(Math.max(0, f.offset - ITEMS_PAGE)); } }, "Previous"),
    el("span", { id: "items-range" }, `${first}–${last} of ${page.total}`),
    el("button", { type: "button", class: "secondary", disabled: last >= page.total,
      onclick: () => { location.hash = pageLink(f.offset + ITEMS_PAGE); } }, "Next"));
  view.append(
    el("h2", {}, "Items"),
    form,
    page.items.length
      ? el("div", { class: "table-wrap" }, el("table", { class: "items", id: "items-table" },
        el("caption", { class: "sr-only" }, "Items matching the search"),
        el("thead", {}, el("tr", {}, ["ID", "Published", "Source", "Lang", "Label", "Score",
          "Review", "Text"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows)))
      : el("p", { class: "empty" }, "No items match."),
    pager);
  // A click anywhere on a row opens the item (the id is also a real link for keyboards).
  view.querySelector("tbody")?.addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-item-id]");
    if (row && !e.target.closest("a")) location.hash = `#/items/${row.dataset.itemId}`;
  });
}

async function renderItemDetail(ctx, id) {
  const { view } = ctx;
  const item = await api(`/items/${encodeURIComponent(id)}`);
  if (!ctx.alive()) return;
  const dl = el("dl", { class: "facts" });
  const fact = (name, value) => {
    if (value === null || value === undefined || value === "") return;
    dl.append(el("dt", {}, name), el("dd", { dir: "auto" }, value));
  };
  fact("Source", item.source);
  fact("External id", item.external_id);
  if (item.url) {
    const safe = /^https?:\/\//i.test(item.url);
    fact("URL", safe ? el("a", { href: item.url, rel: "noopener noreferrer nofollow",
      target: "_blank" }, item.url) : item.url);
  }
  fact("Published", fmtTime(item.published_at));
  fact("Received", fmtTime(item.received_at));
  fact("State", item.state);
  fact("Error", item.error);
  fact("Language", langName(item.lang));
  fact("Model label", item.label);
  fact("Final label", item.final_label);
  fact("Score", item.score === null ? null : item.score.toFixed(3));
  fact("Flagged", item.flagged === null ? null : item.flagged ? "yes" : "no");
  fact("Themes", (item.themes || []).join(", ") || "none");
  fact("Review", item.review_state || "not reviewed");
  if (item.reviewed_label) fact("Reviewed label", item.reviewed_label);
  if (item.reviewed_themes) fact("Reviewed themes", item.reviewed_themes.join(", ") || "none");
  fact("Model", item.model);
  fact("Scored", item.scored_at ? `${fmtTime(item.scored_at)} (${item.verdicts}×)` : null);
  for (const [k, v] of Object.entries(item.metadata || {})) {
    fact(`meta: ${k}`, typeof v === "string" ? v : JSON.stringify(v));
  }

  const scores = Object.entries(item.scores || {}).sort((a, b) => b[1] - a[1]);
  const evidence = (item.evidence || []).slice().sort((a, b) => a.start - b.start);
  const card = el("article", { class: "card item-detail", id: "item-detail", "data-item-id": item.id },
    el("h3", {}, "Text"),
    itemText(item, item.evidence),
    el("h3", {}, "Evidence"),
    evidence.length
      ? el("ol", { class: "evidence" }, evidence.map((e) => el("li", {},
        el("q", { dir: "auto" }, e.text), " — ", el("span", { class: "why" }, e.why))))
      : el("p", { class: "empty" }, "No evidence recorded."),
    el("h3", {}, "Scores"),
    scores.length
      ? el("table", { class: "scores" }, el("tbody", {}, scores.map(([label, s]) => el("tr", {},
        el("th", { scope: "row" }, label),
        el("td", {}, el("meter", { min: 0, max: 1, value: s, "aria-label": `${label} score` })),
        el("td", {}, pct(s))))))
      : el("p", { class: "empty" }, "Not scored yet."),
    (item.matches || []).length
      ? [el("h3", {}, "Matches"), el("ul", { class: "matches" }, item.matches.map((m) =>
        el("li", { dir: "auto" }, Object.entries(m).map(([k, v]) =>
          `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · "))))]
      : null,
    el("h3", {}, "Review history"),
    item.reviews.length
      ? el("div", { class: "table-wrap" }, el("table", { class: "reviews" },
        el("thead", {}, el("tr", {}, ["When", "Reviewer", "Action", "Label", "Themes", "Note"]
          .map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, item.reviews.map((r) => el("tr", {},
          el("td", { class: "nowrap" }, fmtTime(r.created_at)),
          el("td", {}, r.reviewer), el("td", {}, r.action),
          el("td", {}, `${r.label_before || "–"} → ${r.label_after || "–"}`),
          el("td", {}, `${r.themes_before.join(", ") || "–"} → ${r.themes_after.join(", ") || "–"}`),
          el("td", { dir: "auto" }, r.note || ""))))))
      : el("p", { class: "empty" }, "No reviews yet."));
  if (can("review") && item.state === "scored" && !item.review_state) {
    card.append(el("h3", {}, "Review"), reviewControls(item, () => route()));
  }
  attachPanels(card, item, ctx);
  view.append(
    el("p", {}, el("a", { href: lastItemsHash }, "← Items")),
    el("h2", {}, `Item #${item.id}`),
    el("div", { class: "detail-grid" }, card, el("aside", { class: "card" }, el("h3", {}, "Details"), dl)));
}

// ---------------------------------------------------------------- sources

async function renderSources(ctx) {
  const { view } = ctx;
  const sources = await api("/sources");
  if (!ctx.alive()) return;
  view.append(
    el("h2", {}, "Sources"),
    el("div", { class: "table-wrap" }, el("table", { id: "sources-table" },
      el("thead", {}, el("tr", {}, ["Name", "Kind", "Enabled", "Items", "Created", "Settings"]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, sources.length ? sources.map((s) => el("tr", {},
        el("td", { dir: "auto" },
          can("items:read") ? el("a", { href: itemsHash([["source", s.name]]) }, s.name) : s.name),
        el("td", {}, s.kind), el("td", {}, s.enabled ? "yes" : "no"),
        el("td", { class: "num" }, s.items), el("td", { class: "nowrap" }, fmtTime(s.created_at)),
        el("td", { class: "settings", dir: "auto" },
          Object.keys(s.settings || {}).length ? JSON.stringify(s.settings) : "–")))
        : el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No sources yet."))))));
  if (can("sources:write")) view.append(sourceForm(ctx));
}

function sourceForm(ctx) {
  const name = el("input", { id: "source-name", type: "text", required: true, maxlength: 200 });
  const kind = el("select", { id: "source-kind" },
    ["push", "rss", "file", "telegram"].map((k) => el("option", { value: k }, k)));
  const url = el("input", { id: "source-url", type: "url", placeholder: "https://…" });
  const settings = el("textarea", { id: "source-settings", rows: 3, placeholder: "{}" });
  const enabled = el("input", { id: "source-enabled", type: "checkbox", checked: true });
  const form = el("form", { class: "card admin-form", id: "source-form", onsubmit: async (e) => {
    e.preventDefault();
    let extra = {};
    try {
      extra = settings.value.trim() ? JSON.parse(settings.value) : {};
      if (typeof extra !== "object" || extra === null || Array.isArray(extra)) throw new Error();
    } catch {
      setStatus("invalid_request: settings must be a JSON object, e.g. {\"path\": \"…\"}", "error");
      return;
    }
    if (url.value.trim()) extra.url = url.value.trim();
    try {
      const made = await api("/sources", { method: "POST",
        body: { name: name.value.trim(), kind: kind.value, settings: extra, enabled: enabled.checked } });
      setStatus(`Source “${made.name}” added.`, "ok");
      if (ctx.alive()) route();
    } catch (err) {
      showError(err);
    }
  } },
  el("h3", {}, "Add a source"),
  el("div", { class: "field" }, el("label", { for: "source-name" }, "Name"), name),
  el("div", { class: "field" }, el("label", { for: "source-kind" }, "Kind"), kind),
  el("div", { class: "field" }, el("label", { for: "source-url" }, "Feed URL (rss)"), url),
  el("div", { class: "field" }, el("label", { for: "source-settings" }, "Settings (JSON object)"),
    settings),
  el("div", { class: "field check" }, enabled, el("label", { for: "source-enabled" }, "Enabled")),
  el("div", { class: "buttons" }, el("button", { type: "submit" }, "Add source")));
  return form;
}

// ---------------------------------------------------------------- alerts

async function renderAlerts(ctx) {
  const { view } = ctx;
  const [alerts, rules, sources] = await Promise.all([
    api("/alerts"), api("/alerts/rules"),
    can("sources:read") ? api("/sources") : Promise.resolve([]),
  ]);
  if (!ctx.alive()) return;
  const table = (id, heads, rows, empty) => el("div", { class: "table-wrap" },
    el("table", { id }, el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.length ? rows
        : el("tr", {}, el("td", { colspan: heads.length, class: "empty" }, empty)))));
  view.append(
    el("h2", {}, "Alerts"),
    el("h3", {}, "Recent alerts"),
    table("alerts-table", ["Fired", "Rule", "Source", "Share", "Baseline", "Items", "Webhook"],
      alerts.map((a) => el("tr", {},
        el("td", { class: "nowrap" }, fmtTime(a.fired_at)), el("td", { dir: "auto" }, a.rule || "–"),
        el("td", { dir: "auto" }, a.source || "all"), el("td", {}, pct(a.value)),
        el("td", {}, pct(a.baseline)), el("td", { class: "num" }, a.count),
        el("td", {}, a.webhook_status || "–"))),
      "No alerts have fired."),
    el("h3", {}, "Rules"),
    table("rules-table", ["Name", "Source", "Window", "Baseline", "Margin", "Min items", "Webhook",
      "Enabled"],
    rules.map((r) => el("tr", {},
      el("td", { dir: "auto" }, r.name), el("td", { dir: "auto" }, r.source || "all"),
      el("td", {}, `${r.window_days} d`), el("td", {}, `${r.baseline_days} d`),
      el("td", {}, `+${(r.margin * 100).toFixed(1)} pts`), el("td", { class: "num" }, r.min_items),
      el("td", { class: "settings" }, r.webhook_url || "–"), el("td", {}, r.enabled ? "yes" : "no"))),
    "No rules yet."));
  if (can("alerts:write")) view.append(ruleForm(ctx, sources));
}

function ruleForm(ctx, sources) {
  const num = (id, value, attrs = {}) => el("input", { id, type: "number", value, ...attrs });
  const name = el("input", { id: "rule-name", type: "text", required: true, maxlength: 200 });
  const source = el("select", { id: "rule-source" }, el("option", { value: "" }, "All sources"),
    sources.map((s) => el("option", { value: s.name }, s.name)));
  const windowDays = num("rule-window", 1, { min: 1, max: 90 });
  const baselineDays = num("rule-baseline", 14, { min: 1, max: 365 });
  const margin = num("rule-margin", 0.05, { min: 0, max: 1, step: 0.01 });
  const minItems = num("rule-min", 20, { min: 1 });
  const webhook = el("input", { id: "rule-webhook", type: "url", placeholder: "https://…" });
  const enabled = el("input", { id: "rule-enabled", type: "checkbox", checked: true });
  const field = (id, text, input) => el("div", { class: "field" }, el("label", { for: id }, text), input);
  return el("form", { class: "card admin-form", id: "rule-form", onsubmit: async (e) => {
    e.preventDefault();
    try {
      const made = await api("/alerts/rules", { method: "POST", body: {
        name: name.value.trim(),
        source: source.value || null,
        window_days: Number(windowDays.value),
        baseline_days: Number(baselineDays.value),
        margin: Number(margin.value),
        min_items: Number(minItems.value),
        webhook_url: webhook.value.trim() || null,
        enabled: enabled.checked,
      } });
      setStatus(`Rule “${made.name}” added.`, "ok");
      if (ctx.alive()) route();
    } catch (err) {
      showError(err);
    }
  } },
  el("h3", {}, "Add an alert rule"),
  el("p", { class: "hint" }, "Fires when the share of violent_extremist in the window rises above ",
    "the baseline period's share by more than the margin."),
  field("rule-name", "Name", name),
  field("rule-source", "Source", source),
  field("rule-window", "Window (days)", windowDays),
  field("rule-baseline", "Baseline (days)", baselineDays),
  field("rule-margin", "Margin (share, 0–1)", margin),
  field("rule-min", "Minimum items in window", minItems),
  field("rule-webhook", "Webhook URL (optional)", webhook),
  el("div", { class: "field check" }, enabled, el("label", { for: "rule-enabled" }, "Enabled")),
  el("div", { class: "buttons" }, el("button", { type: "submit" }, "Add rule")));
}

// ---------------------------------------------------------------- counter-narratives tab

const COUNTER_PAGE = 20;
const COUNTER_VIEWS = [["", "Catalogue"], ["try", "Try it"], ["usage", "Engagement and gaps"]];

function counterHash(params) {
  const clean = new URLSearchParams();
  for (const [k, v] of params) if (v !== "" && v !== null && v !== undefined) clean.set(k, v);
  const q = clean.toString();
  return `#/counter${q ? `?${q}` : ""}`;
}

async function renderCounter(ctx, arg, params) {
  const { view } = ctx;
  const sub = arg || "";
  view.append(el("h2", {}, "Counter-narratives"),
    el("nav", { class: "subnav", "aria-label": "Counter-narrative sections" }, el("ul", {},
      COUNTER_VIEWS.map(([name, text]) => el("li", {}, el("a", {
        href: name ? `#/counter/${name}` : "#/counter",
        "aria-current": (sub === name || (sub === "item" && !name)) ? "page" : null,
      }, text))))));
  if (sub === "item") return renderCounterItem(ctx, parseHash().parts[2]);
  if (sub === "try") return renderCounterTry(ctx);
  if (sub === "usage") return renderCounterUsage(ctx);
  if (sub) {
    view.append(el("p", {}, "There is no such page."));
    return;
  }
  return renderCatalogue(ctx, params);
}

function sourceNotice(source) {
  return source === "starter"
    ? el("p", { class: "notice starter-notice", id: "counter-source", "data-source": source },
      starterBadge(), " Nothing has been imported yet: these are the example items shipped with ",
      "Nazar, written to illustrate each narrative and language. They are not real material and ",
      "have no real links. Import or add your own catalogue to replace them.")
    : el("p", { class: "notice", id: "counter-source", "data-source": source },
      chip("database", "source"), " Your catalogue, stored in the database.");
}

async function renderCatalogue(ctx, params) {
  const { view } = ctx;
  const f = listFilters(params, ["lang", "theme", "kind", "status", "q"]);
  const opts = (id, all, values, current) => el("select", { id },
    el("option", { value: "" }, all),
    values.map(([v, t]) => el("option", { value: v, selected: v === current }, t)));
  const langInput = opts("counter-lang", "All languages", Object.entries(LANGS), f.lang);
  const themeInput = opts("counter-theme", "All themes", THEMES.map((t) => [t, t]), f.theme);
  const kindInput = opts("counter-kind", "All kinds", KINDS.map((k) => [k, k]), f.kind);
  const statusInput = opts("counter-status", "Any status", REVIEW_STATUSES.map((s) => [s, s]), f.status);
  const search = el("input", { id: "counter-q", type: "search", value: f.q, maxlength: 200, dir: "auto",
    placeholder: "words in the title, summary, id or organisation" });
  const field = (id, text, input, cls = "field") => el("div", { class: cls }, el("label", { for: id }, text), input);
  const filters = el("form", { class: "controls", role: "search", "aria-label": "Filter the catalogue",
    onsubmit: (e) => {
      e.preventDefault();
      location.hash = counterHash([["lang", langInput.value], ["theme", themeInput.value],
        ["kind", kindInput.value], ["status", statusInput.value], ["q", search.value.trim()]]);
    } },
  field("counter-q", "Search", search, "field grow"),
  field("counter-lang", "Language", langInput),
  field("counter-theme", "Theme", themeInput),
  field("counter-kind", "Kind", kindInput),
  field("counter-status", "Status", statusInput),
  el("div", { class: "field buttons" }, el("button", { type: "submit" }, "Filter"),
    el("a", { href: "#/counter", class: "button secondary" }, "Clear")));

  const notice = el("div");
  const listBox = el("div", { id: "counter-list" });
  const writer = can("counter:write");
  async function refresh() {
    const page = await api("/counter", { query: { lang: f.lang, theme: f.theme, kind: f.kind,
      status: f.status, q: f.q, limit: COUNTER_PAGE, offset: f.offset } });
    if (!ctx.alive()) return;
    notice.replaceChildren(sourceNotice(page.source));
    const editable = writer && page.source === "database";
    const first = page.total ? f.offset + 1 : 0;
    const last = f.offset + page.items.length;
    const pageLink = (offset) => counterHash([["lang", f.lang], ["theme", f.theme], ["kind", f.kind],
      ["status", f.status], ["q", f.q], ["offset", offset || ""]]);
    const rows = page.items.map((it) => el("tr", { "data-counter-id": it.item_id },
      el("td", {}, el("a", { href: `#/counter/item/${encodeURIComponent(it.item_id)}`, dir: "auto",
        class: "counter-title" }, it.title), el("div", { class: "why" }, it.item_id)),
      el("td", {}, it.kind),
      el("td", {}, it.langs.join(", ")),
      el("td", {}, it.themes.map((t) => chip(t, "theme"))),
      el("td", {}, chip(it.review_status, `status status-${it.review_status}`),
        it.example ? chip("example", "starter") : null),
      editable ? el("td", {}, it.review_status === "draft"
        ? el("button", { type: "button", class: "confirm small", "data-action": "approve",
          "aria-label": `Approve ${it.item_id}`,
          onclick: (e) => approve(it.item_id, e.target).then(() => refresh()).catch(showError) }, "Approve")
        : null) : null));
    listBox.replaceChildren(
      page.items.length
        ? el("div", { class: "table-wrap" }, el("table", { id: "counter-table" },
          el("caption", { class: "sr-only" }, "Catalogue items matching the filters"),
          el("thead", {}, el("tr", {}, ["Title", "Kind", "Languages", "Themes", "Status",
            editable ? "Actions" : null].filter(Boolean).map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, rows)))
        : el("p", { class: "empty" }, "No catalogue items match."),
      el("nav", { class: "pager", "aria-label": "Pages" },
        el("button", { type: "button", class: "secondary", disabled: f.offset <= 0,
          onclick: () => { location.hash = pageLink(Math.max(0, f.offset - COUNTER_PAGE)); } }, "Previous"),
        el("span", { id: "counter-range" }, `${first}–${last} of ${page.total}`),
        el("button", { type: "button", class: "secondary", disabled: last >= page.total,
          onclick: () => { location.hash = pageLink(f.offset + COUNTER_PAGE); } }, "Next")));
  }

  const exports = el("div", { class: "buttons export" }, el("span", { class: "why" }, "Export the catalogue:"),
    ["jsonl", "csv"].map((fmt) => el("button", { type: "button", class: "secondary small",
      "data-format": fmt, onclick: () => downloadExport(fmt) }, `Download ${fmt.toUpperCase()}`)));
  view.append(notice, filters, listBox, exports);
  if (writer) {
    const formBox = el("div", { hidden: true });
    const toggle = el("button", { type: "button", "aria-expanded": "false", "aria-controls": "counter-add",
      onclick: () => {
        formBox.hidden = !formBox.hidden;
        toggle.setAttribute("aria-expanded", String(!formBox.hidden));
        if (!formBox.hidden && !formBox.firstChild) {
          formBox.append(counterForm(null, (made) => {
            setStatus(`Catalogue item “${made.item_id}” added.`, "ok");
            location.hash = `#/counter/item/${encodeURIComponent(made.item_id)}`;
          }));
        }
      } }, "Add an item…");
    formBox.id = "counter-add";
    view.append(el("div", { class: "admin-tools" },
      el("div", { class: "buttons" }, toggle), formBox, importCard(ctx, refresh)));
  }
  await refresh();
}

async function approve(itemId, button) {
  if (button) button.disabled = true;
  try {
    await api(`/counter/${encodeURIComponent(itemId)}`, { method: "PATCH", body: { review_status: "approved" } });
    setStatus(`Catalogue item “${itemId}” approved: it can now be suggested.`, "ok");
  } catch (err) {
    if (button) button.disabled = false;
    throw err;
  }
}

/** Download the export with the key in a header (never in a URL), saved through a Blob. */
async function downloadExport(fmt) {
  try {
    const res = await fetch(new URL(`${API}/counter/export?format=${fmt}`, location.origin), {
      headers: { Authorization: `Bearer ${state.key}` }, cache: "no-store", credentials: "omit" });
    if (!res.ok) {
      let detail = res.statusText;
      try { detail = formatDetail((await res.json()).detail); } catch { /* not JSON */ }
      throw new ApiError(res.status, `http_${res.status}`, detail);
    }
    const blob = await res.blob();
    const href = URL.createObjectURL(blob);
    const a = el("a", { href, download: `counter_catalogue.${fmt}`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
    const source = res.headers.get("X-Nazar-Catalogue-Source");
    setStatus(`Exported the ${source === "starter" ? "starter (example) " : ""}catalogue as ${fmt.toUpperCase()}.`, "ok");
  } catch (err) {
    showError(err);
  }
}

/** Records from a .json (list or {items}) or .jsonl file; lines[i] is record i's line number. */
function parseCatalogueFile(name, text) {
  const body = text.replace(/^\uFEFF/, "").trim();
  if (!body) throw new Error("the file is empty");
  if (/\.json$/i.test(name) || body.startsWith("[")) {
    let value;
    try {
      value = JSON.parse(body);
    } catch (err) {
      throw new Error(`not valid JSON: ${err.message}`);
    }
    const records = Array.isArray(value) ? value
      : value && Array.isArray(value.items) ? value.items : [value];
    return { records, lines: null };
  }
  const records = [];
  const lines = [];
  const bad = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line));
      lines.push(i + 1);
    } catch {
      bad.push(i + 1);
    }
  });
  if (bad.length) {
    throw new Error(`invalid JSON on line${bad.length > 1 ? "s" : ""} ${bad.slice(0, 10).join(", ")}`
      + `${bad.length > 10 ? "…" : ""}; nothing was imported`);
  }
  return { records, lines };
}

function importCard(ctx, onImported) {
  const file = el("input", { id: "counter-import-file", type: "file",
    accept: ".jsonl,.ndjson,.json,application/json,application/x-ndjson" });
  const result = el("div", { id: "counter-import-result", role: "status", "aria-live": "polite" });
  const button = el("button", { type: "submit" }, "Import");
  return el("form", { class: "card admin-form", id: "counter-import", onsubmit: async (e) => {
    e.preventDefault();
    const chosen = file.files && file.files[0];
    if (!chosen) {
      result.replaceChildren(el("p", { class: "error" }, "Choose a .jsonl or .json file first."));
      return;
    }
    button.disabled = true;
    try {
      const { records, lines } = parseCatalogueFile(chosen.name, await chosen.text());
      const out = await api("/counter/import", { method: "POST", body: records });
      const where = (e2) => (lines ? `line ${lines[e2.index]}` : `record ${e2.index + 1}`);
      const n = out.errors.length;
      fill(result,
        el("p", { class: n ? "partial" : "ok" },
          `${chosen.name}: ${out.created} created, ${out.updated} updated, ${out.unchanged} unchanged, `
          + `${n} error${n === 1 ? "" : "s"}.`),
        n ? el("ul", { class: "import-errors" }, out.errors.map((e2) => el("li", {},
          `${where(e2)}${e2.item_id ? ` (${e2.item_id})` : ""}: ${e2.error}`))) : null);
      setStatus(`Imported ${out.created + out.updated} item(s) from ${chosen.name}.`, n ? "info" : "ok");
      if (ctx.alive()) await onImported();
    } catch (err) {
      fill(result, el("p", { class: "error" }, `Import failed: ${err.message}`),
        err instanceof ApiError && Array.isArray(err.raw) ? problemList(err) : null);
    } finally {
      button.disabled = false;
    }
  } },
  el("h3", {}, "Import a catalogue"),
  el("p", { class: "hint" }, "A JSONL file (one item per line) or a JSON list, in the format ",
    el("code", {}, "nazar counter validate"), " reads. Items are added or updated by their id; ",
    "importing replaces the starter examples."),
  el("div", { class: "field" }, el("label", { for: "counter-import-file" }, "Catalogue file (.jsonl or .json)"),
    file),
  el("div", { class: "buttons" }, button),
  result);
}

/** Add (existing = null) or edit form with every field of a catalogue item. */
function counterForm(existing, onSaved) {
  const v = existing || { item_id: "", title: "", kind: "article", langs: [], themes: [], audience: "",
    summary: "", url: "", local_file: "", source_org: "", date: "", review_status: "draft", example: false };
  const p = existing ? "ce" : "ca";
  const text = (name, attrs = {}) => el("input", { id: `${p}-${name}`, type: "text", value: v[name] || "",
    ...attrs });
  const fields = {
    item_id: text("item_id", { maxlength: 200, spellcheck: "false", readonly: Boolean(existing) }),
    title: text("title", { dir: "auto" }),
    kind: el("select", { id: `${p}-kind` }, KINDS.map((k) => el("option", { value: k, selected: k === v.kind }, k))),
    audience: text("audience", { placeholder: "e.g. youth, parents, women" }),
    summary: el("textarea", { id: `${p}-summary`, rows: 5, dir: "auto", maxlength: 100000 }),
    url: text("url", { inputmode: "url", placeholder: "https://… (leave empty if none)" }),
    local_file: text("local_file", { placeholder: "path of a local copy" }),
    source_org: text("source_org", { dir: "auto" }),
    date: el("input", { id: `${p}-date`, type: "date", value: v.date || "" }),
    review_status: el("select", { id: `${p}-review_status` },
      REVIEW_STATUSES.map((s) => el("option", { value: s, selected: s === v.review_status }, s))),
    example: el("input", { id: `${p}-example`, type: "checkbox", checked: Boolean(v.example) }),
  };
  fields.summary.value = v.summary || "";
  const boxes = (name, values, chosen, labelOf) => values.map((x) => {
    const id = `${p}-${name}-${x}`;
    return el("span", { class: "check" },
      el("input", { type: "checkbox", id, value: x, checked: chosen.includes(x), "data-group": name }),
      el("label", { for: id }, labelOf(x)));
  });
  const langBoxes = boxes("langs", Object.keys(LANGS), v.langs, (c) => langName(c));
  const themeBoxes = boxes("themes", THEMES, v.themes, (t) => t);
  const errors = el("div", { class: "form-errors", role: "alert" });
  const checked = (group) => group.map((s) => s.querySelector("input")).filter((i) => i.checked)
    .map((i) => i.value);
  const row = (name, label, hint) => el("div", { class: "field" },
    el("label", { for: `${p}-${name}` }, label), fields[name],
    hint ? el("span", { class: "why" }, hint) : null);
  const save = el("button", { type: "submit" }, existing ? "Save changes" : "Add item");
  const form = el("form", { class: "card admin-form counter-form", id: existing ? "counter-edit" : "counter-add-form",
    novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      const opt = (name) => fields[name].value.trim() || null;
      const body = {
        title: fields.title.value.trim(), kind: fields.kind.value, langs: checked(langBoxes),
        themes: checked(themeBoxes), audience: opt("audience"), summary: fields.summary.value.trim(),
        url: opt("url"), local_file: opt("local_file"), source_org: opt("source_org"), date: opt("date"),
        review_status: fields.review_status.value, example: fields.example.checked,
      };
      if (!existing) body.item_id = fields.item_id.value.trim();
      save.disabled = true;
      errors.replaceChildren();
      try {
        const made = existing
          ? await api(`/counter/${encodeURIComponent(existing.item_id)}`, { method: "PUT", body })
          : await api("/counter", { method: "POST", body });
        onSaved(made);
      } catch (err) {
        fill(errors, el("p", {}, err instanceof ApiError && err.status === 422
          ? "The catalogue refused the item:" : err.message), err.status === 422 ? problemList(err) : null);
        showError(err);
      } finally {
        save.disabled = false;
      }
    } },
  el("h3", {}, existing ? `Edit “${existing.item_id}”` : "Add a catalogue item"),
  row("item_id", "ID", existing ? "the id cannot change" : "letters, digits, - and _; no spaces"),
  row("title", "Title"),
  row("kind", "Kind"),
  el("fieldset", { class: "checks" }, el("legend", {}, "Languages"), langBoxes),
  el("fieldset", { class: "checks" }, el("legend", {}, "Themes it answers"), themeBoxes),
  row("audience", "Audience"),
  row("summary", "Summary or transcript"),
  row("url", "URL"),
  row("local_file", "Local file"),
  row("source_org", "Source organisation"),
  row("date", "Date"),
  row("review_status", "Review status", "only approved items are suggested"),
  el("div", { class: "field check" }, fields.example,
    el("label", { for: `${p}-example` }, "Example (illustrative, not real material)")),
  errors,
  el("div", { class: "buttons" }, save));
  return form;
}

async function renderCounterItem(ctx, itemId) {
  const { view } = ctx;
  const it = await api(`/counter/${encodeURIComponent(itemId || "")}`);
  if (!ctx.alive()) return;
  const dl = el("dl", { class: "facts" });
  const fact = (name, value) => {
    if (value === null || value === undefined || value === "") return;
    dl.append(el("dt", {}, name), el("dd", { dir: "auto" }, value));
  };
  fact("ID", it.item_id);
  fact("Kind", it.kind);
  fact("Languages", it.langs.map(langName).join(", "));
  fact("Themes", it.themes.join(", "));
  fact("Audience", it.audience);
  fact("URL", it.url ? safeLink(it.url) : null);
  fact("Local file", it.local_file);
  fact("Source organisation", it.source_org);
  fact("Date", it.date);
  fact("Review status", it.review_status);
  fact("Example", it.example ? "yes: illustrative, not real material" : "no");
  fact("Added", it.created_at ? fmtTime(it.created_at) : null);
  fact("Changed", it.updated_at ? fmtTime(it.updated_at) : null);
  const editable = can("counter:write") && it.source === "database";
  const tools = el("div", { class: "buttons" });
  const formBox = el("div");
  if (editable) {
    if (it.review_status !== "approved") {
      tools.append(el("button", { type: "button", class: "confirm", "data-action": "approve",
        onclick: (e) => approve(it.item_id, e.target).then(() => ctx.alive() && route()).catch(showError) },
      "Approve"));
    }
    const edit = el("button", { type: "button", class: "secondary", "aria-expanded": "false", onclick: () => {
      const open = !formBox.firstChild;
      if (open) {
        formBox.replaceChildren(counterForm(it, (saved) => {
          setStatus(`Catalogue item “${saved.item_id}” saved.`, "ok");
          if (ctx.alive()) route();
        }));
      } else {
        formBox.replaceChildren();
      }
      edit.setAttribute("aria-expanded", String(open));
    } }, "Edit…");
    const really = el("button", { type: "button", class: "reject", hidden: true, onclick: async () => {
      really.disabled = true;
      try {
        await api(`/counter/${encodeURIComponent(it.item_id)}`, { method: "DELETE" });
        setStatus(`Catalogue item “${it.item_id}” deleted.`, "ok");
        location.hash = "#/counter";
      } catch (err) {
        really.disabled = false;
        showError(err);
      }
    } }, `Really delete “${it.item_id}”`);
    tools.append(edit, el("button", { type: "button", class: "secondary", onclick: () => { really.hidden = false; } },
      "Delete…"), really);
  }
  append(view, [
    el("p", {}, el("a", { href: "#/counter" }, "← Catalogue")),
    it.source === "starter" ? sourceNotice("starter") : null,
    el("div", { class: "detail-grid" },
      el("article", { class: "card", id: "counter-detail", "data-counter-id": it.item_id },
        el("h3", { dir: "auto" }, it.title),
        el("div", { class: "meta" }, chip(it.review_status, `status status-${it.review_status}`),
          it.example ? chip("example", "starter") : null, it.themes.map((t) => chip(t, "theme"))),
        el("p", { class: "summary", dir: "auto", lang: it.langs.length === 1 ? it.langs[0] : null }, it.summary),
        tools),
      el("aside", { class: "card" }, el("h3", {}, "Details"), dl)),
    formBox]);
}

async function renderCounterTry(ctx) {
  const { view } = ctx;
  const text = el("textarea", { id: "try-text", rows: 5, dir: "auto", maxlength: 100000 });
  const lang = el("select", { id: "try-lang" }, el("option", { value: "" }, "Detect"),
    Object.entries(LANGS).map(([c, n]) => el("option", { value: c }, n)));
  const k = el("input", { id: "try-k", type: "number", min: 1, max: 20, value: 5 });
  const out = el("div", { id: "try-result", "aria-live": "polite" });
  const button = el("button", { type: "submit" }, "Suggest");
  view.append(
    el("p", { class: "hint" }, "Paste a post to see which approved material answers its narratives, ",
      "in a language its reader reads, and why. Nothing is stored."),
    el("form", { class: "card", id: "try-form", onsubmit: async (e) => {
      e.preventDefault();
      if (!text.value.trim()) return;
      button.disabled = true;
      try {
        const res = await api("/counter/suggest", { method: "POST", body: {
          text: text.value, lang: lang.value || undefined, k: Number(k.value) || 5 } });
        if (!ctx.alive()) return;
        out.replaceChildren(el("article", { class: "card" },
          el("div", { class: "panel-head" }, el("h3", {}, "Suggestions"),
            res.source === "starter" ? starterBadge() : null),
          el("p", { class: "hint" }, `Read as ${langName(res.lang)}; narratives: `,
            res.themes.length ? res.themes.join(", ") : "none found"),
          res.suggestions.length ? suggestionList(res.suggestions)
            : el("p", { class: "empty" }, "No approved material in a language this reader reads.")));
        setStatus("", "info");
      } catch (err) {
        showError(err);
      } finally {
        button.disabled = false;
      }
    } },
    el("div", { class: "field" }, el("label", { for: "try-text" }, "Text of a post"), text),
    el("div", { class: "controls" },
      el("div", { class: "field" }, el("label", { for: "try-lang" }, "Language"), lang),
      el("div", { class: "field" }, el("label", { for: "try-k" }, "How many"), k),
      el("div", { class: "field buttons" }, button))),
    out);
}

const usageState = { days: "" };

async function renderCounterUsage(ctx) {
  const { view } = ctx;
  if (typeof window.Chart === "undefined") throw new Error("the charting library did not load");
  const days = el("select", { id: "usage-days", onchange: (e) => {
    usageState.days = e.target.value;
    draw().catch((err) => ctx.alive() && showError(err));
  } }, [["", "All time"], ["7", "Last 7 days"], ["30", "Last 30 days"], ["90", "Last 90 days"]]
    .map(([value, t]) => el("option", { value, selected: value === usageState.days }, t)));
  const parts = {
    totals: el("p", { id: "usage-totals", class: "hint" }),
    canvas: el("canvas", { id: "chart-counter-usage", role: "img",
      "aria-label": "Suggestions shown, clicked and sent, by theme" }),
    usage: el("div"),
    gapSummary: el("p", { id: "gaps-summary" }),
    gapSource: el("div"),
    gaps: el("div"),
  };
  const onlyGaps = el("input", { id: "gaps-only", type: "checkbox", onchange: () => {
    parts.gaps.querySelectorAll("tr.covered").forEach((r) => { r.hidden = onlyGaps.checked; });
  } });
  view.append(
    el("form", { class: "controls", onsubmit: (e) => e.preventDefault() },
      el("div", { class: "field" }, el("label", { for: "usage-days" }, "Period"), days)),
    el("section", { class: "card", "aria-labelledby": "usage-title" },
      el("h3", { id: "usage-title" }, "Use of suggestions by theme"), parts.totals,
      el("div", { class: "chart-box" }, parts.canvas),
      el("h4", {}, "By theme and language"), parts.usage),
    el("section", { class: "card", "aria-labelledby": "gaps-title" },
      el("h3", { id: "gaps-title" }, "Gap report: narratives seen in flagged posts, by language, with no material"),
      parts.gapSource, parts.gapSummary,
      el("div", { class: "field check" }, onlyGaps, el("label", { for: "gaps-only" }, "Show only gaps")),
      parts.gaps,
      el("p", { class: "hint legend" }, el("span", { class: "swatch gap-none" }), " nothing the reader can read  ",
        el("span", { class: "swatch gap-lang" }), " nothing in the post's language (the reader may read another)")));

  async function draw() {
    const query = { days: usageState.days };
    const [usage, gaps] = await Promise.all([api("/counter/usage", { query }), api("/counter/gaps", { query })]);
    if (!ctx.alive()) return;
    destroyCharts();
    const t = usage.totals || {};
    parts.totals.textContent = `Shown ${t.shown || 0} · clicked ${t.clicked || 0} · sent ${t.sent || 0}`;
    const themeName = (x) => x || "(no theme)";
    const byTheme = usage.by_theme || [];
    const colours = { shown: "#90a4ae", clicked: "#1565c0", sent: "#2e7d32" };
    state.charts.push(new window.Chart(parts.canvas, {
      type: "bar",
      data: {
        labels: byTheme.map((r) => themeName(r.theme)),
        datasets: ["shown", "clicked", "sent"].map((name) => ({
          label: name, backgroundColor: colours[name], data: byTheme.map((r) => r[name]) })),
      },
      options: { animation: false, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "events" } } },
        plugins: { legend: { position: "bottom" } } },
    }));
    parts.usage.replaceChildren(usage.rows.length
      ? el("div", { class: "table-wrap" }, el("table", { id: "usage-table" },
        el("thead", {}, el("tr", {}, ["Theme", "Language", "Shown", "Clicked", "Sent"]
          .map((h, i) => el("th", { scope: "col", class: i > 1 ? "num" : null }, h)))),
        el("tbody", {}, usage.rows.map((r) => el("tr", { "data-theme": r.theme || "", "data-lang": r.lang || "" },
          el("td", {}, themeName(r.theme)), el("td", {}, r.lang ? langName(r.lang) : "–"),
          el("td", { class: "num" }, r.shown), el("td", { class: "num" }, r.clicked),
          el("td", { class: "num" }, r.sent))))))
      : el("p", { class: "empty" }, "No suggestion has been shown yet."));

    fill(parts.gapSource, gaps.source === "starter"
      ? el("p", { class: "notice starter-notice" }, starterBadge(),
        " Measured against the starter examples: import your catalogue for a real gap report.")
      : null);
    const rows = gaps.narratives || [];
    const none = rows.filter((r) => r.no_item_reader_can_read).length;
    parts.gapSummary.textContent = rows.length
      ? `${gaps.posts} flagged post${gaps.posts === 1 ? "" : "s"}; ${rows.length} narrative × language `
        + `pair${rows.length === 1 ? "" : "s"} seen; ${gaps.gaps.length} with no material in the post's `
        + `language, ${none} with nothing the reader can read.`
      : "No narratives seen in flagged posts yet.";
    fill(parts.gaps, rows.length
      ? el("div", { class: "table-wrap" }, el("table", { id: "gaps-table" },
        el("caption", { class: "sr-only" }, "Narratives seen in flagged posts, by language, and the material answering them"),
        el("thead", {}, el("tr", {}, ["Theme", "Post language", "Posts", "Last seen", "Items in language",
          "Items the reader can read", "Item languages", "Gap"].map((h, i) => el("th", { scope: "col",
          class: [2, 4, 5].includes(i) ? "num" : null }, h)))),
        el("tbody", {}, rows.map((r) => {
          const cls = r.no_item_reader_can_read ? "gap gap-none" : r.no_item_in_language ? "gap gap-lang" : "covered";
          return el("tr", { class: cls, "data-theme": r.theme, "data-lang": r.lang, hidden: cls === "covered" && onlyGaps.checked },
            el("th", { scope: "row" }, r.theme),
            el("td", {}, langName(r.lang)),
            el("td", { class: "num" }, r.posts),
            el("td", { class: "nowrap" }, fmtTime(r.last_seen)),
            el("td", { class: "num" }, r.items_in_language),
            el("td", { class: "num", title: `reader languages: ${r.reader_languages.join(", ")}` },
              r.items_reader_can_read),
            el("td", {}, r.item_languages.join(", ") || "–"),
            el("td", { class: "gap-cell" }, r.no_item_reader_can_read ? "No material the reader can read"
              : r.no_item_in_language ? `None in ${LANGS[r.lang] || r.lang}` : "–"));
        }))))
      : null);
  }
  await draw();
}

// ---------------------------------------------------------------- check a text

async function renderClassify(ctx) {
  const { view } = ctx;
  const text = el("textarea", { id: "classify-text", rows: 5, dir: "auto", maxlength: 100000 });
  const out = el("div", { id: "classify-result" });
  view.append(
    el("h2", {}, "Check a text"),
    el("p", { class: "hint" }, "Scores a text without storing it."),
    el("form", { class: "card", onsubmit: async (e) => {
      e.preventDefault();
      if (!text.value.trim()) return;
      try {
        const res = await api("/classify", { method: "POST", body: { text: text.value } });
        if (!ctx.alive()) return;
        const v = res.results[0];
        out.replaceChildren(el("article", { class: "card" },
          el("div", { class: "meta" }, labelChip(v.label), chip(langName(v.lang), "lang"),
            v.score === null ? null : chip(`score ${v.score.toFixed(3)}`, "score"),
            v.flagged ? chip("flagged", "flagged") : null, v.themes.map((t) => chip(t, "theme"))),
          itemText({ text: text.value, lang: v.lang }, v.evidence),
          v.error ? el("p", { class: "error" }, v.error) : null));
        setStatus("", "info");
      } catch (err) {
        showError(err);
      }
    } },
    el("label", { for: "classify-text" }, "Text"), text,
    el("div", { class: "buttons" }, el("button", { type: "submit" }, "Check"))),
    out);
}

// ---------------------------------------------------------------- start

function start() {
  const nav = document.querySelector("#nav ul");
  if (nav && !nav.querySelector('[data-route="classify"]')) {
    nav.append(el("li", {}, el("a", { href: "#/classify", "data-route": "classify",
      "data-perm": "classify" }, "Check a text")));
  }
  $("#signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("#signin-key").value.trim();
    if (!key) {
      $("#signin-error").textContent = "Enter an API key.";
      return;
    }
    signIn(key);
  });
  $("#sign-out").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => route());
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) signIn(saved, { restoring: true });
  else showSignIn();
}

start();
