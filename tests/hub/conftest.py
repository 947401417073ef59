"""The served world of tests/resolvers (a linked population behind the API over HTTP), for the
attack tests here: built once for the package, shared by the brakes and fuzz tests."""

from tests.resolvers.conftest import api  # noqa: F401  (a fixture: pytest finds it by name)
