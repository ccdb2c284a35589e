# One command to set up and run, one to set up and test. Needs only Python 3.11+.
# Everything is installed from the lock files (requirements*.txt, hash-checked), the
# same pins Heroku installs; `make lock` regenerates them after pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Heroku's Python (.python-version) and what pyproject.toml allows: the locks resolve
# for it, on every platform (markers decide the rest).
LOCK := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" --quiet

.PHONY: setup run playground screenshot run-http test lint format bench lock clean

$(STAMP): requirements-dev.txt requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "pmtip needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
	  echo "Run it with a newer one, e.g.: make $(MAKECMDGOALS) PYTHON=python3.12"; exit 2; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  echo "$(PYTHON) has no venv support; on Debian/Ubuntu: sudo apt-get install python3-venv"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	@# The app runs from the checkout, as on Heroku (no install of pmtip itself); this
	@# lets scripts and tests started elsewhere import it too.
	$(BIN)/python -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "pmtip-checkout.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)  ## the bot (Socket Mode + weekly scheduler) with Slack credentials; else the playground
	$(BIN)/python -m bot run

playground: $(STAMP)  ## pmtip in a browser at http://127.0.0.1:$${PORT:-3000}/, without Slack
	$(BIN)/python -m bot playground

screenshot: $(STAMP)  ## refresh docs/playground.png (needs: apt-get install chromium chromium-driver)
	PMTIP_UPDATE_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/playground/test_browser.py -k screenshot

run-http: $(STAMP)
	$(BIN)/python -m bot http

lint: $(STAMP)
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/mypy  # strict, for bot/ ([tool.mypy] in pyproject.toml)
	$(BIN)/python -m bot validate content/tips.yaml

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)  ## every benchmark, full length (several minutes); results in benchmarks/results/
	for b in dispatch http_load startup fanout workspaces installs catalogue lookup search_eval; do $(BIN)/python benchmarks/$$b.py || exit 1; done

lock: $(STAMP)  ## after editing dependencies in pyproject.toml: rewrite both lock files
	$(LOCK) -o requirements.txt
	$(LOCK) --extra dev -c requirements.txt -o requirements-dev.txt

format: $(STAMP)
	$(BIN)/ruff format bot tests benchmarks
	$(BIN)/ruff check --fix bot tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
