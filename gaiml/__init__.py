"""gaiml: verified figures from Chinese government information-disclosure annual reports.

The public API: ``extract`` (one file), ``extract_text`` (a string), ``Pipeline`` (an engine
loaded once for many reports), ``extract_many`` (a collection, in parallel, to JSON Lines),
``read_document`` (any supported file to text), ``check_relations`` (the tables' arithmetic) and ``evaluate``
(scores against gold files).
"""

from .batch import extract_many
from .document import CellReading, Extraction
from .errors import GaimlError, InputError
from .evaluate import evaluate
from .pipeline import ExtractSettings, Pipeline, extract, extract_text
from .readers import read_document
from .verify import check_relations

__all__ = ["CellReading", "Extraction", "ExtractSettings", "GaimlError", "InputError", "Pipeline",
           "check_relations", "evaluate", "extract", "extract_many", "extract_text", "read_document"]
