# Two commands do everything on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test test-slow lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/iopsim run scenarios/baseline.yaml

# Tests run on every CPU (pytest-xdist), a file per worker at a time, so that the fixtures a file
# shares (simulated runs, rendered reports) are built once, not once per worker.
PYTEST := $(BIN)/python -m pytest -q -n auto --dist loadfile

# The slow end-to-end tests (marked `slow`) are left to `make test-slow`; CI (.ci/run) runs both.
test: $(STAMP_TEST)
	$(BIN)/ruff check iopsim tests $(wildcard benchmarks)
	$(BIN)/mypy iopsim
	$(PYTEST) -m "not slow"

test-slow: $(STAMP_TEST)
	$(PYTEST) -m slow

lint: $(STAMP_TEST)
	$(BIN)/ruff check iopsim tests $(wildcard benchmarks)
	$(BIN)/mypy iopsim

bench: $(STAMP_RUN)
	$(BIN)/python benchmarks/run.py --chart docs/perf-scaling.png

clean:
	rm -rf $(VENV) runs build *.egg-info
