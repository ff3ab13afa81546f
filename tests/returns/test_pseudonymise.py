"""Pseudonymising at the source: CNIC rules, keyed hashing, districts, and the offline page's identical output.

The lists hold Pakistan's CNICs over the fictional country's districts: a deployment whose STOCKTAKE_COUNTRY is
PAK (the boundary set, XY, names no real country). Other countries' numbers: tests/test_country_neutral.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.cli import main
from mapping.geo import boundaries
from mapping.returns import pseudonymise as ps
from mapping.returns.identity_numbers import id_format
from tests.factories.boundaries import tiny_country
from tests.factories.people import KEY_A, KEY_B, cnic, first_word_twins, hashed_line, write_hashed, write_list
from tests.factories.server import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def table(tmp_path):
    bset = boundaries.import_path(tiny_country(tmp_path))
    return ps.district_table(boundaries.units(bset))


@pytest.fixture
def tiny_env(tmp_path, monkeypatch):
    """The commands find the fictional country's boundaries as a programme's machine would (no database)."""
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(tiny_country(tmp_path / "src")))
    monkeypatch.setenv("STOCKTAKE_COUNTRY", "PAK")
    return tmp_path


def _hash(table, rows, key=KEY_A, **kw) -> ps.HashResult:
    data = "\n".join(",".join(r) for r in [("Name", "CNIC", "District"), *rows]).encode() + b"\n"
    return ps.hash_list(data, "list.csv", key=bytes.fromhex(key), id_column="cnic", district_column="District",
                        table=table, id_format=id_format("PAK"), **kw)


def test_cnic_is_normalised_and_hashed_with_the_key(table):
    res = _hash(table, [("Amina", cnic(1), "Ashford"), ("Bilal", cnic(2, dashed=False), "XY0203"),
                        ("Chand", " 90000 0000000 3 ", "cedar-falls")])
    lines = res.output.decode().splitlines()
    assert lines[0] == "hash,adm2_pcode"
    assert lines[1:] == sorted([hashed_line(KEY_A, cnic(1), "XY0101"), hashed_line(KEY_A, cnic(2), "XY0203"),
                                hashed_line(KEY_A, cnic(3), "XY0103")])
    assert (res.rows, res.hashed, res.districts, res.problems) == (3, 3, 3, [])
    assert "Amina" not in res.output.decode() and cnic(1, dashed=False) not in res.output.decode()


def test_invalid_cnics_are_reported_with_their_row_and_not_hashed(table):
    res = _hash(table, [("Ok", cnic(1), "Ashford"), ("Short", "12345-678", "Ashford"), ("Blank", "", "Ashford"),
                        ("Letters", "3520A-1234567-1", "Ashford"), ("Excel", "3.52021E+12", "Ashford"),
                        ("Twice", cnic(1, dashed=False), "Dunmore"), ("Nowhere", cnic(9), "Atlantis")])
    assert res.hashed == 1
    got = {(p.row, p.column, p.value): p.message for p in res.problems}
    assert set(got) == {(3, "CNIC", "12345-678"), (4, "CNIC", ""), (5, "CNIC", "3520A-1234567-1"),
                        (6, "CNIC", "3.52021E+12"), (7, "CNIC", cnic(1, dashed=False)), (8, "District", "Atlantis")}
    assert "13 digits, this has 8" in got[(3, "CNIC", "12345-678")]
    assert "scientific notation" in got[(6, "CNIC", "3.52021E+12")]
    assert "same CNIC as row 2" in got[(7, "CNIC", cnic(1, dashed=False))]
    assert "p-code" in got[(8, "District", "Atlantis")]
    assert "12345678" not in res.output.decode()


def test_a_changed_key_shares_no_hash(table):
    rows = [(f"P{i}", cnic(i), "Ashford") for i in range(50)]
    a, b = _hash(table, rows, KEY_A), _hash(table, rows, KEY_B)
    hashes = [{line.split(",")[0] for line in r.output.decode().splitlines()[1:]} for r in (a, b)]
    assert len(hashes[0]) == len(hashes[1]) == 50
    assert not hashes[0] & hashes[1]


@pytest.mark.parametrize("key", ["", "00" * 16, "zz" * 32, "sha256"])
def test_hashing_without_a_proper_key_is_refused(key):
    with pytest.raises(ps.PseudonymiseError) as err:
        ps.read_key(key)
    assert "64 hexadecimal characters" in str(err.value) and "enumerated" in err.value.hint


def test_unknown_column_names_the_columns_there_are(table):
    with pytest.raises(ps.PseudonymiseError) as err:
        ps.hash_list(b"Name,NIC,District\nA,1,Ashford\n", "list.csv", key=bytes(32), id_column="CNIC",
                     district_column="District", table=table, id_format=id_format("PAK"))
    assert "no column called 'CNIC'" in str(err.value) and "'NIC'" in str(err.value)


def test_commands_make_a_key_and_hash_a_list(tiny_env, capsys):
    key = tiny_env / "programmes.key"
    assert main(["pseudonymise", "key", "--out", str(key)]) == 0
    assert len(key.read_text().strip()) == 64
    assert main(["pseudonymise", "key", "--out", str(key)]) == 2  # never overwrites a key
    src = write_list(tiny_env / "list.csv", [("A", cnic(1), "Ashford"), ("B", "123", "Brookvale")])
    out = tiny_env / "hashed.csv"
    assert main(["pseudonymise", "hash", str(src), "--id-column", "CNIC", "--district-column", "district",
                 "--key-file", str(key), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 rows read, 1 people hashed" in captured.out
    assert "row 3, column CNIC ('123'): a CNIC has 13 digits, this has 3" in captured.err
    assert out.read_text() == "hash,adm2_pcode\n" + hashed_line(key.read_text().strip(), cnic(1), "XY0101") + "\n"


def test_command_refuses_a_missing_key_file(tiny_env, capsys):
    src = write_list(tiny_env / "list.csv", [("A", cnic(1), "Ashford")])
    code = main(["pseudonymise", "hash", str(src), "--id-column", "CNIC", "--district-column", "District",
                 "--key-file", str(tiny_env / "nokey"), "--out", str(tiny_env / "h.csv")])
    assert code == 2 and "Cannot read" in capsys.readouterr().err
    assert not (tiny_env / "h.csv").exists()


def _tricky_list(path: Path) -> Path:
    """Everything that could make two implementations disagree: BOM, CRLF, quotes, commas, accents, blanks, and
    two people whose hashes share their first 32 bits (the page sorts on those first)."""
    rows = [(f"Person {i}", cnic(i, dashed=i % 2 == 0), ["Ashford", "XY0102", "cedar falls", "DUNMORE",
                                                         "Eastwick ", "xy-0203"][i % 6]) for i in range(1, 400)]
    rows += [('Zainab "Zee", Khan', cnic(500), "Fernhill"), ("Émile", cnic(501), "Ashfórd"), ("", "", ""),
             ("Bad", "12-34", "Ashford"), ("Dup", cnic(2), "Dunmore"), ("Nowhere", cnic(502), "Atlantis"),
             ("Multi\nline", cnic(503), "Brookvale")]
    twin_a, twin_b = first_word_twins(KEY_B)
    rows += [("Twin B", cnic(twin_b), "Dunmore"), ("Twin A", cnic(twin_a, dashed=False), "Ashford")]
    return write_list(path, rows, header=("Full name", "CNIC number", "District name"), newline="\r\n", bom=True)


@pytest.mark.browser
def test_offline_page_gives_the_same_file_as_the_command(tiny_env, capsys):
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium")
    key = tiny_env / "shared.key"
    key.write_text(KEY_B + "\n")
    src = _tricky_list(tiny_env / "beneficiaries.csv")
    out, page = tiny_env / "cli-hashed.csv", tiny_env / "pseudonymise.html"
    assert main(["pseudonymise", "hash", str(src), "--id-column", "CNIC number", "--district-column",
                 "District name", "--key-file", str(key), "--out", str(out)]) == 0
    assert "407 rows read, 404 people hashed in 6 districts" in capsys.readouterr().out
    assert main(["pseudonymise", "page", "--out", str(page)]) == 0
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(accept_downloads=True)
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(page.as_uri())
            assert "6 from boundary set" in tab.locator("#boundaries").inner_text()
            tab.set_input_files("#keyfile", str(key))
            tab.set_input_files("#list", str(src))
            tab.select_option("#idcol", label="CNIC number")
            tab.select_option("#districtcol", label="District name")
            tab.click("#run")
            tab.wait_for_selector("#download:not(.hidden)")
            status = tab.locator("#status").inner_text()
            problems = tab.locator("#problems").inner_text()
            with tab.expect_download() as dl:
                tab.click("#download")
            page_bytes = Path(dl.value.path()).read_bytes()
            assert dl.value.suggested_filename == "beneficiaries-hashed.csv"
        finally:
            browser.close()
    assert page_bytes == out.read_bytes()
    assert page_bytes.count(b"\n") == 1 + 404
    assert "407 rows read, 404 people hashed in 6 districts, 3 rows left out" in status
    assert "a CNIC has 13 digits, this has 4" in problems and "Atlantis" in problems
    assert all(u.startswith(("file:", "blob:", "data:")) for u in requests), requests


@pytest.mark.browser
def test_offline_page_applies_a_countrys_unchecked_format_as_the_command_does(tiny_env, monkeypatch, capsys):
    """A deployment whose country has no format (the fictional XY, no STOCKTAKE_COUNTRY): numbers of digits and
    letters, of any length from 5 to 20, letters in either case, are hashed alike by the page and the command."""
    from playwright import sync_api

    monkeypatch.delenv("STOCKTAKE_COUNTRY")
    key = tiny_env / "shared.key"
    key.write_text(KEY_A + "\n")
    rows = [(f"P{i}", f"ab-{i:05d}" if i % 3 else f"XY {i:07d} Z", "Ashford") for i in range(1, 200)]
    rows += [("Same", "AB00001", "Dunmore"), ("Long", "A" * 21, "Ashford"), ("Short", "a1", "Ashford"),
             ("Accent", "ÉB12345", "Ashford"), ("Widest", "Z" * 20, "Fernhill")]
    src = write_list(tiny_env / "ids.csv", rows, header=("Name", "ID", "District"))
    out, page = tiny_env / "cli-hashed.csv", tiny_env / "pseudonymise.html"
    assert main(["pseudonymise", "hash", str(src), "--id-column", "ID", "--district-column", "District",
                 "--key-file", str(key), "--out", str(out)]) == 0
    assert "204 rows read, 200 people hashed in 2 districts" in capsys.readouterr().out
    assert main(["pseudonymise", "page", "--out", str(page)]) == 0
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(accept_downloads=True)
            tab.goto(page.as_uri())
            warning = tab.locator("#unchecked").inner_text()
            tab.set_input_files("#keyfile", str(key))
            tab.set_input_files("#list", str(src))
            tab.select_option("#idcol", label="ID")
            tab.click("#run")
            tab.wait_for_selector("#download:not(.hidden)")
            problems = tab.locator("#problems").inner_text()
            with tab.expect_download() as dl:
                tab.click("#download")
            page_bytes = Path(dl.value.path()).read_bytes()
        finally:
            browser.close()
    assert page_bytes == out.read_bytes()
    assert warning.startswith("No identity-number format is on file for this deployment's country")
    assert "the same identity number as row 2" in problems
    assert "an identity number has 5 to 20 digits and letters, this has 21" in problems
    assert "an identity number holds only digits and letters" in problems


@pytest.mark.browser
def test_offline_page_stops_when_its_hashing_disagrees_with_web_crypto(tiny_env):
    """The page hashes millions of CNICs with its own HMAC-SHA256 (Web Crypto calls are too slow) and checks it
    against Web Crypto on every run: a page whose SHA-256 is broken (one round constant changed) writes nothing."""
    from playwright import sync_api

    page = tiny_env / "pseudonymise.html"
    assert main(["pseudonymise", "page", "--out", str(page)]) == 0
    broken = page.read_text(encoding="utf-8").replace("0x428a2f98", "0x428a2f99", 1)
    assert broken != page.read_text(encoding="utf-8")
    page.write_text(broken, encoding="utf-8")
    src = write_list(tiny_env / "list.csv", [("A", cnic(1), "Ashford"), ("B", cnic(2), "Dunmore")])
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            tab.fill("#key", KEY_A)
            tab.set_input_files("#list", str(src))
            tab.click("#run")
            tab.get_by_text("differs from its Web Crypto").wait_for()
            assert tab.locator("#download").get_attribute("class") == "button hidden"
            assert not tab.locator("#run").is_disabled()  # it can be tried again (with the command instead)
        finally:
            browser.close()


def test_a_list_with_no_valid_row_gives_only_the_header(table):
    res = _hash(table, [("A", "123", "Ashford"), ("B", cnic(1), "Atlantis")])
    assert (res.hashed, res.districts, res.output) == (0, 0, b"hash,adm2_pcode\n")
    assert [p.row for p in res.problems] == [2, 3]


def test_a_hashed_list_is_read_in_blocks_with_rows_and_districts_kept_across_them(tmp_path, monkeypatch):
    from collections import Counter

    monkeypatch.setattr(ps, "_BLOCK_BYTES", 4096)  # about 57 lines a block
    people = [(n, "XY0101") for n in range(300)] + [(n, "XY0203") for n in range(300, 310)]
    path = write_hashed(tmp_path / "h.csv", people)  # sorted by hash: the XY0203 people are spread over blocks
    hashed = ps.read_hashed(path.read_bytes(), "h.csv")
    assert Counter(hashed.pcodes[i] for i in hashed.districts) == {"XY0101": 300, "XY0203": 10}
    lines = path.read_text().splitlines()
    assert [bytes(h) for h in hashed.hashes] == sorted(bytes.fromhex(x.split(",")[0])[:16] for x in lines[1:])
    by_hash = {bytes.fromhex(x.split(",")[0])[:16]: x.split(",")[1] for x in lines[1:]}
    assert all(by_hash[bytes(h)] == hashed.pcodes[d] for h, d in zip(hashed.hashes, hashed.districts, strict=True))
    shuffled = ps.read_hashed(("\n".join([lines[0], *reversed(lines[1:])]) + "\n").encode(), "h.csv")
    assert (shuffled.hashes == hashed.hashes).all()  # a file out of order (edited by hand) is sorted on upload
    assert [shuffled.pcodes[d] for d in shuffled.districts] == [hashed.pcodes[d] for d in hashed.districts]
    lines[250] = "zz" + lines[250][2:]  # a later block: its row is counted from the top of the file
    with pytest.raises(ps.PseudonymiseError, match=r"h.csv, row 251, column hash .*0-9 and a-f"):
        ps.read_hashed(("\n".join(lines) + "\n").encode(), "h.csv")


def test_the_hashed_file_is_in_hash_order_even_when_two_hashes_share_their_first_8_bytes():
    """The file is sorted on the first 8 bytes of each hash, or on all 32 when two share those (too rare to meet
    through HMAC, so made here); p-codes of different lengths are written without padding."""
    import numpy as np

    digests = np.zeros((4, 32), dtype=np.uint8)
    digests[:, 0] = [7, 7, 3, 9]
    digests[0, 31], digests[1, 31] = 2, 1  # rows 0 and 1 differ only in their last byte
    out = ps._hashed_csv(digests, np.array([0, 1, 0, 1], dtype=np.uint16), ["XY0101", "XY01011"])
    lines = out.decode("ascii").splitlines()
    assert lines[0] == "hash,adm2_pcode"
    assert lines[1:] == sorted(lines[1:]) and len(set(lines[1:])) == 4
    assert [line.split(",")[1] for line in lines[1:]] == ["XY0101", "XY01011", "XY0101", "XY01011"]
    assert lines[2].startswith("07" + "00" * 30 + "01,") and b"\0" not in out


def test_two_people_whose_hashes_share_their_first_8_bytes_are_both_kept():
    """A person seen before is found by the first 8 bytes of the hash, then confirmed on all 32: another person
    with the same 8 bytes (too rare to meet through HMAC, so made here) is kept, and a true repeat is reported."""
    from array import array

    first, twin = bytes(8) + b"\x01" * 24, bytes(8) + b"\x02" * 24
    digests, codes = bytearray(first), array("H", [0])
    repeats = [(3, "twin", 0, twin, 1), (4, "again", 0, first, 1), (5, "twin again", 0, twin, 0)]
    problems = ps._repeated(repeats, array("q", [0]), array("l", [2]), digests, codes, "ID", id_format("PAK"))
    assert [(p.row, p.value, p.message) for p in problems] == [
        (4, "again", "the same CNIC as row 2; a person is counted once (row 2 kept)."),
        (5, "twin again", "the same CNIC as row 3; a person is counted once (row 3 kept).")]
    assert bytes(digests) == first + twin and list(codes) == [0, 1]
