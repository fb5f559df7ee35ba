// Live chapter widgets (chapters 2, 4, 9, 13): the notebook widget's stored picture stays on the page,
// labelled, until the book's Python worker (worker.mjs, the playground's worker module) is ready; then
// the live version, drawn here in SVG, takes its place. All numbers come from microgpt/live.py and
// microgpt/session.py in the worker; this file only draws. Mounts are written by book/_ext/live_widgets.py:
//   <div class="mg-live" data-widget="attention|temperature|tokenizer|dashboard" data-settings="{...}"
//        data-model="<checkpoint URL>" data-merges="<merges URL>"> <p class="mg-live-label">...</p> </div>
// window.mgLive exposes each widget's last reply (used by tests/test_live_widgets.py).

import { startWorker } from "./start.mjs";

const SVG = "http://www.w3.org/2000/svg";
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
const BLUE = "#0072B2", ORANGE = "#E69F00", SKY = "#56B4E9", VERMILLION = "#D55E00";
const L = window.mgLive = { state: "loading", widgets: [], errors: [], timings: {}, marks: {} };
// Start-up marks, ms since navigation (performance.now()); the worker's own marks join them at "ready".
const mark = (name) => { performance.mark(name); L.marks[name] = performance.now(); };
mark("live.mjs");
const T0 = performance.now();
let worker = null, nextId = 1;
const pending = new Map();

// ---------------------------------------------------------------- small helpers
function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}
function viridis(t) {
  t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - i;
  const ch = (c, k) => parseInt(c.slice(1 + 2 * k, 3 + 2 * k), 16);
  const mix = (k) => Math.round(ch(VIRIDIS[i], k) + f * (ch(VIRIDIS[i + 1], k) - ch(VIRIDIS[i], k)));
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}
function request(body, fetchURL) {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ type: "request", id, body, fetch: fetchURL });
  });
}
// The latest request wins: while one is running, only the newest of the waiting ones is sent.
function latest(fn) {
  let busy = false, again = null;
  const run = async (...args) => {
    if (busy) { again = args; return; }
    busy = true;
    try { await fn(...args); } finally {
      busy = false;
      if (again) { const a = again; again = null; run(...a); }
    }
  };
  return run;
}
function labelled(text, control) { return el("label", {}, el("span", { text }), control); }
function setLabel(w, text, state) {
  w.label.textContent = text;
  w.label.dataset.state = state;
}
function message(w, text) {
  w.msg.textContent = text ? text[0].toUpperCase() + text.slice(1) : "";
  w.msg.hidden = !text;
}

// ---------------------------------------------------------------- models (fetched once per page)
const loaded = new Map();
function loadInto(name, url, kind) {
  if (!loaded.has(name)) {
    loaded.set(name, request({ op: "live.load", name, path: `/home/pyodide/live/${name}.json`, kind }, url)
      .then((reply) => { if (reply.error) throw new Error(reply.error); return reply; }));
  }
  return loaded.get(name);
}
const modelName = (url) => url.split("/").pop().replace(/\.json$/, "");

// ---------------------------------------------------------------- chapter 4: the head inspector
function attentionWidget(w) {
  const s = w.settings;
  const name = el("input", { type: "text", value: s.name ?? "emma", maxlength: "15", autocomplete: "off", spellcheck: "false" });
  const layer = el("select", {}), head = el("select", {});
  const fill = (sel, n, v) => { for (let i = 0; i < n; i++) sel.add(new Option(String(i), String(i))); sel.value = String(v); };
  fill(layer, w.model.nLayer, s.layer ?? 0);
  fill(head, w.model.nHead, s.head ?? 0);
  const pic = el("div", { class: "mg-live-figure" });
  const table = el("pre", { class: "mg-live-numbers", "aria-label": "the attention weights as numbers" });
  w.body.append(el("div", { class: "mg-row" }, labelled("Name", name), labelled("Layer", layer), labelled("Head", head)),
    w.msg, pic, table);
  const update = latest(async () => {
    const reply = await request({ op: "live.attention", model: w.modelName, text: name.value,
      layer: Number(layer.value), head: Number(head.value) });
    w.last = reply;
    if (reply.error) { message(w, reply.error); return; }
    message(w, "");
    drawMatrix(pic, reply);
    table.textContent = reply.table;
    w.renders++;
  });
  name.addEventListener("input", update);
  layer.addEventListener("change", update);
  head.addEventListener("change", update);
  return update();
}

