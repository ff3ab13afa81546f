"""A national 5W of 91,000 rows x 75 columns, as ministries keep them, written straight as .xlsx XML in seconds:
the benchmark's national case and the browser test of a national upload read the same file."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - the benchmark's main module imports this: its reader processes must stay small
    import pandas as pd

NATIONAL_ROWS, NATIONAL_EXTRA_COLUMNS = 91_000, 46

_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.'
               'org/spreadsheetml/2006/main"><dimension ref="A1:{last}"/><sheetData>')
_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
    '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/'
    'styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="5W" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
    "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><fonts '
    'count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill/></fill>'
    '</fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/>'
    '<xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
}


def national_workbook(path: Path, units: pd.DataFrame, rows: int = NATIONAL_ROWS) -> None:
    """A national 5W as ministries keep them: the template's fields plus dozens of columns of their own.

    The sheet XML is written directly, cell for cell as openpyxl's write-only mode writes it (inline strings,
    numbers, dates as serial numbers with a date style, empty cells left out): the same file in seconds
    instead of three minutes."""
    import zipfile
    from xml.sax.saxutils import escape

    from mapping.returns.readers import column_letter
    from mapping.returns.schema import FIELDS, load_vocabularies

    rng = random.Random(11)
    vocab = load_vocabularies()
    places = units.to_dict("records")
    fields = [f for f in FIELDS if f.name not in ("targeted_hh", "reached_hh", "org_lead")]
    letters = [column_letter(i) for i in range(len(fields) + NATIONAL_EXTRA_COLUMNS)]
    epoch = dt.date(1899, 12, 30)

    def cell(ref: str, value) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return f'<c r="{ref}" s="1" t="n"><v>{(value - epoch).days}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}" t="n"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

    def row(r: int, values: list) -> str:
        return f'<row r="{r}">' + "".join(cell(f"{c}{r}", v) for c, v in zip(letters, values)) + "</row>"

    orgs = ["Indus Relief Partners", "IRP", "Northern Alliance for Child Welfare", "NACW"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(_SHEET_HEAD.format(last=f"{letters[-1]}{rows + 1}").encode())
            fh.write(row(1, [f.header for f in fields] + [f"Indicator {i}" for i in range(NATIONAL_EXTRA_COLUMNS)])
                     .encode())
            for i in range(rows):
                sector, sub, _ = rng.choice(vocab.sectors)
                place = rng.choice(places)
                values = {"org_name": rng.choice(orgs), "sector": sector, "subsector": sub,
                          "activity": f"Activity {i % 500}", "adm1_name": place["adm1_name"],
                          "adm2_name": place["adm2_name"], "status": rng.choice(("ongoing", "completed", "planned")),
                          "start_date": dt.date(2024, rng.randint(1, 12), rng.randint(1, 28)),
                          "end_date": dt.date(2025, 12, 31), "targeted": rng.randint(1, 90) * 100,
                          "reached": rng.randint(0, 900), "activity_id": f"N-{i:06d}"}
                cells = [values.get(f.name) for f in fields] + [rng.randint(0, 50) for _ in range(NATIONAL_EXTRA_COLUMNS)]
                fh.write(row(i + 2, cells).encode())
            fh.write(b"</sheetData></worksheet>")
