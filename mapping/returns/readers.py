"""Turn the bytes a focal point uploaded into plain grids of cell values, or refuse them with a clear reason.

Everything that can go wrong with a file *as a file* (wrong type, encrypted, empty, too big, a zip bomb, an
XML entity attack) is caught here, before any parser touches it, so ingest never shows a traceback.
python-calamine reads the cells of .xlsx/.xlsm/.xls/.ods because it is many times faster than openpyxl;
.csv is decoded and sniffed here.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import xml.parsers.expat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from mapping.errors import StocktakeError
from mapping.returns import biff, extent, sandbox

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SPREADSHEET_EXTS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv")
# Zip members larger than this when unpacked, or unpacked far beyond their packed size, are refused.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_RATIO = 150
# XML far beyond what its cells need is padding (giant strings, comments) that only costs time and memory.
MAX_XML_BYTES_PER_CELL = 1000
XML_PARTS = (".xml", ".rels", ".vml")


class ReturnError(StocktakeError):
    """A return that cannot be read at all; the message is meant for the focal point, as is."""


@dataclass
class Sheet:
    """One sheet's cells as rows of Python values, plus its merged ranges.

    An empty cell is None or "" (python-calamine's empty string is kept: converting a large sheet cell by
    cell would cost as much as reading it)."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1), 0-based
    notes: list[str] = field(default_factory=list)  # what the reader did that the focal point should know
    uncalculated: list[tuple[int, int]] = field(default_factory=list)  # (row0, col0): formulas saved without a result


@dataclass
class Book:
    filename: str
    kind: str  # xlsx | xls | ods | csv
    sheets: list[Sheet]
    encoding: str | None = None  # how a text file was decoded, said to the user when it is not UTF-8
    peak_mb: float = 0.0  # the reader process's peak memory
    cpu_seconds: float = 0.0  # and the CPU time it used


def _ext(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


_DECLARATION = re.compile(rb"<!(?i:doctype|entity)")


class _EntityProbe:
    """Looks for <!DOCTYPE / <!ENTITY anywhere in one XML part, across chunk boundaries: an attack can hide
    behind a long comment, far past the first few kilobytes."""

    def __init__(self, filename: str, part: str):
        self.filename, self.part, self.tail = filename, part, b""

    def __call__(self, chunk: bytes) -> None:
        window = self.tail + chunk
        if b"<!" in window and _DECLARATION.search(window):
            raise ReturnError(f"{self.filename} was refused: its part {self.part} declares XML entities "
                              "(<!DOCTYPE>/<!ENTITY>), which Excel never writes and which can be used to attack "
                              "the server. Save the data into a new workbook and upload that.")
        self.tail = chunk[-16:]


def check_zip(data: bytes, filename: str) -> list[extent.SheetExtent]:
    """Refuse zip bombs and XML entity tricks before a parser sees the archive; measure each sheet's extent.

    Every XML part is read whole, in chunks, exactly once: the entity probe and the extent scan share the read."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ReturnError(f"{filename} is damaged: it looks like an Excel/OpenDocument file but its contents "
                          f"cannot be opened ({exc}). Save it again from Excel and re-upload it.") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNPACKED_BYTES or (total > 20 * 1024 * 1024 and total / packed > MAX_RATIO):
        raise ReturnError(f"{filename} was refused: it unpacks to {total / 1024 / 1024:.0f} MB from "
                          f"{len(data) / 1024:.0f} KB, which is what a 'zip bomb' does. Save the data into a new "
                          "workbook and upload that.")
    sheets = {part: name for name, part in extent.xlsx_sheets(zf)}
    found: dict[str, extent.SheetExtent] = {}
    try:
        for info in infos:
            if not info.filename.lower().endswith(XML_PARTS):
                continue
            probe = _EntityProbe(filename, info.filename)
            with zf.open(info) as fh:
                if info.filename in sheets:
                    found[info.filename] = extent.scan_sheet_xml(fh, sheets[info.filename], info.filename,
                                                                 on_chunk=probe)
                else:
                    while chunk := fh.read(extent.CHUNK):
                        probe(chunk)
        extents = [found[part] for part in sheets if part in found]
        if not sheets and "content.xml" in zf.namelist():
            with zf.open("content.xml") as fh:
                extents = extent.ods_extents(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ReturnError(f"{filename} is damaged: part of it cannot be unpacked ({exc.__class__.__name__}). "
                          "Save it again from Excel and re-upload it.") from exc
    except xml.parsers.expat.ExpatError as exc:  # malformed XML inside the file
        raise ReturnError(f"{filename} is damaged: its XML cannot be read ({str(exc)[:120]}). Save it again from "
                          "Excel and re-upload it.") from exc
    xml_bytes = sum(i.file_size for i in infos if i.filename.lower().endswith(XML_PARTS))
    cells = sum(e.cells[0] * e.cells[1] for e in extents)
    if xml_bytes > 32 * 1024 * 1024 and xml_bytes > MAX_XML_BYTES_PER_CELL * max(cells, 1):
        raise ReturnError(f"{filename} was refused: it unpacks to {xml_bytes / 1024 / 1024:.0f} MB of XML for only "
                          f"{cells:,} cells, far more than its data needs (hidden padding, huge texts or comments). "
                          "Copy the data cells into a new workbook, save it and upload that.")
    return extents


def _occupied_rows(data: bytes, sheet: str, size: tuple[int, int]) -> list[list[Any]]:
    """Only the occupied range of a sheet that claims far more, streamed by openpyxl (it never builds the grid
    the sheet claims, and stops after the last row of data)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=size[0], max_col=size[1], values_only=True)]
    finally:
        wb.close()
    return [r + [None] * (size[1] - len(r)) for r in rows]


