"""How many cells each sheet of an upload claims, and how many it really holds, measured before any parser runs.

A spreadsheet parser builds a dense grid from the first to the last cell a sheet mentions. One cell at
XFD1048576 in a 5 KB file therefore asks for 17 billion cells and aborts the process (python-calamine cannot
catch its own failed allocation); a phantom `<dimension>` or a space in the last row costs a gigabyte. So the
raw XML is scanned first, in chunks: the cells a parser would allocate, the range that actually holds data,
and formulas saved without a result. A sheet that claims too much but holds little is read only over its
data range; one that really holds too much is refused with the range to keep.
"""

from __future__ import annotations

import re
import xml.parsers.expat
import zipfile
from dataclasses import dataclass, field
from typing import IO

__all__ = ["MAX_CELLS", "SheetExtent", "cell_ref", "ods_extents", "range_text", "scan_sheet_xml", "too_big_message"]

# The most cells one sheet may make Stocktake hold: 62,500 activity rows of the template's 32 columns.
# Checking a return costs about 250 bytes per cell, so this keeps one upload under 600 MB.
MAX_CELLS = 2_000_000
CHUNK = 4 * 1024 * 1024
# a cell reference attribute: letters then digits (a row's r="5" has no letters), found by its literal prefix
_CELL_COL_RE = re.compile(rb' r="([A-Z]{1,3})[0-9]')
_CELL_ROW_RE = re.compile(rb' r="[A-Z]{1,3}([0-9]{1,7})"')
_ROW_END_RE = re.compile(rb"</(?:\w+:)?row>")
_FORMULA_CELL_RE = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(?:/>|>(.*?)</(?:\w+:)?c>)',
                              re.DOTALL)
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")  # only run where a cheap substring test found "<f"
_VALUE_RE = re.compile(rb"<(?:\w+:)?v>\s*[^<\s]")
_DIMENSION_RE = re.compile(rb'<(?:\w+:)?dimension\s[^>]*?\bref="([A-Z]{1,3}\d{1,7})(?::([A-Z]{1,3}\d{1,7}))?"')


@dataclass
class SheetExtent:
    """One sheet's size in cells: what it declares, what a parser would allocate, what holds data.

    Ranges are (rows, columns) counts from A1; `data` is None until measured (only needed when `cells`
    is too big)."""

    name: str
    part: str
    declared: tuple[int, int] | None = None
    cells: tuple[int, int] = (0, 0)
    data: tuple[int, int] | None = None
    uncalculated: list[tuple[int, int]] = field(default_factory=list)  # (row0, col0) of formulas without a result

    @property
    def claimed(self) -> int:
        """Cells a parser would build for this sheet: the larger of the declared and the real extent."""
        rows = max(self.cells[0], self.declared[0] if self.declared else 0)
        cols = max(self.cells[1], self.declared[1] if self.declared else 0)
        return rows * cols

    @property
    def too_big(self) -> bool:
        return self.exceeds(None)

    def exceeds(self, max_cells: int | None) -> bool:
        """More cells than `max_cells` (None: a focal point's `MAX_CELLS`; an admin's consolidated file may hold more)."""
        return self.cells[0] * self.cells[1] > (max_cells or MAX_CELLS)


def col_number(letters: bytes | str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row: int, col: int) -> str:
    """1-based row and column -> 'P201'."""
    return f"{col_letters(col)}{row}"


def range_text(extent: tuple[int, int]) -> str:
    rows, cols = extent
    return f"A1:{cell_ref(max(rows, 1), max(cols, 1))}"


def _ref(ref: bytes) -> tuple[int, int]:
    m = re.fullmatch(rb"([A-Z]{1,3})(\d{1,7})", ref)
    return (int(m[2]), col_number(m[1])) if m else (0, 0)


def _above(text: str, first: str, any_char: str, top: str, max_len: int) -> str:
    """Regex alternatives for the tokens that sort after `text` in a fixed alphabet (digits or column letters):
    every longer token, and at each position a higher character followed by anything."""
    alts = [f"{first}{any_char}{{{len(text)},{max_len - 1}}}"] if len(text) < max_len else []
    for i, ch in enumerate(text):
        if ch != top:
            rest = len(text) - i - 1
            alts.append(f"{text[:i]}[{chr(ord(ch) + 1)}-{top}]" + (f"{any_char}{{{rest}}}" if rest else ""))
    return "|".join(alts)


def _above_number(n: int) -> str:
    """A regex alternation for the decimal numbers above `n` (at most 7 digits, leading zeros allowed)."""
    alts = _above(str(n), "[1-9]", "[0-9]", "9", 7)
    return "(?!)" if not alts else "0*(?:" + alts + ")"


