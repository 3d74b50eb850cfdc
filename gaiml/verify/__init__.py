"""Judging readings: what the tables' arithmetic says of what the engines read.

- ``validate``: which relations of SPEC.md hold, break or cannot be assessed;
- ``complete``: the figures of a row printed one short, placed by the row's arithmetic (both
  engines use it while reading);
- ``confusions``: readings a printed figure could also stand for (OCR-confusable digits);
- ``reconcile``: the ``auto`` engine's one value per cell from the rules' and the model's readings;
- ``unchecked``: figures of OCR'd text that no relation confirms;
- ``status``: the one place a document's status and review list are decided.

Nothing here reads text: the engines (``gaiml.rules``, ``gaiml.model``) do, and import from here.
"""

from .status import NEEDS_REVIEW, SOURCE_INCONSISTENT, STATUSES, VERIFIED, judge
from .validate import check_relations

__all__ = ["NEEDS_REVIEW", "SOURCE_INCONSISTENT", "STATUSES", "VERIFIED", "check_relations", "judge"]
