"""Analysis: counting the picture. Pure pandas, no database and no I/O.

Owns the one `Filters` object and the counting rules (`filters`), matrices, gaps and overlaps (`matrices`),
the plain-language sentences (`headlines`), district and partner profiles (`profiles`) and round changes
(`changes`).
"""

__all__ = ["changes", "filters", "headlines", "matrices", "profiles"]