_TRIM_FIX = ("Open it, select the empty rows (and columns) after your data, delete them, save it again and "
             "upload it; or copy the data into a new workbook.")


def _refuse_if_data_too_big(ext: extent.SheetExtent, filename: str, max_cells: int | None) -> None:
    data = ext.data or ext.cells
    if data[0] * data[1] > (max_cells or extent.MAX_CELLS):
        raise ReturnError(f"{extent.too_big_message(filename, ext, max_cells)} {_TRIM_FIX}")


def _read_over_data_note(ext: extent.SheetExtent) -> str:
    return (f"Sheet {ext.name!r} claims {extent.range_text(ext.cells)} ({ext.cells[0] * ext.cells[1]:,} cells) but "
            f"its data occupies {extent.range_text(ext.data or ext.cells)}; only that range was read. {_TRIM_FIX}")


def _sized(ext: extent.SheetExtent | None, zf_data: bytes, filename: str, kind: str,
           max_cells: int | None = None) -> Sheet | None:
    """A sheet too big to parse whole: its occupied range when that is small enough, else a clear refusal."""
    if ext is None or not ext.exceeds(max_cells):
        return None
    if kind != "xlsx":
        raise ReturnError(f"{extent.too_big_message(filename, ext, max_cells)} {_TRIM_FIX}")
    with zipfile.ZipFile(io.BytesIO(zf_data)) as zf:
        extent.measure_data(zf, ext)
    _refuse_if_data_too_big(ext, filename, max_cells)
    data = ext.data or ext.cells
    rows = _occupied_rows(zf_data, ext.name, data) if data[0] and data[1] else []
    uncalc = [(r, c) for r, c in ext.uncalculated if r < data[0] and c < data[1]]
    return Sheet(ext.name, rows, [], [_read_over_data_note(ext)], uncalc)


def _xls_within_limits(data: bytes, filename: str, max_cells: int | None) -> tuple[bytes, dict[str, str]]:
    """An .xls whose sheets claim more cells than a return may hold, with each claim cut to the sheet's data
    (and a note saying so), or a clear refusal when a sheet really holds that much (see `biff`)."""
    over = [s for s in biff.sheet_extents(data) if s.extent.exceeds(max_cells)]
    for sheet in over:
        _refuse_if_data_too_big(sheet.extent, filename, max_cells)
    if not over:
        return data, {}
    return biff.with_claims_cut(data, over), {s.extent.name: _read_over_data_note(s.extent) for s in over}


