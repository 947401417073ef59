"""Why the linker was unsure about a candidate: the prior and each comparison's weight, in order."""

from __future__ import annotations

import strawberry

from matching.pair_weights import pair_score
from matching.seen import ModelMissing, live_model
from resolvers.context import Context


@strawberry.type(description="One comparison's step in a pair's score: its level and weight, and the running total.")
class WaterfallStep:
    comparison: str = strawberry.field(description="name, birth, sex, mother_folded, household_place, nik, ...")
    level: str = strawberry.field(description="The level the pair reached, as the model labels it.")
    weight: float = strawberry.field(description="Bits of evidence (with the name's rarity), negative against.")
    total: float = strawberry.field(description="The prior plus this and every earlier step's weight.")


@strawberry.type(description="A pair's score as the saved model gives it: prior + each comparison's weight = "
                 "match weight.")
class Waterfall:
    prior: float = strawberry.field(description="The weight of two records chosen at random being one person.")
    steps: list[WaterfallStep]
    match_weight: float
    probability: float


async def waterfall_of(ctx: Context, left: str, right: str) -> Waterfall | None:
    """The saved model's waterfall of records ``left`` and ``right``; None without a model or a comparable pair."""
    if ctx.model_path is None:
        return None
    try:
        live = live_model(ctx.model_path)
    except ModelMissing:
        return None
    score = await pair_score(ctx.store, live, left, right)
    if score is None:
        return None
    steps, total = [], score.prior
    for part in score.parts:
        total += part.weight
        steps.append(WaterfallStep(comparison=part.comparison, level=part.level, weight=part.weight, total=total))
    return Waterfall(prior=score.prior, steps=steps, match_weight=score.match_weight, probability=score.probability)
