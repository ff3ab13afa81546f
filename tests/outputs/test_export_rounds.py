"""Exports say which rows are carried forward from an earlier round (issue 20, defect 8)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from mapping.outputs import export
from tests.factories.report import activity, frame


def test_carried_forward_rows_are_marked_in_csv_and_excel():
    acts = frame([activity(org_name="Alpha Relief"), activity(org_name="Beta Aid")], round_name="2026 H2")
    acts.loc[1, "round_name"], acts.loc[1, "carried_forward"] = "2026 H1", True
    rows = list(csv.reader(io.StringIO(export.dataset_csv(acts).decode("utf-8-sig"))))
    assert rows[0][-1] == "Reported in" and rows[1][-1] == "#meta+reported_in"
    assert [r[-1] for r in rows[2:]] == ["2026 H2", "carried forward from 2026 H1"]
    ws = load_workbook(io.BytesIO(export.dataset_xlsx(acts)))["Activities"]
    last = ws.max_column
    assert [ws.cell(r, last).value for r in range(1, 5)] == ["Reported in", "#meta+reported_in", "2026 H2",
                                                            "carried forward from 2026 H1"]
