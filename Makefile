# The two commands of the README: `make demo` and `make test`. Both set up everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARCHIVE ?= archive-data

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/portal-archive --archive $(ARCHIVE) demo

test: $(STAMP)
	$(BIN)/python -m pytest -W error

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench_archive.py

clean:
	rm -rf $(VENV) $(ARCHIVE) .pytest_cache .mypy_cache .ruff_cache
