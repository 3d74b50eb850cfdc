"""Generator of realistic messy 政府信息公开工作年度报告 texts with exact character-level labels.

A report is sampled as content (cell values, how each cell prints, prose), laid out as blocks
(paragraphs and tables with the official rowspan/colspan structure), rendered to text by a named
*style* (real converters: HTML -> lynx/w3m/pandoc/..., PDF -> pdftotext/pdfplumber, OCR), and
labelled by probing: the same document is rendered again with the digits and label characters of
every labelled item swapped for codes of the same width, so each character of the final text can
be traced back to the cell, row label, agency or year it came from. Spans are [start, end)
code-point offsets into the final text; every document is checked by a round trip through
``gaiml.values.parse_cell``.
"""

from .content import Report, sample_report
from .generate import Generated, generate
from .styles import STYLES, OCR_STYLES

__all__ = ["Generated", "OCR_STYLES", "Report", "STYLES", "generate", "sample_report"]
