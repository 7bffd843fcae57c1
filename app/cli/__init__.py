"""The `workflow-canvas` command line: one entry point, one module per command group."""
