"""The PDF snapshot, read the way a meeting participant reads it: text on the pages, and the pages as images."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from mapping.analysis import matrices as analysis
from mapping.analysis.filters import Filters
from mapping.analysis.frame import sector_universe
from mapping.analysis.headlines import headlines
from mapping.geo import boundaries
from mapping.outputs import fonts, report
from tests.factories.report import LAHORE, QUETTA, activity, frame, generated, stored_world

GENERATED_AT = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
URDU_ORG = "ادارہ ترقی"  # a fictional organisation named in Urdu
TITLE = "Gamma & <Sons> Partners Group"
VERSION = "dv7f3a9c01"


@pytest.fixture(scope="module")
def pak(shared_boundaries, tmp_path_factory):
    """The real Pakistan boundary set, imported the way the app does (meta carries attribution + disclaimer)."""
    return boundaries.import_path(shared_boundaries, dest=tmp_path_factory.mktemp("shapefiles"))


@pytest.fixture(scope="module")
def units(pak):
    return boundaries.units(pak)


HAND_ROWS = [
    activity(org_name="Alpha Relief", sector="Health", subsector="Primary health care", **LAHORE),
    activity(org_name="Alpha Relief", sector="Nutrition", subsector="Malnutrition treatment", **LAHORE),
    activity(org_name="Beta Aid", org_acronym="BA", sector="Health", subsector="Primary health care",
             start_date=pd.Timestamp("2026-03-01"), end_date=pd.Timestamp("2026-09-30"), **LAHORE),
    activity(org_name="Beta Aid", org_acronym="BA", sector="WASH", subsector="Water supply", **QUETTA),
    activity(org_name=URDU_ORG, org_acronym=None, sector="Health", subsector="Primary health care", **QUETTA),
    activity(org_name="Gamma & <Sons>", org_acronym="G&S", sector="Education", subsector="Schools", status="completed", **LAHORE),
]


def hand_acts() -> pd.DataFrame:
    """Six activities whose matrices can be worked out by hand."""
    return frame(HAND_ROWS)


NEED = pd.DataFrame({"adm2_pcode": ["PK617", "PK226"], "population": [800.0, 900.0]})
FILTERS = Filters(statuses=("ongoing", "completed"))


@pytest.fixture(scope="module")
def snapshot(pak, units) -> bytes:
    return report.build_snapshot(
        hand_acts(), units, pak, filters=FILTERS, title=TITLE, round_name="2026 Q1", returns_count=3,
        missing_orgs=["Zeta Aid (fictional)"], data_version=VERSION, sectors=[], need=NEED,
        sector_maps=["Health"], district_annex=True, generated_at=GENERATED_AT, demo=True)


@pytest.fixture(scope="module")
def pages(snapshot) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(snapshot)).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def page_with(pages: list[str], heading: str) -> int:
    return next(i for i, t in enumerate(pages) if heading in t)


def cells_after(text: str, label: str, n: int, last: bool = False) -> list[str]:
    """The n table cells printed right after a row label (pypdf gives one cell per line)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    i = len(lines) - 1 - lines[::-1].index(label) if last else lines.index(label)
    return lines[i + 1:i + 1 + n]


def test_cover_says_what_when_and_how_complete(pages):
    cover = flat(pages[0])
    assert TITLE in cover  # escaped for reportlab, printed literally
    assert "2026 Q1" in cover
    assert FILTERS.describe() in cover and "Statuses: ongoing, completed" in cover
    assert "3 returns · 6 activities · 4 partners" in cover
    assert "1: Zeta Aid (fictional)" in cover
    assert VERSION in cover
    assert "23 November 2026, 08:30 UTC" in cover
    assert "population (gaps are ranked by it" in cover
    assert "ILLUSTRATIVE DEMO DATA" in cover


def test_cover_carries_the_headline_sentences(pages, units):
    lines = headlines(hand_acts(), units, None, filters=FILTERS, need=NEED)
    assert lines and lines[0].startswith("4 partners report 6 activities in 2 of 160 districts")
    for sentence in lines:
        assert flat(sentence) in flat(pages[0])


def test_sector_by_district_matrix_numbers(pages, units):
    sectors = sector_universe(None, FILTERS)
    assert sectors[:5] == ["Social protection", "Health", "Nutrition", "Education", "WASH"]
    n = len(sectors) + 1
    first = page_with(pages, "Partners by district and sector")
    matrix_pages = "\n".join(pages[first:page_with(pages, "Activities by partner and sector")])
    rest = ["–"] * (len(sectors) - 5)
    assert cells_after(matrix_pages, "Lahore", n) == ["–", "2", "1", "1", "–", *rest, "3"]
    assert cells_after(matrix_pages, "Quetta", n) == ["–", "1", "–", "–", "1", *rest, "2"]
    assert cells_after(matrix_pages, "Total", n, last=True) == ["–", "3", "1", "1", "1", *rest, "4"]
    # the same numbers as the analysis the screen uses
    m = analysis.matrix(hand_acts(), units, rows="district", cols="sector", measure="partners", filters=FILTERS,
                        sectors=sectors)
    assert m.loc[("Punjab", "Lahore"), "Health"] == 2 and m.loc[("Total", "Total"), "Total"] == 4
    assert "Punjab" in matrix_pages and "Balochistan" in matrix_pages  # province group rows