function drawMatrix(holder, r) {
  const T = r.labels.length, cell = 34, ml = 44, mt = 30;
  const width = ml + T * cell + 60, height = mt + T * cell + 36;
  const shown = r.labels.slice(1).join("");
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height), role: "img",
    "aria-label": `Attention heatmap of layer ${r.layer}, head ${r.head} on "${shown}": ${T} rows (positions) by ${T} ` +
      "columns (where each looks); the numbers are printed below it" });
  svg.append(el("svg:text", { x: String(ml + (T * cell) / 2), y: "12", class: "mg-live-title", "text-anchor": "middle",
    text: `'${shown}': layer ${r.layer}, head ${r.head}` }));
  r.labels.forEach((lab, j) => {
    svg.append(el("svg:text", { x: String(ml + j * cell + cell / 2), y: String(mt - 4), "text-anchor": "middle", text: lab }));
    svg.append(el("svg:text", { x: String(ml - 6), y: String(mt + j * cell + cell / 2 + 4), "text-anchor": "end", text: lab }));
  });
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const x = ml + j * cell, y = mt + i * cell, v = r.matrix[i][j];
      svg.append(el("svg:rect", { x: String(x), y: String(y), width: String(cell - 1), height: String(cell - 1),
        fill: j <= i ? viridis(v) : "var(--mg-live-masked)" }));
      if (j <= i) {
        svg.append(el("svg:text", { x: String(x + cell / 2), y: String(y + cell / 2 + 4), "text-anchor": "middle",
          class: "mg-live-cell", fill: v > 0.55 ? "#000" : "#fff", text: v.toFixed(2) }));
      }
    }
  }
  const bx = ml + T * cell + 14;
  for (let k = 0; k < 20; k++) {
    svg.append(el("svg:rect", { x: String(bx), y: String(mt + (k * T * cell) / 20), width: "12",
      height: String((T * cell) / 20 + 0.5), fill: viridis(1 - k / 19) }));
  }
  svg.append(el("svg:text", { x: String(bx + 16), y: String(mt + 10), text: "1" }));
  svg.append(el("svg:text", { x: String(bx + 16), y: String(mt + T * cell), text: "0" }));
  svg.append(el("svg:text", { x: String(ml + (T * cell) / 2), y: String(height - 6), "text-anchor": "middle",
    text: "attends to (key position)" }));
  holder.replaceChildren(svg);
}

// ---------------------------------------------------------------- chapter 9: the temperature explorer
function temperatureWidget(w) {
  const s = w.settings;
  const prefix = el("input", { type: "text", value: s.prefix ?? "", maxlength: "15", autocomplete: "off", spellcheck: "false" });
  const temp = el("input", { type: "range", min: "0", max: "2", step: "0.05", value: String(s.temperature ?? 1) });
  const out = el("output", { text: Number(temp.value).toFixed(2) });
  const chart = el("div", { class: "mg-live-figure" });
  const names = el("p", { class: "mg-live-names" });
  const summary = el("pre", { class: "mg-live-numbers" });
  w.body.append(el("div", { class: "mg-row" }, labelled("Prefix", prefix),
    el("label", {}, el("span", { text: "Temperature" }), el("span", {}, temp, out))), w.msg, chart, names, summary);
  const update = latest(async () => {
    const reply = await request({ op: "live.temperature", model: w.modelName, prefix: prefix.value,
      temperature: Number(temp.value), nNames: s.n_names ?? 8, seed: s.seed ?? 0 });
    w.last = reply;
    if (reply.error) { message(w, reply.error); return; }
    message(w, "");
    drawBars(chart, reply);
    names.replaceChildren(el("b", { text: "names: " }), reply.names.join(", "));
    summary.textContent = reply.summary;
    w.renders++;
  });
  prefix.addEventListener("input", update);
  temp.addEventListener("input", () => { out.textContent = Number(temp.value).toFixed(2); update(); });
  return update();
}

