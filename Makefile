# Regulars: `make run` serves the demo shop on http://127.0.0.1:5000; `make test` runs the suite.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The suite runs in parallel worker processes (pytest-xdist); TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 2

.PHONY: install run test e2e bench lint hook-docs clean

$(BIN)/regulars: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/regulars

run: install
	$(BIN)/regulars setup --url http://$(HOST):$(PORT)
	REGULARS_SCHEDULER_IN_PROCESS=true REGULARS_WORKER_IN_PROCESS=true $(BIN)/regulars run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

e2e: install
	$(BIN)/python -m pytest tests/e2e

bench: install
	$(BIN)/python bench/list_customers.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/request.py
	$(BIN)/python bench/merge.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/tasks.py
	$(BIN)/python bench/email_sending.py

hook-docs: install
	$(BIN)/regulars hook-docs

clean:
	rm -rf $(VENV) instance build *.egg-info
