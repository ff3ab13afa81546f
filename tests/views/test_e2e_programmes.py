"""The forum's path in Debian's Chromium on the demo: Programmes → filter a target group → headline, matrix and
map redraw → portability from a district → the downloads hold exactly the filtered programmes (HXL row) and the
matrix the page shows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.views.test_e2e import app_env, nav, prepared, wait_app

pytestmark = pytest.mark.browser
PLW = "Pregnant and lactating women"
MOTHERS = {"Mother and Child Cash Support (fictional)", "National Nutrition Stipend (fictional)",
           "Sindh Mother and Infant Support (fictional)"}


# the rows a Streamlit table shows, read from the grid's accessible table (what is on screen, header first)
GRIDS = """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"] table')).map(t =>
  Array.from(t.querySelectorAll('tr')).map(r => Array.from(r.querySelectorAll('th, td')).map(c => c.innerText)))"""


def grid(page, header: str, first_row: str | None = None) -> list[list[str]]:
    """The table whose header has this column (and, when given, whose first row starts so), once it shows."""
    for _ in range(60):
        for rows in page.evaluate(GRIDS):
            if rows and header in rows[0] and (first_row is None or (len(rows) > 1 and rows[1][0] == first_row)):
                return rows
        page.wait_for_timeout(500)
    raise AssertionError(f"no table with a {header!r} column showing {first_row!r}")


def map_src(page) -> str:
    return page.locator('[data-testid="stImage"] img').first.get_attribute("src")


def pick(page, label: str, option: str) -> None:
    """Choose an option of a Streamlit select box or multiselect by its label, as a person would."""
    page.get_by_label(label).first.click()
    page.keyboard.type(option.split(" (")[0])  # long lists are virtual: narrow them first, as a person would
    page.get_by_role("option", name=option, exact=True).first.click()
    page.keyboard.press("Escape")
    wait_app(page)


def test_the_forum_filters_a_target_group_and_takes_the_list_away(tmp_path, shared_boundaries):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-test-deps)")
    prepared(tmp_path, shared_boundaries)
    port = free_port()
    with serving(app_env(tmp_path, shared_boundaries), port, tmp_path / "streamlit.log"):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            wait_app(page, timeout=120_000)
            page.get_by_text("Illustrative demo data").first.wait_for(timeout=60_000)
            nav(page, "Programmes")
            page.get_by_text("8 programmes of 5 owners are recorded.").first.wait_for(timeout=60_000)
            page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
            every_group = map_src(page)

            pick(page, "Target group", PLW)
            page.get_by_text("3 programmes of 3 owners are recorded.").first.wait_for(timeout=60_000)
            page.get_by_text("Programmes (3)").first.wait_for(timeout=10_000)
            page.get_by_text("no programme for pregnant and lactating women").first.wait_for(timeout=10_000)
            matrix = grid(page, "Total", first_row="Mother and Child Cash Support (fictional)")
            assert [r[0] for r in matrix[1:]] == sorted(MOTHERS) + ["Total"]
            assert matrix[-1][-1] == str(15 + 160 + 6)  # districts covered: 15 in Punjab, national, 6 in Sindh
            page.get_by_text("Programmes serving pregnant and lactating women per district").first.wait_for(
                timeout=60_000)
            assert map_src(page) != every_group, "the map is redrawn for the group"

            pick(page, "District of origin", "Lahore (Punjab)")
            port = grid(page, "Districts in province", first_row="Punjab")
            home = [r for r in port[1:] if r[1] == "Lahore (home district)"]
            assert sorted(r[2] for r in home) == ["Mother and Child Cash Support (fictional)",
                                                  "National Nutrition Stipend (fictional)"]
            sindh = {r[2]: r[4] for r in port[1:] if r[0] == "Sindh"}
            assert sindh == {"National Nutrition Stipend (fictional)": "29",
                             "Sindh Mother and Infant Support (fictional)": "6"}

            with page.expect_download(timeout=60_000) as got:
                page.get_by_role("button", name="Programmes (.csv, with HXL row)").click()
            text = Path(got.value.path()).read_bytes().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0][:2] == ["Programme", "Owner"] and rows[1][:2] == ["#programme+name", "#org+name"]
            assert {r[0] for r in rows[2:]} == MOTHERS
            with page.expect_download(timeout=60_000) as got:
                page.get_by_role("button", name="Programmes (.xlsx, with HXL row and matrix)").click()
            sheet = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))["Programme x province"]
            cells = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
            assert cells[next(i for i, r in enumerate(cells) if r[0] == "Programme"):] == matrix  # what the page shows
            page.screenshot(path=str(tmp_path / "programmes.png"), full_page=True)
            browser.close()
    log = (tmp_path / "streamlit.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
