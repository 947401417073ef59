"""Statements of the stewards' own actions: a split or a join kept as a judgement, undo, and the
one candidate a review page shows.

A split or a join is stored as a judged MatchCandidate between one record of each side, with the
records it binds (``left_records``, ``right_records``): the form every later ``hub match`` and
live link already reads (``queries.JUDGED_CANDIDATES``). ``undo`` on a candidate is a JSON list,
one entry per verdict, of what the verdict changed (see matching/steward.py).
"""

from __future__ import annotations

from graph_schema.model import Label, RelType

# The candidate a split or a join is judged on: the one between these two records if the linker
# proposed it, else a new one, marked with what made it (``origin``: split or join).
STEWARD_ACTION_CANDIDATE = (
    f"MATCH (l:{Label.SOURCE_RECORD} {{record_id: $left}}) MATCH (r:{Label.SOURCE_RECORD} {{record_id: $right}}) "
    f"MERGE (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) "
    "ON CREATE SET c.status = 'open', c.priority = 0.0, c.match_weights = '{}', c.created_at = $at, "
    "c.run_id = $run_id, c.origin = $origin "
    f"MERGE (c)-[x:{RelType.COMPARES}]->(l) SET x.side = coalesce(x.side, 'left') "
    f"MERGE (c)-[y:{RelType.COMPARES}]->(r) SET y.side = coalesce(y.side, 'right') "
    "RETURN c.candidate_id AS candidate_id"
)

# A candidate's state as a verdict finds it (what undo puts back).
CANDIDATE_STATE = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) "
    "RETURN c.status AS status, c.decision AS decision, c.decided_by AS decided_by, c.decided_at AS decided_at, "
    "c.reason AS reason, c.left_records AS left_records, c.right_records AS right_records, "
    "c.history AS history, c.undo AS undo, c.origin AS origin"
)
SET_CANDIDATE_UNDO = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) SET c.undo = $undo "
    "RETURN c.candidate_id AS candidate_id"
)
# Undo: the candidate as it was before the verdict, its history kept (the undone line marked).
RESTORE_CANDIDATE = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) "
    "SET c.status = $status, c.decision = $decision, c.decided_by = $decided_by, c.decided_at = $decided_at, "
    "c.reason = $reason, c.left_records = $left_records, c.right_records = $right_records, c.history = $history, "
    "c.undo = $undo RETURN c.candidate_id AS candidate_id"
)
# Undo of a split or a join whose candidate the action made: it goes with it.
DELETE_CANDIDATE = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) DETACH DELETE c RETURN count(*) AS deleted"
)

# A steward's latest verdicts since $day (an ISO date), newest first: what they may still undo.
# Found through the status index (decided candidates grow with verdicts, not with the graph).
OWN_VERDICTS_SINCE = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{status: 'decided'}}) WHERE c.decided_by = $by AND c.decided_at >= $day "
    "RETURN c.candidate_id AS candidate_id, c.decision AS decision, c.decided_at AS decided_at, c.reason AS reason, "
    "c.origin AS origin, c.left_records AS left_records, c.right_records AS right_records "
    "ORDER BY decided_at DESC, candidate_id DESC LIMIT $limit"
)

# One candidate with both sides' records and the persons they belong to now (the page's shape).
MATCH_CANDIDATE_FOR_REVIEW = (
    f"MATCH (c:{Label.MATCH_CANDIDATE} {{candidate_id: $candidate_id}}) "
    "RETURN c {.*} AS candidate, "
    f"[(c)-[x:{RelType.COMPARES}]->(s:{Label.SOURCE_RECORD}) | {{side: x.side, record: s {{.*}}}}] AS sides, "
    f"[(c)-[y:{RelType.COMPARES}]->(:{Label.SOURCE_RECORD})-[:{RelType.RESOLVES_TO}]->(p:{Label.PERSON}) | "
    "{side: y.side, person_id: p.person_id}] AS persons"
)

# The persons some records belong to now.
PERSONS_OF_RECORDS = (
    f"UNWIND $ids AS id MATCH (s:{Label.SOURCE_RECORD} {{record_id: id}})-[:{RelType.RESOLVES_TO}]->"
    f"(p:{Label.PERSON}) RETURN s.record_id AS record_id, p.person_id AS person_id"
)
