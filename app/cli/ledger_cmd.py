"""`workflow-canvas ledger`: what the services recorded (the statement a customer could read).

Reading never writes: the file is opened through the store's checks (a foreign, damaged, newer or
missing file is refused untouched), and every entry is checked against its checksum, so a
tampered amount is reported instead of summed.
"""

from __future__ import annotations

from app.cli.common import CliError, add_db_option, db_path, print_json

DB_NAME = "replay"


def register(subparsers) -> None:
    p = subparsers.add_parser("ledger", help="what the services recorded: charges (amount, idempotency key), refunds, "
                                             "reservations, releases, shipments, emails")
    p.add_argument("--order", metavar="ORDER_ID", help="only this order, e.g. 1001")
    p.add_argument("--json", action="store_true")
    add_db_option(p, DB_NAME)
    p.set_defaults(handler=_ledger)


def _ledger(args) -> int:
    from engines.store import Store
    from workloads.services.ledger import read_ledger

    path = db_path(args, DB_NAME)
    if not path.exists():
        raise CliError(f"{path}: no such database (pass --db)")
    # any engine's database holds the services' ledger beside the engine's own tables
    with Store(path, create=False) as store:
        if store.schema_version("services") is None:
            raise CliError(f"{path}: no services ledger in this database (nothing has called the services yet)")
        ledger = read_ledger(store, args.order)
    if args.json:
        print_json({"entries": [e.model_dump(mode="json") for e in ledger.entries],
                    "statement_cents": ledger.statement_cents(), "counts": ledger.counts()})
        return 0
    for line in ledger.statement_lines():
        print(line)
    print(f"statement: ${ledger.statement_cents() / 100:,.2f}")
    return 0
