"""Workload D: a subscription renewing monthly for years (the replay engine's long-running home).

Wait a month, charge the card on file (one idempotency key per period), email the receipt,
repeat, for a three-year term; the customer may cancel, change plan or update a declined card at
any time. Written once per engine (`replay.py`, `dag.py`, `statemachine.json` +
`statemachine.py`) over the same services and the same subscriptions table (`billing.py`): the
replay workflow continues-as-new to keep its history bounded, the DAG is `@monthly` with the
table as the only memory between runs and the cancel as "pause the DAG", the state machine
starts its successor execution before the one-year maximum duration of a Standard workflow.
"""
