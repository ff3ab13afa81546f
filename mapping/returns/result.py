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

    def to_json(self) -> dict:
        return {
            "file": self.file, "sheet": self.sheet,
            "columns": [{"header": c["header"], "letter": c["letter"], "field": c["field"]} for c in self.columns],
            "rows": self.rows, "accepted": self.accepted, "queued": len(self.queued),
            "errors": len(self.errors), "warnings": len(self.warnings),
            "unknown_columns": list(self.unknown_columns),
            "defaults": [dict(d) for d in self.defaults],
            "offlist": [dict(d) for d in self.offlist],
            "issues": [{"file": i.file, "sheet": i.sheet, "row": i.row, "column": i.column, "value": i.value,
                        "severity": i.severity, "message": i.message, "suggestion": i.suggestion}
                       for i in self.issues],
        }
