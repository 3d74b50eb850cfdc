"""The one exception family of gaiml: every message names the file and the problem."""

from __future__ import annotations


class GaimlError(Exception):
    """Base class of every error gaiml raises on purpose."""

    def __reduce__(self):
        # Pickled as it stands (message and attributes), not through __init__, whose arguments
        # differ by subclass: a scan's page read by OCR in another process (a Ray task) hands its
        # error back to the one that assembles the document.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type, args: tuple, state: dict) -> GaimlError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(GaimlError):
    """A report that cannot be read or is not a report; ``source`` names it."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class ModelError(GaimlError):
    """A model directory that is missing, incomplete or trained on another schema."""
