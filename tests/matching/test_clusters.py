"""Clustering links into persons."""

from __future__ import annotations

import pandas as pd

from matching.clusters import cluster
from matching.evaluate import pairwise_scores
from matching.review import review_band


def test_nik_references_and_accepted_pairs_join_records() -> None:
    ids = ["a", "b", "c", "d", "e", "f"]
    nik = pd.DataFrame({"unique_id": ["a", "b"], "nik": ["3374014506880003"] * 2})
    refs = pd.DataFrame({"record_id": ["f"], "target": ["c"]})
    pairs = pd.DataFrame({"unique_id_l": ["b", "d"], "unique_id_r": ["c", "e"], "evidence": [20.0, 9.0],
                          "match_probability": [0.99, 0.4]})
    assigned, _ = cluster(ids, nik, refs, pairs, accept=16.0)
    out = assigned.set_index("record_id")
    group = dict(zip(out.index, out["cluster"].tolist(), strict=True))
    assert len({group[r] for r in "abcf"}) == 1  # NIK a-b, Splink b-c, reference f->c
    assert group["d"] != group["e"]  # below the threshold: kept apart
    assert out.loc["a", "method"] == "nik" and out.loc["c", "method"] == "splink"
    assert out.loc["f", "method"] == "reference" and out.loc["d", "method"] == "single"


def test_pairwise_scores() -> None:
    assigned = pd.DataFrame({"record_id": ["s:1", "s:2", "s:3", "s:4"], "cluster": [1, 1, 1, 2]})
    truth = pd.DataFrame({"source": ["s"] * 4, "source_key": ["1", "2", "3", "4"], "person_id": ["A", "A", "B", "B"]})
    scores = pairwise_scores(assigned, truth)
    # predicted pairs 1-2, 1-3, 2-3 (one right), true pairs 1-2, 3-4
    assert (scores["precision"], scores["recall"]) == (round(1 / 3, 4), 0.5)


def test_steward_verdicts_override_and_different_holds_through_chains() -> None:
    ids = ["a", "b", "c", "d"]
    no_nik = pd.DataFrame(columns=["unique_id", "nik"])
    no_refs = pd.DataFrame(columns=["record_id", "target"])
    # Strong pairs a-b, b-c; a steward says a and c are different people.
    pairs = pd.DataFrame({"unique_id_l": ["a", "b"], "unique_id_r": ["b", "c"], "evidence": [30.0, 20.0],
                          "match_probability": [1.0, 0.99]})
    assigned, uf = cluster(ids, no_nik, no_refs, pairs, 16.0, same=[("c", "d")], different=[("a", "c")])
    group = dict(zip(assigned["record_id"], assigned["cluster"].tolist(), strict=True))
    assert group["a"] == group["b"] != group["c"]  # the weaker b-c link gives way
    assert group["c"] == group["d"]  # SAME joins what the model had no pair for
    assert uf.kept_apart("b", "d")  # b is with a, d with c: settled, not a question


def test_review_band_skips_what_verdicts_already_settle() -> None:
    from matching.review import review_band

    ids = ["a", "b", "c", "d", "e"]
    no_nik = pd.DataFrame(columns=["unique_id", "nik"])
    no_refs = pd.DataFrame(columns=["record_id", "target"])
    pairs = pd.DataFrame({
        "unique_id_l": ["a", "b", "a", "d"], "unique_id_r": ["b", "c", "c", "e"],
        "evidence": [20.0, 12.0, 12.0, 11.0], "match_probability": [0.999, 0.6, 0.55, 0.5]})
    assigned, uf = cluster(ids, no_nik, no_refs, pairs, 16.0, different=[("b", "c")])
    band = review_band(pairs, assigned, uf, low=10.0)
    # b-c judged different, so a-c (a is with b) is settled too; d-e is a real question.
    assert band[["unique_id_l", "unique_id_r"]].values.tolist() == [["d", "e"]]
    assert band["priority"].iloc[0] > 0


