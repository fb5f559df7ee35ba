# The microgpt book. `make book` builds it, `make test` runs every test.
# Everything runs inside .venv, created on first use.

PYTHON ?= python3
PORT   ?= 8000
# Another Python: make test-core PYTHON=/path/to/python3.13 VENV=.venv-3.13
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Tools (jupyter-book, jupyter, pytest) and notebook kernels come from the venv.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Same hash seed for `make notebooks` and `make test`, so stored outputs reproduce.
export PYTHONHASHSEED := 0
# With MPLBACKEND=Agg, plt.show() shows nothing and the stored figures would not match.
unexport MPLBACKEND

# Where the playground page (book/playground.md) loads Pyodide from: `cdn` (default,
# Pyodide's official CDN) or `local` (`make book PYODIDE=local`: the npm package,
# fetched by `make pyodide`, is copied into the built book; no network at view time).
PYODIDE ?= cdn
ifeq ($(strip $(PYODIDE)),)
PYODIDE := cdn
endif
export PYODIDE
ifeq ($(filter $(PYODIDE),cdn local),)
$(error PYODIDE=$(PYODIDE): use cdn (the default) or local)
endif
# PYODIDE_VERSION and PYODIDE_INTEGRITY: written once, in book/_ext/pyodide.env (the book build reads it too).
include book/_ext/pyodide.env
PYODIDE_DIR       := .cache/pyodide-$(PYODIDE_VERSION)
PYODIDE_STAMP     := $(PYODIDE_DIR)/.verified
AXE_STAMP         := node_modules/axe-core/axe.min.js
# The wheels JupyterLite needs beside the book's own (book/_ext/lite-wheels.txt, sha256-pinned).
LITE_WHEELS       := .cache/lite-wheels/.verified

# $(call npm-fetch,package,version,sha512 integrity,folder): npm's tarball of one pinned release,
# checked against its integrity before it is unpacked into the folder.
define npm-fetch
	rm -rf $(4) && mkdir -p $(4)
	cd $(4) && npm pack --silent $(1)@$(2) >/dev/null
	$(PYTHON) -c "import base64, hashlib, sys; d = open(sys.argv[1], 'rb').read(); \
	got = 'sha512-' + base64.b64encode(hashlib.sha512(d).digest()).decode(); \
	sys.exit(0 if got == sys.argv[2] else sys.argv[3] + ' tarball: integrity mismatch: ' + got)" \
		$(4)/$(1)-$(2).tgz '$(3)' $(1)
	tar -xzf $(4)/$(1)-$(2).tgz -C $(4) --strip-components=1
	rm $(4)/$(1)-$(2).tgz
endef

.PHONY: all venv book pdf widgets-js node_modules test test-core lab serve notebooks notebook sync pyodide lite-wheels clean distclean student grade slides reveal syllabus-times

all: book

venv: $(STAMP)

# Reinstall only when a requirements file (or the package metadata) changes.
$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: PYTHON=$(PYTHON) is not a program: name a Python 3.10-3.13 (e.g. PYTHON=python3.12)" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-test.txt
	$(BIN)/python -m pip install --disable-pip-version-check -e .
	touch $@

# --all: an incremental Sphinx build can keep stale copies of changed static files
# (the widget, MathJax and playground scripts); a full build takes seconds, as the
# notebooks are not executed (execute_notebooks: off).
book: $(STAMP) $(LITE_WHEELS) $(if $(filter local,$(PYODIDE)),$(PYODIDE_STAMP))
	$(BIN)/jupyter-book build --all .
	@echo
	@echo "The book is built. Open it in a browser:"
	@echo "    file://$(CURDIR)/_build/html/index.html"
	@echo "For the in-browser playground, serve it over HTTP instead:  make serve"

# One pytest run: unit tests, strict nbval on every notebook, and the
# warnings-as-errors book build (tests/test_book.py).
# The playground tests need Pyodide (fetched with npm when npm is there; without it
# they skip, or fail under CI=true).
test: $(STAMP) $(LITE_WHEELS) $(if $(shell command -v npm),$(PYODIDE_STAMP) $(AXE_STAMP))
	$(BIN)/pytest -n 2 --dist loadfile --nbval --nbval-sanitize-with nbval_sanitize.cfg \
		-p no:cacheprovider tests notebooks

# The same, without the tests that need the built book or a browser (marked `book` in
# tests/conftest.py): what .ci/run also runs on the newest Python the README names.
test-core: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile --nbval --nbval-sanitize-with nbval_sanitize.cfg \
		-p no:cacheprovider -m "not book" tests notebooks

# The whole book as one PDF, _build/pdf/microgpt-book.pdf: the single-page HTML build, printed by
# headless Chromium with the book's print stylesheet (no TeX). Needs /usr/bin/chromium.
# Then the HTML book is rebuilt: it links the PDF ("Download the PDF", in the sidebar) once it exists.
pdf: $(STAMP)
	$(BIN)/jupyter-book build --all --builder singlehtml .
	$(BIN)/python scripts/book_pdf.py _build/singlehtml _build/pdf/microgpt-book.pdf
	$(BIN)/jupyter-book build --all .
	@echo "The PDF: $(CURDIR)/_build/pdf/microgpt-book.pdf (also linked from the HTML book)"

