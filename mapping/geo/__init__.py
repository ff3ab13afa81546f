"""Geography: boundary sets and place names, the bottom layer every other stage stands on.

Owns importing, checking and serving boundary files (`boundaries`, `files`), downloading them from public
sources (`sources`) and matching written place names to p-codes (`gazetteer`).
"""

__all__ = ["boundaries", "files", "gazetteer", "sources"]
