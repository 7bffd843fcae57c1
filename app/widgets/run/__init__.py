"""The run view's pictures: each engine's own model of one run, drawn at one virtual moment.

Every picture is a widget with `show(run)` (attributes down: the finished run to draw) and
`at(day)` (the moment of the shared clock). `at` computes the picture's state as a frozen record
(`.view`) from the engine's own records (history rows, task-instance trace, execution history),
so tests read what a picture shows from that record, not from pixels.
"""
