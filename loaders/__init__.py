"""Source loaders: mapping files, validation, rejects, provenance."""
