"""How many cells each sheet of an Excel 97-2003 (.xls) file claims and holds, read from its records before
any parser runs, and the same file with each sheet's claim cut to the cells it holds.

python-calamine sizes an .xls sheet's grid from its DIMENSIONS record and its farthest cell: a 6 KB file whose
record claims A1:IV65536 asks for 16.7 million cells (670 MB) although it holds four, and the reader process
dies at its memory ceiling. So the compound file's Workbook stream is walked record by record: each sheet's
declared range and the range its value cells occupy (blank cells that carry only a format are skipped by
calamine, and here). Rewriting DIMENSIONS in place to the value range leaves the file otherwise untouched.
A file that cannot be walked (damaged, encrypted, not BIFF) is left to calamine, which says what is wrong,
within the reader's ceiling.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mapping.returns.extent import SheetExtent

__all__ = ["XlsSheet", "sheet_extents", "with_claims_cut"]

_FREE_OR_END = 0xFFFFFFFA  # sector numbers from here up mark the end of a chain, free or special sectors
_BOF, _EOF, _BOUNDSHEET, _DIMENSIONS, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x0200, 0x002F
# records of a cell with a value: LABELSST, LABEL, NUMBER, RK, BOOLERR, FORMULA, RSTRING; MULRK spans columns
_VALUE_CELLS = frozenset((0x00FD, 0x0204, 0x0203, 0x027E, 0x0205, 0x0006, 0x00D6))
_MULRK = 0x00BD


@dataclass
class XlsSheet:
    """One worksheet's extent and where its DIMENSIONS record's fields sit in the Workbook stream."""

    extent: SheetExtent
    dimensions_at: int | None  # stream offset of the record's data, None when the sheet has none
    biff8: bool  # BIFF8 (Excel 97 and later): 32-bit row fields; BIFF5: 16-bit


class _Stream:
    """The Workbook stream of a compound file: its bytes and the file offset of each of its sectors."""

    def __init__(self, data: bytes):
        if len(data) < 512:
            raise ValueError("too short")
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise ValueError("not a compound file")
        self.data, self.size = data, 1 << shift
        self.sectors = max(0, (len(data) - self.size) // self.size)
        fat_count, first_dir = struct.unpack_from("<II", data, 44)
        cutoff, first_mini_fat, _mini_count, first_difat, difat_count = struct.unpack_from("<IIIII", data, 56)
        difat = list(struct.unpack_from("<109I", data, 76))
        per = self.size // 4
        seen = 0
        while first_difat < _FREE_OR_END and seen <= difat_count and seen <= self.sectors:
            block = struct.unpack_from(f"<{per}I", data, self._offset(first_difat))
            difat += block[:-1]
            first_difat, seen = block[-1], seen + 1
        self.fat: list[int] = []
        for sector in difat[:fat_count]:
            if sector >= _FREE_OR_END:
                break
            self.fat += struct.unpack_from(f"<{per}I", data, self._offset(sector))
        directory = b"".join(data[o:o + self.size] for o in self._chain(first_dir))
        entries = [directory[i:i + 128] for i in range(0, len(directory) - 127, 128)]
        root = next(e for e in entries if e[66] == 5)
        book = next(e for e in entries if e[66] == 2 and self._name(e) in ("Workbook", "Book"))
        start, length = struct.unpack_from("<II", book, 116)
        if length < cutoff:  # a small stream lives in the mini stream, in 64-byte sectors
            mini_fat = b"".join(data[o:o + self.size] for o in self._chain(first_mini_fat))
            mini = [o + i for o in self._chain(struct.unpack_from("<I", root, 116)[0]) for i in range(0, self.size, 64)]
            links = struct.unpack(f"<{len(mini_fat) // 4}I", mini_fat)
            self.offsets, self.sector = self._walk(start, links, mini), 64
        else:
            self.offsets, self.sector = self._walk(start, self.fat, None), self.size
        if len(self.offsets) * self.sector < length:
            raise ValueError("stream shorter than its directory entry says")
        self.length = length

    def _offset(self, sector: int) -> int:
        if sector >= self.sectors:
            raise ValueError("sector outside the file")
        return (sector + 1) * self.size

    def _walk(self, start: int, links, places: list[int] | None) -> list[int]:
        out, sector = [], start
        while sector < _FREE_OR_END:
            if len(out) > len(links) or sector >= len(links):
                raise ValueError("broken sector chain")
            out.append(places[sector] if places is not None else self._offset(sector))
            sector = links[sector]
        return out

    def _chain(self, start: int) -> list[int]:
        return self._walk(start, self.fat, None)

    @staticmethod
    def _name(entry: bytes) -> str:
        n = struct.unpack_from("<H", entry, 64)[0]
        return entry[:max(0, n - 2)].decode("utf-16-le", errors="replace")

    def read(self) -> bytes:
        return b"".join(self.data[o:o + self.sector] for o in self.offsets)[:self.length]

    def file_offset(self, at: int) -> int:
        return self.offsets[at // self.sector] + at % self.sector


def _sheet(stream: bytes, name: str, start: int) -> XlsSheet:
    """Walk one sheet's records (charts embedded in it are skipped) for its DIMENSIONS and farthest value cell."""
    rows = cols = 0
    declared, dims_at, biff8, depth, pos = None, None, True, 0, start
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        body = pos + 4
        pos = body + size
        if kind == _BOF:
            depth += 1
            if depth == 1 and size >= 2:
                biff8 = struct.unpack_from("<H", stream, body)[0] >= 0x0600
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
        elif depth != 1:
            continue
        elif kind in _VALUE_CELLS and size >= 4:
            row, col = struct.unpack_from("<HH", stream, body)
            rows, cols = max(rows, row + 1), max(cols, col + 1)
        elif kind == _MULRK and size >= 6:
            row = struct.unpack_from("<H", stream, body)[0]
            last = struct.unpack_from("<H", stream, body + size - 2)[0]
            rows, cols = max(rows, row + 1), max(cols, last + 1)
        elif kind == _DIMENSIONS and size >= (14 if biff8 else 10):
            dims_at = body
            if biff8:
                _r0, r1, _c0, c1 = struct.unpack_from("<IIHH", stream, body)
            else:
                _r0, r1, _c0, c1 = struct.unpack_from("<HHHH", stream, body)
            declared = (r1, c1)
    ext = SheetExtent(name, "Workbook", declared=declared, data=(rows, cols))
    ext.cells = (max(rows, declared[0] if declared else 0), max(cols, declared[1] if declared else 0))
    return XlsSheet(ext, dims_at, biff8)


