"""Returns: a partner"s file in, canonical rows and row-by-row issues out.

Owns the canonical schema and vocabularies, reading spreadsheets safely, normalising values, checking rows,
the annotated workbook, the template and the fictional demo returns. Depends on `mapping.geo` for place names.
"""

__all__ = ["annotate", "demo", "ingest", "normalise", "readers", "result", "schema", "template"]
