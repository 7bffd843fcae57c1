"""The root of every error a user can cause and fix (bad input, a bad file, an unknown id).

The CLI prints these as one line and exits non-zero; anything else is a bug and keeps its
traceback. Each engine derives its own error types from this one.
"""


class WorkflowCanvasError(Exception):
    """An error with a message that says what is wrong and where."""
