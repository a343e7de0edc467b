# Fieldmark: `make run` starts the app on a local demo database; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Test processes: the sync tests wait on servers and subprocesses, so two share two cores well.
TEST_WORKERS ?= 2

.PHONY: run server test lint bench translations system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fieldmark $(ARGS)

server: $(STAMP)
	$(BIN)/fieldmark-server --data-dir server-data seed-demo
	$(BIN)/fieldmark-server --data-dir server-data serve $(ARGS)

system-deps:
	@sh scripts/system-deps.sh

test: system-deps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check desktop ui sync migrations tests bench

translations: $(STAMP)
	sh scripts/update-translations.sh

bench: $(STAMP)
	$(BIN)/python -m bench.core $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
