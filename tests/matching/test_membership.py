"""``membership.within`` answers what pandas' ``isin`` answers, for every kind of column live linking filters."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from matching.membership import within

IDS = st.sampled_from(["dtks:1", "ppks:2", "penjangkauan:3", "dtks:4", ""])
CELLS = st.lists(st.one_of(IDS, st.none()), max_size=30)
DTYPES = ["string[pyarrow]", pd.StringDtype("python"), object]


@given(cells=CELLS, values=st.sets(IDS, max_size=4), dtype=st.sampled_from(DTYPES), kind=st.sampled_from([set, list]))
def test_within_is_isin(cells: list[str | None], values: set[str], dtype: object, kind: type) -> None:
    column = pd.Series(cells, dtype=dtype)  # type: ignore[call-overload]
    asked = kind(values)
    assert within(column, asked).tolist() == column.isin(asked).to_numpy(dtype=bool).tolist()


def test_within_takes_dict_keys_and_numbers() -> None:
    column = pd.Series(["a", "b", None], dtype="string[pyarrow]")
    assert within(column, {"b": 1}.keys()).tolist() == [False, True, False]
    numbers = pd.Series([1.0, np.nan, 3.0])
    assert within(numbers, {3.0}).tolist() == [False, False, True]
