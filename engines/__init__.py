"""The three mini-engines and what they share: one clock, one trace language, one store.

Nothing here imports the app, the workloads or the lessons: arrows point down only.
"""
