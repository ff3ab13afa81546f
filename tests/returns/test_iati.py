"""IATI activity files → draft returns: what a partner publishes becomes rows it only has to confirm."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import threading

import openpyxl
import pytest

from mapping.errors import StocktakeError
from mapping.geo.gazetteer import Gazetteer
from mapping.geo.points import locate_points
from mapping.returns import iati
from mapping.returns.schema import load_vocabularies
from tests.factories.boundaries import district_frame
from tests.factories.iati import activity, iati_file

ROUND = (dt.date(2026, 7, 1), dt.date(2026, 12, 31))


@pytest.fixture(scope="module")
def country():
    adm2 = district_frame()
    units = adm2.drop(columns="geometry")
    return {"adm2": adm2, "units": units, "gaz": Gazetteer.from_units(units, country="XY"),
            "vocab": load_vocabularies()}


def read(country, *acts, org=None, period=ROUND, code="PK"):
    return iati.read_iati(iati_file(*acts), "fictional.xml", country=code, vocab=country["vocab"],
                          gazetteer=country["gaz"], units=country["units"],
                          locate=lambda lons, lats: locate_points(country["adm2"], lons, lats), org=org,
                          period=period)


def notes_of(draft, what):
    return [n for n in draft.notes if n.what == what]


def test_sectors_by_percentage_and_admin_codes_become_rows_with_budget_shares(country):
    a = activity("XM-FICT-1-A1", sectors=(("1", "12220", 60), ("1", "11220", 40)),
                 locations=({"code": "XY0101"}, {"code": "XY0202"}),
                 budgets=(("2026-01-01", "2026-12-31", 120000, None, "1"), ("2027-01-01", "2027-12-31", 90000,
                                                                            None, "1")),
                 participants=(("1", "Fictional Donor Fund"), ("4", "Riverside Community Trust (fictional)")))
    draft = read(country, a)
    got = {(r["sector"], r["subsector"], r["adm2_pcode"], r["adm1_name"]) for r in draft.rows}
    assert got == {("Health", "Primary health care", "XY0101", "Northland"),
                   ("Health", "Primary health care", "XY0202", "Southmark"),
                   ("Education", "Access and enrolment", "XY0101", "Northland"),
                   ("Education", "Access and enrolment", "XY0202", "Southmark")}
    in_round = 120000 * 184 / 365  # the 2026 budget cut to the round's 184 days; 2027 falls outside
    assert sum(r["budget"] for r in draft.rows) == pytest.approx(in_round, abs=0.05)
    health = [r["budget"] for r in draft.rows if r["sector"] == "Health"]
    assert health == [pytest.approx(in_round * 0.6 / 2, abs=0.01)] * 2
    row = draft.rows[0]
    assert row["currency"] == "USD" and row["status"] == "ongoing" and row["scope"] == "district"
    assert row["org_name"] == "Northwind Relief (fictional)"
    assert row["org_funder"] == "Fictional Donor Fund"
    assert row["org_impl"] == "Riverside Community Trust (fictional)"
    assert row["project"] == "Project XM-FICT-1-A1"  # English narrative, not the French one
    assert row["start_date"] == dt.date(2025, 2, 1) and row["end_date"] == dt.date(2027, 12, 31)
    assert len({r["activity_id"] for r in draft.rows}) == 4
    assert iati.draft_ids(r["activity_id"] for r in draft.rows) == {"XM-FICT-1-A1"}
    assert draft.notes == []


def test_coordinates_only_are_placed_in_their_district_and_points_outside_are_reported(country):
    a = activity("XM-FICT-1-A2", locations=({"pos": "30.5 62.5"}, {"pos": "30.2 65.7"}, {"pos": "10.0 10.0"}),
                 sectors=(("2", "160", None),), status="1")
    draft = read(country, a)
    assert sorted(r["adm2_pcode"] for r in draft.rows) == ["XY0103", "XY0203"]
    assert {r["sector"] for r in draft.rows} == {"Social protection"}
    assert {r["status"] for r in draft.rows} == {"planned"}
    [outside] = notes_of(draft, "location")
    assert outside.value == "10 10" and "outside every district" in outside.message


def test_place_names_and_national_activities(country):
    named = activity("XM-FICT-1-A3", locations=({"name": "Brookvale"}, {"name": "Nowhere Town"}))
    national = activity("XM-FICT-1-A4")
    draft = read(country, named, national)
    by_id = {}
    for r in draft.rows:
        by_id.setdefault(iati.draft_ids([r["activity_id"]]).pop(), []).append(r)
    assert [(r["adm2_pcode"], r["scope"]) for r in by_id["XM-FICT-1-A3"]] == [("XY0102", "district")]
    assert [(r["adm2_pcode"], r["adm1_pcode"], r["scope"]) for r in by_id["XM-FICT-1-A4"]] == [
        (None, None, "national")]
    [lost] = notes_of(draft, "location")
    assert lost.activity == "XM-FICT-1-A3" and lost.value == "Nowhere Town"


def test_currencies_commitments_and_revised_budgets(country):
    mixed = activity("XM-FICT-1-B1", budgets=(("2026-07-01", "2026-12-31", 50000, "EUR", "1"),
                                              ("2026-07-01", "2026-12-31", 20000, "USD", "1")))
    committed = activity("XM-FICT-1-B2", commitments=((30000, "GBP"), (10000, None)), default_currency="GBP")
    revised = activity("XM-FICT-1-B3", budgets=(("2026-07-01", "2026-12-31", 10000, None, "1"),
                                                ("2026-07-01", "2026-12-31", 14000, None, "2")))
    draft = read(country, mixed, committed, revised)
    budget = {r["activity_id"]: (r["budget"], r["currency"]) for r in draft.rows}
    assert budget == {"XM-FICT-1-B1": (50000, "EUR"), "XM-FICT-1-B2": (40000, "GBP"),
                      "XM-FICT-1-B3": (14000, "USD")}
    [left_out] = notes_of(draft, "currency")
    assert left_out.activity == "XM-FICT-1-B1" and "20,000 USD" in left_out.message
    assert any(n.activity == "XM-FICT-1-B2" and "commitments" in n.message for n in notes_of(draft, "budget"))


def test_country_share_other_countries_regions_and_statuses(country):
    shared = activity("XM-FICT-1-C1", countries=(("PK", 50), ("AF", 50)),
                      budgets=(("2026-07-01", "2026-12-31", 10000, None, "1"),))
    afghan = activity("XM-FICT-1-C2", countries=(("AF", None),))
    regional = activity("XM-FICT-1-C3", countries=(), regions=("689",))
    cancelled = activity("XM-FICT-1-C4", status="5")
    suspended = activity("XM-FICT-1-C5", status="6")
    closing = activity("XM-FICT-1-C6", status="3", dates={"1": "2024-01-01", "3": "2025-12-31",
                                                          "4": "2025-10-31"})
    draft = read(country, shared, afghan, regional, cancelled, suspended, closing)
    rows = {r["activity_id"]: r for r in draft.rows}
    assert set(rows) == {"XM-FICT-1-C1", "XM-FICT-1-C5", "XM-FICT-1-C6"}
    assert rows["XM-FICT-1-C1"]["budget"] == 5000
    assert rows["XM-FICT-1-C5"]["status"] == "suspended"
    assert rows["XM-FICT-1-C6"]["status"] == "completed"
    assert rows["XM-FICT-1-C6"]["start_date"] == dt.date(2024, 1, 1)
    assert rows["XM-FICT-1-C6"]["end_date"] == dt.date(2025, 10, 31)  # actual end beats planned end
    assert {n.activity for n in notes_of(draft, "country")} == {"XM-FICT-1-C2", "XM-FICT-1-C3"}
    assert [n.activity for n in notes_of(draft, "status")] == ["XM-FICT-1-C4"]
    assert draft.activities_read == 6 and draft.activities_drafted == 3


def test_sector_codes_outside_the_table_or_dac_are_reported_not_dropped(country):
    a = activity("XM-FICT-1-D1", sectors=(("1", "12220", 50), ("1", "99810", 25), ("99", "LOCAL-7", 25)))
    draft = read(country, a)
    assert [(r["sector"], r["subsector"]) for r in draft.rows] == [("Health", "Primary health care")]
    sector_notes = notes_of(draft, "sector")
    assert [n.value for n in sector_notes] == ["99810", "LOCAL-7 (vocabulary 99)"]
    assert all("25%" in n.message for n in sector_notes)


def test_hierarchies_draft_the_children_not_the_parent_too(country):
    parent = activity("XM-FICT-1-P", hierarchy="1", related=(("2", "XM-FICT-1-P-1"),),
                      budgets=(("2026-07-01", "2026-12-31", 99000, None, "1"),))
    child = activity("XM-FICT-1-P-1", hierarchy="2", related=(("1", "XM-FICT-1-P"),), locations=({"code": "XY0201"},),
                     budgets=(("2026-07-01", "2026-12-31", 33000, None, "1"),))
    draft = read(country, parent, child)
    assert [(r["activity_id"], r["adm2_pcode"], r["budget"]) for r in draft.rows] == [
        ("XM-FICT-1-P-1", "XY0201", 33000)]
    assert [n.activity for n in notes_of(draft, "hierarchy")] == ["XM-FICT-1-P"]


def test_organisation_named_as_the_deployment_knows_it(country):
    draft = read(country, activity("XM-FICT-1-E1"), org="Northwind Relief")
    assert draft.rows[0]["org_name"] == "Northwind Relief"


@pytest.mark.parametrize("payload, words", [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     b"<iati-activities>&lol2;</iati-activities>", "DOCTYPE or entities"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
     b"<iati-activities><iati-activity><iati-identifier>&xxe;</iati-identifier></iati-activity></iati-activities>",
     "DOCTYPE or entities"),
    (b"PK\x03\x04 not xml", "not an XML file"),
    (b"<iati-activities><iati-activity>", "cannot be read"),
    (b"<iati-organisations/>", "not an IATI activity file"),
])
def test_hostile_or_wrong_files_are_refused_with_a_message(country, payload, words):
    with pytest.raises(StocktakeError) as caught:
        iati.read_iati(payload, "bad.xml", country="PK", vocab=country["vocab"])
    assert words in caught.value.message and "bad.xml" in caught.value.message
    assert caught.value.hint


def test_the_draft_workbook_is_the_template_prefilled_with_a_notes_sheet(country):
    draft = read(country, activity("XM-FICT-1-F1", locations=({"code": "XY0102"},)),
                 activity("XM-FICT-1-F2", countries=(("AF", None),)))
    book = iati.draft_workbook(draft, vocab=country["vocab"], units=country["units"], org="Northwind Relief")
    wb = openpyxl.load_workbook(io.BytesIO(book))
    assert "IATI notes" in wb.sheetnames
    notes = wb["IATI notes"]
    assert "1 of 2 IATI activities became 1 rows" in notes["A1"].value
    listed = [tuple(c.value for c in row[:2]) for row in notes.iter_rows(min_row=3)]
    assert listed == [(n.activity, n.what) for n in draft.notes]
    assert ("XM-FICT-1-F2", "country") in listed and ("XM-FICT-1-F1", "budget") in listed
    acts = wb["Activities"]
    headers = [c.value for c in acts[1]]
    values = dict(zip(headers, [c.value for c in acts[3]]))
    assert values["District p-code"] == "XY0102" and values["Activity ID"] == "XM-FICT-1-F1"
    assert "Pre-filled from IATI" in values["Remarks"]
    assert acts.data_validations.dataValidation, "the draft keeps the template's dropdowns"


def test_a_big_draft_keeps_dropdowns_formats_and_notes_down_to_its_last_row(country):
    acts = [activity(f"XM-FICT-1-B{i:04d}", sectors=(("1", "12220", 60), ("1", "11220", 40)),
                     locations=({"code": "XY0101"}, {"code": "XY0202"}),
                     budgets=(("2026-01-01", "2026-12-31", 1000 + i, None, "1"),), status=("2", "9")[i % 2])
            for i in range(500)]
    draft = read(country, *acts)
    assert len(draft.rows) == 2000 and len(draft.notes) >= 250
    wb = openpyxl.load_workbook(io.BytesIO(iati.draft_workbook(draft, vocab=country["vocab"],
                                                               units=country["units"])))
    ws = wb["Activities"]
    headers = [c.value for c in ws[1]]
    col = {h: openpyxl.utils.get_column_letter(i) for i, h in enumerate(headers, start=1)}
    last_data, last = 2 + len(draft.rows), 2 + len(draft.rows) + 500
    assert ws.max_row == last and ws.freeze_panes == "B3"
    assert all(c.comment is not None for c in ws[1]), "every header explains its column"
    final = draft.rows[-1]
    assert ws[f"{col['Activity ID']}{last_data}"].value == final["activity_id"]
    assert ws[f"{col['District p-code']}{last_data}"].value == final["adm2_pcode"]
    assert ws[f"{col['Budget']}{last_data}"].value == pytest.approx(final["budget"])
    start = ws[f"{col['Start date']}{last_data}"]
    assert start.value == dt.datetime(2025, 2, 1) and start.number_format == "DD/MM/YYYY"
    for row in (last_data, last):
        assert ws[f"{col['Start date']}{row}"].number_format == "DD/MM/YYYY"
        assert ws[f"{col['Budget']}{row}"].number_format == "#,##0"
        assert ws[f"{col['Beneficiaries targeted']}{row}"].number_format == "#,##0"
    covered = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            covered[openpyxl.utils.get_column_letter(rng.min_col)] = (rng.min_row, rng.max_row)
    for header in ("Sector", "Sub-sector", "Status", "Province", "District", "Start date", "Budget"):
        assert covered[col[header]] == (3, last), f"{header} keeps its dropdown or check to the last row"
    notes = wb["IATI notes"]
    assert notes.max_row == 2 + len(draft.notes)
    assert [c.value for c in notes[notes.max_row]] == [draft.notes[-1].activity, draft.notes[-1].what,
                                                       draft.notes[-1].value, draft.notes[-1].message]


class _Datastore(http.server.BaseHTTPRequestHandler):
    pages: list[bytes] = []
    seen: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).seen.append((self.path, self.headers.get("Ocp-Apim-Subscription-Key")))
        if "bad-key" == self.headers.get("Ocp-Apim-Subscription-Key"):
            self.send_response(401)
            self.end_headers()
            return
        start = int(self.path.split("start=")[1].split("&")[0]) if "start=" in self.path else 0
        body = type(self).pages[start // 2] if start // 2 < len(type(self).pages) else iati_file()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_fetch_by_publisher_from_a_datastore_pages_through_every_activity(country):
    _Datastore.pages = [iati_file(activity("XM-FICT-1-G1"), activity("XM-FICT-1-G2")),
                        iati_file(activity("XM-FICT-1-G3"))]
    _Datastore.seen = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Datastore)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/datastore"
        data = iati.fetch_publisher("XM-FICT-1", country="pk", base_url=base, api_key="k-123", rows=2)
        draft = iati.read_iati(data, "datastore.xml", country="PK", vocab=country["vocab"])
        assert draft.identifiers == ["XM-FICT-1-G1", "XM-FICT-1-G2", "XM-FICT-1-G3"]
        assert len(_Datastore.seen) == 2 and all(key == "k-123" for _, key in _Datastore.seen)
        assert "reporting_org_ref%3A%22XM-FICT-1%22" in _Datastore.seen[0][0]
        assert "recipient_country_code%3A%22PK%22" in _Datastore.seen[0][0]
        with pytest.raises(StocktakeError, match="answered 401"):
            iati.fetch_publisher("XM-FICT-1", country="PK", base_url=base, api_key="bad-key")
    finally:
        server.shutdown()
    with pytest.raises(StocktakeError, match="could not be reached"):
        iati.fetch_publisher("XM-FICT-1", country="PK", base_url=base, timeout=2)


def test_second_opinion_names_what_is_missing_on_either_side(country):
    draft = read(country, activity("XM-FICT-1-H1"), activity("XM-FICT-1-H2"))
    records = [{"activity_id": "XM-FICT-1-H1"}, {"activity_id": "XM-FICT-1-H9"}, {"activity_id": "local-42"}]
    issues = iati.second_opinion(records, draft, filename="return.xlsx")
    assert [(i.value, i.severity) for i in issues] == [("XM-FICT-1-H2", "warning"), ("XM-FICT-1-H9", "warning")]
    assert "in your IATI data for this country but not in this return" in issues[0].message
    assert "not in your IATI data" in issues[1].message


def test_the_second_opinion_reads_a_file_once_per_content(country, monkeypatch):
    parsed = []
    real_parse = iati._parse
    monkeypatch.setattr(iati, "_parse", lambda data, name: parsed.append(name) or real_parse(data, name))
    acts = (activity("XM-FICT-1-ONCE-1"), activity("XM-FICT-1-ONCE-2", countries=(("AF", None),)))
    data = iati_file(*acts)
    draft = read(country, *acts)  # the draft the focal point starts from reads the same bytes
    assert draft.identifiers == ["XM-FICT-1-ONCE-1"] and parsed == ["fictional.xml"]
    for name in ("fictional.xml", "renamed.xml"):  # drafted already: the same bytes under any name
        assert iati.published_identifiers(data, name, country="pk", vocab=country["vocab"]) == ("XM-FICT-1-ONCE-1",)
    assert parsed == ["fictional.xml"]
    assert iati.published_identifiers(data, "x.xml", country="AF", vocab=country["vocab"]) == ("XM-FICT-1-ONCE-2",)
    newer = iati_file(activity("XM-FICT-1-ONCE-1"), activity("XM-FICT-1-ONCE-3"))
    assert iati.published_identifiers(newer, "newer.xml", country="PK", vocab=country["vocab"]) == (
        "XM-FICT-1-ONCE-1", "XM-FICT-1-ONCE-3")
    assert iati.published_identifiers(newer, "newer.xml", country="PK", vocab=country["vocab"])
    assert parsed == ["fictional.xml", "x.xml", "newer.xml"]
    issues = iati.second_opinion([{"activity_id": "XM-FICT-1-ONCE-1|PK101|Health"}],
                                 iati.published_identifiers(newer, "newer.xml", country="PK", vocab=country["vocab"]),
                                 filename="return.xlsx")
    assert [i.value for i in issues] == ["XM-FICT-1-ONCE-3"]
