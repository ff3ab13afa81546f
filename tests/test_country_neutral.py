"""Stocktake works for any country: the code names no province, district, p-code, currency or programme of the
country the demo uses; vocabularies, the framework, the demo, the places an organisation's name may end with and
what a currency symbol means are data (the boundary set and the country's files). A deployment for another country
(STOCKTAKE_COUNTRY) downloads that country's boundaries and checks that country's identity numbers; without one,
nothing is downloaded and the first run says how to name it."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import pytest

from mapping import config
from mapping.cli import main
from mapping.geo import boundaries, sources
from mapping.geo.gazetteer import Gazetteer
from mapping.returns.currencies import symbols_for
from mapping.returns.ingest import read_return
from mapping.returns.normalise import read_number
from mapping.returns.organisations import OrgIndex, name_key, place_keys
from mapping.store import auth, db
from tests.factories import boundaries as fb
from tests.factories.app import open_page
from tests.factories.people import KEY_A, hashed_line, write_list
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
# Which words are places, and what "Rs" means, are the deployment's country's: its boundary set and data files.

def _xy() -> Gazetteer:
    """The fictional country XY (provinces Northland and Southmark; districts Ashford ... Cedar Falls ...)."""
    return Gazetteer.from_units(fb.district_frame().drop(columns="geometry"), country="XY")


def _read(gaz: Gazetteer, *more: dict, **values):
    """A return of Indus Relief Partners' activity in the gazetteer's first district: one row with `values`,
    then one row per dict of `more`."""
    unit = next(iter(gaz.units.values()))
    data = template_return([row(adm1_name=unit.adm1_name, adm2_name=unit.name, **v) for v in (values, *more)])
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


def test_rs_is_the_rupee_of_the_deployments_country_and_nothing_elsewhere():
    assert read_number("Rs 5,000", symbols_for("PAK"))[:2] == (5000, "PKR")
    assert read_number("Rs. 5,000", symbols_for("IND"))[:2] == (5000, "INR")
    elsewhere = read_number("Rs 5,000", symbols_for("XY"))
    assert (elsewhere.value, elsewhere.currency, elsewhere.problem, elsewhere.symbol) == (5000, None, None, "Rs")
    assert read_number("Rs 5,000")[:2] == (5000, None)  # no country: not PKR either
    assert read_number("$3,000", symbols_for("XY"))[:2] == (3000, "USD")  # the donors' currencies, anywhere

    pak = _read(pak_gazetteer(), budget="Rs 5,000")
    assert ([(r["budget"], r["currency"]) for r in pak.records], pak.issues) == ([(5000, "PKR")], [])
    xy = _read(_xy(), {"budget": "Rs. 7,500"}, {"budget": "9000 Rs"}, budget="Rs 5,000")
    assert [(r["budget"], r.get("currency")) for r in xy.records] == [(5000, None), (7500, None), (9000, None)]
    assert [(i.row, i.column, i.value, i.severity, i.message, i.suggestion) for i in xy.issues] == [
        (3, "Budget (V)", "Rs 5,000", "warning",
         "'Rs' names no one currency of XY (it is written for PKR, INR, LKR, NPR or MUR): the budget was kept "
         "as a number without a currency. The same symbol is on 1 more row(s): 5.",
         "Write the currency's three-letter code in the Currency column, or with the amount instead of 'Rs', "
         "e.g. PKR 5,000."),
        (4, "Budget (V)", "Rs. 7,500", "warning",
         "'Rs.' names no one currency of XY (it is written for PKR, INR, LKR or NPR): the budget was kept as a "
         "number without a currency.",
         "Write the currency's three-letter code in the Currency column, or with the amount instead of 'Rs.', "
         "e.g. PKR 7,500.")]
    written = _read(_xy(), budget="Rs 5,000", currency="xyd")  # the Currency column says which: nothing to ask
    assert ([(r["budget"], r["currency"]) for r in written.records], written.issues) == ([(5000, "XYD")], [])


# --------------------------------------------------------------------------- a deployment for another country
# Which country a deployment serves is STOCKTAKE_COUNTRY until a boundary set names it; nothing defaults to the
# demo's country. Downloads go through `sources.download`, replaced here by one that records the country asked
# for and hands back the fictional country's files (no network).

ADMIN = ("secretariat@first-run.test", "first-run-password")


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """Every country a download was asked for; the files are the fictional XY's, labelled as that country."""
    asked: list[str] = []

    def download(country, *, source, levels, base_url, into, timeout):
        asked.append(country)
        folder = fb.tiny_country(into)
        return ({1: folder / "xy_adm1.geojson", 2: folder / "xy_adm2.geojson"},
                {"country": country, "source": f"test download for {country}"})

    monkeypatch.setattr(sources, "download", download)
    monkeypatch.delenv("STOCKTAKE_BOUNDARIES_FROM", raising=False)
    monkeypatch.setenv("STOCKTAKE_ADMIN_EMAIL", ADMIN[0])
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", ADMIN[1])
    return asked


