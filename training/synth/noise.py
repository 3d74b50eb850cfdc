"""Cheap synthetic OCR noise (placeholder, replaced below)."""
def apply(text, spans, report, rng):
    return text, spans
