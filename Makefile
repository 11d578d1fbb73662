# Two commands do everything on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint bench clean

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

test: $(STAMP_TEST)
	$(BIN)/ruff check iopsim tests $(wildcard benchmarks)
	$(BIN)/mypy iopsim
	$(BIN)/python -m pytest -q

lint: $(STAMP_TEST)
	$(BIN)/ruff check iopsim tests $(wildcard benchmarks)
	$(BIN)/mypy iopsim

bench: $(STAMP_RUN)
	$(BIN)/python benchmarks/run.py --chart docs/perf-scaling.png

clean:
	rm -rf $(VENV) runs build *.egg-info
