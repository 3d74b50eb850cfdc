"""The Label Studio labelling interface, generated from the model's entity set.

Character granularity (``granularity="symbol"``): a figure is often one digit between two tabs,
and word granularity would snap a selection to whole runs of Chinese text.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from ..model.tags import entity_types

FROM_NAME = "label"  # the <Labels> control
TO_NAME = "text"  # the <Text> object, fed from the task's data["text"]
CONFIG_PATH = Path(__file__).resolve().parents[2] / "annotations" / "label_config.xml"

# One colour per kind of entity, so a table reads at a glance: rows, columns, 表四, fields.
COLOURS = {"ROW=": "#4e79a7", "COL=t4.": "#f28e2b", "COL=": "#59a14f", "AGENCY": "#b07aa1", "YEAR": "#b07aa1"}


def colour_of(entity: str) -> str:
    return next(c for prefix, c in COLOURS.items() if entity.startswith(prefix))


REVIEW_NAME = "review"  # the review queue's note above the report, fed from data["review"]


def label_config(entities: tuple[str, ...] | None = None, review: bool = False) -> str:
    """The XML config: one <Label> per entity over the report text, character by character.
    ``review``: a review queue's, which shows above the report which cells to check and why."""
    entities = entity_types() if entities is None else entities
    lines = ['<View>',
             '  <Header value="Label row labels (ROW=), figures by column (COL=), the agency and the year"/>',
             *([f'  <Header value="Cells to check" size="5"/>', f'  <Text name="{REVIEW_NAME}" value="${REVIEW_NAME}"/>']
               if review else []),
             f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}" showInline="true">']
    lines += [f'    <Label value={quoteattr(e)} background="{colour_of(e)}"/>' for e in entities]
    lines += ['  </Labels>',
              f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>',
              '</View>']
    return "\n".join(lines) + "\n"


def write_label_config(path: str | Path = CONFIG_PATH) -> Path:
    """Write the config (committed as annotations/label_config.xml)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(label_config(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_label_config())
