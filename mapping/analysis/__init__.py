"""Analysis: counting the picture. Pure pandas, no database and no I/O.

Owns the one `Filters` object (`filters`), the counting engine under every table (`frame`: the prepared frame,
its scope under a filter, aggregation by the counting rules), matrices, gaps and overlaps (`matrices`),
the plain-language sentences (`headlines`), district and partner profiles (`profiles`) and round changes
(`changes`).
"""

__all__ = ["changes", "filters", "frame", "headlines", "matrices", "profiles"]