def _calamine_book(data: bytes, filename: str, kind: str,
                   extents: list[extent.SheetExtent] | None = None, max_cells: int | None = None) -> Book:
    import python_calamine as pc

    if kind == "ods":  # calamine builds every table of an .ods as it opens it: a table claiming too much goes first
        for ext in extents or []:
            _sized(ext, data, filename, kind, max_cells)
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError as exc:
        raise ReturnError(f"{filename} is password-protected. Remove the password (File > Info > Protect "
                          "Workbook) and upload it again.") from exc
    except (pc.CalamineError, ValueError, OverflowError) as exc:  # any parser failure: an unreadable file
        raise ReturnError(f"{filename} could not be read as a spreadsheet ({exc.__class__.__name__}: "
                          f"{str(exc)[:160]}). Open it in Excel, save it as .xlsx and upload it again.") from exc
    by_name = {e.name: e for e in extents or []}
    sheets: list[Sheet] = []
    strings: dict[str, str] = {}
    for meta in wb.sheets_metadata:
        ext = by_name.get(meta.name)
        trimmed = _sized(ext, data, filename, kind, max_cells)
        if trimmed is not None:
            sheets.append(trimmed)
            continue
        try:
            sh = wb.get_sheet_by_name(meta.name)
            rows = sh.to_python(skip_empty_area=False)
            merged = []
            try:
                for (r0, c0), (r1, c1) in sh.merged_cell_ranges or []:
                    merged.append((r0, c0, r1, c1))
            except (pc.CalamineError, ValueError, TypeError):  # merges are a nicety; not every format has them
                merged = []
        except (pc.CalamineError, ValueError, OverflowError) as exc:
            raise ReturnError(f"Sheet {meta.name!r} of {filename} could not be read ({exc.__class__.__name__}: "
                              f"{str(exc)[:160]}). Save the file again from Excel and re-upload it.") from exc
        del sh  # calamine's own copy of the grid goes before the next sheet is read
        _share_strings(rows, strings)
        sheets.append(Sheet(meta.name, rows, merged, uncalculated=list(ext.uncalculated) if ext else []))
    return Book(filename, kind, sheets)


def _share_strings(rows: list[list[Any]], strings: dict[str, str]) -> None:
    """One string object per distinct text: a return repeats the same names thousands of times, and the book
    is pickled to the checking process, where each repeat would otherwise be a string of its own."""
    for row in rows:
        row[:] = [strings.setdefault(v, v) if v.__class__ is str else v for v in row]


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit in every other position, as in UTF-16 text of Latin letters."""
    head = data[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16 (with BOM)",
                   "utf-16-le": "UTF-16 (little-endian, no BOM)", "utf-16-be": "UTF-16 (big-endian, no BOM)",
                   "cp1252": "Windows-1252 (Western European)"}


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """The text of a CSV and the encoding used. UTF-8 and UTF-16 (with or without a BOM) first, then
    Windows-1252, which Excel on Western Windows writes; a statistical guess only when none of those fits,
    because guessing from a few accents picks Baltic or Central European code pages ('Pčre Noėl')."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"] + [e for e in (_utf16_without_bom(data),) if e] + ["cp1252"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text[:4096]:
            continue  # NULs decoded as text: not this encoding
        return text, enc
    if b"\x00" in data[:4096]:
        raise ReturnError(f"{filename} is not a spreadsheet: it is a binary file. Upload the return as .xlsx "
                          "(or .xls, .ods, .csv).")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None:
        return data.decode(best.encoding, errors="replace"), best.encoding
    return data.decode("cp1252", errors="replace"), "cp1252"


def _csv_book(data: bytes, filename: str, max_cells: int | None = None) -> Book:
    text, encoding = decode_text(data, filename)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [[(c.strip() or None) for c in row] for row in reader]
    width = max((len(r) for r in rows), default=0)
    cells, cap = len(rows) * width, max_cells or extent.MAX_CELLS
    if cells > cap:
        raise ReturnError(f"{filename} holds {len(rows):,} rows of {width} columns ({cells:,} cells), more than the "
                          f"{cap:,} cells a return may hold. Split it into several returns.")
    rows = [r + [None] * (width - len(r)) for r in rows]
    _share_strings(rows, {})
    notes = []
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"{filename} was read as {ENCODING_LABELS.get(encoding, encoding)} text. If accented letters "
                     "look wrong, save it from Excel as 'CSV UTF-8' and upload it again.")
    return Book(filename, "csv", [Sheet(PurePath(filename).stem or "Sheet1", rows, notes=notes)], encoding=encoding)


