"""The graph layer stands alone: nothing under ``graph_schema/`` imports the hub, and its errors
reach the hub's users as ``HubError``s with the hub's exit codes and hints."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import graph_schema
from graph_schema import errors as graph_errors
from hub import errors as hub_errors

PACKAGE = Path(graph_schema.__file__).parent
ABOVE = ("hub", "resolvers", "loaders", "matching")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_graph_schema_module_imports_a_layer_above(path: Path) -> None:
    above = {name for name in imported_modules(path) if name.split(".")[0] in ABOVE}
    assert not above, f"{path.name} imports {sorted(above)}"


def test_importing_every_graph_schema_module_loads_no_layer_above() -> None:
    modules = [f"graph_schema.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE)])]
    assert "graph_schema.neo4j_store" in modules and "graph_schema.errors" in modules
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"print(sorted({{n.split('.')[0] for n in sys.modules}} & {set(ABOVE)!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=PACKAGE.parent, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize(("kind", "exit_code", "status"), [
    (graph_errors.GraphUnreachable, 69, 503),
    (graph_errors.GraphAuthError, 77, 503),
    (graph_errors.GraphQueryError, 70, 500),
    (graph_errors.GraphTimeout, 70, 504),
    (graph_errors.SchemaError, 70, 500),
])
def test_graph_errors_reach_the_hub_as_hub_errors(kind: type[graph_errors.GraphError], exit_code: int,
                                                   status: int) -> None:
    error = graph_errors.graph_error(kind, "FalkorDB at 127.0.0.1:1 did it", "falkordb")
    assert isinstance(error, kind) and isinstance(error, hub_errors.HubError)
    assert (error.exit_code, error.http_status) == (exit_code, status)
    assert error.message.startswith("FalkorDB at 127.0.0.1:1 did it")


@pytest.mark.parametrize(("engine", "hint"), [
    ("falkordb", ": start it with `hub db start` or check HUB_GRAPH_URI"),
    ("neo4j", ": check HUB_GRAPH_URI and that Neo4j runs"),
])
def test_the_hub_adds_the_setting_to_check(engine: str, hint: str) -> None:
    error = graph_errors.graph_error(graph_errors.GraphUnreachable, "X does not answer (refused)", engine)
    assert error.message == "X does not answer (refused)" + hint
    auth = graph_errors.graph_error(graph_errors.GraphAuthError, "X refused the credentials", engine)
    assert auth.message == "X refused the credentials: check HUB_GRAPH_USER/HUB_GRAPH_PASSWORD"