function drawBars(holder, r) {
  const n = r.probs.length, bw = 20, ml = 40, mt = 24, h = 160;
  const width = ml + n * bw + 10, height = mt + h + 44;
  const top = r.top.slice(0, 3).map(([c, p]) => `'${c}' ${p.toFixed(2)}`).join(", ");
  const shown = r.prefix || "the start of a name";
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height), role: "img",
    "aria-label": `Bar chart of the next-symbol probabilities after '${shown}' at temperature ${r.temperature}; most likely: ${top}` });
  svg.append(el("svg:text", { x: String(ml), y: "14", class: "mg-live-title",
    text: `After '${r.prefix || "(start of a name)"}' at temperature ${r.temperature}: entropy ${r.entropy.toFixed(2)} nats` }));
  for (const v of [0, 0.5, 1]) {
    const y = mt + h * (1 - v);
    svg.append(el("svg:line", { x1: String(ml), x2: String(width - 10), y1: String(y), y2: String(y), class: "mg-live-grid" }));
    svg.append(el("svg:text", { x: String(ml - 4), y: String(y + 4), "text-anchor": "end", text: v.toFixed(1) }));
  }
  r.probs.forEach((p, i) => {
    const x = ml + i * bw;
    svg.append(el("svg:rect", { x: String(x + 2), y: String(mt + h * (1 - p)), width: String(bw - 4),
      height: String(Math.max(0, h * p)), fill: r.labels[i] === "." ? ORANGE : BLUE }));
    svg.append(el("svg:text", { x: String(x + bw / 2), y: String(mt + h + 14), "text-anchor": "middle", text: r.labels[i] }));
  });
  svg.append(el("svg:text", { x: String(ml + (n * bw) / 2), y: String(height - 6), "text-anchor": "middle",
    text: "next symbol ('.' = the name ends)" }));
  holder.replaceChildren(svg);
}

// ---------------------------------------------------------------- chapter 2: the tokenizer box
function tokenizerWidget(w) {
  const s = w.settings;
  const word = el("input", { type: "text", value: s.text ?? "understanding", maxlength: "200", autocomplete: "off", spellcheck: "false" });
  const merges = el("input", { type: "number", value: String(w.merges.merges), min: "0", max: String(w.merges.merges), step: "1" });
  const chars = el("p", { class: "mg-live-numbers" });
  const final = el("div", { class: "mg-live-tokens", "aria-label": "the BPE tokens" });
  // Scrollable (max-height): focusable, so a keyboard can scroll it too.
  const steps = el("ol", { class: "mg-live-steps", start: "0", tabindex: "0", "aria-label": "BPE merge by merge" });
  w.body.append(el("div", { class: "mg-row" }, labelled("Text", word), labelled("Merges used", merges)), w.msg,
    el("p", { class: "mg-live-heading", text: "microgpt's character tokenizer" }), chars,
    el("p", { class: "mg-live-heading", text: "BPE tokens" }), final,
    el("details", { open: "" }, el("summary", { text: "Merge by merge" }), steps));
  const update = latest(async () => {
    const m = merges.validity.badInput || merges.value.trim() === "" ? NaN : Number(merges.value);
    if (!Number.isInteger(m)) { message(w, "merges used: type a whole number"); return; }
    const reply = await request({ op: "live.tokenize", model: w.modelName, merges: w.mergesName, text: word.value, numMerges: m });
    w.last = reply;
    if (reply.error) { message(w, reply.error); return; }
    message(w, "");
    chars.textContent = reply.chars.ids
      ? `ids [${reply.chars.ids.join(", ")}] (${reply.chars.ids.length} tokens; BOS is ${reply.bos})`
      : reply.chars.message;
    final.replaceChildren(...reply.tokens.map((t) => el("span", { class: "mg-live-token", text: t.replace(/ /g, "␣") })),
      el("span", { class: "mg-live-count", text: `${reply.tokens.length} tokens, ids [${reply.ids.join(", ")}]` }));
    steps.replaceChildren(...reply.steps.map((st) => el("li", {
      text: (st.merge === null ? "bytes: " : `merge ${st.merge} makes '${st.made}': `) +
        st.tokens.map((t) => `'${t}'`).join(" ") })));
    w.renders++;
  });
  word.addEventListener("input", update);
  merges.addEventListener("input", update);
  return update();
}

