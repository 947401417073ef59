"""Which persons a live link leaves standing (not written again): those it read whole and that
are, after clustering, exactly what they were."""

from __future__ import annotations

import pandas as pd

from matching.incremental import _standing


def _assigned(clusters: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"record_id": list(clusters), "cluster": list(clusters.values())})


def test_only_a_person_exactly_as_it_was_and_without_a_delta_record_stands() -> None:
    previous = {"a:1": "P-A", "a:2": "P-A", "b:1": "P-B", "b:2": "P-B", "c:1": "P-C", "d:1": "P-D", "d:2": "P-D",
                "e:1": "P-E"}
    assigned = _assigned({
        "a:1": 0, "a:2": 0,  # P-A as it was: stands
        "b:1": 1, "b:2": 1, "n:1": 1,  # P-B took a new record: written
        "c:1": 2,  # P-C as it was, but its record is in the delta (changed): written
        "d:1": 3, "d:2": 4,  # P-D split: both parts written
        "e:1": 5,  # P-E as it was: stands
    })
    assert _standing(assigned, previous, {"n:1", "c:1"}) == {0: "P-A", 5: "P-E"}


def test_a_cluster_holding_part_of_a_person_or_two_persons_is_written() -> None:
    previous = {"a:1": "P-A", "a:2": "P-A", "a:3": "P-A", "b:1": "P-B"}
    assigned = _assigned({"a:1": 0, "a:2": 0, "a:3": 1, "b:1": 1})
    assert _standing(assigned, previous, set()) == {}
    merged = _assigned({"a:1": 0, "a:2": 0, "a:3": 0, "b:1": 0})
    assert _standing(merged, previous, set()) == {}