def test_a_sector_not_on_the_list_is_a_matrix_column_but_nobodys_gap(pak, units):
    """The cover said "No partner works on Peacebuilding in 159 districts" (a value kept as written, not a sector
    of the list) where the app's Overview named a listed sector; gaps and headlines now use the app's sectors."""
    acts = frame([*HAND_ROWS, activity(org_name="Alpha Relief", sector="Peacebuilding", subsector=None, **LAHORE)])
    pdf = report.build_snapshot(acts, units, pak, filters=FILTERS, round_name="2026 Q1", generated_at=GENERATED_AT)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    for sentence in headlines(acts, units, filters=FILTERS):  # the Overview's sentences, word for word
        assert flat(sentence) in flat(pages[0]), sentence
    assert "Peacebuilding" not in pages[0]
    assert "Peacebuilding (not on the list)" in flat(" ".join(pages))  # still shown where it was reported
    gaps = flat(pages[page_with(pages, "Gaps: districts and sectors with no partner")])
    cells = len(analysis.gaps(acts, units, filters=FILTERS))
    assert cells > 1_000 and f"{cells:,} district–sector cells in scope have no partner" in gaps  # as the app


def test_partner_by_sector_matrix_numbers(pages):
    i = page_with(pages, "Activities by partner and sector")
    text = pages[i]
    n = len(sector_universe(None, FILTERS)) + 1
    alpha = cells_after(text, "Alpha Relief", n)
    assert alpha[1:3] == ["1", "1"] and alpha[-1] == "2"
    assert cells_after(text, "Gamma & <Sons>", n)[-1] == "1"
    assert cells_after(text, "Total", n, last=True)[-1] == "6"


def test_maps_carry_attribution_disclaimer_and_counts(pages, pak):
    i = page_with(pages, "Where partners work")
    text = flat(pages[i])
    assert flat(pak.meta["attribution"]) in text
    assert "do not imply official endorsement" in text
    assert "158 of 160 districts in scope have no partner" in text
    assert "Most partners in one district: 3" in text
    health = flat(pages[page_with(pages, "Health: where partners work")])
    assert "Distinct partners with at least one Health activity" in health
    assert "158 of 160 districts" in health and "Most partners in one district: 2" in health


def test_gaps_ranked_by_need_and_overlaps_name_the_partners(pages):
    gaps = pages[page_with(pages, "Gaps: districts and sectors with no partner")]
    rows = [ln.strip() for ln in gaps.splitlines()]
    first = rows.index("1")
    assert rows[first + 1:first + 4] == ["Quetta", "Balochistan", "900"]  # highest need first
    assert rows[rows.index("2") + 1] == "Lahore"
    overlaps = flat("\n".join(pages[page_with(pages, "Overlaps:"):]))
    assert "1 found" in overlaps
    assert "Alpha Relief; Beta Aid" in overlaps
    assert "Health / Primary health care" in overlaps
    assert "01 Mar 2026 – 30 Sep 2026" in overlaps  # the days both run


def test_district_annex_and_counting_rules_close_the_document(pages):
    annex = flat("\n".join(pages[page_with(pages, "District annex"):]))
    assert "Lahore (Punjab): 3 partners, 4 activities" in annex
    assert "Quetta (Balochistan): 2 partners, 2 activities" in annex
    last = flat(pages[-1])
    assert last.startswith("Counting rules and definitions")
    for rule in analysis.COUNTING_RULES:
        assert flat(rule)[:60] in last


def test_every_page_has_footer_with_version_page_number_and_attribution(pages, pak):
    n = len(pages)
    for i, text in enumerate(pages, start=1):
        t = flat(text)
        assert f"Page {i} of {n}" in t
        assert f"data version {VERSION}" in t
        assert "Boundaries: Pakistan" in t
        assert "ILLUSTRATIVE DEMO DATA" in t


def test_fonts_are_embedded_including_arabic_script(snapshot):
    reader = PdfReader(io.BytesIO(snapshot))
    seen = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font.get("/DescendantFonts")
            target = desc[0].get_object() if desc else font
            descriptor = target.get("/FontDescriptor")
            embedded = bool(descriptor and any(k in descriptor.get_object() for k in ("/FontFile2", "/FontFile")))
            seen[str(font["/BaseFont"]).split("+")[-1]] = embedded
    assert seen and all(seen.values()), seen
    assert "NotoNaskhArabic-Regular" in seen and "DejaVuSans" in seen
    assert not any("Helvetica" in name for name in seen)


