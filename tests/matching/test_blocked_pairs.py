"""The live path's two ways of finding blocked pairs (numpy for a big delta, Python for a write's
few records) find the same pairs, in the same order."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import model
from matching.incremental import _blocked_pairs_counted, blocked_pairs

COLUMNS = sorted({c for key in [*model.BLOCKING_KEYS, *model.ENCOUNTER_KEYS] for c in key})
# Few values, so rows share keys often; missing ones in each of pandas' spellings.
VALUES = st.sampled_from(["A", "B", "C", None, math.nan, pd.NA])


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, set[str]]:
    size = draw(st.integers(min_value=0, max_value=25))
    ids = [f"s:{i:03d}" for i in draw(st.permutations(range(size)))]
    frame = pd.DataFrame({"unique_id": ids, "encounter": draw(st.lists(st.booleans(), min_size=size, max_size=size)),
                          **{c: draw(st.lists(VALUES, min_size=size, max_size=size)) for c in COLUMNS}}, dtype=object)
    core = set(draw(st.lists(st.sampled_from(ids), max_size=size))) if ids else set()
    return frame, core


def _numpy_pairs(frame: pd.DataFrame, core: set[str]) -> pd.DataFrame:
    # The numpy path is taken above SMALL_BLOCKING rows: pad the frame with rows sharing no key.
    padding = pd.DataFrame({"unique_id": [f"z:{i:05d}" for i in range(2_001)], "encounter": False,
                            **{c: None for c in COLUMNS}}, dtype=object)
    return blocked_pairs(pd.concat([frame, padding], ignore_index=True), core)


@settings(max_examples=150, deadline=None)
@given(frames())
def test_the_python_pairs_are_the_numpy_pairs(drawn: tuple[pd.DataFrame, set[str]]) -> None:
    frame, core = drawn
    counted = _blocked_pairs_counted(frame, core)
    assert counted.values.tolist() == _numpy_pairs(frame, core).values.tolist()
    assert list(counted.columns) == ["unique_id_l", "unique_id_r"]


def test_an_encounter_key_pairs_only_with_an_encounter_and_a_missing_value_pairs_nothing() -> None:
    frame = pd.DataFrame({"unique_id": ["a", "b", "c", "d"], "encounter": [False, False, True, False],
                          **{c: None for c in COLUMNS}}, dtype=object)
    frame["name_first"], frame["regency"] = "SITI", "3374"
    frame.loc[3, "regency"] = None
    # a and b share only the encounter key, which needs an encounter: a pairs with c alone; d lacks a regency.
    assert _blocked_pairs_counted(frame, {"a"}).values.tolist() == [["a", "c"]]
    assert _blocked_pairs_counted(frame, {"d"}).empty
