"""The template is what focal points fill in: dropdowns from the lists, and it always validates cleanly."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pandas as pd
import pytest

from mapping.cli import main
from mapping.returns.ingest import read_return
from mapping.returns.schema import FIELDS, load_vocabularies
from mapping.returns.template import build_template, defined_name
from tests.factories.returns import ORGS, PAK_UNITS, pak_gazetteer

GAZ = pak_gazetteer()


def _wb(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _named_values(wb: openpyxl.Workbook, name: str) -> list[str]:
    (sheet, ref), = list(wb.defined_names[name].destinations)
    return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row if c.value is not None]


def _validations(ws) -> dict[str, tuple[str, str]]:
    """Column letter -> (formula, error style) of each list validation on the Activities sheet."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        letter = re.match(r"[A-Z]+", str(dv.sqref)).group(0)
        out[letter] = (dv.formula1, dv.errorStyle)
    return out


def test_sheets_headers_hxl_row_and_lists():
    wb = _wb(build_template(units=PAK_UNITS))
    assert wb.sheetnames == ["Instructions", "Activities", "Lists"]
    assert wb["Lists"].sheet_state == "hidden" and wb.active.title == "Activities"
    ws = wb["Activities"]
    assert [c.value for c in ws[1]] == [f.header for f in FIELDS]
    assert [c.value for c in ws[2]] == [f.hxl for f in FIELDS]
    assert ws.freeze_panes == "B3"
    assert ws["Q3"].number_format == "DD/MM/YYYY" and ws["S3"].number_format == "#,##0"
    assert ws.column_dimensions["I"].width == 40
    vocab = load_vocabularies()
    assert _named_values(wb, "Sectors") == vocab.sector_names
    assert _named_values(wb, "Statuses") == ["planned", "ongoing", "completed", "suspended"]
    assert _named_values(wb, "Provinces") == ["Khyber Pakhtunkhwa", "Punjab", "Sindh"]


def test_dropdowns_and_district_list_follows_the_province():
    wb = _wb(build_template(units=PAK_UNITS))
    checks = _validations(wb["Activities"])
    assert checks["G"] == ("=Sectors", "stop")
    assert checks["H"] == ("=INDIRECT(VLOOKUP(G3,SectorKeys,2,FALSE))", "warning")
    assert checks["C"] == ("=OrgTypes", "warning")
    assert checks["J"] == ("=Modalities", "warning")
    assert checks["K"] == ("=Provinces", "stop")
    assert checks["M"] == ("=INDIRECT(VLOOKUP(K3,ProvinceKeys,2,FALSE))", "warning")
    assert checks["O"] == ("=Scopes", "stop") and checks["P"] == ("=Statuses", "stop")
    (sheet, ref), = list(wb.defined_names["ProvinceKeys"].destinations)
    table = {r[0].value: r[1].value for r in wb[sheet][ref.replace("$", "")]}
    assert table == {"Khyber Pakhtunkhwa": "D_01_Khyber_Pakhtunkhwa", "Punjab": "D_02_Punjab", "Sindh": "D_03_Sindh"}
    assert _named_values(wb, "D_02_Punjab") == ["Attock", "Dera Ghazi Khan", "Lahore", "Multan", "Rawalpindi"]
    assert _named_values(wb, "S_02_Health") == ["Primary health care", "Maternal and child health", "Immunisation",
                                                "Health financing"]


@pytest.mark.parametrize(("text", "index", "expected"), [
    ("Khyber Pakhtunkhwa", 3, "D_03_Khyber_Pakhtunkhwa"), ("Azad Jammu & Kashmir", 1, "D_01_Azad_Jammu_Kashmir"),
    ("Région de Kayes", 12, "D_12_R_gion_de_Kayes"), ("'", 2, "D_02_x"),
])
def test_defined_names_are_valid_excel_names(text, index, expected):
    name = defined_name("D", text, index)
    assert name == expected and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)


def test_filled_template_validates_without_a_single_issue():
    wb = _wb(build_template(units=PAK_UNITS))
    ws = wb["Activities"]
    ins = wb["Instructions"]
    example_at = next(r for r in range(1, 40) if ins.cell(r, 1).value == "Example row")
    example = [c.value for c in ins[example_at + 2]]
    assert example[:2] == ["Your organisation", "ABC"]
    values = dict(zip([f.name for f in FIELDS], example, strict=False)) | {"org_name": "Indus Relief Partners"}
    values["adm1_name"], values["adm2_name"] = "Sindh", "Sukkur"
    ws.append([values.get(f.name) for f in FIELDS])  # lands below the formatted rows: still read
    for c, f in enumerate(FIELDS, start=1):
        ws.cell(3, c, values.get(f.name))
    buf = io.BytesIO()
    wb.save(buf)
    result = read_return(buf.getvalue(), "filled.xlsx", gazetteer=GAZ, orgs=ORGS, org="IRP", today=dt.date(2025, 6, 1))
    assert result.issues[0].message.startswith("Row ") and result.issues[0].severity == "warning"  # the duplicate
    assert [i.message for i in result.errors] == []
    rec = result.records[0]
    assert (rec["org_name"], rec["adm2_pcode"], rec["sector"], rec["start_date"]) == (
        "Indus Relief Partners", "PK724", "Social protection", dt.date(2025, 1, 1))