def _above_column(n: int) -> str:
    """A regex alternation for the column letters after column number `n` (at most three letters)."""
    if n <= 0:
        return "[A-Z]{1,3}"
    alts = _above(col_letters(n), "[A-Z]", "[A-Z]", "Z", 3)
    return "(?!)" if not alts else "(?:" + alts + ")"


def _cells_past_row(row: int) -> re.Pattern:
    # a reference with more than seven digits only makes the caller read the references one by one
    return re.compile(rb' r="[A-Z]{1,3}' + _above_number(row).encode() + b'"')


def _cells_past_column(col: int) -> re.Pattern:
    return re.compile(rb' r="(' + _above_column(col).encode() + rb')[0-9]')


def _max_cell_row(buf: bytes) -> int:
    """The largest row a cell reference of `buf` names. Cells come in row order, so the last reference is the
    likely answer; one regex pass without a match confirms it (a file whose cells are out of order is read
    reference by reference)."""
    tail = _CELL_ROW_RE.findall(buf[-16384:])
    if tail:
        last = max(map(int, tail))
        if not _cells_past_row(last).search(buf):
            return last
    rows = _CELL_ROW_RE.findall(buf)
    return max(map(int, rows)) if rows else 0


def _max_cell_column(buf: bytes, known: int) -> int:
    """The largest column a cell reference of `buf` names, at least `known`: only the references past the
    largest so far are looked for, so the usual chunk costs one regex pass and builds no objects."""
    pos = 0
    while m := _cells_past_column(known).search(buf, pos):
        known, pos = col_number(m[1]), m.end()
    return known


def scan_sheet_xml(stream: IO[bytes], name: str, part: str, *, on_chunk=None) -> SheetExtent:
    """The extent of one worksheet part, read in chunks cut at row ends (a regex scan: fast enough to run on
    every upload). `on_chunk` sees every raw chunk too, so the caller's other checks need no second read."""
    ext = SheetExtent(name, part)
    max_row = max_col = 0
    buf = b""
    first = True
    while True:
        chunk = stream.read(CHUNK)
        if on_chunk is not None and chunk:
            on_chunk(chunk)
        if first and chunk:
            m = _DIMENSION_RE.search(chunk[:65536])
            if m:
                end = _ref(m[2] or m[1])
                ext.declared = end
            first = False
        buf += chunk
        if chunk:
            cut = buf.rfind(b"row>")
            if cut < 0 and len(buf) < 16 * CHUNK:
                continue
            cut = len(buf) if cut < 0 else cut + 4
            part_buf, buf = buf[:cut], buf[cut:]
        else:
            part_buf, buf = buf, b""
        max_col = _max_cell_column(part_buf, max_col)
        max_row = max(max_row, _max_cell_row(part_buf))
        if b"<f" in part_buf or b":f>" in part_buf or b":f " in part_buf:
            for letters, row, body in _FORMULA_CELL_RE.findall(part_buf):
                if body and _FORMULA_RE.search(body) and not _VALUE_RE.search(body):
                    ext.uncalculated.append((int(row) - 1, col_number(letters) - 1))
        if not chunk:
            break
    ext.cells = (max_row, max_col)
    return ext


def shared_string_blanks(stream: IO[bytes]) -> list[bool]:
    """For each shared string, whether it is blank (spaces only): a space in row 1,048,576 is not data."""
    blanks: list[bool] = []
    state = {"depth": 0, "text": False}
    parts: list[str] = []

    def start(tag, _attrs):
        local = tag.rsplit(":", 1)[-1]
        if local == "si":
            parts.clear()
        elif local == "t":
            state["text"] = True

    def end(tag):
        local = tag.rsplit(":", 1)[-1]
        if local == "si":
            blanks.append(not "".join(parts).strip())
        elif local == "t":
            state["text"] = False

    def chars(data):
        if state["text"]:
            parts.append(data)

    _parse(stream, start, end, chars)
    return blanks


def data_extent(stream: IO[bytes], blanks: list[bool]) -> tuple[int, int]:
    """(last row, last column) of the cells that hold something other than spaces."""
    st = {"row": 0, "col": 0, "r": 0, "c": 0, "t": None, "in": False, "cap": False}
    text: list[str] = []

    def start(tag, attrs):
        local = tag.rsplit(":", 1)[-1]
        if local == "row":
            st["r"] = int(attrs.get("r") or st["r"] + 1)
            st["c"] = 0
        elif local == "c":
            ref = attrs.get("r")
            if ref:
                st["r"], st["c"] = _ref(ref.encode())
            else:
                st["c"] += 1
            st["t"], st["in"] = attrs.get("t"), True
            text.clear()
        elif st["in"] and local in ("v", "t"):
            st["cap"] = True

    def end(tag):
        local = tag.rsplit(":", 1)[-1]
        if local in ("v", "t"):
            st["cap"] = False
        elif local == "c":
            st["in"] = False
            value = "".join(text)
            if st["t"] == "s":
                try:
                    filled = not blanks[int(value)]
                except (ValueError, IndexError):
                    filled = bool(value.strip())
            else:
                filled = bool(value.strip())
            if filled:
                st["row"], st["col"] = max(st["row"], st["r"]), max(st["col"], st["c"])

    def chars(data):
        if st["cap"]:
            text.append(data)

    _parse(stream, start, end, chars)
    return st["row"], st["col"]


