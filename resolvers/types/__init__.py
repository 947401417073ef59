"""GraphQL types, one concept per module."""
