# The two set-up commands of the README: `make run` and `make test`.
# Each creates .venv and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the engine on its embedded default: Temporal dev server + UI, SQLite store, worker, API, demo.
run: $(STAMP)
	$(BIN)/journeys dev

## Lint, type-check and run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m tests.run_suite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .journeys .mypy_cache .pytest_cache .ruff_cache
