# Everything a fresh machine needs, from Python and a C compiler (durable-rules compiles).
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= test,dev
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

demo: $(VENV)/.installed          ## the main job: check the shipped policy, evaluate the example counties
	$(BIN)/civpolicy check
	$(BIN)/civpolicy evaluate examples/county-2022.yaml --format table
	$(BIN)/civpolicy evaluate examples/county-2022-scores.yaml --format table

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint                        ## ruff, mypy, then every test
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) build dist