@pytest.fixture
def bare_server(downloads, tmp_path, monkeypatch) -> list[str]:
    """A server with no boundaries anywhere: none configured and no copy beside the project."""
    empty = tmp_path / "nothing_beside"
    empty.mkdir()
    monkeypatch.setattr(config, "shared_boundaries_dir", lambda: empty)
    return downloads


def test_a_first_run_without_a_country_downloads_nothing_and_says_how_to_name_one(bare_server, capsys):
    assert main(["setup"]) == 0  # the database, the admin and a round are ready: boundaries can be uploaded
    out, err = capsys.readouterr()
    assert "Open reporting round:" in out
    assert err == ("Boundary set: none. No boundary set is imported and no country is set, so Stocktake does not "
                   "know which country's boundaries to download. Set STOCKTAKE_COUNTRY to the country's ISO3 code or "
                   "name (e.g. STOCKTAKE_COUNTRY=KEN) and run the set-up again, or an admin uploads the country's "
                   "boundary files on the Admin page (Boundaries tab). Or: python -m mapping boundaries fetch "
                   "--country ISO3, or boundaries import --from PATH.\n")
    assert main(["setup", "--demo"]) == 2  # the demo needs districts
    assert "no country is set" in capsys.readouterr().err
    assert main(["boundaries", "fetch"]) == 1
    assert capsys.readouterr().err == ("Which country? Give --country ISO3 (e.g. --country KEN) or set "
                                       "STOCKTAKE_COUNTRY.\n")
    assert bare_server == [] and boundaries.list_sets() == []

    at = open_page(auth.authenticate(db.connect(), *ADMIN), "pages/admin.py")
    at.button_group(key="admin_section").set_value("Boundaries").run()
    assert [w.value for w in at.warning] == [
        "No boundary set is imported and no country is set, so Stocktake does not know which country's boundaries "
        "to download. Upload the country's boundary files below, or write its ISO3 code under *Download from the "
        "public source*. Setting STOCKTAKE_COUNTRY on the server (e.g. `STOCKTAKE_COUNTRY=KEN`) makes the first run "
        "download them."]
    assert at.text_input(key="bset_country").value == ""
    next(b for b in at.button if b.label == "Fetch").click().run()
    assert [e.value for e in at.error] == ["Downloading boundaries: Write the country whose boundaries to download. "
                                           "Its ISO3 code (e.g. KEN) or its name."]
    assert bare_server == [] and not at.exception


def test_a_deployment_for_kenya_downloads_kenyas_boundaries_not_the_copy_beside_the_project(
        downloads, shared_boundaries, monkeypatch, capsys):
    monkeypatch.setattr(config, "shared_boundaries_dir", lambda: shared_boundaries)  # Pakistan's, the demo's
    monkeypatch.setenv("STOCKTAKE_COUNTRY", "Kenya")
    assert main(["setup"]) == 0
    assert downloads == ["KEN"]
    [kenya] = boundaries.list_sets()  # the Pakistan copy was read, found to be another country's, and dropped
    assert (kenya["country"], kenya["active"], kenya["source"]) == ("KEN", True, "test download for KEN")
    assert f"Boundary set: {kenya['version']}" in capsys.readouterr().out
    monkeypatch.delenv("STOCKTAKE_COUNTRY")  # a refresh asks for the active set's country
    assert main(["boundaries", "fetch"]) == 0
    assert downloads == ["KEN", "KEN"]


def test_the_demo_country_takes_the_copy_beside_the_project_without_downloading(downloads, shared_boundaries,
                                                                                  monkeypatch):
    """`make run` sets STOCKTAKE_COUNTRY=PAK: the demo's Pakistan boundaries come from ../shared/boundaries."""
    monkeypatch.setattr(config, "shared_boundaries_dir", lambda: shared_boundaries)
    monkeypatch.setenv("STOCKTAKE_COUNTRY", "PAK")
    bset = boundaries.ensure_boundaries()
    assert (bset.meta["country"], len(bset.adm2), downloads) == ("PAK", 160, [])


