# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export NAZAR_HOME ?= $(CURDIR)/var

.PHONY: run demo test lint format model eval bench lock clean

# The stamps re-install when a lock file changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

$(VENV)/.train: requirements-train.lock $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-train.lock
	touch $@

## run: start the monitoring service and dashboard on http://127.0.0.1:8000 with demo sources
run: $(VENV)/.runtime
	@mkdir -p $(NAZAR_HOME)
	$(BIN)/nazar serve --host 127.0.0.1 --port 8000 --load-demo data/demo/stream.jsonl

## demo: classify the short demo file and print a readable report (no service)
demo: $(VENV)/.runtime
	@mkdir -p $(NAZAR_HOME)
	$(BIN)/nazar classify data/demo/demo.jsonl -o $(NAZAR_HOME)/demo-verdicts.jsonl
	$(BIN)/nazar report $(NAZAR_HOME)/demo-verdicts.jsonl

## test: lint and run the test suite
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## model: rebuild the shipped default model from the project's training data (deterministic)
model: $(VENV)/.train
	$(BIN)/python -m nazar.detect.build_default

## eval: evaluate the shipped model on real data and the project's test split
eval: $(VENV)/.train
	$(BIN)/python -m nazar.detect.build_default --split-only
	$(BIN)/python benchmarks/evaluate_real_data.py

## bench: throughput and memory of `nazar classify` against a TF-IDF baseline
bench: $(VENV)/.dev
	$(BIN)/python benchmarks/classify_speed.py

lock:
	rm -rf /tmp/nazar-lock && $(PYTHON) -m venv /tmp/nazar-lock
	/tmp/nazar-lock/bin/pip install --quiet . && /tmp/nazar-lock/bin/pip freeze | grep -v '^nazar' > requirements.lock

clean:
	rm -rf $(VENV) var build *.egg-info
