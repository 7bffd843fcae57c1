"""The face of Workflow Canvas: a Textual TUI and a CLI, built on the other packages' public functions."""
