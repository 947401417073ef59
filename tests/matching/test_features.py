"""The row-by-row features of a few records equal the vectorised ones (``features.SMALL_FRAME``)."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import features
from matching.extract import COLUMNS
from matching.scorer import _sql_type

AS_OF = dt.date(2026, 11, 30)
NIKS = ["3374010101800001", "3374014101850002", "3311076404110001", None]
RECORD = st.fixed_dictionaries({
    "source": st.sampled_from(["dtks", "ppks", "penjangkauan"]),
    "nik": st.sampled_from(NIKS),
    "nik_birth_date": st.sampled_from(["1980-01-01", "1985-01-01", "2011-04-24", None]),
    "nik_sex": st.sampled_from(["L", "P", None]),
    "kk": st.sampled_from(["3374010101800099", None]),
    "name": st.sampled_from(["SLAMET RIYADI", "SITI AMINAH", "MBAH SLAMET", "S. RIYADI", "USADA FRANSISKA", "", None]),
    "birth_date": st.sampled_from(["1980-01-01", "1985-01-01", "1980-05-03", "2011-04-24", None]),
    "birth_year": st.sampled_from([1980, 1985, 2011, None]),
    "age": st.sampled_from([45, 70, None]),
    "sex": st.sampled_from(["L", "P", None]),
    "mother_name": st.sampled_from(["MARIA NINGRUM", None]),
    "region_code": st.sampled_from(["33.74.01.2001", "33.74.01", "33.74", "33", None]),
    "encounter": st.sampled_from([True, False, None]),
    "address": st.sampled_from(["DUSUN 3 RT 013 RW 003", "Jl. Merdeka 5", None]),
    "phone": st.sampled_from(["6281234567", "", None]),
    "register_id": st.sampled_from(["P3KE-00 12", "--", None]),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(RECORD, min_size=1, max_size=8))
def test_features_of_a_few_records_row_by_row_equal_the_vectorised_ones(rows: list[dict[str, object]]) -> None:
    records = pd.DataFrame([{**r, "record_id": f"{r['source']}:{i}"} for i, r in enumerate(rows)], columns=COLUMNS)
    records = records.astype(object).where(records.notna(), None)
    pd.testing.assert_frame_equal(features._features_counted(records, AS_OF),
                                  features._features_vectorised(records, AS_OF))


@settings(max_examples=150, deadline=None)
@given(st.lists(RECORD, min_size=1, max_size=12), st.lists(st.integers(min_value=0, max_value=12), max_size=3))
def test_own_features_of_parts_finished_together_equal_the_frames_features(rows: list[dict[str, object]],
                                                                           cuts: list[int]) -> None:
    # A big delta's neighbours have their own features made reply by reply (matching/incremental.py):
    # put together and finished, they are the frame's, a NIK someone else's by another part's rows included.
    records = pd.DataFrame([{**r, "record_id": f"{r['source']}:{i}"} for i, r in enumerate(rows)], columns=COLUMNS)
    records = records.astype(object).where(records.notna(), None)
    bounds = [0, *sorted(min(c, len(records)) for c in cuts), len(records)]
    parts = [features.own_features(records.iloc[a:b], AS_OF) for a, b in itertools.pairwise(bounds)]
    together = features.finish(pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True))
    whole = features._features_vectorised(records, AS_OF).reset_index(drop=True)
    # A text column of a part may be pandas' string type (missing: NaN) and of another plain objects
    # (missing: None): the values are the same, and the scorer reads either as the same SQL type.
    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(together), plain(whole))
    assert [_sql_type(together[c]) for c in whole] == [_sql_type(whole[c]) for c in whole]
