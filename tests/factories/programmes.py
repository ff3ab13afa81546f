"""Programme records and sheets (and a strategy framework) for the forum's tests, in the fictional two-province
country of `boundaries`."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from mapping.returns.programmes import COLUMNS, ProgrammeRecord
from tests.factories.boundaries import district_frame

# a small strategy framework: two pillars, an objective each, one policy action (deployments keep theirs as data)
STRATEGY_CSV = b"""code,level,parent,name
A,pillar,,Protect the poor
A.1,objective,A,Regular cash
A.1.x,action,A.1,Index transfers to inflation
B,pillar,,Systems
B.1,objective,B,One registry
"""


def units() -> pd.DataFrame:
    return district_frame().drop(columns="geometry")


def record(name: str, owner: str, **kw) -> ProgrammeRecord:
    return ProgrammeRecord(name=name, owner=owner, **kw)


def frame(*records: ProgrammeRecord) -> pd.DataFrame:
    """What `store.programmes.programme_frame` returns, built from records (owner types left empty)."""
    rows = []
    for i, r in enumerate(records, start=1):
        d = dict(r.__dict__)
        rows.append({"id": i, "owner_type": None, **d})
    return pd.DataFrame(rows)


def sheet(rows: list[dict], *, hxl: bool = True, title: str | None = None) -> bytes:
    """A programmes sheet as a secretariat keeps it: optional title row, headers, HXL row, one row each."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Programmes"
    if title:
        ws.append([title])
    ws.append(list(COLUMNS))
    if hxl:
        ws.append([tag for _, tag in COLUMNS.values()])
    for row in rows:
        ws.append([row.get(h) for h in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