def _hash_command(tmp_path: Path, rows: list[tuple[str, str, str]]) -> tuple[int, list[str]]:
    """`pseudonymise hash` on a list with an 'ID number' column: the exit code and the hashed lines."""
    key, out = tmp_path / "programmes.key", tmp_path / "hashed.csv"
    key.write_text(KEY_A + "\n")
    src = write_list(tmp_path / "list.csv", rows, header=("Name", "ID number", "District"))
    code = main(["pseudonymise", "hash", str(src), "--id-column", "ID number", "--district-column", "District",
                 "--key-file", str(key), "--out", str(out)])
    return code, out.read_text().splitlines()[1:]


def test_a_kenyan_list_is_hashed_and_its_bad_numbers_explained_in_kenyas_words(bare_server, tmp_path, monkeypatch,
                                                                              capsys):
    monkeypatch.setenv("STOCKTAKE_COUNTRY", "KEN")
    code, lines = _hash_command(tmp_path, [
        ("Wanjiru", "12345678", "Ashford"), ("Otieno", "1 234 567", "Dunmore"), ("Achieng", "123456789", "Ashford"),
        ("Kamau", "12A4567", "Ashford"), ("Njeri", "1234-567", "Brookvale"), ("Mwangi", "", "Ashford")])
    assert (code, bare_server) == (0, ["KEN"])  # the first run on the programme's machine fetched Kenya's districts
    assert lines == sorted([hashed_line(KEY_A, "12345678", "XY0101"), hashed_line(KEY_A, "1234567", "XY0201")])
    out, err = capsys.readouterr()
    assert "6 rows read, 2 people hashed in 2 districts" in out
    assert err.splitlines() == [
        "  row 4, column ID number ('123456789'): a national ID number of Kenya has 6 to 8 digits, this has 9; fix "
        "the number.",
        "  row 5, column ID number ('12A4567'): a national ID number of Kenya holds only digits (dashes and spaces are "
        "allowed); fix the number.",
        "  row 6, column ID number ('1234-567'): the same national ID number of Kenya as row 3; a person is counted "
        "once (row 3 kept).",
        "  row 7, column ID number (''): no national ID number of Kenya given; the row is left out."]


def test_a_country_without_a_known_format_hashes_digits_and_letters_and_says_they_were_not_checked(
        bare_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STOCKTAKE_COUNTRY", "GHA")  # not in data/identity_numbers.csv (nor in data/countries.csv)
    code, lines = _hash_command(tmp_path, [
        ("Ama", "gh-123 456", "Ashford"), ("Kofi", "GH123456", "Dunmore"), ("Esi", "12", "Ashford"),
        ("Yaw", "ÄB12345", "Ashford")])
    assert (code, bare_server) == (0, ["GHA"])
    assert lines == [hashed_line(KEY_A, "GH123456", "XY0101")]  # letters upper-cased: one person, written twice
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "Warning: No identity-number format is on file for GHA (data/identity_numbers.csv), so any 5 to 20 digits and "
        "letters were taken as a number: check the list's numbers yourself, or add the country's format to that file.",
        "  row 3, column ID number ('GH123456'): the same identity number as row 2; a person is counted once (row 2 "
        "kept).",
        "  row 4, column ID number ('12'): an identity number has 5 to 20 digits and letters, this has 2; fix the "
        "number.",
        "  row 5, column ID number ('ÄB12345'): an identity number holds only digits and letters (dashes and spaces "
        "are allowed); fix the number."]


# the code that decides the country, downloads boundaries and checks identity numbers
COUNTRY_CODE = [ROOT / p for p in ("mapping/geo/boundaries.py", "mapping/geo/sources.py", "mapping/commands/boundaries.py",
                                   "mapping/commands/setup.py", "mapping/workflow.py", "mapping/returns/pseudonymise.py",
                                   "mapping/returns/identity_numbers.py", "mapping/commands/pseudonymise.py",
                                   "views/admin.py", "pages/people.py")]


def test_no_country_is_assumed_in_the_code_that_decides_the_country():
    """Strings the code uses (not its docstrings and comments, which may give an example) name no country."""
    found = []
    for path in COUNTRY_CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(
            n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body and isinstance(n.body[0], ast.Expr)}
        found += [(path.name, node.value) for node in ast.walk(tree) if isinstance(node, ast.Constant)
                  and isinstance(node.value, str) and id(node) not in docs
                  and re.search(r"\b(PAK|PK|Pakistan|CNIC)\b", node.value)]
    page = (ROOT / "static" / "pseudonymise.html").read_text(encoding="utf-8")
    assert found == [] and "CNIC" not in page