def sheet_extents(data: bytes) -> list[XlsSheet]:
    """Every worksheet's extent, in workbook order; [] when the file cannot be walked or is encrypted."""
    try:
        stream = _Stream(data).read()
        sheets, pos, biff8 = [], 0, True
        while pos + 4 <= len(stream):
            kind, size = struct.unpack_from("<HH", stream, pos)
            body = pos + 4
            pos = body + size
            if kind == _BOF and size >= 2:
                biff8 = struct.unpack_from("<H", stream, body)[0] >= 0x0600
            elif kind == _FILEPASS:
                return []
            elif kind == _BOUNDSHEET and size >= 8:
                start, _state, sheet_type, n = struct.unpack_from("<IBBB", stream, body)
                if sheet_type != 0:  # a chart, macro or dialog sheet: no cells
                    continue
                if biff8:
                    wide = stream[body + 7] & 1
                    raw = stream[body + 8:body + 8 + n * (2 if wide else 1)]
                    name = raw.decode("utf-16-le" if wide else "latin-1", errors="replace")
                else:
                    name = stream[body + 7:body + 7 + n].decode("latin-1", errors="replace")
                sheets.append((name, start))
            elif kind == _EOF:
                break
        return [_sheet(stream, name, start) for name, start in sheets]
    except (ValueError, struct.error, StopIteration, IndexError):
        return []


def with_claims_cut(data: bytes, sheets: list[XlsSheet]) -> bytes:
    """The file with each given sheet's DIMENSIONS rewritten to A1 through its farthest value cell."""
    stream = _Stream(data)
    out = bytearray(data)
    for sheet in sheets:
        if sheet.dimensions_at is None:
            continue
        rows, cols = sheet.extent.data or (0, 0)
        fields = struct.pack("<IIHH", 0, rows, 0, cols) if sheet.biff8 else struct.pack("<HHHH", 0, rows, 0, cols)
        for i, byte in enumerate(fields):
            out[stream.file_offset(sheet.dimensions_at + i)] = byte
    return bytes(out)