def test_urdu_is_shaped_and_right_to_left():
    # لاہور: lam-alef ligature, heh goal initial, waw final, reh isolated; drawn right to left
    assert fonts.shape_arabic("لاہور") == "\ufefb\ufba8\ufeee\ufead"
    assert fonts.visual("Lahore لاہور") == "Lahore \ufead\ufeee\ufba8\ufefb"
    assert fonts.visual("Plain & simple") == "Plain & simple"
    marked = fonts.markup("<b>لاہور</b> & co")
    assert marked.startswith("&lt;b&gt;<font name=") and marked.endswith("&lt;/b&gt; &amp; co")


def test_urdu_title_in_footer_and_many_sectors_split_into_column_chunks(pak, units):
    sectors = [f"Sector {chr(65 + i)}" for i in range(16)]
    rows = [activity(org_name="Alpha Relief", sector=s, **LAHORE) for s in sectors[:3]]
    pdf = report.build_snapshot(frame(rows), units, pak, title="اسٹاک ٹیک", round_name="R1", returns_count=1,
                                data_version="wide01", sectors=sectors, generated_at=GENERATED_AT)
    reader = PdfReader(io.BytesIO(pdf))
    texts = [p.extract_text() for p in reader.pages]
    fonts_used = {str(f.get_object()["/BaseFont"]).split("+")[-1] for f in reader.pages[3]["/Resources"]["/Font"].values()}
    assert "NotoNaskhArabic-Regular" in fonts_used  # the footer's Urdu title is set in the Arabic-script font
    start, end = page_with(texts, "Partners by district and sector"), page_with(texts, "Activities by partner")
    # 16 sectors + Total do not fit one table: 13 sectors on pages of their own, then 3 sectors and the Total column
    chunk_pages = [[ln.strip() for ln in t.splitlines()] for t in texts[start:end]]
    first = [p for p in chunk_pages if "Sector M" in p]
    second = [p for p in chunk_pages if "Sector N" in p]
    assert first and second and not any("Sector N" in p for p in first)
    assert all(p[p.index("Sector M") + 1] != "Total" for p in first)
    assert all(p[p.index("Sector P") + 1] == "Total" for p in second)
    body = [ln for p in chunk_pages for ln in p]
    assert body.count("Lahore") == 2  # once per column chunk
    lahore_second = len(body) - 1 - body[::-1].index("Lahore")
    assert body[lahore_second + 1:lahore_second + 5] == ["–", "–", "–", "1"]


def test_every_page_renders_with_content(snapshot, tmp_path):
    pdftoppm = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
    (tmp_path / "s.pdf").write_bytes(snapshot)
    subprocess.run([pdftoppm, "-r", "40", "-png", str(tmp_path / "s.pdf"), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(snapshot)).pages) >= 8
    for png in pngs:
        img = np.asarray(Image.open(png).convert("L"))
        h = img.shape[0]
        body = img[int(h * 0.05):int(h * 0.88)]  # above the footer: the page's own content
        assert (body < 200).mean() > 0.003, f"{png.name} looks blank"
    # the map page is mostly drawing (districts, hatching, outlines), not white paper
    grey = np.asarray(Image.open(pngs[1]).convert("L"))
    assert (grey < 250).mean() > 0.15


def test_long_matrix_breaks_across_pages_with_repeated_header(pak, units):
    acts = generated(units, 1500, orgs=25)
    pdf = report.build_snapshot(acts, units, pak, title="Long", round_name="R1", returns_count=25,
                                data_version="long01", generated_at=GENERATED_AT, overlap_limit=10)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    start = page_with(texts, "Partners by district and sector")
    end = page_with(texts, "Activities by partner and sector")
    assert end - start >= 4  # 160 districts + 7 province rows do not fit on one page
    for t in texts[start + 1:end]:
        head = [ln.strip() for ln in t.splitlines() if ln.strip()][:3]
        assert head[:2] == ["District", "Social"], head  # header row repeated on every continuation page
    body = "\n".join(texts[start:end])
    names = [ln.strip() for ln in body.splitlines()]
    provinces = set(units["adm1_name"])
    for name in units["adm2_name"]:
        # every district exactly once (Islamabad is also its province's group row): no row lost or split
        assert names.count(name) == 1 + (name in provinces), name
    assert "DEMO" not in "".join(texts)
    assert "The 10 with the most partners are listed" in flat("".join(texts))


