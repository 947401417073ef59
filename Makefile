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

## The managed Neo4j's launcher (neo4j/launcher, Maven, every version pinned): built here, where Maven may
## download from Maven Central, so that a test or `hub db start --engine neo4j` never does. Skipped, with a
## note, where java or mvn is missing (the tests then run on FalkorDB only, outside CI).
LAUNCHER     := neo4j/launcher
LAUNCHER_JAR := $(LAUNCHER)/target/kesos-neo4j-launcher.jar
$(LAUNCHER_JAR): $(LAUNCHER)/pom.xml $(shell find $(LAUNCHER)/src -name '*.java' 2>/dev/null)
	@if command -v java >/dev/null && command -v mvn >/dev/null; then \
		mvn -q -B -f $(LAUNCHER)/pom.xml package && touch $@; \
	else echo "note: java or mvn missing: the managed Neo4j is not built (install Java 17 and Maven 3.8)"; fi

## The offline Cypher lint's npm package, locked by package-lock.json, installed here and not by a test.
LINT_DIR := tests/graph_schema/cypher_lint
LINT_PKG := $(LINT_DIR)/node_modules/@neo4j-cypher/language-support/package.json
$(LINT_PKG): $(LINT_DIR)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(LINT_DIR) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "note: npm missing: the offline Neo4j Cypher lint is skipped (install nodejs and npm)"; fi

install: $(STAMP) $(LAUNCHER_JAR) $(LINT_PKG)

## Re-resolve requirements.lock from pyproject.toml (runtime + dev) and requirements-build.in,
## with hashes: an upgrade is this, then a review of the diff, then a commit.
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-find-links --extra dev --strip-extras \
		-o requirements.lock pyproject.toml requirements-build.in

## Synthesise, load, link and serve the demo (each step lands as its issue does).
demo: install
	$(BIN)/hub demo

## The whole test suite, every graph test on both backends: the embedded FalkorDB and the managed Neo4j (where
## java, mvn and the launcher built above exist; elsewhere FalkorDB only, with a printed note; with CI=1 a Neo4j
## that cannot run fails the run). HUB_TEST_BACKENDS=falkordb (or neo4j) narrows it. The tests run on
## TEST_WORKERS pytest-xdist workers (one per core, at most 4), each with its own FalkorDB server and Neo4j JVM;
## `--dist loadgroup` keeps the tests of one shared world on one worker (tests/conftest.py xdist_group).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 4 ? n : 4 )))
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

## The committed GraphQL schema (a test fails when it drifts from the code).
schema: $(STAMP)
	$(BIN)/python -c "from resolvers.schema import SCHEMA; print(SCHEMA.as_str())" > schema.graphql

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	-$(BIN)/hub db stop
	rm -rf $(VENV) .hub $(LAUNCHER)/target $(LINT_DIR)/node_modules
