"""The forum's path on the Programmes page (AppTest): filter a target group → matrix → map → portability →
export; the page, the spreadsheet and the PDF snapshot give the same numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from mapping import cli, workflow
from mapping.analysis import programmes as an
from mapping.returns.programmes import COLUMNS
from mapping.store import auth, db
from tests.factories.app import (
    PASSWORD,
    USERS,
    deployment_settings,
    module_deployment,
    offered_downloads,
    use_deployment,
)
from tests.factories.programmes import sheet

ROOT = Path(__file__).resolve().parents[2]
IRP, SFF = "Indus Relief Partners", "Sindh Futures Fund"
ROWS = [
    {"Programme": "Punjab Mothers (fictional)", "Owner": IRP, "Provinces": "Punjab",
     "Type": "Conditional cash transfers", "Target groups": "Pregnant and lactating women",
     "Districts": "Lahore; Kasur; Okara", "Beneficiaries": 12000},
    {"Programme": "National Mothers (fictional)", "Owner": SFF, "Target groups": "PLW; Children under 2",
     "Type": "Conditional cash transfers", "Beneficiaries": 90000},
    {"Programme": "Sindh Elderly (fictional)", "Owner": SFF, "Provinces": "Sindh", "Type": "Social pensions",
     "Target groups": "Elderly", "Districts": "Hyderabad; Karachi East"},
]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    built = module_deployment(tmp_path_factory.mktemp("programmes"), shared_boundaries,
                              admin_email="sec@prog.test", admin_password="prog-test-admin")
    with deployment_settings(built):
        parsed, report = workflow.programmes_import(db.connect(), workflow.SYSTEM, sheet(ROWS), "programmes.xlsx")
        assert parsed.issues == [] and report.created and len(report.created) == 3
    return built


@pytest.fixture
def app_env(_isolated_dirs, deployment, monkeypatch):
    return use_deployment(deployment, monkeypatch)


def start(role: str = "viewer") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["actor"] = auth.authenticate(db.connect(), USERS[role][0], PASSWORD)
    at.run()
    at.switch_page("pages/programmes.py")
    return at.run()


def frame_with(at: AppTest, column: str):
    """The table on the page that has this column (AppTest finds tables by position, not key)."""
    for df in at.dataframe:
        value = df.value
        if column in value.columns or column == value.index.name:
            return value
    raise AssertionError(f"no table with a {column!r} column")


def test_the_forums_path_filter_matrix_map_portability_export(app_env):
    at = start()
    assert not at.exception, at.exception
    at.multiselect(key="prog_groups").set_value(["Pregnant and lactating women"]).run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "2 programmes of 2 owners are recorded." in text
    assert "Punjab Mothers (fictional) and National Mothers" in text or \
        "National Mothers (fictional) and Punjab Mothers (fictional)" in text
    table = frame_with(at, "Target groups")
    assert sorted(table["Programme"]) == ["National Mothers (fictional)", "Punjab Mothers (fictional)"]
    matrix = frame_with(at, "Total")
    assert matrix.loc["Punjab Mothers (fictional)", "Punjab"] == 3
    assert matrix.loc["National Mothers (fictional)", "Total"] == 160
    assert at.get("image"), "the map of programmes per district is drawn"
    assert at.selectbox(key="prog_map_group").value == "Pregnant and lactating women"  # the map follows the filter
    assert at.selectbox(key="prog_port_group").value == "Pregnant and lactating women"
    pairs = frame_with(at, "Districts shared")
    assert list(pairs["Districts shared"]) == [3]
    at.selectbox(key="prog_port_group").set_value("Elderly")
    at.selectbox(key="prog_port_origin").set_value("PK617").run()  # Lahore
    port = frame_with(at, "Districts in province")
    sindh = port[port["Province"] == "Sindh"]
    assert list(sindh["Programme"]) == ["no programme for this group"]  # the filter keeps only mothers' programmes
    at.multiselect(key="prog_groups").set_value([]).run()
    at.selectbox(key="prog_port_group").set_value("Elderly")
    at.selectbox(key="prog_port_origin").set_value("PK617").run()
    port = frame_with(at, "Districts in province")
    assert list(port.loc[port["Province"] == "Sindh", "Programme"]) == ["Sindh Elderly (fictional)"]
    assert list(port.loc[port["Province"] == "Sindh", "Districts covered"]) == [2]
    labels = [b.label for b in at.get("download_button")]
    assert "Programmes (.xlsx, with HXL row and matrix)" in labels and "Programmes (.csv, with HXL row)" in labels


def test_export_and_pdf_agree_with_the_page(app_env, tmp_path):
    engine = db.connect()
    frame, units = workflow.programmes_data(engine)
    matrix = an.programme_province_matrix(frame, units)
    out = tmp_path / "programmes.xlsx"
    assert cli.main(["programmes", "export", "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["Programmes"]
    assert [c.value for c in ws[2]][:2] == ["#programme+name", "#org+name"]
    exported = {r[0].value: r for r in ws.iter_rows(min_row=3)}
    assert set(exported) == set(frame["name"])
    mx = wb["Programme x province"]
    rows = [[c.value for c in r] for r in mx.iter_rows()]
    header = next(r for r in rows if "Punjab" in r)
    punjab = next(r for r in rows if r[0] == "Punjab Mothers (fictional)")
    assert punjab[header.index("Punjab")] == matrix.loc["Punjab Mothers (fictional)", "Punjab"] == 3
    parsed, _ = workflow.programmes_import(engine, workflow.SYSTEM, out.read_bytes(), out.name, dry_run=True)
    assert parsed.issues == [] and len(parsed.records) == 3  # the export imports back
    pdf = tmp_path / "snap.pdf"
    assert cli.main(["report", "--out", str(pdf)]) == 0
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Programmes" in text and "Punjab Mothers (fictional)" in text and "Sindh Elderly (fictional)" in text
    assert "Districts covered, programme × province" in text
    assert an.COVERAGE_RULE.split(";")[0] in text.replace("\n", " ")


def test_returns_read_against_the_strategy_on_matrices_and_gaps(app_env, tmp_path):
    from mapping.returns.template import build_template
    from tests.factories.app import return_bytes

    engine = db.connect()
    rows = [{"org_name": IRP, "sector": "Social protection", "activity": "Cash for the poorest", "adm1_name": "Punjab",
             "adm2_name": "Lahore", "status": "ongoing", "strategy": "P1.1.a — Expand unconditional cash transfers to "
                                                                   "every district"},
            {"org_name": IRP, "sector": "Nutrition", "activity": "OTP sites", "adm1_name": "Sindh",
             "adm2_name": "Hyderabad", "status": "ongoing", "strategy": "P2.1.b"}]
    report = workflow.submit_file(engine, workflow.SYSTEM, return_bytes(rows), "irp_strategy.xlsx", org=IRP)
    outcome = report.outcomes[0]
    assert outcome.status == "stored", outcome.message
    at = start()
    at.switch_page("pages/matrices.py")
    at.run()
    assert not at.exception, at.exception
    m = frame_with(at, "P1")  # pillars head their columns by code (whole names were cut mid-word), named below
    assert list(m.columns) == ["P1", "P2", "P3", "P4", "Total"]
    assert m.loc[IRP, "P1"] == 1 and m.loc[IRP, "P2"] == 1
    assert any("**P1** Protecting the poorest households (illustrative); **P2** Human capital" in c.value
               for c in at.caption)
    at.switch_page("pages/gaps.py")
    at.run()
    assert not at.exception, at.exception
    said = " ".join(md.value for md in at.markdown)
    assert "No partner reports support to 4 of the 5 policy actions under pillar P1" in said
    gaps = frame_with(at, "Policy action")
    assert "P1.1.a" not in set(gaps["Code"]) and "P1.1.b" in set(gaps["Code"])
    assert "Pillar P1 Protecting the poorest households (illustrative) rests on one partner: Indus Relief " \
           "Partners." in said
    resting = frame_with(at, "Partner carrying it").set_index("Pillar")
    assert resting.loc["P1 Protecting the poorest households (illustrative)", "Its share"] == "100%"
    wb = openpyxl.load_workbook(io.BytesIO(build_template()))
    lists = wb["Lists"]
    header = [c.value for c in lists[1]]
    assert "Strategy" in header
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"code,level,parent,name\nX.1,objective,,Orphan\n")
    assert cli.main(["strategy", "set", str(bad)]) == 2


def test_a_programme_name_in_a_return_is_queued_then_learned_once(app_env):
    from tests.factories.app import return_bytes

    engine = db.connect()
    rows = [{"org_name": SFF, "sector": "Social protection", "activity": "Cash for mothers", "adm1_name": "Punjab",
             "adm2_name": "Lahore", "status": "ongoing", "project": "Punjab Mothers fictional"},
            {"org_name": SFF, "sector": "Social protection", "activity": "Stipends", "adm1_name": "Punjab",
             "adm2_name": "Kasur", "status": "ongoing", "project": "Our own stipend scheme"}]
    report = workflow.submit_file(engine, workflow.SYSTEM, return_bytes(rows), "sff_programmes.xlsx", org=SFF)
    assert report.outcomes[0].status == "stored", report.outcomes[0].message
    viewer = start("viewer")
    queue = frame_with(viewer, "Did they mean").set_index("Name in the returns")
    assert queue.loc["Punjab Mothers fictional", "Programme"] == "not recorded"
    assert queue.loc["Punjab Mothers fictional", "Did they mean"] == "Punjab Mothers (fictional)"
    assert queue.loc["Our own stipend scheme", "Did they mean"] == ""
    assert list(queue.index[:2]) == ["Punjab Mothers fictional", "Our own stipend scheme"]  # suggestions first
    assert not [b for b in viewer.button if b.key == "prog_link"], "only the owners' focal points and admins learn"
    at = start("focal_point")  # Indus Relief Partners: the owner of Punjab Mothers
    at.selectbox(key="prog_link_name").set_value("Punjab Mothers fictional").run()
    assert at.selectbox(key="prog_link_to").value == "Punjab Mothers (fictional)"  # the suggestion, preselected
    at.button(key="prog_link").click().run()
    assert not at.exception and not at.error, at.error
    queue = frame_with(at, "Did they mean").set_index("Name in the returns")
    assert queue.loc["Punjab Mothers fictional", "Programme"] == "Punjab Mothers (fictional)"
    assert queue.loc["Our own stipend scheme", "Programme"] == "not recorded"
    frame, _ = workflow.programmes_data(engine)
    assert frame.set_index("name").loc["Punjab Mothers (fictional)", "aliases"] == ["Punjab Mothers fictional"]
    again = start("viewer")  # learned once: every later view reads it as the programme
    assert frame_with(again, "Did they mean").set_index("Name in the returns").loc[
        "Punjab Mothers fictional", "Programme"] == "Punjab Mothers (fictional)"


def test_a_name_that_is_not_a_programme_is_marked_so_by_its_writer_and_can_be_put_back(app_env):
    from tests.factories.app import RETURNS, return_bytes

    kct = USERS["focal_point_2"][1]  # "Khyber *Care* <b>Trust</b>": its name must reach the page as text
    rows = [dict(r, project=name) for r, name in zip(RETURNS[kct], ("Staff training", "Khyber clinics"),
                                                         strict=True)]  # the second name stays in the queue
    report = workflow.submit_file(db.connect(), workflow.SYSTEM, return_bytes(rows), "kct.xlsx", org=kct)
    assert report.outcomes[0].status == "stored", report.outcomes[0].message
    other = start("focal_point")  # Indus Relief Partners does not write the name: it cannot decide it
    other.selectbox(key="prog_link_name").set_value("Staff training").run()
    other.button(key="prog_not_programme").click().run()
    assert any("cannot decide whether “Staff training” is a programme" in e.value for e in other.error)
    assert "Staff training" in set(frame_with(other, "Did they mean")["Name in the returns"])

    at = start("focal_point_2")
    at.selectbox(key="prog_link_name").set_value("Staff training").run()
    at.button(key="prog_not_programme").click().run()
    assert not at.exception and not at.error, at.error
    assert any("“Staff training” is marked as not a programme" in s.value for s in at.success)
    assert "Staff training" not in set(frame_with(at, "Did they mean")["Name in the returns"])
    assert "Staff training" not in at.selectbox(key="prog_link_name").options
    assert "; 1 more is marked as not a programme." in " ".join(c.value for c in at.caption)
    marked = frame_with(at, "Marked on").set_index("Name in the returns")
    assert marked.loc["Staff training", "Organisations"] == kct and marked.loc["Staff training", "Activities"] == 1
    assert "Marked by" not in marked.columns  # who marked it is for the secretariat
    assert any(e.label == "Marked as not a programme (1)" for e in at.expander)

    viewer = start("viewer")  # everyone reads the queue without it; only those entitled can put it back
    assert "Staff training" not in set(frame_with(viewer, "Did they mean")["Name in the returns"])
    assert list(frame_with(viewer, "Marked on")["Name in the returns"]) == ["Staff training"]
    assert not [b for b in viewer.button if b.key == "prog_unmark"]

    admin = start("admin")
    assert frame_with(admin, "Marked on").set_index("Name in the returns").loc[
        "Staff training", "Marked by"] == USERS["focal_point_2"][0]
    admin.selectbox(key="prog_unmark_name").set_value("Staff training").run()
    admin.button(key="prog_unmark").click().run()
    assert not admin.exception and not admin.error, admin.error
    queue = frame_with(admin, "Did they mean").set_index("Name in the returns")
    assert queue.loc["Staff training", "Programme"] == "not recorded"
    assert not [e for e in admin.expander if e.label.startswith("Marked as not a programme")]
    log = db.audit_log(db.connect(), db.CLI_ADMIN, object_type="programme_name")
    assert [e["action"] for e in log] == ["programme_name.programme_again", "programme_name.not_programme"]


def _sheet_matrix(ws) -> dict[str, list]:
    """Programme → its cells, from the export's matrix sheet (title rows above the header are skipped)."""
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] == "Programme")
    return {"header": rows[start][1:], **{r[0]: r[1:] for r in rows[start + 1:] if r[0]}}


