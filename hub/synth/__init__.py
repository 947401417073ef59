"""Synthetic Central Java welfare data with ground truth (``hub synth``)."""
