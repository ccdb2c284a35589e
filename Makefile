# One command to set up and run, one to set up and test. Needs only Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run run-http test lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "pmtip needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
	  echo "Run it with a newer one, e.g.: make $(MAKECMDGOALS) PYTHON=python3.12"; exit 2; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  echo "$(PYTHON) has no venv support; on Debian/Ubuntu: sudo apt-get install python3-venv"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)  ## Socket Mode, with the weekly scheduler in the same process
	$(BIN)/python -m bot

run-http: $(STAMP)
	$(BIN)/python -m bot http

lint: $(STAMP)
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/python -m bot validate content/tips.yaml

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)  ## every benchmark, full length (several minutes); results in benchmarks/results/
	for b in dispatch http_load startup fanout catalogue lookup; do $(BIN)/python benchmarks/$$b.py || exit 1; done

format: $(STAMP)
	$(BIN)/ruff format bot tests benchmarks
	$(BIN)/ruff check --fix bot tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
