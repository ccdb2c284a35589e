"""Which tip a channel gets next: every eligible tip once before any repeats.

Each round is a shuffle of the eligible tip ids, seeded by the subscription's
own seed and the round number, so the order differs between channels and
between rounds yet is the same on every machine and after every restart.
The shuffle is recomputed from whatever is eligible now: a tip added mid-round
simply appears in it and is posted this round; a tip removed is no longer there.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.core.catalogue import Catalogue


@dataclass(frozen=True, slots=True)
class Pick:
    tip_id: str
    round: int


def round_order(eligible: Iterable[str], *, seed: str, round: int) -> list[str]:
    """The round's order: a deterministic shuffle (sorting first makes file order irrelevant)."""
    order = sorted(set(eligible))
    random.Random(f"{seed}:{round}").shuffle(order)
    return order


def next_pick(
    eligible: Collection[str],
    *,
    seed: str,
    round: int,
    delivered_this_round: Collection[str],
    previous: str | None = None,
) -> Pick | None:
    """The next tip for a channel, or None when nothing is eligible.

    `delivered_this_round` are the ids already posted (or claimed) in `round`;
    when every eligible tip is among them, the next round starts. `previous`,
    the last tip posted, is not repeated first thing in a new round when
    another tip can go first, so a round boundary never shows the same tip twice
    in a row.
    """
    if not eligible:
        return None
    order = round_order(eligible, seed=seed, round=round)
    remaining = [tip for tip in order if tip not in delivered_this_round]
    if remaining:
        return Pick(remaining[0], round)
    fresh = round_order(eligible, seed=seed, round=round + 1)
    if len(fresh) > 1 and fresh[0] == previous:
        fresh.append(fresh.pop(0))
    return Pick(fresh[0], round + 1)


def eligible_tip_ids(catalogue: Catalogue, *, topics: Collection[str] = ()) -> list[str]:
    """Ids of the tips a channel may receive: all, or those in the chosen topics."""
    return [tip.id for tip in catalogue.tips if not topics or tip.topic in topics]
