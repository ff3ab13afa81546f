"""The bad-input catalogue (issue 13): every hostile or careless return a focal point can upload.

Each case is submitted with `python -m mapping submit` in one fresh process against a real deployment (SQLite,
the fictional two-province country, two organisations). For every case the test checks the exit code, the
message the user reads, the peak memory (≤ 600 MB) of the command and of the reader process that parsed the
file, and that the other organisation's picture and every earlier submission are exactly as before. Cases that parse fine but hide a problem (an ambiguous
number, a formula without a result) are refused row by row; cases that cannot be read are refused whole.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from unittest import mock

import openpyxl
import pytest

from mapping.returns import sandbox
from mapping.returns.extent import MAX_CELLS
from mapping.returns.ingest import read_return
from mapping.returns.readers import ReturnError, column_letter, read_book
from mapping.returns.schema import FIELDS
from tests.factories import bad_files as bad
from tests.factories.boundaries import DISTRICTS, PROVINCES, tiny_country
from tests.factories.returns import row, template_return, xls_bytes, zip_bomb

PROJECT = Path(__file__).resolve().parents[2]
PEAK_MB = 600
OTHER = "Northern Alliance for Child Welfare"
FOCAL = "focal@irp.example"
LAST = column_letter(len(FIELDS) - 1)  # the template's last column


def _gazetteer():
    import pandas as pd

    from mapping.geo.gazetteer import Gazetteer

    names = dict(PROVINCES)
    return Gazetteer.from_units(pd.DataFrame([(c, n, p, names[p]) for c, n, p in DISTRICTS],
                                             columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]))


ORGS = [{"name": "Indus Relief Partners", "acronym": "IRP", "type": "National NGO", "aliases": []},
        {"name": OTHER, "acronym": "NACW", "type": "International NGO", "aliases": []}]


def _check(data: bytes, name: str = "return.xlsx"):
    return read_return(data, name, gazetteer=_gazetteer(), orgs=ORGS)


def _csv(rows, encoding):
    return bad.csv_text(rows).encode(encoding)


# id, file name, builder, exit code, words the message must contain
CASES = [
    ("cell-at-XFD1048576", "stray.xlsx", lambda: bad.with_far_cell("XFD1048576", "x"), 2,
     ["claims 17 billion cells (A1:XFD1048576)", "its data occupies A1:XFD1048576", "delete them, save it again"]),
    ("empty-cell-at-XFD1048576", "stray-empty.xlsx", lambda: bad.with_far_cell("XFD1048576"), 0, ["stored"]),
    ("empty-cell-at-AB1048576", "ab.xlsx", lambda: bad.with_far_cell("AB1048576"), 0, ["stored"]),
    ("phantom-dimension-and-space", "phantom.xlsx", bad.with_phantom_dimension_and_space, 0, ["stored"]),
    ("ods-repeated-rows", "repeated.ods", bad.repeated_rows_ods, 2,
     ["claims 5 million cells (A1:E1048001)", "its data occupies A1:E1048001", "delete them"]),
    ("xls-claiming-the-whole-grid", "huge.xls",
     lambda: xls_bytes([["Organisation", "Sector"]] + [[] for _ in range(65534)] + [[None] * 255 + ["x"]]), 2,
     ["claims 17 million cells (A1:IV65536)", "its data occupies A1:IV65536", "delete them"]),
    ("xls-dimensions-claiming-the-whole-grid", "bordered.xls",
     lambda: bad.xls_return(3, dimensions=(65536, 256), blanks=[(65535, 255)], small=True), 0, ["stored"]),
    ("ods-too-heavy-to-parse", "notes.ods", lambda: bad.repeated_rows_ods(99_998, 15, "n" * 200), 2,
     ["needed more than the 600 MB a return may use", "delete the empty rows and columns"]),
    ("zip-bomb", "bomb.xlsx", lambda: zip_bomb(450), 2, ["zip bomb"]),
    ("xml-padding", "padded.xlsx", lambda: bad.padded_xml(mb=60), 2, ["MB of XML for only", "new workbook"]),
    ("entity-after-long-comment", "entity.xlsx", bad.with_entity_after_comment, 2,
     ["docProps/core.xml declares XML entities"]),
    ("encrypted-renamed-xls", "locked.xls", bad.encrypted_office_file, 2, ["password-protected (encrypted)"]),
    ("encrypted-xlsx", "locked.xlsx", bad.encrypted_office_file, 2, ["password-protected (encrypted)"]),
    ("pdf-renamed-xlsx", "report.xlsx", lambda: b"%PDF-1.7\n" + b"0" * 4000, 2, ["not a spreadsheet"]),
    ("docx-renamed-xlsx", "letter.xlsx", bad.zip_without_workbook, 2,
     ["zip archive without a workbook"]),
    ("over-the-size-limit", "big.xlsx", lambda: b"PK\x03\x04" + os.urandom(25 * 1024 * 1024), 2,
     ["over the 20 MB limit"]),
    ("empty-file", "empty.xlsx", lambda: b"", 2, ["is empty"]),
    ("uncalculated-formula", "formula.xlsx", bad.with_uncalculated_formula, 1,
     ["this cell holds a formula Excel has not calculated", "Open and save the file in Excel"]),
    ("dot-thousands-people", "dots.xlsx", lambda: bad.good_return(1, targeted="1.500", reached="1.200"), 1,
     ["'1.500' is ambiguous: it could be 1500", "'1.200' is ambiguous"]),
    ("dot-thousands-budget", "budget.xlsx", lambda: bad.good_return(1, budget="2.500"), 1,
     ["'2.500' is ambiguous"]),
    ("comma-decimal", "comma.xlsx", lambda: bad.good_return(1, budget="2,50"), 1, ["'2,50' is ambiguous"]),
    ("absurd-people", "huge-number.xlsx", lambda: bad.good_return(1, targeted=1e308), 1,
     ["the largest number Stocktake believes", "STOCKTAKE_MAX_PEOPLE"]),
    ("infinite-people", "inf.xlsx", lambda: bad.good_return(1, targeted="inf"), 1, ["'inf' is not a number"]),
    ("lakh-grouping", "lakh.xlsx", lambda: bad.good_return(1, targeted="1,25,000"), 0, ["stored"]),
    ("windows-1252-csv", "accents.csv", lambda: _csv(bad.accented_csv_rows(), "cp1252"), 0, ["stored"]),
    ("utf-16-without-bom", "utf16.csv", lambda: _csv(bad.accented_csv_rows(5), "utf-16-le"), 0, ["stored"]),
    ("script-in-every-name", "script.xlsx",
     lambda: bad.good_return(1, activity="<script>alert(1)</script>", project="<img src=x onerror=alert(1)>"), 0,
     ["stored"]),
]


# refused by their size before any parser runs; every other file is parsed in the memory-capped reader process
NO_READER = {"over-the-size-limit", "empty-file"}


def _deployment(base: Path) -> dict[str, str]:
    """A SQLite deployment of the tiny country with IRP's focal point and NACW's return stored; its settings."""
    from mapping import workflow
    from mapping.store import auth, db, registry

    env = {"STOCKTAKE_DATABASE_URL": f"sqlite:///{base / 'stocktake.db'}", "STOCKTAKE_DATA_DIR": str(base / "data"),
           "STOCKTAKE_SHAPEFILES_DIR": str(base / "shapefiles"),
           "STOCKTAKE_BOUNDARIES_FROM": str(tiny_country(base)), "STOCKTAKE_ADMIN_PASSWORD": "catalogue-admin-1"}
    with mock.patch.dict(os.environ, env):
        workflow.setup()
        engine = db.connect()
        for org in ORGS:
            registry.add_org(engine, db.CLI_ADMIN, org["name"], acronym=org["acronym"], org_type=org["type"])
        auth.add_user(engine, db.CLI_ADMIN, email=FOCAL, role="focal_point", org="IRP", password="focal-pass-12")
        other = template_return([row(org_name="NACW", adm1_name="Southmark", adm2_name="Dunmore",
                                     contact_email="focal@nacw.example")])
        outcome = workflow.submit_file(engine, db.CLI_ADMIN, other, "nacw.xlsx", org=OTHER)
        assert outcome.status == "stored", outcome.message
        engine.dispose()
    return env


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """A deployment with NACW's return stored, then every case submitted for IRP by one CLI process."""
    from tests.factories.catalogue import _state

    base = tmp_path_factory.mktemp("catalogue")
    env = _deployment(base)
    with mock.patch.dict(os.environ, env):
        before = _state(OTHER)
    plan = {"other_org": OTHER, "cases": []}
    files = base / "files"
    files.mkdir()
    for case_id, name, build, _code, _words in CASES:
        path = files / case_id / name
        path.parent.mkdir()
        path.write_bytes(build())
        plan["cases"].append({"id": case_id, "argv": ["submit", str(path), "--org", "IRP", "--user", FOCAL]})
    plan_path = base / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "tests.factories.catalogue", str(plan_path)], cwd=PROJECT,
                          env=os.environ | env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(line) for line in proc.stdout.strip().splitlines()[-1:]][0]
    return {r["id"]: r for r in results}, before