def test_prefilled_template_round_trips_with_activity_ids():
    acts = pd.DataFrame([
        {"org_name": "Indus Relief Partners", "org_acronym": "IRP", "sector": "Health", "subsector": "Immunisation",
         "activity": "Vaccination days", "adm1_name": "Punjab", "adm2_name": "Multan", "adm2_pcode": "PK627",
         "scope": "district", "status": "ongoing", "start_date": pd.Timestamp("2025-01-01"),
         "end_date": pd.NaT, "targeted": 5000.0, "reached": float("nan"), "activity_id": "IRP-001",
         "remarks": "=1+1"},
        {"org_name": "Indus Relief Partners", "org_acronym": "IRP", "sector": "WASH", "adm1_name": "Sindh",
         "adm2_name": None, "scope": "province", "status": "planned", "activity_id": "IRP-002"},
    ])
    data = build_template(units=PAK_UNITS, org="Indus Relief Partners", activities=acts)
    wb = _wb(data)
    ws = wb["Activities"]
    assert ws["AB3"].value == "IRP-001" and ws["AB4"].value == "IRP-002" and ws["A5"].value is None
    assert ws["AA3"].value == "=1+1" and ws["AA3"].data_type == "s"
    assert ws["O4"].value == "province-wide"
    assert wb["Instructions"]["A3"].value == ("Return of Indus Relief Partners: pre-filled with your 2 current "
                                             "activities. Edit them and add new rows.")
    result = read_return(data, "prefilled.xlsx", gazetteer=GAZ, orgs=ORGS, org="Indus Relief Partners",
                         today=dt.date(2025, 6, 1))
    assert result.issues == []
    assert [(r["activity_id"], r.get("adm2_pcode"), r["scope"]) for r in result.records] == [
        ("IRP-001", "PK627", "district"), ("IRP-002", None, "province")]
    assert result.records[0]["targeted"] == 5000 and "reached" not in result.records[0]


def test_template_without_boundaries_still_has_vocabulary_dropdowns_and_same_bytes_each_time():
    a, b = build_template(), build_template()
    assert a == b
    wb = _wb(a)
    checks = _validations(wb["Activities"])
    assert "K" not in checks and checks["G"] == ("=Sectors", "stop")


