"""Real return files for the ingest, template and demo tests, written with openpyxl / odfpy / csv."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl
import pandas as pd

from mapping.geo.gazetteer import Gazetteer
from mapping.returns.schema import FIELDS

HEADERS = [f.header for f in FIELDS]
TAGS = [f.hxl for f in FIELDS]

# A few real Pakistan districts (p-codes as in the shared boundary set): enough for the gazetteer to work,
# small enough to build in milliseconds.
PAK_UNITS = pd.DataFrame([
    ("PK601", "Attock", "PK6", "Punjab"), ("PK607", "Dera Ghazi Khan", "PK6", "Punjab"),
    ("PK617", "Lahore", "PK6", "Punjab"), ("PK627", "Multan", "PK6", "Punjab"),
    ("PK633", "Rawalpindi", "PK6", "Punjab"), ("PK702", "Badin", "PK7", "Sindh"),
    ("PK719", "Shaheed Benazirabad", "PK7", "Sindh"), ("PK724", "Sukkur", "PK7", "Sindh"),
    ("PK706", "Hyderabad", "PK7", "Sindh"), ("PK513", "Peshawar", "PK5", "Khyber Pakhtunkhwa"),
    ("PK526", "Nowshera", "PK5", "Khyber Pakhtunkhwa"), ("PK522", "Mardan", "PK5", "Khyber Pakhtunkhwa"),
], columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])

# A fictional country laid out like Mali (regions and cercles), for the OCHA-layout test.
XL_UNITS = pd.DataFrame([
    ("XL0101", "Bafoulabé", "XL01", "Kayes"), ("XL0102", "Diéma", "XL01", "Kayes"), ("XL0103", "Kita", "XL01", "Kayes"),
    ("XL0501", "Bandiagara", "XL05", "Mopti"), ("XL0502", "Djenné", "XL05", "Mopti"),
    ("XL0503", "Douentza", "XL05", "Mopti"),
], columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])

ORGS = [
    {"name": "United Nations Children's Fund", "acronym": "UNICEF", "type": "UN agency", "aliases": []},
    {"name": "Indus Relief Partners", "acronym": "IRP", "type": "National NGO", "aliases": ["Indus Relief"]},
    {"name": "Northern Alliance for Child Welfare", "acronym": "NACW", "type": "International NGO", "aliases": []},
]


def pak_gazetteer() -> Gazetteer:
    return Gazetteer.from_units(PAK_UNITS)


def xl_gazetteer() -> Gazetteer:
    return Gazetteer.from_units(XL_UNITS, aliases=pd.DataFrame(columns=["kind", "name", "target", "adm1", "note"]))


def row(**values: Any) -> dict:
    """A valid activity in template terms; keyword arguments override or blank (None) fields."""
    base = {"org_name": "IRP", "sector": "Health", "subsector": "Primary health care", "activity": "Mobile clinics",
            "adm1_name": "Punjab", "adm2_name": "Lahore", "status": "ongoing", "start_date": "01/02/2025",
            "end_date": "31/12/2025", "targeted": 1000, "reached": 400}
    base.update(values)
    return base


def xlsx(rows: Iterable[Sequence[Any]], *, sheet: str = "Activities", merges: Sequence[str] = (),
         before: dict[str, list[list[Any]]] | None = None, after: dict[str, list[list[Any]]] | None = None) -> bytes:
    """A workbook whose sheet `sheet` holds `rows` from A1; other sheets can be placed before/after it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, content in (before or {}).items():
        ws = wb.create_sheet(name)
        for r in content:
            ws.append(list(r))
    ws = wb.create_sheet(sheet)
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    for name, content in (after or {}).items():
        other = wb.create_sheet(name)
        for r in content:
            other.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_return(records: Iterable[dict], *, hxl: bool = True) -> bytes:
    """The template layout: human header on row 1, HXL row 2, one row per record from row 3 (or 2)."""
    rows: list[list[Any]] = [HEADERS] + ([TAGS] if hxl else [])
    rows += [[rec.get(f.name) for f in FIELDS] for rec in records]
    return xlsx(rows)