@pytest.mark.parametrize(("case_id", "name", "build", "code", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(catalogue, case_id, name, build, code, words):
    results, before = catalogue
    got = results[case_id]
    said = got["stdout"] + got["stderr"]
    assert got["code"] == code, said
    for word in words:
        assert word in said, said
    assert "Traceback" not in said
    assert got["peak_mb"] <= PEAK_MB, f"{case_id}: the command peaked at {got['peak_mb']:.0f} MB"
    reader = got["reader_peak_mb"]
    if case_id in NO_READER:
        assert reader is None and got["reader_crashed"] == []
    else:  # parsed in the reader process, never in the command (or the server) itself
        assert reader is not None or got["reader_crashed"], f"{case_id} was not parsed in the reader process"
    assert reader is None or reader <= PEAK_MB, f"{case_id}: the reader peaked at {reader:.0f} MB"
    # the other organisation's activities never change; a refused file leaves no submission behind
    assert got["state"]["other_rows"] == before["other_rows"]
    ids = [c[0] for c in CASES]
    index = ids.index(case_id)
    previous = results[ids[index - 1]]["state"]["submissions"] if index else before["submissions"]
    if code == 2:
        assert got["state"]["submissions"] == previous, "a file that cannot be read must leave no trace"
    else:
        added = got["state"]["submissions"][len(previous):]
        assert [i for i, _ in got["state"]["submissions"][:len(previous)]] == [i for i, _ in previous]
        assert [status for _, status in added] == ["accepted" if code == 0 else "rejected"]


def _write_locked(db: sqlite3.Connection) -> bool:
    """Whether another connection holds the database's write lock (a transaction is being written)."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    db.execute("ROLLBACK")
    return False


def test_a_submission_killed_while_writing_leaves_the_database_as_it_was(tmp_path):
    """kill -9 while `submit` writes a 10,000-row return: the half-written transaction is gone, the file is sound,
    the other organisation's picture, every submission and the boundary sets are as before, and the same file
    is then stored whole."""
    from tests.factories.catalogue import _state

    env = _deployment(tmp_path)
    with mock.patch.dict(os.environ, env):
        before = _state(OTHER)
    path = tmp_path / "big.xlsx"
    path.write_bytes(bad.good_return(10_000))
    argv = [sys.executable, "-m", "mapping", "submit", str(path), "--org", "IRP", "--user", FOCAL]
    proc = subprocess.Popen(argv, cwd=PROJECT, env=os.environ | env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wal = tmp_path / "stocktake.db-wal"
    probe = sqlite3.connect(tmp_path / "stocktake.db", timeout=0, isolation_level=None)
    try:
        while proc.poll() is None:  # the activities are being inserted: pages spill to the WAL, the lock is held
            if wal.exists() and wal.stat().st_size > 256 * 1024 and _write_locked(probe):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait(60)
    finally:
        probe.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "the submission finished before it could be killed while writing"
    with sqlite3.connect(tmp_path / "stocktake.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with mock.patch.dict(os.environ, env):
        assert _state(OTHER) == before
    again = subprocess.run(argv, cwd=PROJECT, env=os.environ | env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "10000 activities" in again.stdout, again.stdout + again.stderr


# --------------------------------------------------------------------------- what the user reads, in detail

def test_a_sheet_claiming_far_more_than_it_holds_is_read_over_its_data_only():
    for data in (bad.with_far_cell("XFD1048576"), bad.with_phantom_dimension_and_space()):
        result = _check(data)
        assert result.rows == 3 and result.accepted == 3
        note = [i.message for i in result.warnings if "only that range was read" in i.message]
        assert note and f"its data occupies A1:{LAST}5" in note[0], [i.message for i in result.issues]


def test_the_reader_process_stays_under_its_memory_ceiling():
    book = read_book(bad.with_far_cell("AB1048576"), "ab.xlsx")
    assert 0 < book.peak_mb <= sandbox.MEMORY_MB
    assert len(book.sheets[0].rows) == 5  # the 3 activities and the two header rows, not a million rows


def test_a_reader_that_dies_is_a_message_not_the_end_of_the_server():
    with pytest.raises(sandbox.Crashed) as died:
        sandbox.run(os.abort)
    assert died.value.memory  # SIGABRT is how native code reports a refused allocation
    with pytest.raises(sandbox.Crashed) as oom:
        sandbox.run(bytearray, 2 * 1024 ** 3)
    assert oom.value.memory
    assert sandbox.run(len, b"still here").value == 10  # and the next upload is read as usual


@pytest.mark.parametrize("small", [False, True], ids=["stream-in-sectors", "stream-in-mini-stream"])
def test_an_xls_claiming_the_whole_grid_is_read_over_its_data_only(small):
    """python-calamine sizes an .xls sheet by its DIMENSIONS record: a 3 KB return declaring A1:IV65536 (what a
    border drawn down to the last row leaves) ended in the reader's out-of-memory message."""
    data = bad.xls_return(3, dimensions=(65536, 256), blanks=[(65535, 255)], small=small)
    assert len(data) < 6000
    result = _check(data, "bordered.xls")
    assert (result.rows, result.accepted) == (3, 3), [i.message for i in result.issues]
    assert [i.message for i in result.warnings if "only that range was read" in i.message] == [
        "Sheet 'Activities' claims A1:IV65536 (16,777,216 cells) but its data occupies A1:G4; only that range was "
        "read. Open it, select the empty rows (and columns) after your data, delete them, save it again and upload "
        "it; or copy the data into a new workbook."]


def test_an_xls_that_cannot_be_walked_is_left_to_the_parser_to_refuse():
    from mapping.returns import biff

    data = bad.xls_return(1)
    damaged = data[:600] + bytes(len(data) - 600)  # the sector table and the directory gone
    assert biff.sheet_extents(damaged) == [] and biff.sheet_extents(bad.encrypted_office_file()) == []
    with pytest.raises(ReturnError) as err:
        read_book(damaged, "damaged.xls")
    assert "could not be read as a spreadsheet" in str(err.value)


def test_an_ods_claiming_too_much_is_refused_before_any_parser_builds_it():
    """python-calamine builds every table of an .ods as it opens the file: a 900-byte .ods repeating one row of
    20 cells a million times must be refused by its measured extent, not by the reader running out of memory."""
    data = bad.repeated_rows_ods(extra_columns=15)
    assert len(data) < 1000
    with pytest.raises(ReturnError) as err:
        read_book(data, "wide.ods")
    assert str(err.value).startswith("Sheet 'Activities' of wide.ods claims 21 million cells (A1:T1048001); its data "
                                     "occupies A1:T1048001, more than the 2,000,000 cells a return may hold.")


def test_sheet_really_holding_too_many_cells_is_refused_with_its_range(monkeypatch):
    monkeypatch.setattr("mapping.returns.extent.MAX_CELLS", 50)
    with pytest.raises(ReturnError) as err:
        read_book(bad.good_return(5), "return.xlsx", isolated=False)
    cells = 7 * len(FIELDS)
    assert f"claims {cells} cells (A1:{LAST}7); its data occupies A1:{LAST}7, more than the 50 cells" in str(err.value)
    assert MAX_CELLS == 2_000_000


def test_formula_without_a_result_is_an_error_on_its_cell():
    result = _check(bad.with_uncalculated_formula())
    issue = next(i for i in result.errors if "formula" in i.message)
    assert (issue.row, issue.column) == (3, "Beneficiaries targeted (S)")
    assert issue.suggestion.startswith("Open and save the file in Excel")
    assert result.accepted == 2  # the other two rows are fine


def test_cached_formula_results_are_read():
    data = bad.good_return(1)

    def with_result(xml: bytes) -> bytes:
        import re
        return re.sub(rb'<c r="S3"[^>]*?(?:/>|>.*?</c>)', b'<c r="S3"><f>SUM(1,2)</f><v>3</v></c>', xml, count=1,
                      flags=re.DOTALL)

    from tests.factories.returns import with_part_replaced
    result = _check(with_part_replaced(data, "xl/worksheets/sheet1.xml", with_result))
    assert result.ok and result.records[0]["targeted"] == 3


def test_numbers_are_never_guessed():
    result = _check(bad.good_return(1, targeted="1.500", reached="1.200", budget="2.500"))
    said = {i.column: (i.message, i.suggestion) for i in result.errors}
    assert said["Beneficiaries targeted (S)"] == (
        "'1.500' is ambiguous: it could be 1500 (a dot between thousands) or 1.5 (a decimal point).",
        "Write 1500 for 1,500, or 1.5 if you meant a fraction.")
    assert "Beneficiaries reached (T)" in said and "Budget (V)" in said
    assert result.accepted == 0


def test_lakh_grouping_is_read_with_a_note():
    result = _check(bad.good_return(1, targeted="1,25,000", reached="25,000"))
    assert result.ok and result.records[0]["targeted"] == 125000
    note = next(i for i in result.warnings if i.column == "Beneficiaries targeted (S)")
    assert note.message == "'1,25,000' was read as 125,000 (lakh grouping: 1,25,000 in the Indian system)."


def test_unreadable_number_hint_no_longer_blames_separators():
    result = _check(bad.good_return(1, targeted="about 500"))
    issue = next(i for i in result.errors if i.column == "Beneficiaries targeted (S)")
    assert "thousands separators are fine" not in (issue.suggestion or "")
    assert "1,25,000" in issue.suggestion


def test_plausibility_bounds_are_configurable(monkeypatch):
    monkeypatch.setenv("STOCKTAKE_MAX_PEOPLE", "5000")
    monkeypatch.setenv("STOCKTAKE_MAX_BUDGET", "1e6")
    result = _check(bad.good_return(1, targeted=6000, reached=100, budget=2e6))
    said = {i.column: i.message for i in result.errors}
    assert said["Beneficiaries targeted (S)"].startswith("Beneficiaries targeted 6000 is more than 5,000")
    assert said["Budget (V)"].startswith("Budget 2000000 is more than 1,000,000")
    monkeypatch.delenv("STOCKTAKE_MAX_PEOPLE")
    assert _check(bad.good_return(1, targeted=6000, reached=100)).ok


@pytest.mark.parametrize(("encoding", "label"), [("utf-8", None), ("utf-8-sig", None),
                                                  ("utf-16", "UTF-16 (with BOM)"),
                                                  ("utf-16-le", "UTF-16 (little-endian, no BOM)"),
                                                  ("utf-16-be", "UTF-16 (big-endian, no BOM)"),
                                                  ("cp1252", "Windows-1252 (Western European)")])
def test_text_files_are_decoded_in_a_fixed_order_and_say_how(encoding, label):
    result = _check(_csv(bad.accented_csv_rows(), encoding), "accents.csv")
    assert result.ok, [i.message for i in result.errors]
    assert {r["activity"] for r in result.records[:1]} == {"Père Noël clinic 0 (naïve outreach)"}
    notes = [i.message for i in result.warnings if "was read as" in i.message]
    if label is None:
        assert notes == []
    else:
        assert notes == [f"accents.csv was read as {label} text. If accented letters look wrong, save it from "
                         "Excel as 'CSV UTF-8' and upload it again."]


def test_encrypted_file_named_xls_gets_the_password_message():
    with pytest.raises(ReturnError) as err:
        _check(bad.encrypted_office_file(), "locked.xls")
    assert str(err.value).startswith("locked.xls is password-protected (encrypted). Remove the password")


def test_binary_file_is_still_called_binary():
    with pytest.raises(ReturnError) as err:
        _check(bytes(range(256)) * 40, "blob.csv")
    assert "it is a binary file" in str(err.value)


def test_entity_hidden_far_into_a_part_is_refused_also_by_the_annotated_workbook():
    from mapping.returns.annotate import annotate_workbook

    data = bad.with_entity_after_comment(padding=200_000)
    with pytest.raises(ReturnError) as err:
        annotate_workbook(data, "entity.xlsx", _check(bad.good_return(1)))
    assert "docProps/core.xml declares XML entities" in str(err.value)


def test_annotated_workbook_of_a_phantom_sheet_holds_the_data_not_a_million_rows():
    from mapping.returns.annotate import annotate_workbook

    data = bad.with_phantom_dimension_and_space()
    out = annotate_workbook(data, "phantom.xlsx", _check(data))
    wb = openpyxl.load_workbook(__import__("io").BytesIO(out), read_only=True)
    assert sum(1 for _ in wb["Activities"].iter_rows()) == 5


def test_annotating_reads_the_issue_sheet_extent_once_not_per_issue(monkeypatch):
    """openpyxl's max_row scans every cell: asked once per issue, 20,000 issues took 97 s."""
    from openpyxl.worksheet.worksheet import Worksheet

    from mapping.returns.annotate import annotate_workbook

    calls = {"n": 0}
    real = Worksheet.max_row

    def counted(self):
        calls["n"] += 1
        return real.fget(self)

    monkeypatch.setattr(Worksheet, "max_row", property(counted))
    data = template_return([row(targeted="lots", adm2_name=f"Nowhere {i}") for i in range(300)])
    result = read_return(data, "r.xlsx", gazetteer=_gazetteer(), orgs=ORGS)
    assert len(result.issues) >= 600
    annotate_workbook(data, "r.xlsx", result, isolated=False)  # here, where max_row is counted
    assert calls["n"] < 20, f"max_row read {calls['n']} times for {len(result.issues)} issues"


def test_the_annotated_workbook_is_built_outside_the_calling_process(tmp_path):
    """Loaded whole by openpyxl in the server, a 60,000-row return took 800 MB and a minute of CPU there: the
    workbook is built in the reader process, and a large return is streamed from its values."""
    data = template_return([row(targeted="lots", adm2_name=f"Nowhere {i}") for i in range(8000)])
    result = _check(data)
    assert len(result.issues) == 16000
    given, made = tmp_path / "checked.pickle", tmp_path / "annotated.xlsx"
    given.write_bytes(pickle.dumps((data, result)))
    script = ("import json, pickle, sys; from mapping.returns import sandbox; "
              "from mapping.returns.annotate import annotate_workbook; "
              "data, result = pickle.loads(open(sys.argv[1], 'rb').read()); before = sandbox.peak_mb(); "
              "out = annotate_workbook(data, 'r.xlsx', result); open(sys.argv[2], 'wb').write(out); "
              "print(json.dumps([before, sandbox.peak_mb()]))")
    proc = subprocess.run([sys.executable, "-c", script, str(given), str(made)], cwd=PROJECT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    before, after = json.loads(proc.stdout)
    assert after - before < 40, f"annotating grew the calling process from {before:.0f} to {after:.0f} MB"
    with zipfile.ZipFile(made) as zf:
        part = next(n for n in zf.namelist() if n.startswith("xl/comments"))
        assert zf.read(part).count(b"<comment ") == 16000  # every marked cell carries its comment
    wb = openpyxl.load_workbook(made, read_only=True)
    assert sum(1 for _ in wb["Activities"].iter_rows()) == 8002
    assert sum(1 for _ in wb["Stocktake issues"].iter_rows()) == 16003


def test_a_return_too_large_to_annotate_is_a_message(monkeypatch):
    from mapping.returns.annotate import annotate_workbook

    data = bad.good_return(500, targeted="lots")
    result = _check(data)
    monkeypatch.setattr(sandbox, "MEMORY_MB", 1)  # a ceiling that 500 rows exceed
    with pytest.raises(ReturnError) as err:
        annotate_workbook(data, "r.xlsx", result)
    assert str(err.value).startswith("The annotated copy of r.xlsx could not be prepared: it needed more than the "
                                     "1 MB or the time one upload may use")
    assert str(err.value).endswith("Every problem is listed in the report; fix them in your file and upload it again.")
