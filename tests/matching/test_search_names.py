"""What a person is found by, and how a searched name is read (behaviour tables)."""

from __future__ import annotations

import pandas as pd
import pytest

from matching.search_names import SEPARATOR, name_query, search_names

QUERY_CASES = [
    # old spelling and Muhammad's forms fold to today's
    ("Moehammad Soeparman", [["MUHAMMAD"], ["SUPARMAN"]]),
    ("Suparman", [["SUPARMAN"]]),
    # an initial stays one letter; a lone M may be Muhammad or any M- name
    ("J. Prasetyo", [["J"], ["PRASETYO"]]),
    ("M. Suparman", [["MUHAMMAD", "M"], ["SUPARMAN"]]),
    # J written for today's Y: both readings (folding alone makes PRASETJO "PRASECO")
    ("Prasetjo", [["PRASECO", "PRASETYO"]]),
    ("Djoko", [["JOKO", "DYOKO"]]),
    ("Djah Ajoe", [["JAH", "DYAH"], ["AJU", "AYU"]]),  # DYAH AYU written the old way
    ("Joko", [["JOKO", "YOKO"]]),
    # titles, bin/binti, call-name prefixes and case go, as in linkage
    ("H. Ahmad bin Salim", [["AHMAD"]]),
    ("  siti   aminah, S.Pd. ", [["SITI"], ["AMINAH"]]),
    ("Mbah Karto", [["KARTO"]]),
]


@pytest.mark.parametrize(("text", "words"), QUERY_CASES)
def test_name_query_words(text: str, words: list[list[str]]) -> None:
    query = name_query(text)
    assert query is not None and query.as_params() == words


@pytest.mark.parametrize("text", ["", "   ", "...", "H. Drs.", "123"])
def test_nothing_left_to_search(text: str) -> None:
    assert name_query(text) is None


def test_searchable_words_leave_initials_to_ranking() -> None:
    query = name_query("J. Prasetjo")
    assert query is not None
    # "J" cannot be looked up in a full-text index; each full word also finds its own initial
    assert query.searchable == [["PRASECO", "PRASETYO", "P"]]
    only_initials = name_query("M. S.")
    assert only_initials is not None and only_initials.searchable == []


def test_search_names_are_every_records_name_folded_once() -> None:
    frame = pd.DataFrame({
        "person_id": ["P1", "P1", "P1", "P2", "P2", "P3"],
        "name": ["J. PRASETYO", "DJOKO PRASETYO", "JOKO PRASETYO", "SOEPARMAN", None, "H."],
    })
    names = search_names(frame)
    assert names.to_dict() == {"P1": f"J PRASETYO{SEPARATOR}JOKO PRASETYO", "P2": "SUPARMAN"}
    assert search_names(frame.iloc[0:0]).empty
