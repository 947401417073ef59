"""A steward's split, join and undo on a real linked graph, and a later ``hub match`` keeping them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_schema import api_queries, queries
from graph_schema.port import GraphStore
from hub.errors import InputError
from hub.synth.config import SynthConfig
from hub.synth.run import synthesize
from matching.pipeline import run_match
from matching.steward import join_persons, split_person
from matching.undo import CannotUndo, own_verdicts, undo_verdict
from tests.graph_schema import lookups
from tests.matching.test_pipeline import load_all

STEWARD = "Sri (key k1)"


@pytest.fixture(scope="module")
def small_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("steward-synth")
    synthesize(SynthConfig(persons=200, seed=8, xlsx=False), out, workers=1)
    return out


async def _persons(store: GraphStore) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for row in await store.run(queries.CURRENT_RESOLUTIONS):
        held.setdefault(row["person_id"], set()).add(row["record_id"])
    return held


async def test_split_join_and_undo_hold_through_a_later_match(store: GraphStore, small_population: Path,
                                                               tmp_path: Path) -> None:
    await load_all(store, small_population, tmp_path)
    model = tmp_path / "model.json"
    await run_match(store, model)
    held = await _persons(store)
    person, records = next((p, sorted(r)) for p, r in sorted(held.items()) if len(r) >= 3)
    moving = records[-1:]

    with pytest.raises(InputError, match="not none and not all"):
        await split_person(store, person, records, STEWARD, "all of them")
    with pytest.raises(InputError, match="is not a record of person"):
        await split_person(store, person, ["dtks:NOPE"], STEWARD, "unknown")
    split = await split_person(store, person, moving, STEWARD, "two people: other mother, other birth date")
    assert split.found and split.persons_before == (person,) and len(split.persons_after) == 2
    assert person not in split.persons_after  # both parts under new ids
    now = await _persons(store)
    part = next(p for p in split.persons_after if now[p] == set(moving))
    rest = next(p for p in split.persons_after if p != part)
    assert now[rest] == set(records) - set(moving)
    (redirect,) = await store.run(api_queries.PERSON_REDIRECTS_BY_IDS, {"keys": [person]})
    assert redirect["redirect"]["kind"] == "split" and sorted(redirect["redirect"]["to"]) == sorted(split.persons_after)

    # A full run reads the split as a judgement on records: the moved record stays apart.
    await run_match(store, model)
    after_run = await _persons(store)
    mover = next(p for p, r in after_run.items() if moving[0] in r)
    assert not (after_run[mover] & (set(records) - set(moving)))

    # Join two single-record persons; the absorbed id points at the person it became.
    singles = sorted(p for p, r in after_run.items() if len(r) == 1 and p != mover)[:2]
    join = await join_persons(store, singles[0], singles[1], STEWARD, "same person, typo in the name")
    (joined,) = join.persons_after
    assert (await _persons(store))[joined] == after_run[singles[0]] | after_run[singles[1]]
    absorbed = (set(singles) - {joined}).pop()
    (pointer,) = await store.run(api_queries.PERSON_REDIRECTS_BY_IDS, {"keys": [absorbed]})
    assert pointer["redirect"]["to"] == [joined]

    # Own verdicts of the day, newest first; undo of the join gives both ids back, the redirect goes.
    mine = await own_verdicts(store, STEWARD)
    assert [r["decision"] for r in mine][:2] == ["SAME", "DIFFERENT"]
    with pytest.raises(CannotUndo, match="no verdict of yours"):
        await undo_verdict(store, mine[0]["candidate_id"], "Budi (key k2)")
    undone = await undo_verdict(store, mine[0]["candidate_id"], STEWARD)
    assert undone.found and sorted(undone.persons_after) == singles
    back = await _persons(store)
    assert back[singles[0]] == after_run[singles[0]] and back[singles[1]] == after_run[singles[1]]
    assert await store.run(api_queries.PERSON_REDIRECTS_BY_IDS, {"keys": [absorbed]}) == []
    # The join's own candidate went with it; the split still stands, with its reason kept.
    (split_verdict,) = await own_verdicts(store, STEWARD)
    bound = await store.run(queries.JUDGED_CANDIDATES)
    assert [b["candidate_id"] for b in bound] == [split_verdict["candidate_id"]]
    (state,) = await store.run(lookups.MATCH_CANDIDATE_BY_ID, {"candidate_id": split_verdict["candidate_id"]})
    history = [json.loads(line) for line in state["candidate"]["history"].splitlines()]
    assert history[-1]["reason"] == "two people: other mother, other birth date"
    # Undo of the split: one person again, under the id it had, which no longer points anywhere.
    again = await undo_verdict(store, split_verdict["candidate_id"], STEWARD)
    assert again.persons_after == (person,) and (await _persons(store))[person] == set(records)
    assert await store.run(api_queries.PERSON_REDIRECTS_BY_IDS, {"keys": [person]}) == []
    assert await own_verdicts(store, STEWARD) == []