def _encrypted_package(data: bytes) -> bool:
    """An Office file encrypted with a password is an OLE container holding an 'EncryptedPackage' stream,
    whatever its name says (.xlsx, or renamed .xls)."""
    return "EncryptedPackage".encode("utf-16-le") in data[:1024 * 1024] or \
        "EncryptionInfo".encode("utf-16-le") in data[:1024 * 1024]


def reader_memory_mb(max_cells: int | None) -> int:
    """The reader process's ceiling: a focal point's return keeps `sandbox.MEMORY_MB`; a larger cell cap (an
    admin's consolidated file) gets about 100 bytes per allowed cell, what calamine's grid and the Python values
    built from it need at their peak."""
    return max(sandbox.MEMORY_MB, (max_cells or 0) * 100 // 1_000_000)


def reader_timeout_s(max_cells: int | None) -> float:
    """How long the reader may take: `sandbox.TIMEOUT_S` for a focal point's return; a consolidated file's cap
    allows 50 seconds per million cells (a national 5W takes about 13 CPU seconds, many more on a busy server)."""
    return max(sandbox.TIMEOUT_S, (max_cells or 0) * 50 / 1_000_000)


def read_book(data: bytes, filename: str, *, max_bytes: int | None = None, isolated: bool = True,
              max_cells: int | None = None) -> Book:
    """Every sheet of the upload as value grids; `ReturnError` for anything that is not a readable return.

    The parsing runs in a separate process with a memory ceiling (see `sandbox`), so a hostile file ends
    that process, never the server; `isolated=False` parses here (for a caller that is itself isolated).
    `max_cells` caps one sheet's cells (default `extent.MAX_CELLS`; an admin's consolidated import is larger)."""
    name = PurePath(filename or "return").name
    if max_bytes is not None and len(data) > max_bytes:
        raise ReturnError(f"{name} is {len(data) / 1024 / 1024:.1f} MB, over the {max_bytes / 1024 / 1024:.0f} MB "
                          "limit for a return. Remove other sheets, pictures or unused rows and upload it again.")
    if not data or not data.strip():
        raise ReturnError(f"{name} is empty (0 bytes of data). Fill in the template and upload it again.")
    if not isolated:
        return _read_book(data, name, max_cells)
    memory_mb, timeout = reader_memory_mb(max_cells), reader_timeout_s(max_cells)
    if data.startswith(ZIP_MAGIC) and _ext(name) != ".ods":
        book = _xlsx_side_by_side(data, name, max_cells, memory_mb, timeout)
        if book is not None:
            return book
    return _outcome_book(name, memory_mb, lambda: sandbox.run(_read_book, data, name, max_cells, memory_mb=memory_mb,
                                                               timeout=timeout))


def _outcome(name: str, memory_mb: int, wait: Callable[[], sandbox.Outcome]) -> sandbox.Outcome:
    """What a reader process sent back; its error raised, and a reader that died made a message for the uploader."""
    try:
        outcome = wait()
    except sandbox.Crashed as exc:
        if exc.timeout:
            raise ReturnError(f"{name} was refused: reading it {exc}, far longer than any return needs. Open it in "
                              "Excel, delete the empty rows and columns after your data, save it and upload it "
                              "again.") from None
        raise ReturnError(f"{name} was refused: reading it needed more than the {memory_mb} MB a return may "
                          f"use ({exc}). Its sheets probably claim far more cells than they hold: open it in Excel, "
                          "delete the empty rows and columns after your data, save it and upload it again.") from None
    if outcome.error is not None:
        raise outcome.error
    return outcome


def _outcome_book(name: str, memory_mb: int, wait: Callable[[], sandbox.Outcome]) -> Book:
    outcome = _outcome(name, memory_mb, wait)
    book: Book = outcome.value
    book.peak_mb, book.cpu_seconds = outcome.peak_mb, outcome.cpu_seconds
    return book


def _xlsx_side_by_side(data: bytes, name: str, max_cells: int | None, memory_mb: int, timeout: float) -> Book | None:
    """An .xlsx checked (zip bomb, entities, extents) and parsed at the same time, in two reader processes.

    The checks scan every byte of the XML and the parse reads it all again: one after the other they took 2 s
    and 3 s of a national file. The parse's answer is only used once the checks passed; a file they refuse
    ends the parse (its memory ceiling holds meanwhile). None when the file needs the careful path: not an
    .xlsx after all, or a sheet claiming more cells than a return may hold (read over its data range only)."""
    parse = sandbox.start(_parse_xlsx, data, name, memory_mb=memory_mb, timeout=timeout)
    try:
        checked = _outcome(name, memory_mb, lambda: sandbox.run(_check_archive, data, name, memory_mb=memory_mb,
                                                                timeout=timeout))
        extents, kind = checked.value
        if kind != "xlsx" or any(e.exceeds(max_cells) for e in extents):
            return None
        book = _outcome_book(name, memory_mb, parse.wait)
    finally:
        parse.kill()
    by_name = {e.name: e for e in extents}
    for sheet in book.sheets:
        sheet.uncalculated = list(by_name[sheet.name].uncalculated) if sheet.name in by_name else []
    book.peak_mb, book.cpu_seconds = max(book.peak_mb, checked.peak_mb), book.cpu_seconds + checked.cpu_seconds
    return book


def _read_book(data: bytes, name: str, max_cells: int | None = None) -> Book:
    ext = _ext(name)
    if data.startswith(OLE_MAGIC):
        if ext in (".xlsx", ".xlsm", ".ods") or _encrypted_package(data):
            raise ReturnError(f"{name} is password-protected (encrypted). Remove the password in Excel "
                              "(File > Info > Protect Workbook > Encrypt with Password, clear it) and upload it again.")
        data, notes = _xls_within_limits(data, name, max_cells)
        book = _calamine_book(data, name, "xls")
        for sheet in book.sheets:
            sheet.notes += [notes[sheet.name]] if sheet.name in notes else []
    elif data.startswith(ZIP_MAGIC):
        extents, kind = _check_archive(data, name)
        book = _calamine_book(data, name, kind, extents, max_cells)
    else:
        head = data[:64].lstrip().lower()
        if ext in (".xlsx", ".xlsm", ".xls", ".ods") or head.startswith((b"%pdf", b"<html", b"<!doctype", b"<?xml",
                                                                          b"\x89png", b"\xff\xd8")):
            raise ReturnError(f"{name} is not a spreadsheet Stocktake can read (its contents are not Excel, "
                              "OpenDocument or CSV). Upload the return as .xlsx, .xls, .ods or .csv.")
        book = _csv_book(data, name, max_cells)
    return _not_empty(book, name)


def _check_archive(data: bytes, name: str) -> tuple[list[extent.SheetExtent], str]:
    """The zip checks and each sheet's extent (see `check_zip`), and which kind of workbook the archive holds."""
    extents = check_zip(data, name)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return extents, "xlsx"
    if "content.xml" in names:
        return extents, "ods"
    raise ReturnError(f"{name} is not a spreadsheet: it is a zip archive without a workbook inside "
                      "(a Word document, or a folder of files?). Upload the return as .xlsx.")


def _parse_xlsx(data: bytes, name: str) -> Book:
    """The parse half of `_xlsx_side_by_side`: python-calamine alone, its answer used only once the checks pass."""
    return _not_empty(_calamine_book(data, name, "xlsx"), name)


def _not_empty(book: Book, name: str) -> Book:
    if not any(row.count(None) + row.count("") < len(row) for sh in book.sheets for row in sh.rows):
        raise ReturnError(f"{name} is empty: no sheet has any cells filled in. Fill in the Activities sheet of "
                          "the template and upload it again.")
    return book


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 27 -> AB)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --------------------------------------------------------------------------- layout: where the header is

