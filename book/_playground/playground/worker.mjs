// The playground's module Web Worker: Pyodide + the microgpt wheel + session.py.
// Training runs here in short chunks (about 40 ms each), so the page stays
// responsive and Pause / attention / generate requests are answered between chunks.
// Messages in:  {type: "init", config, configURL} | {type: "request", id, body} |
//               {type: "train"} | {type: "pause"} | {type: "watch", text}
// Messages out: {type: "status", text} | {type: "ready", ...} | {type: "reply", id, reply} |
//               {type: "losses", ...} | {type: "paused"} | {type: "attention", ...} | {type: "fatal", text}

let pyodide = null;
let dispatch = null;
let training = false;
let watchText = "emma";
let lastAttention = 0;
const ATTENTION_EVERY_MS = 250;

// A zero-delay yield to the event loop (setTimeout(0) is clamped to 4 ms when nested).
const channel = new MessageChannel();
const resolvers = [];
channel.port1.onmessage = () => resolvers.shift()();
const yieldToEvents = () => new Promise((resolve) => { resolvers.push(resolve); channel.port2.postMessage(0); });

function call(body) {
  return JSON.parse(dispatch(JSON.stringify(body)));
}

async function init(config, configURL) {
  const indexURL = new URL(config.indexURL, configURL).href;
  postMessage({ type: "status", text: `Loading Python (Pyodide ${config.pyodideVersion})…` });
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(indexURL + "pyodide.mjs"));
  } catch (err) {
    // Usually: no network to reach the CDN. Say how to get a copy that needs none.
    throw new Error(`could not load Python (Pyodide) from ${indexURL}. If you are offline, rebuild the book `
      + "with a local copy: make book PYODIDE=local, then make serve");
  }
  pyodide = await loadPyodide({ indexURL });
  postMessage({ type: "status", text: "Installing the microgpt package…" });
  await pyodide.loadPackage(new URL(config.wheel, configURL).href, { messageCallback: () => {} });
  const source = await (await fetch(new URL("session.py", configURL))).text();
  pyodide.FS.writeFile("/home/pyodide/playground_session.py", source);
  pyodide.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
  const module = pyodide.pyimport("playground_session");
  dispatch = module.dispatch;
  const python = pyodide.runPython("import sys; sys.version.split()[0]");
  const version = pyodide.runPython("import microgpt; microgpt.__version__");
  const engine = module.best_engine();
  postMessage({ type: "ready", python, microgpt: version, engine, pyodideVersion: config.pyodideVersion });
}

function sendAttention() {
  const reply = call({ op: "attention", text: watchText });
  postMessage({ type: "attention", text: watchText, reply });
  lastAttention = performance.now();
}

async function trainLoop() {
  while (training) {
    const reply = call({ op: "run", budgetMs: 40 });
    if (reply.error) {
      training = false;
      postMessage({ type: "losses", reply });
      break;
    }
    if (reply.done) training = false;
    postMessage({ type: "losses", reply, training });
    if (reply.done || performance.now() - lastAttention > ATTENTION_EVERY_MS) sendAttention();
    await yieldToEvents();
  }
}

onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      await init(msg.config, msg.configURL);
    } else if (msg.type === "request") {
      const reply = call(msg.body);
      postMessage({ type: "reply", id: msg.id, reply });
    } else if (msg.type === "train") {
      if (!training) {
        training = true;
        trainLoop();
      }
    } else if (msg.type === "pause") {
      training = false;  // the loop stops before its next slice
      postMessage({ type: "paused" });
    } else if (msg.type === "watch") {
      watchText = msg.text;
      sendAttention();
    }
  } catch (err) {
    training = false;
    postMessage({ type: "fatal", text: String(err && err.message ? err.message : err) });
  }
};
