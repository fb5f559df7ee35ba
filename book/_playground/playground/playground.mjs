// The playground page (book/playground.md): controls, pictures and their numbers.
// All Python runs in worker.mjs (a module Web Worker); this file only draws.
// window.mgPlayground exposes the page's state (used by tests/test_playground.py).

const $ = (id) => document.getElementById(id);
import { startWorker } from "./start.mjs";

// Okabe-Ito colours for lines and bars; viridis for the attention map.
const RAW_COLOUR = "#56B4E9";     // sky blue: every step's loss
const SMOOTH_COLOUR = "#D55E00";  // vermillion: the smoothed loss
const BAR_COLOUR = "#0072B2";     // blue
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
const SMOOTHING = 0.95;           // exponential moving average, bias-corrected
const TABLE_EVERY = 100;          // the loss table gets a row every 100 steps

const S = window.mgPlayground = {
  state: "loading", engine: null, info: null, frames: 0, losses: [], smoothed: [], stepsPerSecond: 0,
  attention: null, samples: [], probs: null, errors: [], settingsKey: null, computeSeconds: 0,
};
let worker = null;
let nextId = 1;
const pending = new Map();
let dirty = true;
let rateWindow = [];  // [time, step] pairs of the last two seconds

// ---------------------------------------------------------------- helpers
function setText(id, text) { $(id).textContent = text; }
function showMessage(id, text) {
  const el = $(id);
  el.textContent = text ? text[0].toUpperCase() + text.slice(1) : "";
  el.hidden = !text;
}
function fmt(x, digits = 4) { return Number.isFinite(x) ? x.toFixed(digits) : String(x); }

function request(body) {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ type: "request", id, body });
  });
}

// A number field's value, never a silent 0: text that is not a number (the browser then reports
// value "" and validity.badInput) or an empty field gives NaN, which checkSettings names.
function fieldNumber(id) {
  const el = $(id);
  if (el.validity.badInput || el.value.trim() === "") return NaN;
  return Number(el.value);
}

function settings() {
  const own = $("mg-data-own").checked;
  return {
    seed: fieldNumber("mg-seed"), steps: fieldNumber("mg-steps"),
    learningRate: fieldNumber("mg-lr"), text: own ? $("mg-data-text").value : null,
  };
}

// The fields and the hyper-parameter they set (microgpt.hparams.LIMITS): the page takes the
// ranges from Python (limits_json(), sent by the worker when it is ready), never from its own copy.
const FIELDS = { "mg-steps": "steps", "mg-seed": "seed", "mg-lr": "learning_rate", "mg-n": "samples" };

function applyLimits(limits) {
  S.limits = limits;
  for (const [id, name] of Object.entries(FIELDS)) {
    const limit = limits[name], el = $(id);
    if (!limit) continue;
    if (!limit.low_open) el.min = String(limit.low);
    el.max = String(name === "samples" ? Math.min(limit.high, 200) : limit.high);
    el.step = limit.whole ? "1" : "any";
  }
}

function checkSettings(s) {
  for (const [name, value] of [["steps", s.steps], ["seed", s.seed], ["learning rate", s.learningRate]]) {
    if (!Number.isFinite(value)) return `the ${name} must be a number: the field is empty or holds text`;
  }
  return null;
}

function setState(state) {
  S.state = state;
  const ready = !["loading", "error"].includes(state);
  $("mg-train").disabled = !ready || state === "training";
  $("mg-pause").disabled = state !== "training";
  $("mg-reset").disabled = !ready;
  $("mg-generate").disabled = !ready;
  $("mg-status").dataset.state = state;
}

function viridis(t) {
  t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  const ch = (c, k) => parseInt(c.slice(1 + 2 * k, 3 + 2 * k), 16);
  const mix = (k) => Math.round(ch(a, k) + f * (ch(b, k) - ch(a, k)));
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

function sizeCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return [ctx, w, h];
}