HEADER_SCAN_ROWS = 30
SKIP_SHEETS = ("instructions", "lists", "list", "readme", "read me", "help", "notes", "dropdowns", "lookups",
               "issues", "guidance", "codes")


@dataclass
class Column:
    index: int  # 0-based
    header: str  # as written (parent and child joined for two-row headers)
    field: str | None
    method: str | None  # hxl | alias | words | fuzzy | layout | None
    quality: int = 0
    hxl: str | None = None  # the column's HXL hashtag, when the file has an HXL row
    part: tuple | None = None  # (people field, sex attrs, age attrs) of a sex/age breakdown column

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def label(self) -> str:
        return f"{self.header} ({self.letter})"


@dataclass
class Layout:
    sheet: Sheet
    columns: list[Column]
    header_rows: tuple[int, ...]  # 0-based rows holding the header (and the HXL row)
    hxl_row: int | None
    data_start: int  # 0-based first data row

    @property
    def score(self) -> int:
        return len({c.field for c in self.columns if c.field})


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return " ".join(str(v).split())


def _is_hxl_row(row: list[Any]) -> bool:
    from mapping.returns.normalise import parse_hxl

    cells = [_cell_text(v) for v in row if _cell_text(v)]
    tags = [c for c in cells if parse_hxl(c)]
    return len(tags) >= 2 and len(tags) >= 0.6 * len(cells)


