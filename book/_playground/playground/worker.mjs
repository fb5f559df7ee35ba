// The book's one Python worker module (a module Web Worker): Pyodide + the microgpt wheel.
// The playground page and every chapter page with a live widget start this same file;
// all Python runs here, in microgpt/session.py (`dispatch`: one JSON request in, one JSON reply out).
// Training runs in slices (about 100 ms, several steps each: one message per slice, not per step),
// so the page stays responsive and Pause / attention / generate requests are answered between slices.
// Messages in:  {type: "init", config, configURL} | {type: "request", id, body, fetch?} |
//               {type: "train", session?} | {type: "pause"} | {type: "watch", text, session?}
// Messages out: {type: "status", text} | {type: "ready", ...} | {type: "reply", id, reply} |
//               {type: "losses", reply, training} | {type: "paused"} | {type: "attention", ...} |
//               {type: "fatal", text}
// Every request gets a reply: {error: "<one line>"} when anything fails, and the worker carries on.

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

async function init(config, configURL) {
  const phases = {}, t0 = performance.now(), mark = (name) => { phases[name] = Math.round(performance.now() - t0); };
  const indexURL = new URL(config.indexURL, configURL).href;
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
  pyodide = await loadPyodide({ indexURL });
  mark("loadPyodide");
  postMessage({ type: "status", text: "Installing the microgpt package…" });
  await pyodide.loadPackage(new URL(config.wheel, configURL).href, { messageCallback: () => {} });
  mark("wheel");
  const session = pyodide.pyimport("microgpt.session");
  mark("import");
  dispatch = session.dispatch;
  const python = pyodide.runPython("import sys; sys.version.split()[0]");
  const version = pyodide.runPython("import microgpt; microgpt.__version__");
  const limits = call({ op: "limits" }).limits;
  postMessage({ type: "ready", python, microgpt: version, engine: session.best_engine(),
    pyodideVersion: config.pyodideVersion, limits, phases });
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

async function fetchInto(path, url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url} (HTTP ${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
  pyodide.FS.writeFile(path, bytes);
}

async function onRequest(msg) {
  let reply;
  try {
    await ready;
    if (msg.fetch) await fetchInto(msg.body.path, msg.fetch);
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
