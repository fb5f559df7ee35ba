// The book's one Python worker module (a module Web Worker): Pyodide + the microgpt wheel.
// The playground page and every chapter page with a live widget start this same file;
// all Python runs here, in microgpt/session.py (`dispatch`: one JSON request in, one JSON reply out).
// Training runs in slices (about 100 ms, several steps each: one message per slice, not per step),
// so the page stays responsive and Pause / attention / generate requests are answered between slices.
// Messages in:  {type: "init", configURL, config?} (the worker reads config.json itself unless given it) | {type: "request", id, body, fetch?} |
//               {type: "train", session?} | {type: "pause"} | {type: "watch", text, session?}
// Messages out: {type: "status", text} | {type: "ready", ...} | {type: "reply", id, reply} |
//               {type: "losses", reply, training} | {type: "paused"} | {type: "attention", ...} |
//               {type: "fatal", text}
// Every request gets a reply: {error: "<one line>"} when anything fails, and the worker carries on.

// Start-up marks (performance.mark, and absolute times so the page can put them on its own clock):
// sent with "ready" as `marks` ({name: ms since the epoch}), read by benchmarks/playground_speed.py.
const marks = {};
function mark(name) {
  performance.mark(name);
  marks[name] = performance.timeOrigin + performance.now();
}
mark("worker start");
// Pyodide compiles its wasm with WebAssembly.instantiateStreaming: time it (the result is passed through).
const instantiateStreaming = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = async (...args) => {
  mark("wasm compile start");
  try { return await instantiateStreaming(...args); } finally { mark("wasm compiled"); }
};
function resourceMarks() {
  for (const e of performance.getEntriesByType("resource")) {
    const name = e.name.split("/").pop();
    marks[`fetch ${name}`] = performance.timeOrigin + e.startTime;
    marks[`fetched ${name}`] = performance.timeOrigin + e.responseEnd;
  }
}

let pyodide = null;
let dispatch = null;
let ready = null;          // a promise: resolves when Python is ready, rejects with the reason it cannot start
let training = false;
let trainSession = "main";
let watchText = "emma";
let lastAttention = 0;
const ATTENTION_EVERY_MS = 250;
const SLICE_MS = 100;

// A zero-delay yield to the event loop (setTimeout(0) is clamped to 4 ms when nested).
const channel = new MessageChannel();
const resolvers = [];
channel.port1.onmessage = () => resolvers.shift()();
const yieldToEvents = () => new Promise((resolve) => { resolvers.push(resolve); channel.port2.postMessage(0); });

function oneLine(err) {
  const text = String(err && err.message ? err.message : err).trim();
  const lines = text.split("\n").filter((l) => l.trim());
  // A Python traceback: its last line names the exception.
  return (lines.length ? lines[lines.length - 1] : "unknown error").slice(0, 300);
}

function call(body) {
  try {
    return JSON.parse(dispatch(JSON.stringify(body)));
  } catch (err) {  // dispatch never raises; this is Pyodide itself failing (e.g. out of memory)
    return { op: body.op, error: `the Python worker failed: ${oneLine(err)}` };
  }
}

async function readConfig(configURL) {
  try {
    const response = await fetch(configURL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch (err) {
    throw new Error(`could not read the Python worker's configuration (${err.message}); rebuild the book (make book)`);
  }
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url} (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

// Everything start-up needs is requested at once, in parallel: Pyodide's files (by loadPyodide), the
// microgpt wheel, and (onRequest) each widget's checkpoint; Python then runs only what the first render needs.
async function init(config, configURL) {
  mark("init");
  config = config || await readConfig(configURL);
  mark("config");
  const indexURL = new URL(config.indexURL, configURL).href;
  const wheelURL = new URL(config.wheel, configURL).href;
  const wheel = fetchBytes(wheelURL);
  wheel.catch(() => {});  // awaited (and reported) below, after Pyodide
  postMessage({ type: "status", text: `Loading Python (Pyodide ${config.pyodideVersion})…` });
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(indexURL + "pyodide.mjs"));
  } catch (err) {
    // Usually: no network to reach the CDN. Say how to get a copy that needs none.
    throw new Error(`could not load Python (Pyodide) from ${indexURL}: offline? Rebuild the book with `
      + "a local copy (make book PYODIDE=local) and serve it (make serve)");
  }
  mark("pyodide.mjs");
  // stdLib: the standard library with its start-up modules precompiled (book/_ext/pyc_stdlib.mjs), when built.
  const options = { indexURL };
  if (config.stdLib) options.stdLibURL = new URL(config.stdLib, configURL).href;
  pyodide = await loadPyodide(options);
  mark("loadPyodide");
  postMessage({ type: "status", text: "Installing the microgpt package…" });
  // A pure-Python wheel is a zip: unpacked straight into site-packages (what loadPackage does for it,
  // without reading Pyodide's package lock). Its .dist-info comes along, so the metadata is there too.
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  pyodide.unpackArchive(await wheel, "wheel", { extractDir: sitePackages });
  mark("wheel");
  const session = pyodide.pyimport("microgpt.session");
  mark("import");
  dispatch = session.dispatch;
  const python = pyodide.runPython("import sys; sys.version.split()[0]");
  const version = pyodide.runPython("import microgpt; microgpt.__version__");
  const limits = call({ op: "limits" }).limits;
  mark("ready");
  resourceMarks();
  postMessage({ type: "ready", python, microgpt: version, engine: session.best_engine(),
    pyodideVersion: config.pyodideVersion, limits, marks });
}

function sendAttention() {
  const reply = call({ op: "attention", text: watchText, session: trainSession });
  postMessage({ type: "attention", text: watchText, reply });
  lastAttention = performance.now();
}

async function trainLoop() {
  while (training) {
    const reply = call({ op: "run", budgetMs: SLICE_MS, session: trainSession });
    if (reply.error || reply.done) training = false;
    postMessage({ type: "losses", reply, training });
    if (reply.error) break;
    if (reply.done || performance.now() - lastAttention > ATTENTION_EVERY_MS) sendAttention();
    await yieldToEvents();
  }
}

function writeFile(path, bytes) {
  pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
  pyodide.FS.writeFile(path, bytes);
}

// A request may come before Python is ready (the pages send their checkpoints' loads at once): its
// download starts now, alongside Pyodide's, and the request runs when Python is ready.
async function onRequest(msg) {
  let reply;
  const bytes = msg.fetch ? fetchBytes(msg.fetch) : null;
  if (bytes) bytes.catch(() => {});  // awaited below
  try {
    await ready;
    if (bytes) writeFile(msg.body.path, await bytes);
    reply = call(msg.body);
  } catch (err) {
    reply = { op: msg.body && msg.body.op, error: oneLine(err) };
  }
  postMessage({ type: "reply", id: msg.id, reply });
}

onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      ready = init(msg.config, msg.configURL);
      await ready;
    } else if (msg.type === "request") {
      await onRequest(msg);
    } else if (msg.type === "train") {
      await ready;
      trainSession = msg.session || "main";
      if (!training) {
        training = true;
        trainLoop();
      }
    } else if (msg.type === "pause") {
      training = false;  // the loop stops before its next slice
      postMessage({ type: "paused" });
    } else if (msg.type === "watch") {
      await ready;
      watchText = msg.text;
      if (msg.session) trainSession = msg.session;
      sendAttention();
    }
  } catch (err) {
    training = false;
    postMessage({ type: msg.type === "init" ? "fatal" : "error", text: oneLine(err) });
  }
};
