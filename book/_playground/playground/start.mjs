// Starting the book's Python worker (worker.mjs), for the playground page and the chapter widgets alike.
// Returns the worker (already sent its "init" message), or null after calling fail(one line) with the
// reason Python cannot start here and what to do about it.
const CONFIG_URL = new URL("config.json", import.meta.url);

export async function startWorker(fail) {
  if (location.protocol === "file:") {
    fail("Python in the browser needs the book served over HTTP (in the repository: make serve), not opened as a file.");
    return null;
  }
  let config;
  try {
    const response = await fetch(CONFIG_URL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = await response.json();
  } catch (err) {
    fail(`could not read the Python worker's configuration (${err.message}); rebuild the book (make book).`);
    return null;
  }
  const worker = new Worker(new URL("worker.mjs", import.meta.url), { type: "module" });
  worker.postMessage({ type: "init", config, configURL: CONFIG_URL.href });
  return worker;
}
