// Pyodide's standard library with its start-up modules precompiled (run by book/_ext/playground_assets.py).
//
//   node book/_ext/pyc_stdlib.mjs <pyodide dir> <out.zip> '<JSON list of stdlib modules>'
//
// Pyodide's python_stdlib.zip holds only .py sources, so every page load compiles each module Python
// imports on start-up (~190 of them: Pyodide's own bootstrap, then what microgpt uses) from source, in
// WebAssembly: most of loadPyodide's time. This loads that Pyodide in Node, imports the modules named,
// and writes a copy of python_stdlib.zip that also holds, next to each module imported by then, its
// bytecode (module.pyc, compiled by this very Python, so the magic number matches; unchecked-hash pycs
// so no timestamp is involved). zipimport prefers module.pyc to module.py; the sources stay (tracebacks,
// inspect), and every other module is compiled from source as before.
import fs from "node:fs";
import path from "node:path";

const [dir, out, modulesJSON] = process.argv.slice(2);
const { loadPyodide } = await import(path.resolve(dir, "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: path.resolve(dir) + "/" });
pyodide.globals.set("wanted", JSON.parse(modulesJSON || "[]"));
const zipped = pyodide.runPython(`
import importlib, io, marshal, sys, zipfile
import importlib.util

for name in wanted:
    try:
        importlib.import_module(name)
    except Exception:  # not in Pyodide (e.g. tkinter): stays uncompiled
        pass
stdlib = next(p for p in sys.path if p.endswith(".zip"))
src = zipfile.ZipFile(stdlib)
names = set(src.namelist())
compiled = {}
for module in list(sys.modules.values()):
    file = getattr(module, "__file__", None) or ""
    if file.startswith(stdlib + "/") and file.endswith(".py"):
        inner = file[len(stdlib) + 1:]
        if inner in names:
            source = src.read(inner)
            code = compile(source, file, "exec", dont_inherit=True)
            # The pyc layout (PEP 552): magic, flags 0b01 (hash-based, unchecked), source hash, code.
            compiled[inner + "c"] = (importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little")
                                     + importlib.util.source_hash(source) + marshal.dumps(code))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for info in src.infolist():
        z.writestr(info, src.read(info.filename))
        if info.filename + "c" in compiled:
            pyc = zipfile.ZipInfo(info.filename + "c", date_time=info.date_time)
            pyc.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(pyc, compiled[info.filename + "c"])
print(f"{len(compiled)} of {len(names)} stdlib files precompiled", file=sys.stderr)
buf.getvalue()
`);
const tmp = `${out}.${process.pid}.tmp`;  // per process: two book builds at once may both get here
fs.writeFileSync(tmp, zipped.toJs());
fs.renameSync(tmp, out);
