"""Stocktake works for any country: the code names no province, district, p-code, currency or programme of the
country the demo uses; vocabularies, the framework, the demo and the places an organisation's name may end with
are data (the boundary set and the country's files)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd

from mapping.geo.gazetteer import Gazetteer
from mapping.returns.ingest import read_return
from mapping.returns.organisations import OrgIndex, name_key, place_keys
from tests.factories import boundaries as fb
from tests.factories.returns import ORGS, pak_gazetteer, row, template_return

ROOT = Path(__file__).resolve().parents[1]
# the code of issue 17: programme records, the forum's page, the strategy framework and the pages reading it
CODE = sorted({*ROOT.glob("mapping/*/programmes.py"), *ROOT.glob("mapping/*/strategy.py"), ROOT / "pages/programmes.py",
               ROOT / "views/programmes.py", ROOT / "pages/gaps.py", ROOT / "pages/matrices.py"})
# words that would tie the code to Pakistan: the country, its currency, identity card, real programmes
WORDS = ("Pakistan", "PAK", "PKR", "CNIC", "BISP", "Ehsaas", "Benazir", "Kafaalat", "Nashonuma", "Taleemi", "Sehat")


def test_no_place_code_currency_or_programme_of_one_country_in_the_programmes_and_strategy_code(shared_boundaries):
    adm2 = gpd.read_file(shared_boundaries / "pak_adm2.geojson")
    places = set(adm2["adm2_name"]) | set(adm2["adm1_name"])
    assert len(CODE) == 12 and len(places) > 150
    found = []
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        found += [(path.name, p) for p in places if re.search(rf"\b{re.escape(p)}\b", text)]
        found += [(path.name, w) for w in WORDS if re.search(rf"\b{w}\b", text, re.IGNORECASE)]
        found += [(path.name, m) for m in re.findall(r"\bPK-?\d+", text)]
    assert found == []


def test_the_vocabularies_and_the_framework_are_data_files():
    for name in ("target_groups.csv", "strategy.csv", "sectors.csv"):
        assert (ROOT / "data" / name).exists(), name
    code = "\n".join(p.read_text(encoding="utf-8") for p in CODE)
    assert "Pregnant and lactating women" not in code and "Protecting the poorest" not in code


# --------------------------------------------------------------------------- organisations and currencies
# Which words are places is the deployment's country's knowledge: its boundary set and data files.

def _xy() -> Gazetteer:
    """The fictional country XY (provinces Northland and Southmark; districts Ashford ... Cedar Falls ...)."""
    return Gazetteer.from_units(fb.district_frame().drop(columns="geometry"), country="XY")


def _read(gaz: Gazetteer, **values):
    """A one-row return of Indus Relief Partners' activity in the gazetteer's first district."""
    unit = next(iter(gaz.units.values()))
    data = template_return([row(adm1_name=unit.adm1_name, adm2_name=unit.name, **values)])
    return read_return(data, "return.xlsx", gazetteer=gaz, orgs=ORGS + FRIENDS, today=dt.date(2025, 6, 1))


FRIENDS = [{"name": "Friends of Punjab", "acronym": None, "type": "International NGO", "aliases": []},
           {"name": "Friends of Sindh", "acronym": None, "type": "International NGO", "aliases": []}]


def test_an_organisation_name_ending_with_a_place_of_the_deployments_country_is_that_organisation():
    xy = _xy()
    assert {"Northland", "Southmark", "Ashford", "Cedar Falls", "XY"} <= set(xy.place_names())
    assert not {"Pakistan", "Punjab", "Sindh", "Karachi", "KPK"} & set(xy.place_names())
    for written in ("Indus Relief Partners – Northland office", "Indus Relief Partners Northland Office",
                    "Indus Relief Partners Cedar Falls", "IRP Southmark"):
        result = _read(xy, org_name=written)
        assert [r["org_name"] for r in result.records] == ["Indus Relief Partners"], written
        assert [i.message for i in result.issues] == [], written


def test_a_place_word_of_another_country_stays_part_of_an_organisations_name():
    xy, pak = _xy(), pak_gazetteer()
    assert name_key("Friends of Sindh", place_keys(xy.place_names())) == "friends of sindh"
    assert name_key("Friends of Sindh", place_keys(pak.place_names())) == "friends of"
    # in XY "Punjab" is part of the name: the office's place goes, the organisation is found
    assert OrgIndex(FRIENDS, xy.place_names()).match("Friends of Punjab Northland office").org_name == "Friends of Punjab"
    assert _read(xy, org_name="Friends of Punjab - Ashford office").records[0]["org_name"] == "Friends of Punjab"
    # in Pakistan both names end with a province: the name identifies neither, and a person decides
    m = OrgIndex(FRIENDS, pak.place_names()).match("Friends of Punjab Lahore office")
    assert (m.status, [c["name"] for c in m.candidates]) == ("ambiguous", ["Friends of Punjab", "Friends of Sindh"])

