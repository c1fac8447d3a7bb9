# Everything a fresh machine needs, from Python and a C compiler (durable-rules compiles).
PYTHON ?= python3
VENV ?= .venv
# authoring: hypothesis, for `civpolicy test` and the property tests; test: pytest, xdist, jsonschema;
# dev: ruff, mypy, import-linter. An integrator's `pip install civpolicy` needs none of them.
EXTRAS ?= authoring,test,dev
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

# The venv is keyed on the interpreter: the stamp records the version and real path of
# $(PYTHON) and the extras installed, so `PYTHON=python3.13 make test` never reuses a venv
# another Python made (pyenv shims and `python3` resolve to a real path that names the
# version): it makes $(VENV) again for the new one. The cost is one `$(PYTHON) -c` per make
# run. One .venv, not one per version, so the README's paths hold; VENV=.venv-3.12 keeps
# venvs side by side (as `.ci/run` does).
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),demo)),)
PY_ID := $(shell $(PYTHON) -c 'import os, sys; sys.version_info >= (3, 11) and print(sys.version.split()[0], os.path.realpath(sys.executable))' 2>/dev/null)
ifeq ($(PY_ID),)
$(error PYTHON=$(PYTHON) does not run here, or is older than Python 3.11: set PYTHON to another (a path will do))
endif
endif
WANT := $(PY_ID) [$(EXTRAS)]
HAVE := $(shell cat $(STAMP) 2>/dev/null)
# A stamp that says otherwise makes the stamp out of date whatever its time.
ifneq ($(HAVE),$(WANT))
.PHONY: $(STAMP)
endif
# Another interpreter's venv is emptied first (--clear); other extras are added in place.
SAME_PYTHON := $(findstring $(PY_ID) [,$(HAVE))

$(STAMP): pyproject.toml
	@echo "make: $(VENV) for Python $(WANT)$(if $(HAVE), (was $(HAVE)))"
	$(PYTHON) -m venv $(if $(SAME_PYTHON),,--clear) $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	echo '$(WANT)' > $@

demo: $(STAMP)                    ## the main job: check the shipped policy, evaluate the example counties
	$(BIN)/civpolicy check
	$(BIN)/civpolicy evaluate examples/county-2022.yaml --format table
	$(BIN)/civpolicy evaluate examples/county-2022-scores.yaml --format table
	$(BIN)/civpolicy evaluate examples/duties-2023-05.yaml --format table
	$(BIN)/civpolicy calendar --year 2023 --who 李哲

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# -n auto: pytest-xdist runs the tests on every core (2 here: about half the time); it is
# here, not in pyproject's addopts, so `pytest tests/test_x.py::one` and `civpolicy test`
# stay single-process. --durations=15 prints the slowest tests, to see what to speed up.
# `make test PYTEST_FLAGS=` runs them in one process.
PYTEST_FLAGS ?= -n auto --durations=15
test: lint                        ## ruff, mypy, then every test
	$(BIN)/python -m pytest $(PYTEST_FLAGS)

# The side-by-side table of issue 16 (benchmarks/truth.py); `make bench EXTRAS=authoring,test,dev,bench`
# adds CLIPS (clipspy) as the peer engine.
bench: $(STAMP)
	$(BIN)/python benchmarks/truth.py

clean:
	rm -rf $(VENV) build dist
