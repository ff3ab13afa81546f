"""Hostile and careless returns, as real bytes: what an attacker or a hurried focal point uploads.

Each builder starts from a real workbook written by openpyxl (or odfpy, csv) and changes only what the case
needs, so the rest of the file stays exactly what Excel would open.
"""

from __future__ import annotations

import io
import random
import re
import zipfile

from tests.factories.returns import row, template_return, with_part_replaced, xls_bytes

SHEET = "xl/worksheets/sheet1.xml"


def good_return(n: int = 3, **values) -> bytes:
    """A valid template return of `n` activities for Indus Relief Partners in the tiny test country."""
    return template_return([row(**({"org_name": "IRP", "adm1_name": "Northland", "adm2_name": "Ashford",
                                    "activity": f"Mobile clinic {i}"} | values)) for i in range(n)])


def _sheet_of(data: bytes) -> str:
    """The worksheet part holding the template's Activities sheet."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return next(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


def with_far_cell(ref: str = "XFD1048576", value: str | None = None, data: bytes | None = None) -> bytes:
    """One more cell far away: empty but styled (what a stray format leaves), or holding `value`."""
    data = data or good_return()
    row_no = int(re.sub(r"[A-Z]", "", ref))
    cell = (f'<c r="{ref}" s="0" t="inlineStr"><is><t>{value}</t></is></c>' if value is not None
            else f'<c r="{ref}" s="0"/>')

    def patch(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>", f'<row r="{row_no}">{cell}</row></sheetData>'.encode())

    return with_part_replaced(data, _sheet_of(data), patch)


def with_phantom_dimension_and_space(data: bytes | None = None) -> bytes:
    """A `<dimension>` claiming the whole grid and a single space typed in the last row of column P."""
    data = data or good_return()

    def patch(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="P1048576" t="inlineStr"><is><t xml:space='
                                            b'"preserve"> </t></is></c></row></sheetData>')

    return with_part_replaced(data, _sheet_of(data), patch)


def with_squeezed_rows(mb: int = 40, data: bytes | None = None) -> bytes:
    """The same row of numbers repeated until the sheet unpacks to `mb` MB (cells without references, as some
    exporters write them): a zip bomb by its ratio, yet real rows a parser spends seconds on."""
    data = data or good_return()
    cells = b"<c><v>1</v></c>" * 20

    def patch(xml: bytes) -> bytes:
        rows = b"<row>" + cells + b"</row>"
        return xml.replace(b"</sheetData>", rows * (mb * 1024 * 1024 // len(rows)) + b"</sheetData>")

    return with_part_replaced(data, _sheet_of(data), patch)


def with_uncalculated_formula(data: bytes | None = None, ref: str = "S3") -> bytes:
    """Targeted (column S) holds a formula written by a script, with no cached result."""
    data = data or good_return()

    def patch(xml: bytes) -> bytes:
        return re.sub(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode(), f'<c r="{ref}"><f>SUM(1,2)</f></c>'.encode(),
                      xml, count=1, flags=re.DOTALL)

    return with_part_replaced(data, _sheet_of(data), patch)


def with_entity_after_comment(data: bytes | None = None, padding: int = 20_000) -> bytes:
    """A billion-laughs DOCTYPE hidden in docProps/core.xml behind a long XML comment."""
    data = data or good_return()
    evil = ('<?xml version="1.0"?><!--' + "x" * padding + '--><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
            '<cp:keywords>&lol2;</cp:keywords></cp:coreProperties>').encode()
    return with_part_replaced(data, "docProps/core.xml", lambda _xml: evil)


def padded_xml(data: bytes | None = None, mb: int = 60) -> bytes:
    """A few cells in a sheet padded with `mb` MB of XML comment: 1.5 MB packed, far more XML than cells need."""
    data = data or good_return()
    rng = random.Random(13)  # one letter in 50 varies: compresses about 40:1, under the zip-bomb ratio
    block = bytes(rng.choice(b"abcdefghijklmnop") if i % 50 == 0 else 112 for i in range(1024 * 1024))
    pad = b"<!--" + block * mb + b"-->"

    def patch(xml: bytes) -> bytes:
        return xml.replace(b"<sheetData>", pad + b"<sheetData>", 1)

    return with_part_replaced(data, _sheet_of(data), patch)


def repeated_rows_ods(repeat: int = 1_048_000, extra_columns: int = 0, note: str = "x") -> bytes:
    """An .ods of a few hundred bytes whose one data row is repeated a million times (with `extra_columns`
    more columns holding `note` after the five of a return)."""
    headers = ["Organisation", "Sector", "Province", "District", "Status"] + [f"Note {i}" for i in range(extra_columns)]
    values = ["IRP", "Health", "Northland", "Ashford", "ongoing"] + [note] * extra_columns
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               '<office:spreadsheet><table:table table:name="Activities"><table:table-row>'
               + "".join(f'<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
                         for h in headers)
               + f'</table:table-row><table:table-row table:number-rows-repeated="{repeat}">'
               + "".join(f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
                         for v in values)
               + "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                    '<manifest:file-entry manifest:full-path="/" '
                    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                    '</manifest:manifest>')
    return out.getvalue()


def xls_return(n: int = 3, **xls) -> bytes:
    """A return saved as Excel 97-2003 (.xls): the columns a focal point fills and `n` activities of IRP in the
    tiny test country; `xls` goes to `xls_bytes` (a DIMENSIONS claim, formatted blank cells, the mini stream)."""
    rows = [["Organisation", "Sector", "Activity", "Province", "District", "Status", "Beneficiaries targeted"]]
    rows += [["IRP", "Health", f"Mobile clinic {i}", "Northland", "Ashford", "ongoing", 100 + i] for i in range(n)]
    return xls_bytes(rows, **xls)


def encrypted_office_file() -> bytes:
    """What Excel writes for a workbook with a password: an OLE container whose stream is 'EncryptedPackage'."""
    data = bytearray(xls_bytes([["Organisation"], ["IRP"]]))
    old = "Workbook\0".encode("utf-16-le")
    new = "EncryptedPackage\0".encode("utf-16-le")
    at = data.index(old)
    data[at:at + 64] = new + b"\0" * (64 - len(new))
    data[at + 64:at + 66] = len(new).to_bytes(2, "little")
    return bytes(data)


def zip_without_workbook() -> bytes:
    """A Word document renamed .xlsx: a zip archive, but no workbook inside."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document xmlns:w='urn:x'><w:body>Dear partner</w:body></w:document>")
    return out.getvalue()


def csv_text(rows: list[list[str]]) -> str:
    return "\r\n".join(",".join(r) for r in rows) + "\r\n"


def accented_csv_rows(n: int = 200) -> list[list[str]]:
    """A return whose names carry French accents on every row (Excel on Windows saves them in Windows-1252)."""
    rows = [["Organisation", "Sector", "Activity", "Province", "District", "Status", "Beneficiaries targeted"]]
    for i in range(n):
        rows.append(["IRP", "Health", f"Père Noël clinic {i} (naïve outreach)", "Northland", "Ashford", "ongoing",
                     str(100 + i)])
    return rows