def _pdf_matrix(text: str, names: list[str]) -> dict[str, list[int]]:
    """Programme → its cells, from the PDF's matrix (its text holds one cell a line; '–' is an empty cell)."""
    lines = [x.strip() for x in text.split("Districts covered, programme × province", 1)[1].splitlines()]
    out: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line in names and line not in out:
            cells = []
            for cell in lines[i + 1:]:
                if cell != "–" and not cell.replace(",", "").isdigit():
                    break
                cells.append(0 if cell == "–" else int(cell.replace(",", "")))
            if cells:  # 'Total' heads a column too
                out[line] = cells
    return out


def test_the_page_its_downloads_and_the_pdf_give_the_same_numbers(app_env, tmp_path, monkeypatch):
    """What the forum reads on screen is what it takes away: matrix cells, people, headline sentences, pairs."""
    offered = offered_downloads(monkeypatch)
    at = start()
    at.multiselect(key="prog_groups").set_value(["Pregnant and lactating women"]).run()
    matrix, table = frame_with(at, "Total"), frame_with(at, "Districts covered")
    assert len(matrix) == 3 and matrix.loc["Total", "Total"] == 3 + 160  # two programmes and the Total row
    wb = openpyxl.load_workbook(io.BytesIO(offered["prog_xlsx"]))
    sheet = _sheet_matrix(wb["Programme x province"])
    assert sheet["header"] == list(matrix.columns)
    for name, row in matrix.iterrows():
        assert sheet[name] == [int(v) for v in row], name
    people = dict(zip(table["Programme"], table["People"]))
    xlsx_rows = {r[0]: r for r in wb["Programmes"].iter_rows(min_row=3, values_only=True)}
    csv_rows = {r[0]: r for r in list(csv.reader(io.StringIO(offered["prog_csv"].decode("utf-8-sig"))))[2:]}
    column = list(COLUMNS).index("Beneficiaries")
    assert set(xlsx_rows) == set(csv_rows) == set(people)
    for name, n in people.items():
        assert xlsx_rows[name][column] == n and int(csv_rows[name][column]) == n, name

    at.multiselect(key="prog_groups").set_value([]).run()  # the PDF holds the whole list
    matrix = frame_with(at, "Total")
    said = [m.value.removeprefix("- ") for m in at.markdown if m.value.startswith("- ")]
    pairs = frame_with(at, "Districts shared")
    pdf = tmp_path / "snapshot.pdf"
    assert cli.main(["report", "--out", str(pdf)]) == 0
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages]
    text = "\n".join(pages)
    flat = " ".join(text.split())
    assert len(said) == 2 and said[0] == "3 programmes of 2 owners are recorded."
    for sentence in said:
        assert " ".join(sentence.split()) in flat, sentence
    cells = _pdf_matrix(text, list(matrix.index))
    assert set(cells) == set(matrix.index)
    for name, row in matrix.iterrows():
        assert cells[name] == [int(v) for v in row], name
    for name, n in zip(frame_with(at, "Districts covered")["Programme"],
                       frame_with(at, "Districts covered")["People"], strict=True):
        if n == n:
            assert f"{int(n):,}" in text, name
    heading = next(p for p in pages if "Same group, same district" in p)  # the heading sits with its table
    for rec in pairs.to_dict("records"):
        assert rec["Programme"].split(" (")[0] in heading and str(rec["Districts shared"]) in heading