def test_an_encounter_joins_one_registered_person_and_only_a_clear_best() -> None:
    ids = ["reg_a", "reg_b", "reg_c", "met_1", "met_2", "met_3"]
    no_nik = pd.DataFrame(columns=["unique_id", "nik"])
    no_refs = pd.DataFrame(columns=["record_id", "target"])
    pairs = pd.DataFrame({
        "unique_id_l": ["met_1", "met_1", "met_2", "met_2", "met_3", "met_1"],
        "unique_id_r": ["reg_a", "reg_b", "reg_b", "reg_c", "met_1", "met_2"],
        "evidence": [24.0, 17.0, 18.0, 17.5, 20.0, 19.0],
        "match_probability": [0.99] * 6})
    encounters = frozenset({"met_1", "met_2", "met_3"})
    assigned, _ = cluster(ids, no_nik, no_refs, pairs, 16.0, encounters=encounters)
    person = dict(zip(assigned["record_id"], assigned["cluster"], strict=True))
    # met_1 fits reg_a far better than reg_b: it joins reg_a, and met_3 (met_1's twin) with it.
    assert person["met_1"] == person["reg_a"] == person["met_3"] != person["reg_b"]
    # met_2 fits reg_b and reg_c about equally: it joins neither, and cannot bridge through met_1.
    assert len({person["met_2"], person["reg_b"], person["reg_c"], person["reg_a"]}) == 4
    # Without the encounter rule, the same pairs make one person of all three registered records.
    merged, _ = cluster(ids, no_nik, no_refs, pairs, 16.0)
    assert len(set(merged["cluster"])) == 1



def test_nik_confirmed_records_born_years_apart_stay_two_people() -> None:
    # A mother (1970) and her daughter (2020) of one name in one KK, each with her own confirmed
    # NIK; roster rows with no birth date and no NIK fit both and would chain them into one.
    ids = ["mother", "daughter", "roster1", "roster2", "her_again"]
    nik = pd.DataFrame({"unique_id": ["mother", "daughter", "her_again"],
                        "nik": ["3306115512700001", "3306116210200001", "3306115512700001"],
                        "birth_year": [1970, 2020, 1970], "sex": ["P", "P", "P"]})
    no_refs = pd.DataFrame(columns=["record_id", "target"])
    pairs = pd.DataFrame({"unique_id_l": ["mother", "roster1", "daughter", "roster1"],
                          "unique_id_r": ["roster1", "daughter", "roster2", "roster2"],
                          "evidence": [30.0, 29.0, 28.0, 27.0], "match_probability": [1.0] * 4})
    assigned, uf = cluster(ids, nik, no_refs, pairs, accept=16.0)
    group = dict(zip(assigned["record_id"], assigned["cluster"], strict=True))
    assert group["mother"] == group["her_again"]
    assert group["daughter"] == group["roster2"] != group["mother"]
    assert uf.kept_apart("mother", "daughter")
    # roster1 fits both about equally (30 and 29 bits): it joins neither, and a steward is asked.
    assert group["roster1"] not in (group["mother"], group["daughter"])
    band = review_band(pairs, assigned, uf, low=10.0)
    asked = {frozenset(p) for p in zip(band["unique_id_l"], band["unique_id_r"], strict=True)}
    assert frozenset(("mother", "roster1")) in asked and frozenset(("roster1", "daughter")) in asked
    # A steward who joins them anyway is obeyed, and the joined person still takes new records.
    assigned, _ = cluster(ids, nik, no_refs, pairs, accept=16.0, same=[("mother", "daughter")])
    assert assigned["cluster"].nunique() == 1


def test_a_record_that_fits_one_of_two_people_clearly_joins_it() -> None:
    # A roster row with a name and a KK but no birth date or NIK: it fits the mother far better
    # (her name and address, 30 bits) than her daughter of one name (20 bits): it joins the mother.
    ids = ["mother", "daughter", "roster"]
    nik = pd.DataFrame({"unique_id": ["mother", "daughter"], "nik": ["3306115512700001", "3306116210200001"],
                        "birth_year": [1970, 2020], "sex": ["P", "P"]})
    no_refs = pd.DataFrame(columns=["record_id", "target"])
    pairs = pd.DataFrame({"unique_id_l": ["mother", "roster"], "unique_id_r": ["roster", "daughter"],
                          "evidence": [30.0, 20.0], "match_probability": [1.0, 1.0]})
    assigned, _ = cluster(ids, nik, no_refs, pairs, accept=16.0)
    group = dict(zip(assigned["record_id"], assigned["cluster"], strict=True))
    assert group["mother"] == group["roster"] != group["daughter"]