def csv_bytes(rows: Iterable[Sequence[Any]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode(encoding)


def ods_bytes(rows: Iterable[Sequence[Any]], *, sheet: str = "Activities") -> bytes:
    """A real OpenDocument spreadsheet written with odfpy (numbers as float cells, the rest as text)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name=sheet)
    for r in rows:
        tr = TableRow()
        for v in r:
            if v is None:
                tr.addElement(TableCell())
            elif isinstance(v, (int, float)):
                cell = TableCell(valuetype="float", value=v)
                cell.addElement(P(text=str(v)))
                tr.addElement(cell)
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(v)))
                tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def with_part_replaced(data: bytes, part: str, fn) -> bytes:
    """The same xlsx with one zip member rewritten (for tampered-file tests)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            dst.writestr(info.filename, fn(content) if info.filename == part else content)
    return out.getvalue()


def zip_bomb(size_mb: int = 450) -> bytes:
    """An 'xlsx' whose worksheet unpacks to `size_mb` MB of zeros (a few hundred KB packed)."""
    out = io.BytesIO()
    chunk = b"0" * (1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(size_mb):
                fh.write(chunk)
    return out.getvalue()


# --------------------------------------------------------------------------- legacy .xls (BIFF8 in a CFB container)

def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _biff8(sheet: str, rows: Sequence[Sequence[Any]], dimensions: tuple[int, int] | None = None,
           blanks: Sequence[tuple[int, int]] = ()) -> bytes:
    """A minimal Excel 97-2003 workbook stream: globals (BOF, CODEPAGE, BOUNDSHEET, EOF) and one sheet of
    LABEL (text) and NUMBER cells. No library in the project writes .xls, so the test builds one by hand.
    `dimensions` (rows, columns) replaces what the DIMENSIONS record declares; `blanks` are BLANK records,
    the formatted empty cells Excel writes for a stray border or fill."""
    def bof(kind: int) -> bytes:
        return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    cells = b""
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, (int, float)):
                cells += _record(0x0203, struct.pack("<HHHd", r, c, 0, float(v)))
            else:
                text = str(v)
                cells += _record(0x0204, struct.pack("<HHHHB", r, c, 0, len(text), 1) + text.encode("utf-16-le"))
    for r, c in blanks:
        cells += _record(0x0201, struct.pack("<HHH", r, c, 15))
    width = max((len(r) for r in rows), default=0)
    declared = dimensions or (len(rows), width)
    body = (bof(0x10) + _record(0x0200, struct.pack("<IIHHH", 0, declared[0], 0, declared[1], 0)) + cells
            + _record(0x0A, b""))
    name = sheet.encode("latin-1")

    def globals_(offset: int) -> bytes:
        return (bof(0x05) + _record(0x0042, struct.pack("<H", 0x04B0))
                + _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 0) + name) + _record(0x0A, b""))

    return globals_(len(globals_(0))) + body


_END, _FREE, _FAT_SECTOR, _NONE = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def xls_bytes(rows: Sequence[Sequence[Any]], *, sheet: str = "Activities", dimensions: tuple[int, int] | None = None,
              blanks: Sequence[tuple[int, int]] = (), small: bool = False) -> bytes:
    """A real .xls file (OLE compound file, version 3, one 'Workbook' stream); xlrd and calamine both read it.

    The stream is padded to 4 KB and stored in normal sectors; `small` keeps a stream under 4 KB in the
    compound file's mini stream instead, as Excel does for a small workbook."""
    stream = _biff8(sheet, rows, dimensions, blanks)
    if small:
        return _cfb_small(stream)
    stream += b"\0" * max(0, 4096 - len(stream))  # at the mini-stream cutoff: stored in normal sectors
    stream += b"\0" * (-len(stream) % 512)
    n = len(stream) // 512
    fat = [_FAT_SECTOR] + [i + 1 for i in range(1, n)] + [_END, _END]
    directory = (_cfb_entry("Root Entry", 5, 1, _END, 0) + _cfb_entry("Workbook", 2, _NONE, 1, len(stream))
                 + _cfb_entry("", 0, _NONE, 0, 0) * 2)
    return _cfb_header(n + 1, _END, 0) + _cfb_sector(fat) + stream + directory


