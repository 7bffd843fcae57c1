"""Workload F: thumbnails on upload, the fan-out every engine can do (card F).

One upload makes six outputs: five thumbnail sizes made in parallel, then one manifest row
listing them, all written idempotently to one image store (`images.py`). A size that fails is
retried on its own; a batch of 1,000 uploads (6,000 outputs) shows what each engine's fan-out
costs. Written once per engine in its idiom (`replay.py`: parallel activities and child
workflows; `dag.py`: dynamic task mapping; `statemachine.json` + `statemachine.py`: a Map state).
"""
