// Starting the book's Python worker (worker.mjs), for the playground page and the chapter widgets alike.
// Pages with Python start it from a small inline script in their <head> (BOOT_JS in
// book/_ext/playground_assets.py), before the page's other scripts, so Pyodide loads while the page does;
// that script keeps the worker's messages in window.mgBoot until startWorker hands them to the page.
// startWorker(fail, onmessage, onerror) returns the worker (already sent its "init" message), or null
// after calling fail(one line) with the reason Python cannot start here and what to do about it.
// Call it synchronously (no await before using the worker): the handlers may run from the next microtask on.
const BASE = new URL(".", import.meta.url);

export function startWorker(fail, onmessage, onerror) {
  if (location.protocol === "file:") {
    fail("Python in the browser needs the book served over HTTP (in the repository: make serve), not opened as a file.");
    return null;
  }
  const boot = window.mgBoot;
  if (boot && boot.worker && !boot.taken) {
    boot.taken = true;
    // Once the caller holds the worker (a microtask: before any further message event), deliver what came
    // before the page was listening, in order, then listen directly.
    queueMicrotask(() => {
      for (const [kind, event] of boot.queue.splice(0)) (kind === "error" ? onerror : onmessage)(event);
      boot.worker.onmessage = onmessage;
      boot.worker.onerror = onerror;
    });
    return boot.worker;
  }
  const worker = new Worker(new URL("worker.mjs", BASE), { type: "module" });
  worker.onmessage = onmessage;
  worker.onerror = onerror;
  worker.postMessage({ type: "init", configURL: new URL("config.json", BASE).href });
  return worker;
}
