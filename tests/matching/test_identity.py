"""A person's identity when their records disagree: NIKs that contradict their record, coherent
best values, and the conflicts that go to the stewards' queue."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_schema import api_queries
from graph_schema.port import GraphStore
from matching import identity
from matching.extract import COLUMNS, Resolutions
from matching.features import features
from matching.resolve import write_persons
from tests.graph_schema import lookups


def _record(record_id: str, **fields: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    row.update(record_id=record_id, source=record_id.split(":")[0], encounter=False, **fields)
    return row


MOTHER_NIK = "3320034406720001"  # a woman (day 04 + 40) born 1972-06-04

# (record fields, whether its NIK is evidence): a NIK is no evidence when it encodes another
# birth year or the other sex than the record states; a day/month slip in the same year is.
CASES = [
    ({"birth_date": "1972-06-04", "sex": "P"}, True),
    ({"birth_date": "1972-04-06", "sex": "P"}, True),  # day and month swapped: still her NIK
    ({"birth_year": 1972, "sex": None}, True),
    ({"birth_date": "2004-09-08", "sex": "P"}, False),  # her daughter's row, with the mother's NIK
    ({"birth_date": "1972-06-04", "sex": "L"}, False),  # a man's row
    ({"birth_date": None, "sex": None}, True),  # nothing to contradict it
]


@pytest.mark.parametrize(("fields", "evidence"), CASES)
def test_a_nik_that_contradicts_its_record_is_no_evidence(fields: dict[str, object], evidence: bool) -> None:
    fields = {"birth_year": int(str(fields["birth_date"])[:4]) if fields.get("birth_date") else None, **fields}
    row = _record("dtks:1", name="ZALINDRA DWI", nik=MOTHER_NIK, nik_birth_date="1972-06-04", nik_sex="P", **fields)
    frame = features(pd.DataFrame([row]))
    assert (frame["nik"].iloc[0] == MOTHER_NIK) is evidence


def _persons(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in [*COLUMNS, "method"]:
        if column not in frame:
            frame[column] = None
    return frame


def test_best_values_come_from_the_records_that_agree_never_a_blend() -> None:
    # Her records (trusted NIK) and one of his, wrongly joined: her name, sex and birth date win together.
    frame = _persons([
        {"person_id": "P1", "record_id": "a", "method": "nik", "name": "SRI", "sex": "P", "birth_date": "1963-02-01",
         "birth_year": 1963, "nik": "3301014102630001"},
        {"person_id": "P1", "record_id": "b", "method": "splink", "name": "SRI", "sex": None, "birth_date": None,
         "birth_year": 1963, "nik": None},
        {"person_id": "P1", "record_id": "c", "method": "splink", "name": "KARTO", "sex": "L",
         "birth_date": "1928-05-05", "birth_year": 1928, "nik": "3301014102630001"},
        {"person_id": "P1", "record_id": "d", "method": "splink", "name": "KARTO", "sex": "L",
         "birth_date": "1928-05-05", "birth_year": 1928, "nik": None},
    ])
    agree = identity.coherent(frame)
    assert agree.tolist() == [True, True, False, False]
    assert identity.conflicts(frame) == {"P1": [identity.SEXES, identity.BIRTH_DATES]}


def test_conflicts_name_each_reason_and_spare_guessed_ages() -> None:
    frame = _persons([
        {"person_id": "N", "record_id": "1", "nik": "3301014102630001", "sex": "P", "birth_year": 1963},
        {"person_id": "N", "record_id": "2", "nik": "3301014102630002", "sex": "P", "birth_year": 1963},
        {"person_id": "D", "record_id": "3", "birth_date": "1960-01-01", "birth_year": 1960},
        {"person_id": "D", "record_id": "4", "birth_date": "1963-01-02", "birth_year": 1963},
        {"person_id": "OK", "record_id": "5", "birth_date": "1960-01-01", "birth_year": 1960, "sex": "L"},
        {"person_id": "OK", "record_id": "6", "birth_year": 1980, "encounter": True, "sex": "L"},  # a guessed age
        {"person_id": "OK", "record_id": "7", "birth_date": "1961-12-01", "birth_year": 1961, "sex": None},
    ])
    assert identity.conflicts(frame) == {"N": [identity.NIKS], "D": [identity.BIRTH_DATES]}
    frame.loc[frame["person_id"] == "N", "method"] = "nik"  # each NIK confirmed by its own record
    assert identity.conflicts(frame)["N"] == [identity.TRUSTED_NIKS]
    trusted, typed = identity.conflict_rank([identity.TRUSTED_NIKS]), identity.conflict_rank([identity.NIKS, identity.SEXES])
    assert trusted is not None and typed is not None and trusted > typed


async def test_written_persons_carry_their_conflicts_and_coherent_best_values(store: GraphStore) -> None:
    records = _persons([
        _record("dtks:a", name="SRI", sex="P", birth_date="1963-02-01", birth_year=1963, nik="3301014102630001"),
        _record("dtks:b", name="SRI", sex="P", birth_date="1963-02-01", birth_year=1963, nik="3301014102630001"),
        _record("ppks:c", name="KARTO", sex="L", birth_date="1928-05-05", birth_year=1928, nik="3301014102630001"),
    ])
    await store.run("UNWIND $ids AS id CREATE (:SourceRecord {record_id: id})",
                    {"ids": ["dtks:a", "dtks:b", "ppks:c"]}, write=True)
    assigned = pd.DataFrame({"record_id": ["dtks:a", "dtks:b", "ppks:c"], "cluster": [0, 0, 0],
                             "method": ["nik", "nik", "splink"], "probability": [1.0, 1.0, 0.99]})
    await write_persons(store, assigned, records[COLUMNS], Resolutions({}, {}), run_id="t")
    (only,) = await store.run("MATCH (p:Person) RETURN p.person_id AS id")
    (row,) = await store.run(lookups.PERSON_BY_ID, {"person_id": only["id"]})
    person = row["person"]
    assert (person["name"], person["sex"], person["birth_date"]) == ("SRI", "P", "1963-02-01")
    assert sorted(person["conflicts"]) == sorted([identity.SEXES, identity.BIRTH_DATES])


# (record fields, whether the NIK is the record's own): one that encodes another birth year, or
# the other sex on another birth date, is a relative's; a sex typed wrong on a record whose NIK
# repeats its birth date is a slip.
OWN_NIK_CASES = [
    ({"birth_date": "1972-06-04", "birth_year": 1972, "sex": "P"}, True),
    ({"birth_date": "1972-04-06", "birth_year": 1972, "sex": "P"}, True),  # day and month swapped
    ({"birth_date": "1972-06-04", "birth_year": 1972, "sex": "L"}, True),  # the sex typed wrong
    ({"birth_date": None, "birth_year": None, "sex": None}, True),  # nothing to contradict it
    ({"birth_date": "2004-09-08", "birth_year": 2004, "sex": "P"}, False),  # her daughter's row
    ({"birth_date": "1972-09-08", "birth_year": 1972, "sex": "L"}, False),  # a man born that year
]


@pytest.mark.parametrize(("fields", "own"), OWN_NIK_CASES)
def test_a_nik_is_disowned_by_a_record_it_contradicts(fields: dict[str, object], own: bool) -> None:
    row = _record("dtks:1", name="ZALINDRA DWI", nik=MOTHER_NIK, nik_birth_date="1972-06-04", nik_sex="P", **fields)
    assert bool(identity.disowned_nik(pd.DataFrame([row])).iloc[0]) is not own


async def test_a_relatives_nik_never_finds_the_person_whose_row_carries_it(store: GraphStore) -> None:
    # His only row carries his mother's NIK (a woman born 1972): looked up by it, the API must not
    # answer with him; she, with no row of her own, is not known by it at all.
    records = _persons([
        _record("usulan_kis_pbi:s", name="AJIMAT PRABOWO", sex="L", birth_date="1999-08-11", birth_year=1999,
                nik=MOTHER_NIK, nik_birth_date="1972-06-04", nik_sex="P"),
        _record("dtks:o", name="SRI", sex="P", birth_date="1963-02-01", birth_year=1963, nik="3301014102630001",
                nik_birth_date="1963-02-01", nik_sex="P"),
    ])
    await store.run("UNWIND $rows AS row CREATE (:SourceRecord {record_id: row.id, nik: row.nik})",
                    {"rows": [{"id": "usulan_kis_pbi:s", "nik": MOTHER_NIK},
                              {"id": "dtks:o", "nik": "3301014102630001"}]}, write=True)
    assigned = pd.DataFrame({"record_id": ["usulan_kis_pbi:s", "dtks:o"], "cluster": [0, 1],
                             "method": ["single", "nik"], "probability": [1.0, 1.0]})
    await write_persons(store, assigned, records[COLUMNS], Resolutions({}, {}), run_id="t")
    assert await store.run(api_queries.PERSON_CORE_BY_NIKS, {"keys": [MOTHER_NIK]}) == []
    (found,) = await store.run(api_queries.PERSON_CORE_BY_NIKS, {"keys": ["3301014102630001"]})
    assert found["key"] == "3301014102630001"
    rows = await store.run("MATCH (p:Person) RETURN p.nik AS nik, p.niks AS niks")
    assert {(r["nik"], tuple(r["niks"] or ())) for r in rows} == {(None, ()), ("3301014102630001", ("3301014102630001",))}


def test_the_registry_places_a_person_whose_records_disagree_one_to_one() -> None:
    # One DTKS row and one roster row, each stating another village: the registry's wins, whichever
    # code sorts first; a majority of rows still outvotes it.
    frame = _persons([
        {"person_id": "P", "record_id": "dtks:1", "source": "dtks", "region_code": "33.18.19.2011"},
        {"person_id": "P", "record_id": "program_pkh:1", "source": "program_pkh", "region_code": "33.09.15.2013"},
        {"person_id": "Q", "record_id": "dtks:2", "source": "dtks", "region_code": "33.18.19.2011"},
        {"person_id": "Q", "record_id": "program_pkh:2", "source": "program_pkh", "region_code": "33.09.15.2013"},
        {"person_id": "Q", "record_id": "program_blt:2", "source": "program_blt", "region_code": "33.09.15.2013"},
        # two rows in one regency, in two of its villages, against one elsewhere: that regency
        {"person_id": "R", "record_id": "dtks:3", "source": "dtks", "region_code": "33.01.01.2001"},
        {"person_id": "R", "record_id": "program_pkh:3", "source": "program_pkh", "region_code": "33.22.12.2012"},
        {"person_id": "R", "record_id": "program_blt:3", "source": "program_blt", "region_code": "33.22.12.2013"},
    ])
    placed = identity.home_regions(frame, pd.Series({"P": None, "Q": None, "R": None}))
    assert placed.to_dict() == {"P": "33.18.19.2011", "Q": "33.09.15.2013", "R": "33.22.12.2012"}


# Family cards issued in Pekalongan (33.26, district 08 Kajen) and in Banjarnegara (33.04, district 01).
PEKALONGAN_KK = "3326081206090001"
BANJARNEGARA_KK = "3304011206090002"


def test_the_family_card_places_a_person_whose_rows_say_no_more_than_it() -> None:
    kk = {"P": PEKALONGAN_KK, "Q": PEKALONGAN_KK[:-1] + "2", "R": BANJARNEGARA_KK, "S": "9999991206090001",
          "T": BANJARNEGARA_KK[:-1] + "3"}  # one household each
    frame = _persons([
        # One roster row typed with a village of Cilacap (33.01), and a KK issued in Kajen, Pekalongan:
        # the KK decides, and no row names a village there, so the person is placed at its district.
        {"person_id": "P", "record_id": "program_pkh:1", "region_code": "33.01.01.2001", "kk": kk["P"]},
        # Three rows in three regencies, one of them the KK's: that one.
        {"person_id": "Q", "record_id": "program_pkh:2", "region_code": "33.01.01.2001", "kk": kk["Q"]},
        {"person_id": "Q", "record_id": "program_blt:2", "region_code": "33.26.08.2018", "kk": kk["Q"]},
        {"person_id": "Q", "record_id": "program_sembako:2", "region_code": "33.74.01.2001", "kk": kk["Q"]},
        # Two rows in one regency outvote the KK of another.
        {"person_id": "R", "record_id": "program_pkh:3", "region_code": "33.01.01.2001", "kk": kk["R"]},
        {"person_id": "R", "record_id": "program_blt:3", "region_code": "33.01.02.2002", "kk": kk["R"]},
        # A KK whose first digits name no district is no evidence: the row's village stands.
        {"person_id": "S", "record_id": "program_pkh:4", "region_code": "33.01.01.2001", "kk": kk["S"]},
        # No row states a village: the KK's district, not where street outreach met them.
        {"person_id": "T", "record_id": "outreach:5", "region_code": "33.74.01.2001", "kk": kk["T"], "encounter": True},
    ])
    kk_of_person = pd.Series(kk).rename_axis("person_id")
    expected = {"P": "33.26.08", "Q": "33.26.08.2018", "R": "33.01.01.2001", "S": "33.01.01.2001", "T": "33.04.01"}
    assert identity.home_regions(frame, kk_of_person).to_dict() == expected
    assert identity._home_regions_grouped(frame, kk_of_person).to_dict() == expected


def test_a_household_members_row_and_the_kk_outvote_a_persons_own_row() -> None:
    # Her roster row says Cilacap; her husband's DTKS row and their KK say Kajen, Pekalongan.
    frame = _persons([
        {"person_id": "P", "record_id": "program_pkh:1", "region_code": "33.01.01.2001", "kk": PEKALONGAN_KK},
        {"person_id": "H", "record_id": "dtks:2", "source": "dtks", "region_code": "33.26.08.2018",
         "kk": PEKALONGAN_KK},
    ])
    kk_of_person = pd.Series({"P": PEKALONGAN_KK, "H": PEKALONGAN_KK}).rename_axis("person_id")
    assert identity.home_regions(frame, kk_of_person).to_dict() == {"H": "33.26.08.2018", "P": "33.26.08.2018"}


def test_a_relatives_nik_on_a_row_without_a_birth_date_is_no_evidence() -> None:
    # A roster row (no birth date, no sex) for SITI with her husband's NIK, which his own rows give.
    husband = "3315020205000002"
    rows = [_record("dtks:h", name="BUDI SANTOSO", nik=husband, nik_birth_date="2000-05-02", nik_sex="L",
                    birth_date="2000-05-02", birth_year=2000, sex="L"),
            _record("program_blt:s", name="SITI KHOTIJAH", nik=husband, nik_birth_date="2000-05-02", nik_sex="L"),
            _record("program_pkh:b", name="B. SANTOSO", nik=husband, nik_birth_date="2000-05-02", nik_sex="L")]
    frame = features(pd.DataFrame(rows)).set_index("unique_id")
    assert frame["nik"].isna()["program_blt:s"]  # someone else's
    assert frame.loc["program_pkh:b", "nik"] == husband  # his own, abbreviated
    assert frame.loc["dtks:h", "nik"] == husband
    assert str(frame.loc["program_pkh:b", "name_initials"]) == str(frame.loc["dtks:h", "name_initials"]) == "B S"



@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["P1", "P2", "P3", None]), st.sampled_from(["A", "B", "C", None]),
                          st.sampled_from([1980.0, 1990.0, float("nan")])), max_size=12))
def test_most_common_counted_for_a_few_rows_equals_the_grouped_one(rows: list[tuple[object, ...]]) -> None:
    frame = pd.DataFrame(rows, columns=["person_id", "name", "year"])
    for column in ("name", "year"):
        pd.testing.assert_series_equal(identity._most_common_counted(frame, "person_id", column),
                                       identity._most_common_grouped(frame, "person_id", column))


IDENTITY_ROW = st.fixed_dictionaries({
    "person_id": st.sampled_from(["P1", "P2", "P3", None]),
    "nik": st.sampled_from(["3374010101800001", "3374014101850002", None]),
    "method": st.sampled_from(["nik", "splink", "single", None]),
    "sex": st.sampled_from(["L", "P", None]),
    "birth_date": st.sampled_from(["1980-01-01", "1981-06-30", "1984-01-01", "1990-12-31", "not a date", None]),
    "birth_year": st.sampled_from([1980, 1983, 1990, None]),
    "encounter": st.sampled_from([True, False, None]),
    "region_code": st.sampled_from(["33.74.01.2001", "33.74.01.2002", "33.05.02.2003", "33.05", "33.26.08.2018",
                                     None]),
    "kk": st.sampled_from(["KK1", PEKALONGAN_KK, BANJARNEGARA_KK, None]),
    "source": st.sampled_from(["dtks", "program_pkh", None]),
})


@settings(max_examples=200, deadline=None)
@given(st.lists(IDENTITY_ROW, max_size=12), st.dictionaries(st.sampled_from(["P1", "P2", "P3"]),
                                                            st.sampled_from(["KK1", PEKALONGAN_KK, BANJARNEGARA_KK, None]),
                                                            max_size=3))
def test_anchor_conflicts_and_home_counted_for_a_few_rows_equal_the_grouped_ones(
        rows: list[dict[str, object]], kk_of: dict[str, object]) -> None:
    frame = pd.DataFrame(rows, columns=["person_id", "nik", "method", "sex", "birth_date", "birth_year", "encounter",
                                        "region_code", "kk", "source"])
    frame = frame.astype(object).where(frame.notna(), None)
    assert identity._conflicts_counted(frame) == identity._conflicts_grouped(frame)
    pd.testing.assert_series_equal(identity._coherent_counted(frame), identity._coherent_grouped(frame),
                                   check_names=False)
    kk_of_person = pd.Series(kk_of, dtype=object).rename_axis("person_id")
    counted = identity._home_regions_counted(frame, kk_of_person).to_dict()
    grouped = identity._home_regions_grouped(frame, kk_of_person)
    assert counted == {k: v for k, v in grouped.to_dict().items() if isinstance(v, str)}
