"""The output document's contract: the JSON Schema file beside this module, plus the cell keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources

from . import schema
from .errors import GaimlError


# The shape of a result document. 2: each review item says why ({"cell", "why"}, riskiest
# first); 1 (no "output_version"): the review list held bare cell keys.
OUTPUT_VERSION = 2


class OutputError(GaimlError):
    """A result document that does not have the documented shape."""


@cache
def output_schema() -> dict:
    return json.loads(resources.files("gaiml").joinpath("output.schema.json").read_text(encoding="utf-8"))


@cache
def _validator():
    import jsonschema  # only needed when checking documents

    return jsonschema.Draft202012Validator(output_schema())


def check_output(doc: dict) -> None:
    """Raise OutputError unless ``doc`` matches output.schema.json and holds exactly the cell keys
    of its template and 其他处理 form."""
    error = next(iter(_validator().iter_errors(doc)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "document"
        raise OutputError(f"{where}: {error.message}")
    expected = schema.cell_keys(doc["template"], doc["other_form"])
    if tuple(doc["cells"]) != expected:
        missing = sorted(set(expected) - set(doc["cells"]))
        extra = sorted(set(doc["cells"]) - set(expected))
        raise OutputError(f"cell keys differ from template {doc['template']}/{doc['other_form']}: "
                          f"missing {missing[:5]}, unexpected {extra[:5]}")


def review_items(doc: dict) -> list[dict]:
    """A result document's review list as ``{"cell", "why"}`` items, riskiest first; a line of
    output version 1 (bare cell keys, e.g. resumed from an older file) gets an empty why."""
    return [item if isinstance(item, dict) else {"cell": item, "why": ""} for item in doc.get("review") or []]


def review_cells(doc: dict) -> list[str]:
    """The keys of the cells a result document sends to review, riskiest first."""
    return [item["cell"] for item in review_items(doc)]


def json_lines(raw: str) -> Iterator[tuple[int, object, str | None]]:
    """Each non-blank line of a JSON Lines text (results of `gaiml extract`): its 1-based number,
    its value (None when it is not JSON) and why it is not JSON (None when it is). Each reader
    decides what a bad line costs: an error, or a note and the next line."""
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield number, None, exc.msg