def test_two_corroborated_niks_one_digit_apart_stay_two_people() -> None:
    # Two men named ... PURNOMO, born on one day in one regency, their NIKs one digit apart (districts
    # 10 and 12): each NIK is stated by two rows that agree with it. The model's "one typo" level
    # scores their rows as one person (35 bits); a typo is one row's slip, so these are two people.
    bayu, priyo = "3304100406770002", "3304120406770002"
    ids = ["bayu_dtks", "bayu_pkh", "priyo_dtks", "priyo_kis", "typo_row"]
    nik = pd.DataFrame({"unique_id": ["bayu_dtks", "bayu_pkh", "priyo_dtks", "priyo_kis"],
                        "nik": [bayu, bayu, priyo, priyo], "birth_year": [1977] * 4, "sex": ["L"] * 4})
    no_refs = pd.DataFrame(columns=["record_id", "target"])
    # typo_row states Bayu's NIK with one digit wrong, once: it is his, the slip of one row.
    pairs = pd.DataFrame({"unique_id_l": ["bayu_pkh", "typo_row"], "unique_id_r": ["priyo_kis", "bayu_dtks"],
                          "evidence": [35.0, 40.0], "match_probability": [1.0, 1.0]})
    assigned, uf = cluster(ids, nik, no_refs, pairs, accept=16.0)
    group = dict(zip(assigned["record_id"], assigned["cluster"], strict=True))
    assert group["bayu_dtks"] == group["bayu_pkh"] == group["typo_row"] != group["priyo_dtks"] == group["priyo_kis"]
    assert uf.kept_apart("bayu_pkh", "priyo_kis")
    # A NIK stated by one row only is not corroborated: a Splink pair may still join it (a typo).
    single = nik[nik["unique_id"] != "priyo_dtks"]
    assigned, _ = cluster(ids, single, no_refs, pairs, accept=16.0)
    group = dict(zip(assigned["record_id"], assigned["cluster"], strict=True))
    assert group["bayu_pkh"] == group["priyo_kis"]


def test_two_confirmed_niks_more_than_a_slip_apart_stay_two_people() -> None:
    # Two men named KROMO born on 1957-04-22, one of Kota Pekalongan (33.76), one of Rembang (33.21):
    # each row's NIK agrees with the row, and the two NIKs differ in more than one slip. Name and
    # birth date alone score them as one (25 bits): a person has one NIK, so they are two.
    ids = ["kromo_pekalongan", "kromo_rembang", "kromo_rembang_roster"]
    nik = pd.DataFrame({"unique_id": ids, "nik": ["3376042204570001", "3321072204570006", "3321072204570006"],
                        "birth_year": [1957] * 3, "sex": ["L"] * 3})
    no_refs = pd.DataFrame(columns=["record_id", "target"])
    pairs = pd.DataFrame({"unique_id_l": ["kromo_pekalongan"], "unique_id_r": ["kromo_rembang"], "evidence": [25.0],
                          "match_probability": [1.0]})
    assigned, _ = cluster(ids, nik[:2], no_refs, pairs, accept=16.0)  # even each stated once
    group = dict(zip(assigned["record_id"], assigned["cluster"], strict=True))
    assert group["kromo_pekalongan"] != group["kromo_rembang"]
    # One slip apart (a digit swapped) and stated once: one person's NIK typed wrong, joined.
    swapped = nik[:2].assign(nik=["3321072204570006", "3321072204570060"])
    assigned, _ = cluster(ids, swapped, no_refs, pairs, accept=16.0)
    assert assigned.set_index("record_id").loc[["kromo_pekalongan", "kromo_rembang"], "cluster"].nunique() == 1