// ---------------------------------------------------------------- chapter 13: the dashboard
function dashboardWidget(w) {
  const s = w.settings;
  const steps = el("input", { type: "number", value: String(s.steps ?? 300) });
  const train = el("button", { type: "button", text: "Train" });
  const reset = el("button", { type: "button", class: "mg-secondary", text: "Reset" });
  const gen = el("button", { type: "button", class: "mg-secondary", text: "Generate" });
  const readout = el("p", { class: "mg-live-numbers", "aria-live": "polite" });
  const chart = el("div", { class: "mg-live-figure" });
  const names = el("ol", { class: "mg-live-samples" });
  const note = el("p", { class: "mg-note", text: `Each click of Train is a new run of that many steps from seed ${s.seed ?? 42} ` +
    "(the notebook's first click); Generate samples names from the model as it is now." });
  w.body.append(el("div", { class: "mg-row" }, labelled("Steps", steps), train, reset, gen), note, w.msg, readout, chart, names);
  const state = w.state = { losses: [], step: 0, total: 0, training: false };
  const buttons = (busy) => { train.disabled = busy; reset.disabled = busy; gen.disabled = busy; };
  const draw = () => {
    readout.textContent = state.losses.length
      ? `step ${state.step}: loss ${state.losses[state.losses.length - 1].toFixed(4)}` : "step 0: not trained yet";
    drawLossSVG(chart, state.losses);
  };
  const doReset = async () => {
    const reply = await request({ op: "reset", session: "dashboard", seed: s.seed ?? 42, steps: 1, learningRate: s.learning_rate ?? 0.01 });
    if (reply.error) { message(w, reply.error); return false; }
    state.losses = []; state.step = 0; names.replaceChildren(); message(w, ""); draw();
    return true;
  };
  // One Train click of N steps is one microgpt run of N steps (the notebook's Playground.train): a new session
  // continues from the current weights only within one click, as the notebook's dashboard does on its first click.
  train.addEventListener("click", async () => {
    const n = steps.validity.badInput || steps.value.trim() === "" ? NaN : Number(steps.value);
    if (!Number.isFinite(n)) { message(w, "steps: type a whole number"); return; }
    buttons(true);
    try {
      const reply = await request({ op: "reset", session: "dashboard", seed: s.seed ?? 42, steps: n, learningRate: s.learning_rate ?? 0.01 });
      if (reply.error) { message(w, reply.error); return; }
      message(w, "");
      state.losses = []; state.step = 0;
      for (;;) {
        const r = await request({ op: "run", session: "dashboard", budgetMs: 100 });
        state.losses.push(...r.losses); state.step = r.step;
        w.last = r;
        draw();
        if (r.error) { message(w, r.error); break; }
        if (r.done) break;
      }
    } finally { buttons(false); w.renders++; }
  });
  reset.addEventListener("click", () => doReset());
  gen.addEventListener("click", async () => {
    const r = await request({ op: "generate", session: "dashboard", n: s.n_samples ?? 10, temperature: s.temperature ?? 0.5 });
    if (r.error) { message(w, r.error); return; }
    names.replaceChildren(...r.samples.map((x) => el("li", { text: x || "(empty)" })));
  });
  return doReset().then(() => { w.renders++; });
}

function drawLossSVG(holder, losses) {
  const width = 560, height = 220, m = { l: 44, r: 10, t: 10, b: 30 };
  const n = losses.length;
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height), role: "img",
    "aria-label": n ? `Loss curve: ${n} steps, last loss ${losses[n - 1].toFixed(4)}` : "Loss curve: not trained yet" });
  let lo = Infinity, hi = -Infinity;
  for (const v of losses) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!n) { lo = 1.5; hi = 3.5; }
  lo = Math.floor(lo * 2) / 2; hi = Math.max(lo + 1, Math.ceil(hi * 2) / 2);
  const x = (i) => m.l + (i / Math.max(1, n)) * (width - m.l - m.r);
  const y = (v) => m.t + (1 - (v - lo) / (hi - lo)) * (height - m.t - m.b);
  for (let v = lo; v <= hi + 1e-9; v += 0.5) {
    svg.append(el("svg:line", { x1: String(m.l), x2: String(width - m.r), y1: String(y(v)), y2: String(y(v)), class: "mg-live-grid" }));
    svg.append(el("svg:text", { x: String(m.l - 4), y: String(y(v) + 4), "text-anchor": "end", text: v.toFixed(1) }));
  }
  const bucket = Math.max(1, Math.ceil(n / (width - m.l - m.r)));
  let d = "", ema = 0, k = 0, e = "";
  for (let i = 0; i < n; i++) {
    ema = 0.95 * ema + 0.05 * losses[i];
    if ((i + 1) % bucket === 0 || i === n - 1) {
      d += `${k ? "L" : "M"}${x(i + 1).toFixed(1)},${y(losses[i]).toFixed(1)}`;
      e += `${k ? "L" : "M"}${x(i + 1).toFixed(1)},${y(ema / (1 - 0.95 ** (i + 1))).toFixed(1)}`;
      k++;
    }
  }
  svg.append(el("svg:path", { d, fill: "none", stroke: SKY, "stroke-width": "1" }));
  svg.append(el("svg:path", { d: e, fill: "none", stroke: VERMILLION, "stroke-width": "2.5" }));
  svg.append(el("svg:text", { x: String((m.l + width) / 2), y: String(height - 6), "text-anchor": "middle", text: "step" }));
  holder.replaceChildren(svg);
}

