"""The GraphQL API's surroundings: app, API keys, roles, audit log."""
