"""`workflow-canvas cards`, `choose CARD` and `verify CARD`: the workload cards and which model each belongs on.

One `register(sub)` adds each command through its own small function, so more commands
(verify, run) slot in beside these.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    _add_cards(sub)
    _add_choose(sub)
    _add_verify(sub)


def _add_cards(sub) -> None:
    parser = sub.add_parser("cards", help="list the bundled workload cards and their requirement chips")
    parser.add_argument("--json", action="store_true", help="print the cards as JSON")
    parser.set_defaults(handler=_cards)


def _add_choose(sub) -> None:
    parser = sub.add_parser("choose", help="recommend a model for a card, with a reason per chip")
    parser.add_argument("card", metavar="CARD", help="a bundled card id or letter (A, order-fulfillment) or a .toml path")
    parser.add_argument(
        "--weight",
        metavar="KEY",
        default=None,
        help="raise one requirement's weight (the canvas's 'requirement weight' knob), e.g. cloud_native",
    )
    parser.add_argument("--json", action="store_true", help="print {card, model, reasons} as JSON")
    parser.set_defaults(handler=_choose)


def _add_verify(sub) -> None:
    parser = sub.add_parser("verify", help="judge placing a card on an engine, citing the scene behind each chip")
    parser.add_argument("card", metavar="CARD", help="a bundled card id or letter, or a .toml path")
    parser.add_argument("--on", required=True, choices=("replay", "dag", "statemachine"), dest="engine",
                        help="the engine the card is placed on")
    parser.add_argument("--weight", metavar="KEY", default=None, help="raise one requirement's weight")
    parser.add_argument("--no-evidence", action="store_true", help="judge from the chips alone, without running the workload")
    parser.add_argument("--json", action="store_true", help="print {card, model, placed_on, correct, reasons, evidence}")
    parser.set_defaults(handler=_verify)


def card_json(card) -> dict:
    """A card as plain data (the `cards --json` rows)."""
    return {
        "id": card.id,
        "letter": card.letter,
        "title": card.title,
        "story": card.story,
        "chips": dict(card.chips),
        "labels": {k: card.chip_label(k) for k in card.chips},
        "scenarios": list(card.scenarios),
        "workload": card.workload,
    }


def _chips_text(card) -> str:
    return "\n".join(f"{'✓' if card.chips[k] else '○'} {card.chip_label(k)}" for k in _ordered(card))


def _ordered(card) -> list[str]:
    from workloads.requirements import catalogue

    return [k for k in catalogue() if k in card.chips]


def _cards(args) -> int:
    from workloads.cards import bundled_cards

    cards = bundled_cards()
    if args.json:
        from app.cli.common import print_json

        print_json([card_json(c) for c in cards])
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Workload cards (✓ present, ○ absent)", show_lines=True)
    table.add_column("", style="bold")
    table.add_column("card")
    table.add_column("chips")
    table.add_column("workload")
    for card in cards:
        table.add_row(card.letter, f"[bold]{card.title}[/]\n[dim]{card.id}[/]", _chips_text(card), card.workload or "—")
    Console().print(table)
    return 0


def _choose(args) -> int:
    from workloads.cards import get_card
    from workloads.choose import MODEL_TITLES, choice_json, choose_model, emphasised_weights

    card = get_card(args.card)
    weights = emphasised_weights(args.weight) if args.weight else None
    choice = choose_model(card, weights)
    if args.json:
        from app.cli.common import print_json

        print_json(choice_json(choice))
        return 0
    from rich.console import Console
    from rich.table import Table

    from workloads.requirements import display_number

    console = Console()
    console.print(f"[bold]{card.letter} · {card.title}[/]  →  recommended: [bold green]{MODEL_TITLES[choice.model]}[/] ({choice.model})")
    scores = ", ".join(
        f"{m} {choice.scores[m]:g}" + (" (ruled out by " + ", ".join(choice.ruled_out[m]) + ")" if m in choice.ruled_out else "")
        for m in choice.scores
    )
    console.print(f"[dim]scores: {scores}[/]")
    table = Table(show_lines=False)
    table.add_column("chip")
    table.add_column("term")
    table.add_column("scene", justify="right")
    table.add_column("why")
    for r in choice.reasons:
        table.add_row(f"{'✓' if r.present else '○'} {card.chip_label(r.key)}", r.term, display_number(r.scene), r.why)
    console.print(table)
    return 0


def _verify(args) -> int:
    from workloads.cards import get_card
    from workloads.choose import emphasised_weights
    from workloads.verifier import headline, verify

    verdict = verify(get_card(args.card), args.engine, emphasised_weights(args.weight) if args.weight else None,
                     evidence=not args.no_evidence)
    if args.json:
        from app.cli.common import print_json

        print_json(verdict.to_json())
        return 0
    from rich.console import Console

    console = Console()
    console.print(f"[bold {'green' if verdict.correct else 'red'}]{headline(verdict)}[/]")
    for line in verdict.lines:
        style = "" if line.ok else "red"
        console.print(f"  [{style}]{line.text}[/]" if style else f"  {line.text}", highlight=False)
    if verdict.evidence:
        console.print("[bold]Evidence from running it:[/]")
        for line in verdict.evidence:
            console.print(f"  {line}", highlight=False)
    return 0