const WIDGETS = { attention: attentionWidget, temperature: temperatureWidget, tokenizer: tokenizerWidget, dashboard: dashboardWidget };

// ---------------------------------------------------------------- start-up
// The checkpoint and merges are asked for as soon as the worker exists: it downloads them while Python starts.
function loadModels(w) {
  const load = (url, kind) => loadInto(modelName(url), new URL(url, location.href).href, kind);
  const { model, merges } = w.mount.dataset;
  w.loads = Promise.all([model ? load(model, "checkpoint") : null, merges ? load(merges, "merges") : null]);
  w.loads.catch(() => {});  // reported by startWidget
}

async function startWidget(w) {
  try {
    mark(`${w.kind}: start`);
    [w.model, w.merges] = await w.loads;
    if (w.mount.dataset.model) w.modelName = modelName(w.mount.dataset.model);
    if (w.mount.dataset.merges) w.mergesName = modelName(w.mount.dataset.merges);
    mark(`${w.kind}: model loaded`);
    await WIDGETS[w.kind](w);
    mark(`${w.kind}: first render`);
    if (w.static) w.static.hidden = true;
    w.body.hidden = false;
    setLabel(w, "Live: computed by Python in your browser.", "live");
    L.timings[w.kind] = performance.now() - T0;
  } catch (err) {
    L.errors.push(String(err.message || err));
    if (L.state === "error") return;  // Python could not start: fail() has said why
    setLabel(w, `Static picture: the live version failed (${err.message || err}).`, "error");
  }
}

function fail(text) {
  L.state = "error";
  for (const w of L.widgets) setLabel(w, `${w.static ? "Static picture" : "No live version"}: ${text}`, "error");
}

async function main() {
  for (const mount of document.querySelectorAll(".mg-live")) {
    const cell = mount.closest(".cell");
    const w = { mount, kind: mount.dataset.widget, settings: JSON.parse(mount.dataset.settings || "{}"), renders: 0,
      label: mount.querySelector(".mg-live-label"), static: cell && mount.dataset.replace !== "no" ? cell.querySelector(".cell_output") : null,
      body: el("div", { class: "mg-live-body mg-pg", hidden: "" }),
      msg: el("p", { class: "mg-msg", role: "alert", hidden: "" }) };
    mount.append(w.body);
    L.widgets.push(w);
  }
  if (!L.widgets.length) return;
  worker = startWorker(fail, onMessage, (event) => fail(`Python could not start (${event.message || "worker error"}).`));
  if (!worker) return;
  mark("worker taken");
  // Each widget asks for its model and then its first picture now: the worker answers as soon as Python is
  // ready, with no round trip through this page in between (its main thread may still be busy drawing).
  L.widgets.forEach(loadModels);
  Promise.all(L.widgets.map(startWidget)).then(() => { if (L.state !== "error") L.state = "live"; });
}

function onMessage(event) {
  const msg = event.data;
  if (msg.type === "reply") { pending.get(msg.id)(msg.reply); pending.delete(msg.id); }
  else if (msg.type === "fatal") fail(`${msg.text}.`);
  else if (msg.type === "error") L.errors.push(msg.text);
  else if (msg.type === "ready") {
    if (L.state === "loading") L.state = "ready";
    L.timings.ready = performance.now() - T0;
    L.python = msg.python;
    mark("ready");
    for (const [name, t] of Object.entries(msg.marks || {})) L.marks[`worker: ${name}`] = t - performance.timeOrigin;
  }
}

main();
