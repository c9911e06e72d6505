"""Domain errors of the storage layer; each carries a one-line message fit for the user."""

from __future__ import annotations


class StorageError(Exception):
    """A problem with the database or its configuration, worded for the person running it."""


class KnowledgeBaseError(StorageError):
    """The YAML in data/ (or an import file) is invalid; the message names file, record, field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        first = problems[0] if problems else "unknown problem"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


class ImportFileError(StorageError):
    """An import file of the wrong shape."""
