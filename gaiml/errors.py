"""The one exception family of gaiml: every message names the file and the problem."""

from __future__ import annotations


class GaimlError(Exception):
    """Base class of every error gaiml raises on purpose."""


class InputError(GaimlError):
    """A report that cannot be read or is not a report; ``source`` names it."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class ModelError(GaimlError):
    """A model directory that is missing, incomplete or trained on another schema."""
