"""The committed schema.graphql is what the code serves (regenerate it with `make schema`)."""

from pathlib import Path

from resolvers.schema import SCHEMA

COMMITTED = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert COMMITTED.read_text() == SCHEMA.as_str() + "\n", "schema.graphql is stale: run `make schema`"