# The stored-widget renderer the book serves (book/_widgets/widgets/widgets.js and .css), rebuilt from
# book/_widgets_src/ with the npm packages pinned in package.json / package-lock.json (esbuild; no network
# once node_modules/ is installed). The built files are committed, so `make book` needs no Node.
WIDGETS_OUT ?= book/_widgets/widgets
widgets-js: $(AXE_STAMP)
	node_modules/.bin/esbuild book/_widgets_src/widgets.mjs --bundle --minify --format=iife --target=es2020 \
		--legal-comments=external --outfile=$(WIDGETS_OUT)/widgets.js
	node_modules/.bin/esbuild book/_widgets_src/widgets.css --bundle --minify --legal-comments=none \
		--outfile=$(WIDGETS_OUT)/widgets.css

# (--allow-root only when run as root, e.g. inside a container)
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

serve:
	@test -f _build/html/index.html || $(MAKE) book
	@echo "Serving _build/html at http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# Re-execute every notebook in place (or one: `make notebook NB=08_training`). Outputs (and widget
# state, for the static book) come only from executing; `scripts/notebooks.py clean` then drops
# execution timestamps and numbers the widget ids, so a re-run changes only what really changed.
EXECUTE = $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	--ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.record_timing=False

notebooks: $(STAMP)
	set -e; for nb in notebooks/*.ipynb; do echo "executing $$nb"; $(EXECUTE) "$$nb"; done
	$(BIN)/python scripts/notebooks.py clean
	$(BIN)/python scripts/notebooks.py twins

notebook: $(STAMP)
	@test -n "$(NB)" || { echo "make notebook: say which, e.g. make notebook NB=08_training" >&2; exit 2; }
	@test -f notebooks/$(NB).ipynb || { echo "make notebook: no notebooks/$(NB).ipynb (names look like 08_training)" >&2; exit 2; }
	$(BIN)/python scripts/notebooks.py sync $(NB)
	$(EXECUTE) notebooks/$(NB).ipynb
	$(BIN)/python scripts/notebooks.py clean $(NB)
	$(BIN)/python scripts/notebooks.py twins $(NB)

# After editing a text twin (notebooks/text/*.md): carry the edit into the notebooks (outputs of
# unchanged cells kept; run `make notebook NB=...` to execute the changed ones).
sync: $(STAMP)
	$(BIN)/python scripts/notebooks.py sync $(NB)

# Pyodide's core runtime from the npm registry (pinned version, checked against the
# pinned sha512), unpacked into a git-ignored cache. The tests serve the book with it.
pyodide: $(PYODIDE_STAMP)

$(PYODIDE_STAMP):
	$(call npm-fetch,pyodide,$(PYODIDE_VERSION),$(PYODIDE_INTEGRITY),$(PYODIDE_DIR))
	touch $@

# The pure-Python wheels JupyterLite needs (Pyodide 314 = Python 3.14), from PyPI, checked against
# the sha256 pinned in book/_ext/lite-wheels.txt. With PYODIDE=local they make JupyterLite boot offline.
lite-wheels: $(LITE_WHEELS)

$(LITE_WHEELS): book/_ext/lite-wheels.txt $(STAMP)
	rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(BIN)/python -m pip download --disable-pip-version-check -q --no-deps --only-binary :all: \
		--python-version 3.14 --require-hashes -r book/_ext/lite-wheels.txt -d $(dir $@)
	touch $@

# ---- The teacher's kit (CONTRIBUTING.md, "Exercises"; README, "Teaching with the book") ----
# The student edition of every chapter: solutions, hidden tests and solution texts removed.
STUDENT_OUT ?= _build/student
student: $(STAMP)
	$(BIN)/python scripts/editions.py student --out $(STUDENT_OUT)

# Autograde a folder of submissions (one sub-folder per student). THIS RUNS THE STUDENTS' CODE:
# each notebook in its own process on a scratch copy, with time, output and memory limits (see README).
GRADES ?= _build/grades
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "make grade: say which folder, e.g. make grade SUBMISSIONS=submissions" >&2; exit 2; }
	$(BIN)/python scripts/grade.py "$(SUBMISSIONS)" --out "$(GRADES)"

# One reveal.js deck per chapter in _build/html/slides/ (the book links them), reveal.js from the
# npm registry (pinned, checked against its sha512), served from the decks' own folder: works offline.
REVEAL_VERSION   := 5.2.1
REVEAL_INTEGRITY := sha512-r7//6mIM5p34hFiDMvYfXgyjXqGRta+/psd9YtytsgRlrpRzFv4RbH76TXd2qD+7ZPZEbpBDhdRhJaFgfQ7zNQ==
REVEAL_DIR       := .cache/reveal.js-$(REVEAL_VERSION)
REVEAL_STAMP     := $(REVEAL_DIR)/.verified
slides: $(STAMP) $(REVEAL_STAMP)
	$(BIN)/python scripts/slides.py --reveal $(REVEAL_DIR) --out _build/html/slides

reveal: $(REVEAL_STAMP)

$(REVEAL_STAMP):
	$(call npm-fetch,reveal.js,$(REVEAL_VERSION),$(REVEAL_INTEGRITY),$(REVEAL_DIR))
	touch $@

# Measure each chapter's execution time for the syllabus (executes every notebook once; slow).
syllabus-times: $(STAMP)
	$(BIN)/python scripts/syllabus.py measure $(NB)

# axe-core, the accessibility checker the browser tests run (pinned in package.json and
# package-lock.json), into the git-ignored node_modules/.
node_modules: $(AXE_STAMP)

$(AXE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

clean:
	rm -rf _build .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