def test_filtered_snapshot_shows_other_provinces_as_outside(pak, units):
    f = Filters(provinces=("Punjab",))
    wide = activity(org_name="Delta Fund", org_acronym="DF", sector="Health", scope="province", adm1_name="Punjab",
                    adm1_pcode="PK6", adm2_name=None, adm2_pcode=None)
    pdf = report.build_snapshot(frame([*HAND_ROWS, wide]), units, pak, filters=f, title="Punjab only",
                                round_name="R1", returns_count=4, data_version="pj01", generated_at=GENERATED_AT)
    raw = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    texts = [flat(t) for t in raw]
    assert "Province: Punjab" in texts[0]
    assert "4 partners" in texts[0]
    mp = texts[page_with(texts, "Where partners work")]
    assert "35 of 36 districts in scope have no partner" in mp  # the province-wide activity fills no district
    lines = [ln.strip() for t in raw[page_with(texts, "Partners by district"):page_with(texts, "Activities by")]
             for ln in t.splitlines()]
    # the province-wide row closes the Punjab group, after every district, with Delta Fund under Health
    assert lines.index("Province-wide") > lines.index("Vehari") > lines.index("Attock")
    assert cells_after("\n".join(lines), "Province-wide", 3) == ["–", "1", "–"]


def test_cli_report_from_the_store(tmp_path, capsys):
    from mapping import cli

    assert cli.main(["report", "--out", str(tmp_path / "x.pdf")]) == 1  # nothing stored yet: refused
    assert "No activities are stored yet" in capsys.readouterr().err
    world = stored_world(HAND_ROWS)
    out = tmp_path / "snap.pdf"
    code = cli.main(["report", "--out", str(out), "--title", "DPG Pakistan", "--sector", "Health", "--sector", "Nutrition",
                     "--sector-maps", "Health", "--annex"])
    assert code == 0, capsys.readouterr().err
    texts = [flat(p.extract_text()) for p in PdfReader(out).pages]
    from mapping.store import db, picture

    version = picture.data_version(world["engine"], db.CLI_ADMIN)
    assert f"data version {version}" in capsys.readouterr().out
    cover = texts[0]
    assert "DPG Pakistan" in cover and world["round"] in cover and version in cover
    assert "Sectors: Health, Nutrition" in cover
    assert "4 returns · 4 activities · 3 partners" in cover  # Gamma (Education) and Beta's WASH filtered out
    assert "1: Zeta Aid (fictional)" in cover
    assert any(t.startswith("Health: where partners work") for t in texts)
    assert texts[-1].startswith("Counting rules and definitions")
    need = tmp_path / "need.csv"
    need.write_text("pcode,poverty_rate\nPK617,0.21\nPK226,0.47\n", encoding="utf-8")
    assert cli.main(["report", "--out", str(tmp_path / "need.pdf"), "--need", str(need)]) == 0
    ranked = [flat(p.extract_text()) for p in PdfReader(tmp_path / "need.pdf").pages]
    assert "poverty_rate (gaps are ranked by it, highest need first)" in ranked[0]
    gaps = ranked[page_with(ranked, "Gaps: districts")]
    assert gaps.index("1 Quetta Balochistan 0.47") < gaps.index("2 Lahore Punjab 0.21")
    assert cli.main(["report", "--out", str(tmp_path / "z.pdf"), "--need", str(tmp_path / "none.csv")]) == 2
    assert "Cannot read the need indicator" in capsys.readouterr().err
    assert cli.main(["report", "--out", str(tmp_path / "y.pdf"), "--sector-maps", "Shelter"]) == 1
    assert "no activity in sector Shelter" in capsys.readouterr().err
    assert cli.main(["report", "--out", str(tmp_path / "x.txt")]) == 1


def test_report_escapes_markup_in_every_user_string(pak, units):
    acts = hand_acts()
    acts.loc[0, "activity"] = "<script>alert(1)</script>"
    acts.loc[1, "subsector"] = "A & B <i>"
    pdf = report.build_snapshot(acts, units, pak, title="<b>Bold?</b>", round_name="<R&D>", returns_count=1,
                                missing_orgs=["<Org & Co>"], data_version="esc01", district_annex=True,
                                generated_at=GENERATED_AT)
    text = flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "<b>Bold?</b>" in text and "<R&D>" in text and "<Org & Co>" in text and "A & B <i>" in text


def test_a_long_sector_name_in_a_narrow_column_header_is_not_split_mid_word():
    from mapping.outputs.report_tables import header_cell

    # the partner × sector table of the demo gives each sector about 40 pt; at the old 5.2 pt floor this
    # header printed as "Peacebuildin" / "g (not on the"
    head = header_cell("Peacebuilding (not on the list)", 40, report.styles())
    head.wrap(40, 1000)
    assert [words for _, words in head.blPara.lines][0] == ["Peacebuilding"]
