"""The demo shows what Stocktake is for: overlaps, gaps, messy returns read, and mistakes reported."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

from mapping.geo.gazetteer import Gazetteer
from mapping.returns import demo
from mapping.returns.ingest import read_return

REAL_AGENCIES = {"unicef", "wfp", "undp", "unhcr", "ilo", "fao", "who", "unfpa", "usaid", "fcdo", "giz", "adb",
                 "world bank", "bisp", "ehsaas", "save the children", "oxfam", "care", "acf", "irc", "nrc", "drc",
                 "islamic relief", "akdn", "ifrc", "icrc", "jica", "kfw", "dfid", "echo", "mercy corps", "iom"}


@pytest.fixture(scope="module")
def units(shared_boundaries):
    import geopandas as gpd

    adm2 = gpd.read_file(shared_boundaries / "pak_adm2.geojson")
    return adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]].copy()


@pytest.fixture(scope="module")
def returns(units, tmp_path_factory):
    return demo.write_demo_returns(tmp_path_factory.mktemp("demo"), units)


@pytest.fixture(scope="module")
def results(returns, units):
    gaz = Gazetteer.from_units(units)
    return [read_return(Path(it["path"]).read_bytes(), Path(it["path"]).name, gazetteer=gaz, orgs=demo.demo_orgs(),
                        org=it["org"]) for it in returns]


def test_two_dozen_fictional_returns_marked_illustrative(returns):
    assert len(returns) == 24
    assert [Path(r["path"]).name for r in returns[:3]] == ["01_uacf_return.xlsx", "02_wnfo_return.xlsx",
                                                           "03_dwpo_return.xlsx"]
    types = {r["org_type"] for r in returns}
    assert {"UN agency", "Donor", "Development bank", "International NGO", "National NGO", "Government"} <= types
    for item in returns:
        wb = openpyxl.load_workbook(io.BytesIO(Path(item["path"]).read_bytes()), read_only=True)
        assert wb.properties.title == demo.LABEL
        texts = [str(v) for ws in wb.worksheets for r in ws.iter_rows(max_row=12, values_only=True) for v in r if v]
        assert any(demo.LABEL in t for t in texts), item["path"]


def test_organisation_names_are_fictional():
    orgs = demo.demo_orgs()
    assert len(orgs) == 24 and len({o["name"] for o in orgs}) == 24 and len({o["acronym"] for o in orgs}) == 24
    for org in orgs:
        words = f" {org['name'].lower()} {org['acronym'].lower()} "
        assert not [a for a in REAL_AGENCIES if f" {a} " in words], org


def test_same_bytes_every_time(returns, units, tmp_path):
    again = demo.write_demo_returns(tmp_path, units)
    assert [Path(a["path"]).read_bytes() for a in again] == [Path(r["path"]).read_bytes() for r in returns]


def test_mistakes_are_reported_and_messy_layouts_read(returns, results):
    with_errors = {r.file: [(i.row, i.column, i.message) for i in r.errors] for r in results if r.errors}
    off_list = {r.file: [(e["field"], e["value"], e["rows"]) for e in r.offlist] for r in results if r.offlist}
    assert off_list == {"06_wmaa_return.xlsx": [("sector", "Peacebuilding", 1)]}  # kept as written, said once
    assert with_errors == {
        "13_sdli_return.xlsx": [(3, "District (M)", "'Newtown Valley' is not a district of Khyber Pakhtunkhwa.")],
        "20_fspa_return.xlsx": [(5, "End date (R)", "End date 01/07/2024 is before start date 30/06/2026.")],
    }
    messy = [(it["layout"], res) for it, res in zip(returns, results, strict=True) if it["layout"] != "clean"]
    assert sorted(layout for layout, _ in messy) == ["hxl-french", "hxl-french", "title-merged", "title-merged"]
    for _layout, res in messy:
        assert res.ok and res.accepted == res.rows > 4
    french = next(res for layout, res in messy if layout == "hxl-french")
    assert french.unknown_columns == ["Tehsil"]
    merged = next(res for layout, res in messy if layout == "title-merged")
    assert merged.header_row == 5 and merged.records[-1]["scope"] == "province"
    as_written = {(rec.get("extra") or {}).get("adm2_as_written"): rec["adm2_pcode"]
                  for _, res in messy for rec in res.records}
    assert as_written["D.G Khan"] == "PK607" and as_written["Nawabshah"] == "PK719"
    warnings = [i.message for r in results for i in r.warnings]
    assert "Matched 'Bahawalnagr' to Bahawalnagar (PK602) by close spelling; check it." in warnings
    assert sum(r.accepted for r in results) == sum(r.rows for r in results) - 2


def test_overlaps_and_gaps_show_on_the_map(results, units):
    uct: dict[str, set[str]] = defaultdict(set)
    provinces, orgs_by_sector = set(), defaultdict(set)
    for res in results:
        for rec in res.records:
            provinces.add(rec["adm1_pcode"])
            orgs_by_sector[rec["sector"]].add(rec["org_name"])
            if rec.get("subsector") == "Unconditional cash transfers" and rec.get("adm2_pcode"):
                uct[rec["adm2_pcode"]].add(rec["org_name"])
    crowded = [pc for pc, orgs in uct.items() if len(orgs) >= 3]
    assert len(crowded) >= 4  # several partners paying cash in the same districts
    assert set(units["adm1_pcode"]) - provinces  # at least one province nobody reports in
    assert min(len(v) for v in orgs_by_sector.values()) <= 2  # thin sectors
    covered = {rec["adm2_pcode"] for res in results for rec in res.records if rec.get("adm2_pcode")}
    assert len(units) - len(covered) >= 40  # plenty of districts nobody reports in: gaps


def test_demo_programmes_are_fictional_labelled_illustrative_and_span_three_provinces(units):
    import csv

    from mapping.returns.programmes import read_programmes
    from mapping.returns.schema import load_vocabularies

    rows = list(csv.DictReader(io.StringIO(demo.demo_programmes_csv().decode("utf-8"))))
    assert len(rows) == 8
    for row in rows:
        assert row["Programme"].endswith("(fictional)") and row["Owner"].endswith("(fictional)"), row
        assert row["Source of the figure"] == "Illustrative demo data"
        owner = f" {row['Owner'].lower()} "  # programme names use common words ("Elderly Care Grant")
        assert not [a for a in REAL_AGENCIES if f" {a} " in owner], row
    parsed = read_programmes(demo.demo_programmes_csv(), "demo_programmes.csv", units=units,
                             gazetteer=Gazetteer.from_units(units), vocab=load_vocabularies())
    assert parsed.issues == []  # every place, type and group of the demo is read
    provinces = {p for r in parsed.records for p in r.provinces}
    assert len(provinces) == 3 and any(not r.provinces and not r.districts for r in parsed.records)  # and national