def _cfb_small(stream: bytes) -> bytes:
    """A compound file holding `stream` (under 4 KB) in its mini stream: sector 0 the FAT, 1 the mini FAT,
    2.. the mini stream's 64-byte sectors, then the directory."""
    assert len(stream) < 4096
    n_mini = -(-len(stream) // 64)
    mini = stream + b"\0" * (n_mini * 64 - len(stream))
    mini += b"\0" * (-len(mini) % 512)
    n_data = len(mini) // 512
    fat = [_FAT_SECTOR, _END] + [3 + i for i in range(n_data - 1)] + [_END, _END]
    mini_fat = [i + 1 for i in range(n_mini - 1)] + [_END]
    directory = (_cfb_entry("Root Entry", 5, 1, 2, n_mini * 64) + _cfb_entry("Workbook", 2, _NONE, 0, len(stream))
                 + _cfb_entry("", 0, _NONE, 0, 0) * 2)
    return _cfb_header(2 + n_data, 1, 1) + _cfb_sector(fat) + _cfb_sector(mini_fat) + mini + directory


def _cfb_header(directory_at: int, mini_fat_at: int, mini_fat_sectors: int) -> bytes:
    """A version 3 compound file header (512-byte sectors) with one FAT sector, sector 0."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, directory_at, 0, 0x1000, mini_fat_at, mini_fat_sectors, _END, 0)
    struct.pack_into("<109I", header, 76, 0, *([_FREE] * 108))
    return bytes(header)


def _cfb_sector(links: list[int]) -> bytes:
    return struct.pack("<128I", *(links + [_FREE] * (128 - len(links))))


def _cfb_entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    e = bytearray(128)
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    e[0:len(encoded)] = encoded
    struct.pack_into("<HBB", e, 64, len(encoded), kind, 1 if kind else 0)
    struct.pack_into("<III", e, 68, _NONE, _NONE, child)
    struct.pack_into("<IQ", e, 116, start, size)
    return bytes(e)


# --------------------------------------------------------------------------- a real-world consolidated matrix

MATRIZ_GROUPS = ["Organizações", None, "Localização", None, "Atividade", None, None, None, "Beneficiários", None, None,
                 None, None]
MATRIZ_HEADERS = ["Agência líder", "Parceiro de implementação", "Província", "Distrito", "Setor", "Atividade",
                  "Estado", "Data de início", "Famílias alvo", "Pessoas alvo", "Famílias alcançadas",
                  "Pessoas alcançadas", "Observações"]
MATRIZ_HXL = ["#org +lead", "#org +impl", "#adm1 +name", "#adm2 +name", "#sector", "#activity +name", "#status",
              "#date +start", "#targeted +hh", "#targeted +ind +num", "#reached +hh", "#reached +ind +num",
              "#meta +remarks"]
MATRIZ_SECTORS = ["Saúde", "Educação", "Segurança alimentar", "Água, saneamento e higiene", "SHL", "NUT"]
MATRIZ_STATUSES = ["Em andamento", "Concluído", "Planeado"]


def portuguese_matrix(n: int, seed: int, *, odd_rows: bool = True) -> bytes:
    """A consolidated response-tracking matrix as Portuguese-speaking coordination offices keep them: a row of
    column groups, a header row, an HXL row with household (+hh) and people (+ind) counts side by side, sectors
    by their Portuguese names and cluster codes, statuses in Portuguese, a lead agency and an implementing partner
    but no reporting-organisation column. With `odd_rows`, one row in 25 names a district newer than the
    boundary set (Keamari) and one in 40 a start date that does not exist (31/02). Families are 1/6 of people."""
    rng = random.Random(seed)
    places = [("Punjab", "Lahore"), ("Punjab", "Multan"), ("Sindh", "Badin"), ("Sindh", "Sukkur"),
              ("Khyber Pakhtunkhwa", "Peshawar"), ("Balochistan", "Quetta")]
    leads = [("Indus Relief Partners", "Northern Alliance for Child Welfare"), ("Northern Alliance for Child Welfare",
                                                                                  None)]
    rows: list[list[Any]] = [MATRIZ_GROUPS, MATRIZ_HEADERS, MATRIZ_HXL]
    for i in range(n):
        lead, impl = rng.choice(leads)
        province, district = rng.choice(places)
        start = f"{rng.randint(1, 28):02d}/{rng.randint(1, 6):02d}/2025"
        if odd_rows and i % 25 == 7:
            province, district = "Sindh", "Keamari"
        if odd_rows and i % 40 == 11:
            start = "31/02/2025"
        families = rng.randint(10, 400)
        rows.append([lead, impl, province, district, rng.choice(MATRIZ_SECTORS), f"Atividade {i % 30}",
                     rng.choice(MATRIZ_STATUSES), start, families, families * 6, families // 2, families * 3, None])
    return xlsx(rows, sheet="Matriz")
