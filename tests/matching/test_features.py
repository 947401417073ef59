"""The row-by-row features of a few records equal the vectorised ones (``features.SMALL_FRAME``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import features
from matching.extract import COLUMNS

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
