"""The graph model, all Cypher, the store port and its two adapters (FalkorDB, Neo4j)."""
