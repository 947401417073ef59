"""Kesos Hub: one NIK, one history."""

__version__ = "0.1.0"