def test_template_command_writes_the_file(tmp_path, capsys):
    out = tmp_path / "template.xlsx"
    assert main(["template", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"Template written to {out}"
    assert "No boundary set is loaded: the template has no province/district lists" in captured.err
    assert _wb(out.read_bytes()).sheetnames == ["Instructions", "Activities", "Lists"]
    assert main(["template", "--out", str(tmp_path / "missing" / "t.xlsx")]) == 2


def test_template_command_prefills_an_organisations_current_activities(db_url, shared_boundaries, monkeypatch,
                                                                        tmp_path, capsys):
    from mapping import workflow
    from mapping.store import auth, db, registry
    from tests.factories.returns import row, template_return

    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    monkeypatch.setenv("STOCKTAKE_ADMIN_EMAIL", "admin@example.org")
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "s3cret-admin")
    workflow.setup(url=db_url)
    engine = db.connect(db_url)
    admin = auth.authenticate(engine, "admin@example.org", "s3cret-admin")
    registry.add_org(engine, admin, "Indus Relief Partners", acronym="IRP", org_type="National NGO")
    sent = template_return([row(adm2_name="D.G Khan", activity_id="IRP-001", targeted="12,500"),
                            row(sector="Nutrition", subsector=None, adm1_name="Sindh", adm2_name="Nawabshah",
                                activity_id="IRP-002")])
    outcome = workflow.submit_file(engine, admin, sent, "irp.xlsx", org="Indus Relief Partners")
    assert outcome.status == "stored"
    out = tmp_path / "irp_template.xlsx"
    assert main(["template", "--out", str(out), "--org", "IRP"]) == 0
    assert capsys.readouterr().out.strip() == f"Template written to {out} with 2 current activities of IRP"
    ws = _wb(out.read_bytes())["Activities"]
    rows = {ws[f"AB{r}"].value: (ws[f"A{r}"].value, ws[f"M{r}"].value, ws[f"N{r}"].value, ws[f"S{r}"].value)
            for r in (3, 4)}
    assert rows == {"IRP-001": ("Indus Relief Partners", "Dera Ghazi Khan", "PK607", 12500),
                    "IRP-002": ("Indus Relief Partners", "Shaheed Benazir Abad", "PK719", 1000)}
    result = workflow.validate_upload(engine, out.read_bytes(), out.name, org="Indus Relief Partners")
    assert [i.message for i in result.issues] == [] and result.accepted == 2


def test_rows_written_as_xml_read_back_as_openpyxl_would_have_written_them():
    import decimal

    import numpy as np
    from openpyxl import Workbook

    from mapping.returns.template import sheet_rows, stable_xlsx

    values = ["Sukkur", "  padded ", "=1+1", "#N/A", "", "two\r\nlines", "<&>\"'", 12500, 2.5, True, 45000,
              decimal.Decimal("1.25"), np.int64(7), np.float64(0.1), dt.date(2025, 1, 31),
              dt.datetime(2025, 1, 31, 13, 30), pd.Timestamp("2025-03-01"), float("nan"), pd.NaT, None, 1, 1.0]
    formats = [None, "#,##0", "DD/MM/YYYY"]  # a plain column and two formatted ones, as in the template
    expected, fast = Workbook(), Workbook()
    ws = expected.active
    ws.title = fast.active.title = "Activities"
    fast.active.append(["head"])
    ws.append(["head"])
    for r, value in enumerate(values, start=2):
        for c, fmt in enumerate(formats, start=1):
            plain = None if value is pd.NaT or (isinstance(value, float) and value != value) else value
            plain = plain.to_pydatetime() if isinstance(plain, pd.Timestamp) else plain
            plain = plain.item() if isinstance(plain, np.generic) else plain
            cell = ws.cell(r, c, plain)
            if isinstance(plain, str):
                cell.data_type = "s" if plain not in ("#N/A",) else "e"
            if fmt:
                cell.number_format = fmt
    for r in range(len(values) + 2, len(values) + 5):  # formatted blank rows below
        for c, fmt in enumerate(formats, start=1):
            if fmt:
                ws.cell(r, c).number_format = fmt
    rows = sheet_rows(fast, [values] * 3, first_row=2, number_formats=formats, last_row=len(values) + 4)
    got, want = _wb(stable_xlsx(fast, {"Activities": rows}))["Activities"], _wb(stable_xlsx(expected))["Activities"]
    assert got.dimensions == want.dimensions == f"A1:C{len(values) + 4}"
    for g, w in zip(got.iter_rows(), want.iter_rows(), strict=True):
        assert [(c.value, c.number_format, c.data_type) for c in g] == [
            (c.value, c.number_format, c.data_type) for c in w]


def test_a_control_character_in_a_prefilled_value_is_left_out_not_a_broken_file():
    acts = pd.DataFrame([{"org_name": "Indus Relief Partners", "sector": "Health", "activity": "Vaccination\x0bdays",
                          "adm1_name": "Punjab", "adm2_name": "Multan", "status": "ongoing"}])
    ws = _wb(build_template(units=PAK_UNITS, org="Indus Relief Partners", activities=acts))["Activities"]
    assert ws["I3"].value == "Vaccinationdays"


def test_the_strategy_column_offers_the_deployment_s_objectives_and_actions(tmp_path, monkeypatch):
    from tests.factories.programmes import STRATEGY_CSV

    wb = _wb(build_template(units=PAK_UNITS))
    letter = openpyxl.utils.get_column_letter(next(i for i, f in enumerate(FIELDS, start=1) if f.name == "strategy"))
    assert wb["Activities"][f"{letter}1"].value == "Strategy objective / action"
    assert _validations(wb["Activities"])[letter] == ("=Strategy", "warning")
    shipped = _named_values(wb, "Strategy")
    assert shipped[0] == "P1.1 — Reach the poorest households with regular cash support" and len(shipped) == 8 + 19
    monkeypatch.setenv("STOCKTAKE_DATA_DIR", str(tmp_path))
    (tmp_path / "strategy.csv").write_bytes(STRATEGY_CSV)  # a deployment's own framework
    own = _wb(build_template(units=PAK_UNITS))
    assert _named_values(own, "Strategy") == ["A.1 — Regular cash", "A.1.x — Index transfers to inflation",
                                              "B.1 — One registry"]
