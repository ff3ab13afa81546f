"""The outcome of reading one return, in its own module so that ingest and annotate both depend on it, not on each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from mapping.returns.schema import Issue

__all__ = ["IngestResult"]


@dataclass
class IngestResult:
    """What a return holds and what is wrong with it; `records` are the rows free of errors."""

    file: str
    sheet: str | None
    columns: list[dict]
    rows: int
    records: list[dict]
    issues: list[Issue]
    unknown_columns: list[str]
    header_row: int | None = None  # Excel number of the (last) header row
    # each default applied for a missing column, stated once: {"field", "rule", "rows"}
    defaults: list[dict] = field(default_factory=list)
    # each value not on a list once: {"field", "value", "rows", "first_row", "suggestion", "confidence", "how"}
    offlist: list[dict] = field(default_factory=list)
    # rows whose only errors can wait for the secretariat (unknown district, unreadable date ...): the record as
    # far as it was read, with "_queue": [[field, value as written, message], ...] and "_province" as written
    queued: list[dict] = field(default_factory=list)
    # the header signature (same headers, same signature) and the saved layout the columns were read with:
    # {"name", "org", "saved_at", "saved_by", "how": matched | chosen | given}, None when none was used
    signature: str | None = None
    layout: dict | None = None
    # what reading the file cost the separate reader process (0 when it was read in this one)
    reader_peak_mb: float = 0.0
    reader_cpu_seconds: float = 0.0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def accepted(self) -> int:
        return len(self.records)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def blocking(self) -> list[Issue]:
        """Errors that no review can settle (on rows that cannot wait in the queue, or on the file itself)."""
        waiting = {r["_row"] for r in self.queued}
        return [i for i in self.errors if i.row not in waiting]

    def issue_groups(self, first: int = 5) -> list[dict]:
        """Issues grouped by (column, value, message): a 91,000-row file with one unmapped value is one line with
        its count and first rows, not 91,000 records. Errors first, then by first row."""
        groups: dict[tuple, dict] = {}
        for i in self.issues:
            g = groups.setdefault((i.column, i.value, i.message), {
                "column": i.column, "value": i.value, "message": i.message, "severity": i.severity,
                "suggestion": i.suggestion, "count": 0, "rows": []})
            g["count"] += 1
            if len(g["rows"]) < first and i.row is not None:
                g["rows"].append(i.row)
        return sorted(groups.values(), key=lambda g: (g["severity"] != "error", (g["rows"] or [0])[0]))

    def to_json(self, *, all_issues: bool = True) -> dict:
        """`all_issues=False` groups the issues (see `issue_groups`); True keeps one record per row and problem."""
        return {
            "file": self.file, "sheet": self.sheet,
            "columns": [{"header": c["header"], "letter": c["letter"], "field": c["field"]} for c in self.columns],
            "rows": self.rows, "accepted": self.accepted, "queued": len(self.queued),
            "errors": len(self.errors), "warnings": len(self.warnings),
            "unknown_columns": list(self.unknown_columns),
            "layout": None if self.layout is None else {k: v.isoformat() if hasattr(v, "isoformat") else v
                                                        for k, v in self.layout.items()},
            "defaults": [dict(d) for d in self.defaults],
            "offlist": [dict(d) for d in self.offlist],
            "issues": [{"file": i.file, "sheet": i.sheet, "row": i.row, "column": i.column, "value": i.value,
                        "severity": i.severity, "message": i.message, "suggestion": i.suggestion}
                       for i in self.issues] if all_issues else self.issue_groups(),
        }