// ---------------------------------------------------------------- loss curve
function drawLoss() {
  const canvas = $("mg-loss-canvas");
  const [ctx, w, h] = sizeCanvas(canvas);
  const m = { l: 48, r: 22, t: 12, b: 36 };
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  const total = (S.info && S.info.steps) || 1000;
  const n = S.losses.length;
  let lo = n ? Math.floor(S.lossLow * 2) / 2 : 1.5;
  let hi = n ? Math.ceil(S.lossHigh * 2) / 2 : 3.5;
  if (hi - lo < 1) { lo = Math.max(0, hi - 1); }
  const x = (i) => m.l + (i / total) * (w - m.l - m.r);
  const y = (v) => m.t + (1 - (v - lo) / (hi - lo)) * (h - m.t - m.b);
  ctx.strokeStyle = "#cccccc";
  ctx.fillStyle = "#333333";
  ctx.lineWidth = 1;
  ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const ystep = hi - lo > 3 ? 1 : 0.5;
  for (let v = lo; v <= hi + 1e-9; v += ystep) {
    ctx.beginPath(); ctx.moveTo(m.l, y(v)); ctx.lineTo(w - m.r, y(v)); ctx.stroke();
    ctx.fillText(v.toFixed(1), m.l - 6, y(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xticks = 5;
  for (let k = 0; k <= xticks; k++) {
    const s = Math.round((k * total) / xticks);
    ctx.fillText(String(s), x(s), h - m.b + 6);
  }
  ctx.fillText("step", (m.l + w - m.r) / 2, h - 16);
  ctx.save();
  ctx.translate(12, (m.t + h - m.b) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("loss", 0, -6);
  ctx.restore();
  // At most about two points per pixel column, whatever the number of steps (100,000 draw as fast as 1,000):
  // each point is the mean of its bucket of steps (the raw line) or the smoothed loss at its last step.
  const bucket = Math.max(1, Math.ceil(n / Math.max(1, 2 * (w - m.l - m.r))));
  const line = (values, colour, width, mean) => {
    if (!n) return;
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.beginPath();
    for (let start = 0, k = 0; start < n; start += bucket, k++) {
      const end = Math.min(n, start + bucket);
      let v = values[end - 1];
      if (mean) { v = 0; for (let i = start; i < end; i++) v += values[i]; v /= end - start; }
      if (k) ctx.lineTo(x(end), y(v)); else ctx.moveTo(x(end), y(v));
    }
    ctx.stroke();
  };
  line(S.losses, RAW_COLOUR, 1, bucket > 1);
  line(S.smoothed, SMOOTH_COLOUR, 2.5, false);
}

function lossSummary() {
  const n = S.losses.length;
  const total = S.info ? S.info.steps : 0;
  if (!n) return `Step 0 of ${total}: not trained yet.`;
  return `Step ${n} of ${total}: loss ${fmt(S.losses[n - 1])}, smoothed ${fmt(S.smoothed[n - 1])}, ` +
    `${S.stepsPerSecond.toFixed(1)} steps per second.`;
}

function updateLossText() {
  setText("mg-step", String(S.losses.length));
  setText("mg-total", String(S.info ? S.info.steps : 0));
  setText("mg-rate", S.stepsPerSecond.toFixed(1));
  setText("mg-loss-last", S.losses.length ? fmt(S.losses[S.losses.length - 1]) : "–");
  setText("mg-loss-smooth", S.smoothed.length ? fmt(S.smoothed[S.smoothed.length - 1]) : "–");
  $("mg-loss-canvas").setAttribute("aria-label", "Loss curve. " + lossSummary());
  const body = $("mg-loss-table").tBodies[0];
  const n = S.losses.length, want = n ? [1] : [];
  for (let s = TABLE_EVERY; s <= n; s += TABLE_EVERY) want.push(s);
  if (n > 1 && n % TABLE_EVERY) want.push(n);
  // Rebuild only the changed tail (the last row is the current step).
  while (body.rows.length && Number(body.rows[body.rows.length - 1].dataset.step) !== want[body.rows.length - 1]) {
    body.deleteRow(body.rows.length - 1);
  }
  for (let k = body.rows.length; k < want.length; k++) {
    const s = want[k];
    const row = body.insertRow();
    row.dataset.step = String(s);
    for (const text of [String(s), fmt(S.losses[s - 1]), fmt(S.smoothed[s - 1])]) row.insertCell().textContent = text;
  }
}

let announced = 0;
function announce(force = false) {
  // The live region speaks at most every 5 seconds (and on pause / finish).
  const now = performance.now();
  if (force || now - announced > 5000) {
    setText("mg-train-live", lossSummary());
    announced = now;
  }
}

function addLosses(reply) {
  let ema = S.smoothed.length ? S.ema : 0;
  for (const loss of reply.losses) {
    S.losses.push(loss);
    if (!(loss >= S.lossLow)) S.lossLow = loss;
    if (!(loss <= S.lossHigh)) S.lossHigh = loss;
    ema = SMOOTHING * ema + (1 - SMOOTHING) * loss;
    S.smoothed.push(ema / (1 - SMOOTHING ** S.losses.length));
  }
  S.ema = ema;
  S.computeSeconds += reply.seconds;  // time spent inside Python's training steps
  const now = performance.now();
  rateWindow.push([now, reply.step]);
  while (rateWindow.length > 2 && now - rateWindow[0][0] > 2000) rateWindow.shift();
  if (rateWindow.length >= 2) {
    const [t0, s0] = rateWindow[0];
    S.stepsPerSecond = now > t0 ? ((reply.step - s0) * 1000) / (now - t0) : 0;
  } else if (reply.seconds > 0) {
    S.stepsPerSecond = reply.losses.length / reply.seconds;
  }
  dirty = true;
}

// ---------------------------------------------------------------- attention
function drawAttention() {
  const canvas = $("mg-attn-canvas");
  const [ctx, w, h] = sizeCanvas(canvas);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  const a = S.attention;
  const table = $("mg-attn-table");
  if (!a || a.error) return;
  const layer = Number($("mg-layer").value), head = Number($("mg-head").value);
  const map = a.maps[layer][head];
  const labels = a.labels;
  const T = labels.length;
  const m = { l: 44, t: 36, r: 56 };
  const cell = Math.max(6, Math.min(40, Math.floor((Math.min(w - m.l - m.r, h - m.t - 8)) / T)));
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#333333";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  labels.forEach((lab, j) => ctx.fillText(lab, m.l + j * cell + cell / 2, m.t - 4));
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  labels.forEach((lab, i) => ctx.fillText(lab, m.l - 6, m.t + i * cell + cell / 2));
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      ctx.fillStyle = j <= i ? viridis(map[i][j]) : "#f2f2f2";
      ctx.fillRect(m.l + j * cell, m.t + i * cell, cell - 1, cell - 1);
    }
  }
  // colour scale
  const bx = m.l + T * cell + 16, by = m.t, bh = T * cell;
  for (let k = 0; k < bh; k++) {
    ctx.fillStyle = viridis(1 - k / bh);
    ctx.fillRect(bx, by + k, 12, 1);
  }
  ctx.fillStyle = "#333333";
  ctx.textAlign = "left";
  ctx.fillText("1", bx + 16, by + 6);
  ctx.fillText("0", bx + 16, by + bh - 6);
  // the numbers, as a table
  table.innerHTML = "";
  const caption = table.createCaption();
  caption.textContent = `Attention weights of layer ${layer}, head ${head}, after step ${a.step}. ` +
    "Row: the position that looks; column: the position it looks at. Each row sums to 1.";
  const head_ = table.createTHead().insertRow();
  const corner = document.createElement("th");
  corner.textContent = "from \\ to";
  head_.appendChild(corner);
  labels.forEach((lab) => { const th = document.createElement("th"); th.scope = "col"; th.textContent = lab; head_.appendChild(th); });
  const body = table.createTBody();
  for (let i = 0; i < T; i++) {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = labels[i];
    row.appendChild(th);
    for (let j = 0; j < T; j++) row.insertCell().textContent = j <= i ? map[i][j].toFixed(2) : "";
  }
  canvas.setAttribute("aria-label", `Attention map of layer ${layer}, head ${head} for "${a.text}"; the numbers are in the table beside it.`);
}

function fillLayerHead(info) {
  const fill = (sel, n) => {
    const keep = Number(sel.value) || 0;
    sel.innerHTML = "";
    for (let i = 0; i < n; i++) sel.add(new Option(String(i), String(i)));
    sel.value = String(Math.min(keep, n - 1));
  };
  fill($("mg-layer"), info.nLayer);
  fill($("mg-head"), info.nHead);
}

function watchAttention() {
  if (!worker || S.state === "loading") return;
  worker.postMessage({ type: "watch", text: $("mg-attn-text").value });
}

function onAttention(msg) {
  if (msg.reply.error) {
    showMessage("mg-attn-msg", msg.reply.error);
    return;
  }
  showMessage("mg-attn-msg", "");
  S.attention = Object.assign({ text: msg.text }, msg.reply);
  drawAttention();
}

// ---------------------------------------------------------------- generate and probabilities
async function generate() {
  const n = fieldNumber("mg-n"), temperature = Number($("mg-temp").value);
  if (!Number.isFinite(n)) { showMessage("mg-gen-msg", "how many names: type a whole number"); return; }
  const reply = await request({ op: "generate", n, temperature });
  if (reply.error) { showMessage("mg-gen-msg", reply.error); return; }
  showMessage("mg-gen-msg", "");
  S.samples = reply.samples;
  const list = $("mg-samples");
  list.innerHTML = "";
  for (const s of reply.samples) {
    const li = document.createElement("li");
    li.textContent = s || "(empty)";
    list.appendChild(li);
  }
  setText("mg-samples-note", `${reply.samples.length} samples at temperature ${reply.temperature} after step ${reply.step}.`);
}

let probsBusy = false, probsAgain = false;
async function updateProbs() {
  if (!worker || S.state === "loading" || S.state === "error") return;
  if (probsBusy) { probsAgain = true; return; }  // the latest prefix / temperature wins
  probsBusy = true;
  probsAgain = false;
  try {
    const reply = await request({ op: "probs", prefix: $("mg-prefix").value, temperature: Number($("mg-temp").value) });
    if (reply.error) { showMessage("mg-probs-msg", reply.error); return; }
    showMessage("mg-probs-msg", "");
    S.probs = reply;
    const top = reply.probs.slice(0, 10);
    const list = $("mg-probs");
    list.innerHTML = "";
    for (const [label, p] of top) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "mg-bar-label";
      name.textContent = label;
      const track = document.createElement("span");
      track.className = "mg-bar-track";
      track.setAttribute("aria-hidden", "true");
      const bar = document.createElement("span");
      bar.className = "mg-bar";
      bar.style.width = `${(100 * p).toFixed(1)}%`;
      bar.style.background = BAR_COLOUR;
      track.appendChild(bar);
      const num = document.createElement("span");
      num.className = "mg-bar-num";
      num.textContent = `${(100 * p).toFixed(1)}%`;
      li.append(name, track, num);
      list.appendChild(li);
    }
    const shown = reply.prefix ? `"${reply.prefix}"` : "the start of a name";
    setText("mg-probs-note", `The ten most likely next letters after ${shown} at temperature ${reply.temperature}, ` +
      `after step ${reply.step} ("end" means the name stops).`);
  } finally {
    probsBusy = false;
    if (probsAgain) updateProbs();
  }
}

// ---------------------------------------------------------------- training controls
async function reset() {
  const s = settings();
  const bad = checkSettings(s);
  const msgId = s.text === null ? "mg-train-msg" : "mg-data-msg";
  showMessage("mg-train-msg", "");
  showMessage("mg-data-msg", "");
  if (bad) { showMessage("mg-train-msg", bad); return false; }
  worker.postMessage({ type: "pause" });
  const reply = await request(Object.assign({ op: "reset" }, s));
  if (reply.error) {
    showMessage(msgId, reply.error);
    setState(S.info ? "paused" : "ready");
    return false;
  }
  S.info = reply;
  S.settingsKey = JSON.stringify(s);
  S.losses = []; S.smoothed = []; S.ema = 0; S.lossLow = Infinity; S.lossHigh = -Infinity; S.stepsPerSecond = 0; S.computeSeconds = 0; rateWindow = [];
  $("mg-loss-table").tBodies[0].innerHTML = "";
  fillLayerHead(reply);
  const source = s.text === null ? "the names" : "your pasted list";
  setText("mg-run-info", `This run: ${reply.params.toLocaleString()} parameters, ${reply.docs.toLocaleString()} ` +
    `documents from ${source}, vocabulary of ${reply.vocab} (${reply.chars.length} characters + BOS), seed ${reply.seed}, ` +
    `engine "${reply.engine}".`);
  setState("ready");
  dirty = true;
  updateLossText();
  announce(true);
  watchAttention();
  updateProbs();
  return true;
}

async function train() {
  const key = JSON.stringify(settings());
  if (S.state === "done" || !S.info || (S.losses.length === 0 && key !== S.settingsKey)) {
    if (!(await reset())) return;
  } else if (key !== S.settingsKey) {
    showMessage("mg-train-msg", "The settings changed: this run goes on with the old ones. Press Reset to start with the new ones.");
  }
  rateWindow = [];
  setState("training");
  worker.postMessage({ type: "train" });
}

function onLosses(msg) {
  const reply = msg.reply;
  if (reply.losses && reply.losses.length) addLosses(reply);
  if (reply.error) {
    showMessage("mg-train-msg", reply.error);
    setState(S.info ? "paused" : "ready");
    announce(true);
    return;
  }
  if (reply.done) {
    setState("done");
    announce(true);
    updateProbs();
  } else if (!msg.training && S.state === "training") {
    setState("paused");
    announce(true);
  } else {
    announce();
  }
}

// ---------------------------------------------------------------- start-up
let lastDraw = 0;
function frame(now) {
  S.frames++;
  if (dirty && (S.state !== "training" || now - lastDraw > 100)) {
    lastDraw = now;
    dirty = false;
    drawLoss();
    updateLossText();
  }
  requestAnimationFrame(frame);
}

let lastProbsRefresh = 0;
function onMessage(event) {
  const msg = event.data;
  if (msg.type === "reply") {
    pending.get(msg.id)(msg.reply);
    pending.delete(msg.id);
  } else if (msg.type === "losses") {
    onLosses(msg);
  } else if (msg.type === "paused") {
    if (S.state === "training") { setState("paused"); announce(true); }
  } else if (msg.type === "attention") {
    onAttention(msg);
    if (S.state === "training" && performance.now() - lastProbsRefresh > 1000) {
      lastProbsRefresh = performance.now();
      updateProbs();
    }
  } else if (msg.type === "status") {
    setText("mg-status", msg.text);
  } else if (msg.type === "ready") {
    S.engine = msg.engine;
    applyLimits(msg.limits);
    setText("mg-status", `Ready: Python ${msg.python} (Pyodide ${msg.pyodideVersion}) in this browser, ` +
      `microgpt ${msg.microgpt}, engine "${msg.engine}". Nothing is sent to a server.`);
    setState("ready");
    reset();
  } else if (msg.type === "error") {
    // A failure outside any request (there is none by design): one line, and the page stays usable.
    S.errors.push(msg.text);
    showMessage("mg-train-msg", msg.text);
    if (S.state === "training") setState("paused");
  } else if (msg.type === "fatal") {
    S.errors.push(msg.text);
    setText("mg-status", `Something went wrong in the Python worker: ${msg.text}`);
    setState("error");
  }
}

// For tests: feed losses as the worker would and draw at once (tests/test_playground.py: 100,000 steps).
S.feed = (losses) => { addLosses({ losses, step: S.losses.length + losses.length, seconds: 0 }); drawLoss(); updateLossText(); };

async function main() {
  setState("loading");
  requestAnimationFrame(frame);
  window.addEventListener("resize", () => { dirty = true; drawAttention(); });
  worker = startWorker((text) => { setText("mg-status", text); setState("error"); }, onMessage, (event) => {
    S.errors.push(event.message || "worker error");
    setText("mg-status", `The Python worker could not start: ${event.message || "unknown error"}.`);
    setState("error");
  });
  if (!worker) return;

  $("mg-train").addEventListener("click", train);
  $("mg-pause").addEventListener("click", () => worker.postMessage({ type: "pause" }));
  $("mg-reset").addEventListener("click", reset);
  $("mg-generate").addEventListener("click", generate);
  $("mg-attn-text").addEventListener("input", watchAttention);
  $("mg-layer").addEventListener("change", drawAttention);
  $("mg-head").addEventListener("change", drawAttention);
  $("mg-prefix").addEventListener("input", updateProbs);
  $("mg-temp").addEventListener("input", () => {
    setText("mg-temp-value", Number($("mg-temp").value).toFixed(2));
    updateProbs();
  });
}

main();
