"""GraphQL resolvers and DataLoaders."""
