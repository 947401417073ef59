"""The steward's waterfall names every comparison of the model in Bahasa Indonesia, not by its column."""

from __future__ import annotations

from splink.internals.comparison_creator import ComparisonCreator

from hub.pages.steward import COMPARISONS
from matching.model import settings


def test_every_comparison_of_the_model_has_an_indonesian_label() -> None:
    comparisons = settings().comparisons
    creators = [c for c in comparisons if isinstance(c, ComparisonCreator)]
    assert creators and len(creators) == len(comparisons), "every comparison of the model is a Splink creator"
    columns = {c.get_comparison("duckdb").output_column_name for c in creators}
    assert columns <= set(COMPARISONS), f"no label for {sorted(columns - set(COMPARISONS))}"
    assert all(label and label != column for column, label in COMPARISONS.items() if column in columns)