def _parents(sheet: Sheet, parent: int, child: int, width: int) -> list[str]:
    """The parent row's text spread over the columns it spans (merged cells, or a group heading)."""
    prow = [_cell_text(v) for v in (sheet.rows[parent] + [None] * width)[:width]]
    crow = [_cell_text(v) for v in (sheet.rows[child] + [None] * width)[:width]]
    out = list(prow)
    for r0, c0, r1, c1 in sheet.merged:
        if r0 <= parent <= r1 and prow[c0]:
            for c in range(c0, min(c1 + 1, width)):
                out[c] = prow[c0]
    if not sheet.merged:
        for c in range(1, width):
            if not out[c] and crow[c] and out[c - 1] and crow[c - 1] and not prow[c]:
                out[c] = out[c - 1]
    return out


def _columns_for(sheet: Sheet, top: int | None, bottom: int, width: int, hxl: list[str] | None) -> list[Column]:
    from mapping.returns.normalise import field_for_header, field_for_hxl, hxl_people_part

    child = [_cell_text(v) for v in (sheet.rows[bottom] + [None] * width)[:width]] if bottom >= 0 else [""] * width
    parent = _parents(sheet, top, bottom, width) if top is not None else [""] * width
    cols: list[Column] = []
    for c in range(width):
        p, ch = parent[c], child[c]
        field, method, quality, header = None, None, 0, ch or p
        if hxl and hxl[c]:
            field, quality = field_for_hxl(hxl[c])
            method = "hxl" if field else None
            quality += 100 if field else 0
            header = header or hxl[c]
        part = hxl_people_part(hxl[c]) if hxl and hxl[c] else None
        if field is None and part is None and (p or ch):
            if ch:
                field, method, quality = field_for_header(ch)
                if field is None and p and p != ch:
                    field, method, quality = field_for_header(f"{p} {ch}")
                    header = f"{p} / {ch}"
                if field is None and p and p != ch:  # a header in two languages: the other one may be known
                    field, method, quality = field_for_header(p)
            else:
                field, method, quality = field_for_header(p)
        if header or field or part:
            cols.append(Column(c, header, field, method, quality, hxl[c] if hxl and hxl[c] else None, part))
    # one column per field: the best-quality one (leftmost on ties); the others are kept as unknown columns
    best: dict[str, Column] = {}
    for col in cols:
        if col.field and (col.field not in best or col.quality > best[col.field].quality):
            best[col.field] = col
    for col in cols:
        if col.field and best[col.field] is not col:
            col.field, col.method = None, None
    return cols


