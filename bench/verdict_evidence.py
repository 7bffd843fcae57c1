"""How long a verdict takes: the graded judgement alone, and with its evidence runs.

`verify CARD --on ENGINE` runs up to three scenarios of the card's workload for its evidence (the
cancel and the long wait first). This prints min / median / max seconds over interleaved rounds
(each round runs every card × engine once, so a slow moment of a shared machine spreads over all
of them instead of landing on one).

    .venv/bin/python bench/verdict_evidence.py --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import time

from engines.trace import ENGINES
from workloads.cards import bundled_cards
from workloads.verifier import verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args()
    cards = [c for c in bundled_cards() if c.workload]
    timings: dict[tuple[str, str, bool], list[float]] = {}
    for _ in range(max(1, args.rounds)):
        for card in cards:
            for engine in ENGINES:
                for evidence in (False, True):
                    start = time.perf_counter()
                    verify(card, engine, evidence=evidence)
                    timings.setdefault((card.letter, engine, evidence), []).append(time.perf_counter() - start)
    print(f"{'card':4} {'engine':13} {'evidence':8} {'min s':>8} {'median s':>9} {'max s':>8}")
    for (letter, engine, evidence), values in timings.items():
        print(f"{letter:4} {engine:13} {'yes' if evidence else 'no':8} {min(values):8.3f} "
              f"{statistics.median(values):9.3f} {max(values):8.3f}")


if __name__ == "__main__":
    main()
