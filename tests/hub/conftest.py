"""The served world (tests/conftest.py ``api``: one linked population per backend behind the API over
HTTP) is the attack surface here: shared by the brakes, fuzz and PDP tests with tests/resolvers."""
