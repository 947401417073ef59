"""Exports of worklists and proposal batches in the layouts receiving offices use (``layouts/*.toml``)."""
