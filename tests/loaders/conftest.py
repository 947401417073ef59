"""The loaders' population is tests/conftest.py ``small_synth`` (3,000 persons, CSV and XLSX), shared
with the synth tests' XLSX checks."""