def find_layout(sheet: Sheet) -> Layout | None:
    """Where the header is in the first rows, and which canonical field each column holds."""
    rows = sheet.rows
    width = max((len(r) for r in rows[:HEADER_SCAN_ROWS + 2]), default=0)
    if not width:
        return None
    scan = min(len(rows), HEADER_SCAN_ROWS)
    hxl_at = next((i for i in range(scan) if _is_hxl_row(rows[i])), None)
    candidates: list[Layout] = []
    if hxl_at is not None:
        tags = [_cell_text(v) for v in (rows[hxl_at] + [None] * width)[:width]]
        blocks = [(None, hxl_at - 1)] if hxl_at >= 1 else [(None, -1)]
        if hxl_at >= 2:
            blocks.append((hxl_at - 2, hxl_at - 1))
        for top, bottom in blocks:
            cols = _columns_for(sheet, top, bottom, width, tags)
            head = tuple(r for r in (top, bottom, hxl_at) if r is not None and r >= 0)
            candidates.append(Layout(sheet, cols, head, hxl_at, hxl_at + 1))
    else:
        for i in range(scan):
            if not any(_cell_text(v) for v in rows[i]):
                continue
            candidates.append(Layout(sheet, _columns_for(sheet, None, i, width, None), (i,), None, i + 1))
            if i >= 1 and any(_cell_text(v) for v in rows[i - 1]):
                candidates.append(Layout(sheet, _columns_for(sheet, i - 1, i, width, None), (i - 1, i), None, i + 1))
    if not candidates:
        return None
    key_fields = {"org_name", "sector", "adm2_name", "adm1_name", "status", "activity", "adm2_pcode"}

    def rank(lay: Layout) -> tuple:
        fields = {c.field for c in lay.columns if c.field}
        # above an HXL row, the header rows that name more columns in words win (a group heading row included)
        named = sum(1 for c in lay.columns if c.header and not c.header.startswith("#")) if lay.hxl_row else 0
        return (len(fields & key_fields) >= 1 and len(fields) >= 2, len(fields),
                sum(c.quality for c in lay.columns if c.field), named, -len(lay.header_rows), -lay.data_start)

    best = max(candidates, key=rank)
    if not rank(best)[0]:
        return None
    # columns with values but no header are kept too, so nothing is dropped unseen
    seen = {c.index for c in best.columns}
    for c in range(width):
        if c not in seen and any(c < len(r) and r[c] not in (None, "") for r in rows[best.data_start:]):
            best.columns.append(Column(c, f"(no header, column {column_letter(c)})", None, None))
    best.columns.sort(key=lambda col: col.index)
    return best


def choose_layout(book: Book, sheet_name: str | None = None) -> Layout:
    """The sheet that holds activities (or the one named) and its layout; `ReturnError` when there is none."""
    if sheet_name:
        sheets = [s for s in book.sheets if s.name == sheet_name] or \
                 [s for s in book.sheets if s.name.strip().lower() == sheet_name.strip().lower()]
        if not sheets:
            names = ", ".join(repr(s.name) for s in book.sheets)
            raise ReturnError(f"{book.filename} has no sheet called {sheet_name!r}; its sheets are {names}.")
    else:
        sheets = [s for s in book.sheets if s.name.strip().lower() not in SKIP_SHEETS] or book.sheets
        sheets = [s for s in sheets if any(r.count(None) + r.count("") < len(r) for r in s.rows)] or sheets
    layouts = [(find_layout(s), s) for s in sheets]
    found = [lay for lay, _ in layouts if lay is not None]
    if found:
        return max(found, key=lambda lay: lay.score)
    sheet = sheets[0]
    raise ReturnError(f"Row 1-{HEADER_SCAN_ROWS} of sheet {sheet.name!r} in {book.filename} has no header "
                      "Stocktake recognises; expected columns like Organisation, Sector, District, Status.",
                      hint="Use the template (download it from the upload page, or the `template` command) or "
                      "rename the columns.")


def other_activity_sheets(book: Book, chosen: Layout) -> list[tuple[str, int]]:
    """Other sheets that also look like activities, with their row counts, so none is ignored unseen."""
    out = []
    for sh in book.sheets:
        if sh is chosen.sheet or sh.name.strip().lower() in SKIP_SHEETS:
            continue
        lay = find_layout(sh)
        if lay is None:
            continue
        n = sum(1 for r in sh.rows[lay.data_start:] if r.count(None) + r.count("") < len(r))
        if n:
            out.append((sh.name, n))
    return out
