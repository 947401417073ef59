# The two commands of the README: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint install clean schema lock

# Every dependency (and the build backend) comes from requirements.lock, pinned with hashes;
# the hub itself is installed on top without resolving anything. An upgrade is a deliberate
# commit: `make lock`, then review the diff.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

## Re-resolve requirements.lock from pyproject.toml (runtime + dev) and requirements-build.in,
## with hashes: an upgrade is this, then a review of the diff, then a commit.
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-find-links --extra dev --strip-extras \
		-o requirements.lock pyproject.toml requirements-build.in

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
