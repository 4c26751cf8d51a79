# posekit — the two commands of the README, plus a few helpers.
#   make reproduce   the whole paper pipeline on the embedded synthetic dataset (cpu profile)
#   make test        the test suite (fast tier; slow/integration tests: make test-all)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= cpu

.PHONY: reproduce test test-all lab bench lint clean-venv install-reference

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Optional: trackeval, the reference of the keypoint-HOTA differential test (pyproject [reference]).
# Installed without its dependencies: it requires opencv-python, which clashes with the headless build.
install-reference: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps 'trackeval==1.3.0'

reproduce: $(STAMP)
	$(BIN)/posekit reproduce --profile $(PROFILE)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The slow tier includes the JAX-backend parity tests: the [jax] extra first.
test-all: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,jax]'
	$(BIN)/python -m pytest -q -m ""

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check posekit tests benchmarks

clean-venv:
	rm -rf $(VENV)