def _parse(stream: IO[bytes], start, end, chars) -> None:
    """Expat, streamed; any DOCTYPE was refused before (readers.check_zip), so entities cannot expand."""
    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    parser.buffer_text = True
    while True:
        chunk = stream.read(CHUNK)
        parser.Parse(chunk, not chunk)
        if not chunk:
            break


def xlsx_sheets(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, worksheet part) in workbook order, from workbook.xml and its relationships."""
    from defusedxml import ElementTree

    try:
        wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, ValueError):
        return []
    targets = {r.get("Id"): r.get("Target") or "" for r in rels}
    out = []
    for el in wb.iter():
        if el.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        target = targets.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        out.append((el.get("name") or "", part))
    return out


def measure_data(zf: zipfile.ZipFile, ext: SheetExtent) -> None:
    """Fill in `ext.data`: only needed for a sheet that claims too much, so the slower exact parse is fine."""
    blanks: list[bool] = []
    if "xl/sharedStrings.xml" in zf.namelist():
        with zf.open("xl/sharedStrings.xml") as fh:
            blanks = shared_string_blanks(fh)
    with zf.open(ext.part) as fh:
        ext.data = data_extent(fh, blanks)


def ods_extents(stream: IO[bytes]) -> list[SheetExtent]:
    """Each table of an OpenDocument content.xml: the cells a parser builds (repeats of cells holding a value or
    text expanded; empty ones are skipped) and the range holding more than spaces.

    An 875-byte .ods can repeat one row a million times; the repeat counts are added up, never expanded."""
    tables: list[SheetExtent] = []
    st = {"row": 0, "col": 0, "rep": 1, "crep": 1, "in_cell": False, "valued": False, "filled": False,
          "text": False, "cells": [0, 0], "data": [0, 0]}

    def start(tag, attrs):
        local = tag.rsplit(":", 1)[-1]
        if tag == "table:table":
            tables.append(SheetExtent(attrs.get("table:name", f"Sheet{len(tables) + 1}"), "content.xml"))
            st.update(row=0, cells=[0, 0], data=[0, 0])
        elif local == "table-row":
            st["rep"] = _count(attrs.get("table:number-rows-repeated"))
            st["col"] = 0
        elif local in ("table-cell", "covered-table-cell"):
            st["crep"] = _count(attrs.get("table:number-columns-repeated"))
            kind = attrs.get("office:value-type")
            st["in_cell"], st["valued"] = True, bool(kind)
            st["filled"] = bool(kind) and kind != "string"
        elif local == "p" and st["in_cell"]:
            st["text"], st["valued"] = True, True

    def end(tag):
        local = tag.rsplit(":", 1)[-1]
        if local == "p":
            st["text"] = False
        elif local in ("table-cell", "covered-table-cell"):
            st["col"] += st["crep"]
            st["in_cell"] = False
            last_row = st["row"] + st["rep"]
            for key, flag in (("cells", st["valued"]), ("data", st["filled"])):
                if flag:
                    st[key] = [max(st[key][0], last_row), max(st[key][1], st["col"])]
        elif local == "table-row":
            st["row"] += st["rep"]
        elif tag == "table:table" and tables:
            tables[-1].cells, tables[-1].data = tuple(st["cells"]), tuple(st["data"])

    def chars(data):
        if st["text"] and data.strip():
            st["filled"] = True

    _parse(stream, start, end, chars)
    return tables


def _count(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 10**9))
    except ValueError:
        return 1


def too_big_message(filename: str, ext: SheetExtent, max_cells: int | None = None) -> str:
    """The message for a sheet that really holds more than Stocktake reads."""
    data = ext.data or ext.cells
    claimed = ext.cells[0] * ext.cells[1]
    return (f"Sheet {ext.name!r} of {filename} claims {_amount(claimed)} cells ({range_text(ext.cells)}); its data "
            f"occupies {range_text(data)}, more than the {max_cells or MAX_CELLS:,} cells a return may hold.")


def _amount(n: int) -> str:
    if n >= 10**9:
        return f"{n / 10**9:.0f} billion"
    if n >= 10**6:
        return f"{n / 10**6:.0f} million"
    return f"{n:,}"
