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
    """A card as plain data (the `cards --json` rows); chips as written (true, false, "3d", 10000)."""
    return {
        "id": card.id,
        "letter": card.letter,
        "title": card.title,
        "story": card.story,
        "chips": {k: card.chip_value(k) for k in card.chips},
        "labels": {k: card.chip_label(k) for k in card.chips},
        "scenarios": list(card.scenarios),
        "workload": card.workload,
    }


def safe(text: str) -> str:
    """Card text for rich: control characters dropped, markup escaped ("[beta]" stays "[beta]")."""
    from rich.markup import escape

    from workloads.cards import card_text

    return escape(card_text(text))


def _chips_text(card) -> str:
    return "\n".join(f"{'✓' if card.chips[k] else '○'} {safe(card.chip_label(k))}" for k in _ordered(card))


def _ordered(card) -> list[str]:
    from workloads.requirements import catalogue

    return [k for k in catalogue() if k in card.chips]


def _weights(args):
    from workloads.choose import emphasised_weights

    return emphasised_weights(args.weight) if args.weight is not None else None


#: The style each grade's line wears (serves plain, limited yellow, cannot red).
GRADE_STYLES = {"serves": "", "limited": "yellow", "cannot": "red"}


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
        table.add_row(card.letter, f"[bold]{safe(card.title)}[/]\n[dim]{card.id}[/]", _chips_text(card), card.workload or "—")
    Console().print(table)
    return 0


def _choose(args) -> int:
    from workloads.cards import get_card
    from workloads.choose import NONE, choice_json, choose_model

    card = get_card(args.card)
    choice = choose_model(card, _weights(args))
    if args.json:
        from app.cli.common import print_json

        print_json(choice_json(choice))
        return 0
    from rich.console import Console
    from rich.table import Table

    from workloads.requirements import display_number

    console = Console()
    console.print(f"[bold]{card.letter} · {safe(card.title)}[/]  →  recommended: [bold green]{'none — ' if choice.model == NONE else ''}{safe(choice.summary)}[/]")
    if choice.model != NONE:
        scores = ", ".join(
            f"{m} {choice.scores[m]:g}" + (" (ruled out by " + ", ".join(choice.ruled_out[m]) + ")" if m in choice.ruled_out else "")
            for m in choice.scores
        )
        console.print(f"[dim]scores: {scores}[/]")
    table = Table(show_lines=False, caption="✓ serves · ◒ limited (serves within the stated limit) · ✗ cannot · ○ not needed")
    table.add_column("chip")
    table.add_column("term")
    table.add_column("scene", justify="right")
    table.add_column("why")
    for r in choice.reasons:
        style = GRADE_STYLES.get(r.grade.value, "") if r.grade is not None else "dim"
        why = f"[{style}]{safe(r.sentence)}[/]" if style else safe(r.sentence)
        table.add_row(f"{r.mark} {safe(card.chip_label(r.key))}", r.term, display_number(r.scene), why)
    console.print(table)
    for engine, lines in choice.warnings.items():
        for line in lines:
            console.print(f"[yellow]size warning ({engine}): {safe(line)}[/]", highlight=False)
    return 0


def _verify(args) -> int:
    from workloads.cards import get_card
    from workloads.verifier import decided_by, headline, verify

    verdict = verify(get_card(args.card), args.engine, _weights(args), evidence=not args.no_evidence)
    if args.json:
        from app.cli.common import print_json

        print_json(verdict.to_json())
        return 0
    from rich.console import Console

    console = Console()
    console.print(f"[bold {'green' if verdict.correct else 'red'}]{safe(headline(verdict))}[/]", highlight=False)
    console.print(f"  {verdict.card.letter} · {safe(verdict.card.title)}", highlight=False)
    console.print(f"[bold]{safe(decided_by(verdict))}[/]", highlight=False)
    for line in verdict.lines:
        style = GRADE_STYLES.get(line.grade.value, "") if line.grade is not None else "dim"
        console.print(f"  [{style}]{safe(line.text)}[/]" if style else f"  {safe(line.text)}", highlight=False)
    for warning in verdict.warnings:
        console.print(f"  [yellow]size warning: {safe(warning)}[/]", highlight=False)
    if verdict.evidence:
        console.print("[bold]Evidence from running it:[/]")
        for item in verdict.evidence:
            console.print(f"  {safe(item)}", highlight=False)
    return 0
