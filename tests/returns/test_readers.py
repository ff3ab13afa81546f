"""Turning uploaded bytes into grids, or refusing them with a reason the focal point can act on."""

from __future__ import annotations

import io

import openpyxl
import pytest

from mapping.returns.readers import ReturnError, choose_layout, column_letter, read_book


def _xlsx(rows: list[list], sheet: str = "Activities", before: str | None = None) -> bytes:
    wb = openpyxl.Workbook()
    if before:
        wb.active.title = before
        wb.active.append(["Notes for the secretariat"])
        ws = wb.create_sheet(sheet)
    else:
        ws = wb.active
        ws.title = sheet
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_workbook_is_read_as_sheets_of_values_and_the_activity_sheet_is_found():
    data = _xlsx([["Organisation", "Sector", "Province", "District", "Status"],
                  ["IRP", "Health", "Punjab", "Lahore", "ongoing"]], before="Read me")
    book = read_book(data, "return.xlsx", isolated=False)
    assert [s.name for s in book.sheets] == ["Read me", "Activities"]
    assert book.sheets[1].rows[1][:4] == ["IRP", "Health", "Punjab", "Lahore"]
    layout = choose_layout(book)
    assert layout.sheet.name == "Activities" and layout.header_rows == (0,) and layout.data_start == 1


def test_csv_is_read_too():
    book = read_book(b"Organisation,Sector,District\nIRP,Health,Lahore\n", "return.csv", isolated=False)
    assert book.sheets[0].rows[1][:3] == ["IRP", "Health", "Lahore"]


def test_unreadable_files_are_refused_with_the_file_name_and_what_to_do():
    with pytest.raises(ReturnError, match=r"^return\.xlsx is empty"):
        read_book(b"", "return.xlsx", isolated=False)
    with pytest.raises(ReturnError, match=r"return\.xlsx") as exc:
        read_book(b"this is not a spreadsheet at all", "return.xlsx", isolated=False)
    assert "upload" in str(exc.value).lower() or exc.value.hint
    with pytest.raises(ReturnError, match="over the 1 MB limit"):
        read_book(b"x" * (2 * 1024 * 1024), "big.csv", max_bytes=1024 * 1024, isolated=False)


def test_column_letters_as_excel_shows_them():
    assert [column_letter(i) for i in (0, 25, 26, 701)] == ["A", "Z", "AA", "ZZ"]


def test_an_admins_consolidated_file_has_its_own_cell_cap_and_a_focal_points_keeps_the_usual_one(monkeypatch):
    rows = [["Organisation", "Sector", "Province", "District", "Status"]] + \
        [["IRP", "Health", "Punjab", "Lahore", "ongoing"]] * 20
    data = _xlsx(rows)
    monkeypatch.setattr("mapping.returns.extent.MAX_CELLS", 50)  # 21 rows x 5 columns = 105 cells
    with pytest.raises(ReturnError, match="more than the 50 cells"):
        read_book(data, "return.xlsx", isolated=False)
    book = read_book(data, "national.xlsx", isolated=False, max_cells=200)
    assert len(book.sheets[0].rows) == 21
    csv = "\n".join(",".join(r) for r in rows).encode()
    with pytest.raises(ReturnError, match="more than the 50 cells"):
        read_book(csv, "return.csv", isolated=False)
    assert len(read_book(csv, "national.csv", isolated=False, max_cells=200).sheets[0].rows) == 21
    with pytest.raises(ReturnError, match="more than the 100 cells"):
        read_book(data, "national.xlsx", isolated=False, max_cells=100)


def test_the_consolidated_cell_cap_is_a_setting_and_fits_a_national_5w(monkeypatch):
    from mapping import config

    monkeypatch.delenv("STOCKTAKE_MAX_CONSOLIDATED_CELLS", raising=False)
    assert config.cell_limit(False) is None
    assert config.cell_limit(True) >= 91_000 * 75
    monkeypatch.setenv("STOCKTAKE_MAX_CONSOLIDATED_CELLS", "3000000")
    assert config.cell_limit(True) == 3_000_000


def test_an_xlsx_checked_and_parsed_side_by_side_reads_as_the_careful_path_does():
    """The checks and the parse run in two reader processes at once; the book is the one the one-after-the-other
    path builds, formulas saved without a result included (they come from the checks, not the parse)."""
    from tests.factories import bad_files as bad

    data = bad.with_uncalculated_formula()
    side_by_side, careful = read_book(data, "r.xlsx"), read_book(data, "r.xlsx", isolated=False)
    assert [(s.name, s.rows, s.merged, s.uncalculated) for s in side_by_side.sheets] == \
        [(s.name, s.rows, s.merged, s.uncalculated) for s in careful.sheets]
    assert side_by_side.sheets[0].uncalculated, "the formula without a result was not carried over"
    assert side_by_side.peak_mb > 0 and side_by_side.cpu_seconds > 0


def test_a_file_the_checks_refuse_ends_the_parse_started_beside_them(monkeypatch):
    from mapping.returns import sandbox
    from tests.factories import bad_files as bad

    started: list[sandbox.Running] = []
    real_start = sandbox.start

    def start(*args, **kwargs):
        started.append(real_start(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(sandbox, "start", start)
    with pytest.raises(ReturnError, match="zip bomb"):  # refused from the archive's directory at once
        read_book(bad.with_squeezed_rows(40), "squeezed.xlsx")
    assert len(started) == 2  # the parse and the checks
    assert not any(r.proc.is_alive() for r in started), "a reader process outlived the refusal"
    assert started[0].proc.exitcode == -9, "the parse was not ended: it ran to its own end"
