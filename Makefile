# The two commands of the README: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint install clean schema

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Synthesise, load, link and serve the demo (each step lands as its issue does).
demo: $(STAMP)
	$(BIN)/hub demo

## The whole test suite, on a real embedded FalkorDB (and Neo4j too when NEO4J_URI is set).
test: $(STAMP)
	$(BIN)/python -m pytest

## The committed GraphQL schema (a test fails when it drifts from the code).
schema: $(STAMP)
	$(BIN)/python -c "from resolvers.schema import SCHEMA; print(SCHEMA.as_str())" > schema.graphql

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	-$(BIN)/hub db stop
	rm -rf $(VENV) .hub
