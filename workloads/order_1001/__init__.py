"""ORDER #1001, the course's running example, written once per engine."""
