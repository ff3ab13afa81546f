"""Geography: boundary sets and place names, the bottom layer every other stage stands on.

Owns importing, checking and serving boundary files (`boundaries`, `files`), downloading them from public
sources (`sources`), matching written place names to p-codes (`gazetteer`, a cascade of named steps over
the reading rules in `names`), and the one ISO country-code table (`countries`).
"""

__all__ = ["boundaries", "countries", "files", "gazetteer", "names", "sources"]
