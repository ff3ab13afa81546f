"""Ingest reads what focal points actually send and says precisely what is wrong: row, column, value, fix."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pandas as pd
import pytest

from mapping.returns.annotate import annotate_workbook
from mapping.returns.ingest import ReturnError, read_return
from mapping.returns.normalise import parse_date, parse_number
from mapping.returns.organisations import OrgIndex
from tests.factories.returns import (
    HEADERS,
    ORGS,
    TAGS,
    XL_UNITS,
    csv_bytes,
    ods_bytes,
    pak_gazetteer,
    row,
    template_return,
    with_part_replaced,
    xl_gazetteer,
    xlsx,
    zip_bomb,
)

TODAY = dt.date(2025, 6, 1)
GAZ = pak_gazetteer()


def check(data: bytes, filename: str = "return.xlsx", **kw):
    kw.setdefault("gazetteer", GAZ)
    kw.setdefault("orgs", ORGS)
    return read_return(data, filename, today=TODAY, **kw)


def issues(result) -> list[tuple]:
    return [(i.row, i.column, i.value, i.severity, i.message, i.suggestion) for i in result.issues]


# --------------------------------------------------------------------------- layouts

def test_clean_template_layout_is_read_matched_and_normalised():
    result = check(template_return([
        row(adm2_name="D.G Khan", targeted="12,500", reached="1 200", budget="USD 250,000"),
        row(org_name="Indus Relief", sector="nutrition", subsector=None, adm1_name="Sindh", adm2_name="Nawabshah",
            status="On-going", start_date="1 March 2024", end_date="Mar-2025", targeted=None, reached=None),
    ]))
    assert issues(result) == []
    assert (result.rows, result.accepted, result.sheet, result.header_row) == (2, 2, "Activities", 2)
    first, second = result.records
    assert first["_row"] == 3 and second["_row"] == 4
    assert (first["org_name"], first["org_acronym"], first["org_type"]) == ("Indus Relief Partners", "IRP",
                                                                            "National NGO")
    assert (first["adm1_pcode"], first["adm2_pcode"], first["adm2_name"]) == ("PK6", "PK607", "Dera Ghazi Khan")
    assert (first["targeted"], first["reached"], first["budget"], first["currency"]) == (12500, 1200, 250000.0, "USD")
    assert first["start_date"] == dt.date(2025, 2, 1) and first["end_date"] == dt.date(2025, 12, 31)
    assert (second["sector"], second["status"], second["adm2_pcode"]) == ("Nutrition", "ongoing", "PK719")
    assert (second["start_date"], second["end_date"]) == (dt.date(2024, 3, 1), dt.date(2025, 3, 31))
    assert second["match_method"] in ("alias", "exact") and second["match_score"] == 100.0


def test_title_rows_and_merged_two_row_header_with_province_wide_and_blank_rows():
    rows = [
        ["Indus Relief Partners: stocktaking return Q1"], [],
        ["Organisation", "Sector", "Location", None, "Status", "Beneficiaries", None, "Remarks"],
        [None, None, "Province", "District", None, "Targeted", "Reached", None],
        ["IRP", "Health", "Punjab", "Lahore", "ongoing", "12,500", "3,000", None],
        [],
        ["IRP", "WASH", "Sindh", "Province-wide", "planned", "1 200", None, "all districts"],
        ["IRP", "Education", "Khyber Pakhtunkhwa", None, "completed", 10, 5, None],
    ]
    data = xlsx(rows, merges=["C3:D3", "F3:G3", "A3:A4", "B3:B4", "E3:E4", "H3:H4"])
    result = check(data)
    assert [(c["header"], c["field"]) for c in result.columns] == [
        ("Organisation", "org_name"), ("Sector", "sector"), ("Province", "adm1_name"), ("District", "adm2_name"),
        ("Status", "status"), ("Targeted", "targeted"), ("Reached", "reached"), ("Remarks", "remarks")]
    assert result.header_row == 4 and result.rows == 3
    assert [r["_row"] for r in result.records] == [5, 7]
    assert result.records[0]["targeted"] == 12500 and result.records[0]["reached"] == 3000
    wide = result.records[1]
    assert (wide["scope"], wide["adm1_pcode"], wide["adm2_pcode"], wide["targeted"]) == ("province", "PK7", None, 1200)
    assert issues(result) == [(8, "District (D)", None, "error",
                               "District is empty; every district-level activity needs one.",
                               "Name the district, or write 'Province-wide' (or 'National') in Location scope when "
                               "the activity covers a whole province (or the country).")]


def test_hxl_row_maps_columns_whatever_the_human_headers_and_attribute_order():
    rows = [["Qui", "Partenaire", "Quoi", "Où 1", "Où 2", "Etat", "x"],
            ["#org +name", "#ORG+name+impl", "#sector+cluster", "#adm1 +name", "#adm2+name", "#status", "#x_internal"],
            ["UNICEF", "Indus Relief", "Health", "Punjab", "Lahore", "ongoing", "abc"]]
    result = check(xlsx(rows))
    assert [(c["header"], c["field"]) for c in result.columns] == [
        ("Qui", "org_name"), ("Partenaire", "org_impl"), ("Quoi", "sector"), ("Où 1", "adm1_name"),
        ("Où 2", "adm2_name"), ("Etat", "status"), ("x", None)]
    rec = result.records[0]
    assert (rec["org_name"], rec["org_impl"], rec["extra"]) == ("United Nations Children's Fund",
                                                                 "Indus Relief Partners", {"x": "abc"})
    assert result.unknown_columns == ["x"] and result.issues == []


def test_tehsil_is_never_the_district_and_unknown_columns_are_kept():
    rows = [["Org", "Sector", "Province", "Tehsil", "District", "Status", "Donor ref", "Activity"],
            ["IRP", "Health", "Punjab", "Taunsa", "D.G. Khan", "ongoing", "GR-7", "Clinics"]]
    result = check(xlsx(rows))
    fields = {c["header"]: c["field"] for c in result.columns}
    assert fields["Tehsil"] is None and fields["District"] == "adm2_name"
    assert result.unknown_columns == ["Tehsil", "Donor ref"]
    assert result.records[0]["extra"] == {"Tehsil": "Taunsa", "Donor ref": "GR-7", "adm2_as_written": "D.G. Khan"}


def test_close_header_spelling_and_french_headers():
    rows = [["Organisaton", "Secteur", "Sous-secteur", "Région", "District", "Statut", "Date de début",
             "Bénéficiaires ciblés"],
            ["IRP", "Santé?", "Primary health care", "Punjab", "Lahore", "En cours", "15/01/2025", "2 000"]]
    result = check(xlsx(rows))
    assert [c["field"] for c in result.columns] == ["org_name", "sector", "subsector", "adm1_name", "adm2_name",
                                                   "status", "start_date", "targeted"]
    assert issues(result) == [(2, "Secteur (B)", "Santé?", "warning",
                               "'Santé?' is not on the sector list; it is kept as written and shown as not on the "
                               "list until it is mapped.",
                               "Suggested: Health (French name, 95% sure). Confirm it once: python -m mapping vocab "
                               "map sector \"Santé?\" --to \"Health\".")]
    assert result.accepted == 1 and result.records[0]["sector"] == "Santé?"


def test_sheet_holding_activities_is_chosen_and_a_named_sheet_is_honoured():
    activities = [HEADERS, TAGS, [row().get(f) for f in [
        "org_name", "org_acronym", "org_type", "org_impl", "org_funder", "project", "sector", "subsector",
        "activity", "modality", "adm1_name", "adm1_pcode", "adm2_name", "adm2_pcode", "scope", "status",
        "start_date", "end_date", "targeted", "reached"]]]
    data = xlsx(activities, sheet="Q1 data", before={"Instructions": [HEADERS, ["example"] * 5]},
                after={"Lists": [["Sector"], ["Health"]], "Notes": [["hello"]]})
    assert check(data).sheet == "Q1 data"
    with pytest.raises(ReturnError) as err:
        check(data, sheet="Q2 data")
    assert str(err.value) == ("return.xlsx has no sheet called 'Q2 data'; its sheets are 'Instructions', 'Q1 data', "
                              "'Lists', 'Notes'.")


# --------------------------------------------------------------------------- problems, row by row

def test_each_error_names_row_column_value_and_fix():
    data = template_return([
        row(org_name=None, sector=None, status=None),                       # row 3
        row(sector="Peace building", adm2_name="Newtown"),                  # row 4
        row(start_date="01/06/2025", end_date="31/01/2025"),                # row 5
        row(targeted=-5, reached="lots", start_date="31/02/2025"),          # row 6
        row(adm2_name=None),                                                # row 7
    ])
    result = check(data, orgs=ORGS, strict=True)  # strict vocabulary: an off-list sector is an error
    assert issues(result) == [
        (3, "Organisation (A)", None, "error", "Organisation is empty; every activity needs one.",
         "Write your organisation's name or acronym."),
        (3, "Sector (G)", None, "error", "Sector is empty; every activity needs one.",
         "Choose a sector from the list: Social protection, Health, Nutrition, Education, WASH, Agriculture and "
         "food security, Financial inclusion, Disaster risk and climate, Gender, Child protection, Governance and "
         "social protection systems."),
        (3, "Status (P)", None, "error", "Status is empty; every activity needs one.",
         "Choose one of: planned, ongoing, completed, suspended."),
        (4, "Sector (G)", "Peace building", "error", "'Peace building' is not a sector on the list.",
         "Choose a sector from the list: Social protection, Health, Nutrition, Education, WASH, Agriculture and "
         "food security, Financial inclusion, Disaster risk and climate, Gender, Child protection, Governance and "
         "social protection systems."),
        (4, "District (M)", "Newtown", "error", "'Newtown' is not a district of Punjab.",
         "Check the spelling against the district list in the template."),
        (5, "End date (R)", "31/01/2025", "error", "End date 31/01/2025 is before start date 01/06/2025.",
         "Swap the two dates or correct the year."),
        (6, "Start date (Q)", "31/02/2025", "error", "'31/02/2025' is not a real date.",
         "Write the date as day/month/year, e.g. 31/12/2025, or as an Excel date."),
        (6, "Beneficiaries targeted (S)", "-5", "error", "Beneficiaries targeted cannot be negative (-5).",
         "Write the number without a minus sign, or leave it empty when unknown."),
        (6, "Beneficiaries reached (T)", "lots", "error", "'lots' is not a number.",
         "Write digits only, e.g. 12500 (12,500 and 1,25,000 are read too)."),
        (7, "District (M)", None, "error", "District is empty; every district-level activity needs one.",
         "Name the district, or write 'Province-wide' (or 'National') in Location scope when the activity covers "
         "a whole province (or the country)."),
    ]
    assert (result.rows, result.accepted, result.ok) == (5, 0, False)


def test_unmatched_or_uncertain_district_gets_a_did_you_mean():
    result = check(template_return([row(adm2_name="Lahore Cantonment"), row(adm2_name="Mltn")]))
    assert [(i.row, i.column, i.severity, i.suggestion) for i in result.issues] == [
        (3, "District (M)", "error", "Did you mean Lahore (PK617)?"),
        (4, "District (M)", "error", "Did you mean Multan (PK627)?")]
    assert result.issues[0].message == "'Lahore Cantonment' is not a district of Punjab."
    assert result.issues[1].message.startswith("'Mltn' looks like Multan (Punjab), but not closely enough")


def test_warnings_keep_the_row():
    data = template_return([
        row(subsector="Space medicine"),                                     # 3: unknown sub-sector
        row(adm2_name="Rawalpndi"),                                          # 4: fuzzy district (a slip)
        row(start_date="01/01/1995", end_date="31/12/2035"),                 # 5: far past / future
        row(targeted="1,000", reached="1,500"),                              # 6: reached > targeted
        row(adm2_name="Attock"), row(adm2_name="Attock"),                    # 7, 8: duplicate
        row(org_name="Green Valley Trust"),                                  # 9: not on the list
        row(adm1_name="Sindh", adm2_name="Lahore"),                          # 10: province mismatch
    ])
    result = check(data)
    assert issues(result) == [
        (3, "Sub-sector (H)", "Space medicine", "warning",
         "'Space medicine' is not a sub-sector of Health on the list; it is kept as written.",
         "Choose one of: Primary health care, Maternal and child health, Immunisation, Health financing."),
        (4, "District (M)", "Rawalpndi", "warning",
         "Matched 'Rawalpndi' to Rawalpindi (PK633) by close spelling; check it.", None),
        (5, "Start date (Q)", "01/01/1995", "warning", "Start date 01/01/1995 is before 2000; check the year.", None),
        (5, "End date (R)", "31/12/2035", "warning", "End date 31/12/2035 is more than 5 years ahead; check the year.",
         None),
        (6, "Beneficiaries reached (T)", "1,500", "warning",
         "Beneficiaries reached (1,500) is more than targeted (1,000); check both numbers.", None),
        (8, None, None, "warning", "Row 8 repeats row 7 exactly; it would be counted twice.",
         "Delete one of the two rows, or tell them apart (district, activity or dates)."),
        (9, "Organisation (A)", "Green Valley Trust", "warning",
         "'Green Valley Trust' is not on the organisation list; the secretariat will add it.",
         "If it is listed under another name, ask the secretariat to add this spelling."),
        (10, "Province (K)", "Sindh", "warning",
         "Lahore (PK617) is in Punjab, not in 'Sindh'; Stocktake used Punjab.", "Check the province."),
    ]
    assert result.accepted == 8 and result.ok
    assert result.records[0]["subsector"] == "Space medicine"
    assert result.records[-1]["adm1_pcode"] == "PK6"


def test_row_with_only_remarks_or_id_is_reported_not_dropped():
    data = template_return([row(), {"remarks": "see annex", "activity_id": "IRP-9"}, {}, row(adm2_name="Multan")])
    result = check(data)
    assert issues(result) == [(4, None, None, "error",
                               "Row 4 has only Remarks, Activity ID and no activity details (sector, district, "
                               "status ...); it was not read as an activity.",
                               "Fill in the activity or delete the row.")]
    assert result.rows == 3 and [r["_row"] for r in result.records] == [3, 6]


def test_organisation_spellings_are_one_organisation():
    idx = OrgIndex(ORGS, ("Pakistan",))
    names = ["UNICEF", "Unicef Pakistan", "United Nations Children's Fund", "united nations childrens fund",
             "UNICEF Pakistan Country Office", "The United Nations Children's Fund (UNICEF)", "UNICEF (Lahore)"]
    assert {idx.find(n)["name"] for n in names} == {"United Nations Children's Fund"}
    assert idx.find("UNHCR") is None


def test_submitting_organisation_fills_empty_cells_and_refuses_other_organisations():
    data = template_return([row(org_name=None), row(org_name="NACW"), row(org_name="Indus Relief Partners Sindh", adm2_name="Multan")])
    result = check(data, org="IRP")
    assert [r["org_name"] for r in result.records] == ["Indus Relief Partners", "Indus Relief Partners"]
    assert issues(result) == [(4, "Organisation (A)", "NACW", "error",
                               "This return is for Indus Relief Partners, but this row names 'NACW'. A return may "
                               "only hold your own organisation's activities.",
                               "Remove the row, or send it to that organisation's focal point.")]


def test_vocabulary_case_and_aliases_and_codes():
    data = template_return([row(status="IN PROGRESS", sector="SP-UCT", subsector=None, modality="cash transfer",
                                org_type="ingo", scope="Countrywide", adm1_name=None, adm2_name=None)])
    rec = check(data).records[0]
    assert (rec["status"], rec["sector"], rec["subsector"], rec["modality"], rec["org_type"], rec["scope"]) == (
        "ongoing", "Social protection", "Unconditional cash transfers", "Cash", "International NGO", "national")
    assert "adm2_pcode" not in rec


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-01", dt.date(2024, 3, 1)), ("01/03/2024", dt.date(2024, 3, 1)), ("1 March 2024", dt.date(2024, 3, 1)),
    ("Mar-2024", dt.date(2024, 3, 1)), ("March 2024", dt.date(2024, 3, 1)), ("1-Mar-24", dt.date(2024, 3, 1)),
    ("15.03.2024", dt.date(2024, 3, 15)), (45352.0, dt.date(2024, 3, 1)), ("N/A", None), ("-", None),
    (dt.datetime(2024, 3, 1, 0, 0), dt.date(2024, 3, 1)), ("1er mars 2024", None),
])
def test_dates_in_the_usual_forms(text, expected):
    value, problem = parse_date(text)
    if text == "1er mars 2024":
        assert value is None and problem == "is not a date Stocktake can read"
    else:
        assert (value, problem) == (expected, None)


def test_month_first_order_is_configurable():
    assert parse_date("03/01/2024", order="mdy") == (dt.date(2024, 3, 1), None)
    assert parse_date("03/01/2024", order="dmy") == (dt.date(2024, 1, 3), None)
    assert parse_date("Mar-2024", end=True) == (dt.date(2024, 3, 31), None)


@pytest.mark.parametrize(("text", "expected"), [
    ("12,500", (12500.0, None, None)), ("1 200", (1200.0, None, None)), ("PKR 1,000,000", (1e6, "PKR", None)),
    ("$3,000", (3000.0, "USD", None)), ("n.a.", (None, None, None)), ("12.5k", (None, None, "is not a number")),
    (7, (7.0, None, None)), ("€ 1.200.000,50", (1200000.5, "EUR", None)), ("(500)", (-500.0, None, None)),
])
def test_numbers_with_separators(text, expected):
    assert parse_number(text) == expected


# --------------------------------------------------------------------------- other formats

def test_semicolon_csv_in_windows_encoding():
    rows = [["Organisation", "Sector", "Province", "District", "Status", "Beneficiaries targeted"],
            ["IRP", "Health", "Punjab", "Lahore", "ongoing", "1.200.000"],
            ["IRP", "Nutriton", "Punjab", "Lahore", "ongoing", "5"]]
    result = check(csv_bytes(rows, delimiter=";", encoding="cp1252"), "return.csv")
    assert result.sheet == "return" and result.records[0]["targeted"] == 1200000
    assert issues(result) == [(3, "Sector (B)", "Nutriton", "warning", "Read 'Nutriton' as Nutrition; check it.",
                               None)]


def test_ods_return():
    rows = [HEADERS[:19], TAGS[:19], [row().get(f.split("+")[0]) for f in [
        "org_name", "org_acronym", "org_type", "org_impl", "org_funder", "project", "sector", "subsector", "activity",
        "modality", "adm1_name", "adm1_pcode", "adm2_name", "adm2_pcode", "scope", "status", "start_date",
        "end_date", "targeted"]]]
    rows[2][12] = "Lahor"
    result = check(ods_bytes(rows), "return.ods")
    assert result.records[0]["adm2_pcode"] == "PK617" and result.records[0]["targeted"] == 1000
    assert issues(result) == [(3, "District (M)", "Lahor", "warning",
                               "Matched 'Lahor' to Lahore (PK617) by close spelling; check it.", None)]


def test_another_countrys_ocha_3w_with_french_headers_and_hxl_row():
    rows = [["Nom de l'organisation", "Type d'organisation", "Cluster", "Activité", "Région", "Cercle", "Commune",
             "Statut", "Date de début", "Mois de rapport", "Bénéficiaires atteints"],
            ["#org+name", "#org+type", "#sector+cluster", "#activity+description", "#adm1+name", "#adm2+name",
             "#adm3+name", "#status", "#date+start", "#date+reported", "#reached"],
            ["ONG Sahel Espoir", "ONG nationale", "Santé", "Cliniques mobiles", "Kayes", "Diema", "Fegui", "En cours",
             "01/02/2024", "mars-24", 350],
            ["ONG Sahel Espoir", "ONG nationale", "Education", "Kits scolaires", "Mopti", "Djenné", "Djenné",
             "Terminé", "15/09/2023", "mars-24", 1200]]
    result = read_return(xlsx(rows, sheet="3W_Mali"), "mali_3w.xlsx", gazetteer=xl_gazetteer(), orgs=None,
                         today=TODAY)
    assert [(c["header"], c["field"]) for c in result.columns] == [
        ("Nom de l'organisation", "org_name"), ("Type d'organisation", "org_type"), ("Cluster", "sector"),
        ("Activité", "activity"), ("Région", "adm1_name"), ("Cercle", "adm2_name"), ("Commune", None),
        ("Statut", "status"), ("Date de début", "start_date"), ("Mois de rapport", None),
        ("Bénéficiaires atteints", "reached")]
    assert result.unknown_columns == ["Commune", "Mois de rapport"]
    assert [r["adm2_pcode"] for r in result.records] == ["XL0102", "XL0502"]
    assert result.errors == []
    assert result.offlist == [{"field": "sector", "value": "Santé", "rows": 1, "first_row": 3, "suggestion": "Health",
                               "confidence": 95, "how": "French name"},
                              {"field": "org_name", "value": "ONG Sahel Espoir", "rows": 2, "first_row": 3,
                               "suggestion": None, "confidence": 0, "how": None}]
    rec = result.records[1]
    assert (rec["org_type"], rec["status"], rec["extra"]) == ("National NGO", "completed",
                                                              {"Commune": "Djenné", "Mois de rapport": "mars-24"})
    assert XL_UNITS.shape == (6, 4)


# --------------------------------------------------------------------------- unreadable files

def _good() -> bytes:
    return template_return([row()])


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "r.xlsx", "r.xlsx is empty (0 bytes of data). Fill in the template and upload it again."),
    (b"%PDF-1.7 binary", "r.xlsx", "r.xlsx is not a spreadsheet Stocktake can read (its contents are not Excel, "
     "OpenDocument or CSV). Upload the return as .xlsx, .xls, .ods or .csv."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "r.xlsx",
     "r.xlsx is password-protected (encrypted). Remove the password in Excel (File > Info > Protect Workbook > "
     "Encrypt with Password, clear it) and upload it again."),
])
def test_unreadable_files_get_a_plain_message(data, name, message):
    with pytest.raises(ReturnError) as err:
        check(data, name)
    assert str(err.value) == message


def test_no_recognisable_header():
    data = xlsx([["Name", "Age"], ["Ali", 3]], sheet="People")
    with pytest.raises(ReturnError) as err:
        check(data)
    assert str(err.value).startswith("Row 1-30 of sheet 'People' in return.xlsx has no header Stocktake recognises; "
                                     "expected columns like Organisation, Sector, District, Status.")


def test_empty_workbook_and_header_only_sheet():
    with pytest.raises(ReturnError, match="return.xlsx is empty: no sheet has any cells filled in"):
        check(xlsx([]))
    result = check(template_return([]))
    assert issues(result) == [(3, None, None, "error", "Sheet 'Activities' has a header but no activity rows below "
                               "it.", "Add one row per activity under the header row.")]


def test_zip_bomb_is_refused_before_reading():
    with pytest.raises(ReturnError) as err:
        check(zip_bomb(450))
    assert "which is what a 'zip bomb' does" in str(err.value) and "unpacks to 450 MB" in str(err.value)


def test_xml_entity_attack_is_refused():
    bomb = b'<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    evil = with_part_replaced(_good(), "xl/workbook.xml", lambda c: c.replace(b"?>", b"?>" + bomb, 1)
                              if c.startswith(b"<?xml") else bomb + c)
    with pytest.raises(ReturnError) as err:
        check(evil)
    assert str(err.value).startswith("return.xlsx was refused: its part xl/workbook.xml declares XML entities")


def test_size_limit():
    with pytest.raises(ReturnError) as err:
        check(_good(), max_bytes=1000)
    assert str(err.value).endswith("over the 0 MB limit for a return. Remove other sheets, pictures or unused rows "
                                   "and upload it again.")
    assert check(_good(), max_bytes=20 * 1024 * 1024).ok


def test_garbage_xls_is_unreadable_not_a_traceback():
    with pytest.raises(ReturnError) as err:
        check(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 2000, "old.xls")
    assert str(err.value).startswith("old.xls could not be read as a spreadsheet")


# --------------------------------------------------------------------------- report outputs

def test_to_json_has_the_documented_keys():
    result = check(template_return([row(), row(sector="Peace")]), strict=True)
    out = json.loads(json.dumps(result.to_json(), default=str))
    assert {"columns", "rows", "accepted", "issues"} <= set(out)
    assert out["columns"][0] == {"header": "Organisation", "letter": "A", "field": "org_name"}
    assert (out["rows"], out["accepted"]) == (2, 1)
    assert out["issues"] == [{"file": "return.xlsx", "sheet": "Activities", "row": 4, "column": "Sector (G)",
                              "value": "Peace", "severity": "error", "message": "'Peace' is not a sector on the list.",
                              "suggestion": out["issues"][0]["suggestion"]}]


def test_annotated_workbook_marks_cells_and_lists_issues():
    data = template_return([row(), row(sector="Peace"), row(adm2_name="Rawalpndi", remarks="=HYPERLINK(\"x\")")])
    result = check(data, strict=True)
    wb = openpyxl.load_workbook(io.BytesIO(annotate_workbook(data, "return.xlsx", result)))
    ws = wb["Activities"]
    assert ws["G4"].fill.start_color.rgb.endswith("FFC7CE") and ws["M5"].fill.start_color.rgb.endswith("FFEB9C")
    assert ws["G4"].comment.text == ("ERROR: 'Peace' is not a sector on the list.\nChoose a sector from the list: "
                                     "Social protection, Health, Nutrition, Education, WASH, Agriculture and food "
                                     "security, Financial inclusion, Disaster risk and climate, Gender, Child "
                                     "protection, Governance and social protection systems.")
    assert ws["G3"].comment is None and ws["G4"].value == "Peace" and ws["A3"].value == "IRP"
    report = wb["Stocktake issues"]
    # openpyxl stores "=HYPERLINK(...)" as a formula without a result: an error, as Excel would show no value
    assert report["A1"].value.startswith("return.xlsx, sheet 'Activities': 3 rows read, 1 without errors, 2 error(s), "
                                         "1 warning(s).")
    assert [c.value for c in report[4]][:5] == [4, "Sector (G)", "Peace", "error",
                                                "'Peace' is not a sector on the list."]
    assert [c.value for c in report[5]][:4] == [5, "District (M)", "Rawalpndi", "warning"]


def test_annotating_a_csv_gives_an_xlsx_with_formulas_kept_as_text():
    rows = [["Organisation", "Sector", "Province", "District", "Status", "Remarks"],
            ["IRP", "Peace", "Punjab", "Lahore", "ongoing", "=cmd|' /C calc'!A0"]]
    data = csv_bytes(rows)
    result = check(data, "r.csv", strict=True)
    wb = openpyxl.load_workbook(io.BytesIO(annotate_workbook(data, "r.csv", result)))
    ws = wb["r"]
    assert ws["F2"].value == "=cmd|' /C calc'!A0" and ws["F2"].data_type == "s"
    assert ws["B2"].fill.start_color.rgb.endswith("FFC7CE")
    assert wb["Stocktake issues"]["C4"].value == "Peace"


# --------------------------------------------------------------------------- the validate command

@pytest.fixture
def boundary_set(shared_boundaries):
    from mapping.geo import boundaries

    return boundaries.import_path(shared_boundaries)


def test_validate_command_json_and_exit_codes(boundary_set, tmp_path, capsys, monkeypatch):
    from mapping.cli import main

    monkeypatch.setenv("STOCKTAKE_STRICT_VOCABULARY", "1")  # an off-list status is an error, as before mapping

    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(template_return([row(adm2_name="D.G Khan")]))
    bad.write_bytes(template_return([row(), row(status="maybe")]))
    assert main(["validate", str(good), "--json", "--org", "IRP"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["rows"], out["accepted"], out["issues"]) == (1, 1, [])
    assert main(["validate", str(good), "--json"]) == 0  # the store's organisation list is empty
    assert [i["message"] for i in json.loads(capsys.readouterr().out)["issues"]] == [
        "'IRP' is not on the organisation list; the secretariat will add it."]
    assert main(["validate", str(bad), "--org", "IRP", "--json", "--all-issues", "--annotated",
                 str(tmp_path / "marked.xlsx")]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["issues"][0] | {"suggestion": None} == {
        "file": "bad.xlsx", "sheet": "Activities", "row": 4, "column": "Status (P)", "value": "maybe",
        "severity": "error", "message": "'maybe' is not a status Stocktake knows.", "suggestion": None}
    marked = openpyxl.load_workbook(tmp_path / "marked.xlsx")
    assert marked["Activities"]["P4"].comment.text.startswith("ERROR: 'maybe' is not a status Stocktake knows.")
    assert main(["validate", str(bad), "--org", "IRP"]) == 1
    text = capsys.readouterr().out
    assert "bad.xlsx, sheet 'Activities' (header on row 2): 2 rows read, 1 without errors, 1 error(s), 0 warning(s)." \
        in text
    assert "    4  error     Status (P)                'maybe' is not a status Stocktake knows." in text


def test_validate_command_unreadable_and_missing_files(boundary_set, tmp_path, capsys):
    from mapping.cli import main

    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"hello, this is a text file pretending")
    assert main(["validate", str(junk)]) == 2
    assert "junk.xlsx is not a spreadsheet Stocktake can read" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "nowhere.xlsx")]) == 2
    assert "Cannot read" in capsys.readouterr().err


def test_validate_without_boundaries_says_how_to_import_them(tmp_path, capsys):
    from mapping.cli import main

    f = tmp_path / "r.xlsx"
    f.write_bytes(template_return([row()]))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("No boundary set is loaded, so districts cannot be matched. An admin imports one")
    assert "boundaries import --from PATH" in err


def test_validate_an_ocha_3w_from_another_country_lists_recognised_columns(tmp_path, capsys, monkeypatch):
    from mapping import workflow
    from mapping.cli import main
    from mapping.returns.schema import load_vocabularies

    monkeypatch.setattr(workflow, "context", lambda engine: workflow.Context(None, pd.DataFrame(), xl_gazetteer(),
                                                                            load_vocabularies()))
    rows = [["Organisation", "Cluster", "Sous-cluster", "Admin 1", "Admin 2", "Admin 3", "Statut", "Mois"],
            ["#org+name", "#sector+cluster", "#subsector", "#adm1+name", "#adm2+name", "#adm3+name", "#status",
             "#date+reported"],
            ["ONG Sahel Espoir", "Nutrition", "Dépistage", "Mopti", "Douentza", "Boni", "En cours", "2024-03"]]
    f = tmp_path / "ocha_3w.xlsx"
    f.write_bytes(xlsx(rows, sheet="3W"))
    assert main(["validate", str(f)]) == 0
    text = capsys.readouterr().out
    assert ("Columns recognised: Organisation (A) -> org_name; Cluster (B) -> sector; Sous-cluster (C) -> subsector; "
            "Admin 1 (D) -> adm1_name; Admin 2 (E) -> adm2_name; Statut (G) -> status") in text
    assert "Columns not recognised (kept as extra data): Admin 3; Mois" in text
    assert ("    3  warning   Sous-cluster (C)          'Dépistage' is not a sub-sector of Nutrition on the list; it "
            "is kept as written.") in text


def test_legacy_xls_return_and_its_annotated_copy():
    from tests.factories.returns import xls_bytes

    rows = [["Organisation", "Sector", "Province", "District", "Status", "Beneficiaries targeted", "Tehsil"],
            ["IRP", "Health", "Punjab", "Lahore", "ongoing", 1500, "Model Town"],
            ["IRP", "Helth", "Sindh", "Hyderbad", "planned", "2,000", None],
            ["IRP", "Health", "Sindh", "Sukkur", "ongoing", -3, None]]
    data = xls_bytes(rows)
    result = check(data, "old_return.xls")
    assert (result.sheet, result.rows, result.accepted, result.unknown_columns) == ("Activities", 3, 2, ["Tehsil"])
    assert [(r["adm2_pcode"], r["targeted"]) for r in result.records] == [("PK617", 1500), ("PK706", 2000)]
    assert issues(result) == [
        (3, "Sector (B)", "Helth", "warning", "Read 'Helth' as Health; check it.", None),
        (3, "District (D)", "Hyderbad", "warning",
         "Matched 'Hyderbad' to Hyderabad (PK706) by close spelling; check it.", None),
        (4, "Beneficiaries targeted (F)", "-3", "error", "Beneficiaries targeted cannot be negative (-3).",
         "Write the number without a minus sign, or leave it empty when unknown.")]
    wb = openpyxl.load_workbook(io.BytesIO(annotate_workbook(data, "old_return.xls", result)))
    ws = wb["Activities"]
    assert ws["G2"].value == "Model Town" and ws["F4"].value == -3
    assert ws["F4"].fill.start_color.rgb.endswith("FFC7CE") and ws["D3"].fill.start_color.rgb.endswith("FFEB9C")


def test_a_second_sheet_of_activities_is_not_ignored_silently():
    first = [["Organisation", "Sector", "Province", "District", "Status"],
             ["IRP", "Health", "Punjab", "Lahore", "ongoing"], ["IRP", "WASH", "Punjab", "Multan", "planned"]]
    second = [["Organisation", "Sector", "Province", "District", "Status"],
              ["IRP", "Health", "Sindh", "Sukkur", "ongoing"]]
    result = check(xlsx(first, sheet="Punjab", after={"Sindh": second}))
    assert result.sheet == "Punjab" and result.accepted == 2
    assert issues(result) == [(None, None, None, "warning",
                               "Sheet 'Sindh' also has 1 row(s) that look like activities, but only sheet 'Punjab' "
                               "was read.", "Put all activities on one sheet, or upload each sheet as its own return.")]
    assert result.issues[0].sheet == "Sindh"
    assert check(xlsx(first, sheet="Punjab", after={"Sindh": second}), sheet="Sindh").accepted == 1


def test_odd_cell_types_are_reported_not_crashed_on():
    rows = [["Organisation", "Sector", "Province", "District", "Status", "Start date", "End date",
             "Beneficiaries targeted", "Budget", "Remarks"],
            ["IRP", "Health", "Punjab", "Lahore", "ongoing", dt.time(10, 30), True, dt.datetime(2025, 1, 1),
             "1e400", "x" * 5000],
            ["IRP", 42, "Punjab", 617, "ongoing", "2025-02-30", 45717, "  ", "€ 1.200.000,50", "ملتان"]]
    result = check(xlsx(rows))
    assert [(i.row, i.column, i.message) for i in result.errors] == [
        (2, "Start date (F)", "'10:30:00' is not a date Stocktake can read."),
        (2, "End date (G)", "'True' is not a date Stocktake can read."),
        (2, "Beneficiaries targeted (H)", "'2025-01-01' is not a number."),
        (2, "Budget (I)", "'1e400' is not a number."),
        (3, "District (D)", "'617' is not a district of Punjab."),
        (3, "Start date (F)", "'2025-02-30' is not a real date."),
    ]
    assert result.rows == 2 and result.accepted == 0


def test_an_unlisted_organisation_is_reported_once_not_on_every_row():
    data = template_return([row(org_name="Green Valley Trust", adm2_name=d) for d in ("Lahore", "Multan", "Attock")])
    result = check(data)
    assert issues(result) == [(3, "Organisation (A)", "Green Valley Trust", "warning",
                               "'Green Valley Trust' is not on the organisation list; the secretariat will add it. "
                               "The same name is on rows 4, 5.",
                               "If it is listed under another name, ask the secretariat to add this spelling.")]
    assert result.accepted == 3


def test_org_names_in_urdu_or_sharing_a_suffix_are_never_confused():
    from mapping.returns.organisations import OrgIndex

    idx = OrgIndex([{"name": "Zeta Aid (fictional)", "acronym": "ZA"},
                    {"name": "Indus Relief Partners (fictional)", "acronym": "IRP"},
                    {"name": "ادارہ ترقی (fictional)"}])
    assert idx.find("ادارہ ترقی (fictional)")["name"] == "ادارہ ترقی (fictional)"
    assert idx.find("Unknown Trust (fictional)") is None  # the shared "(fictional)" identifies no one
    assert idx.find("irp")["name"] == "Indus Relief Partners (fictional)"
