"""The forum's path in Debian's Chromium on the demo: Programmes → filter a target group → headline, matrix and
map redraw → portability → the CSV download holds exactly the filtered programmes, with its HXL row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.views.test_e2e import app_env, nav, prepared, wait_app

pytestmark = pytest.mark.browser
PLW = "Pregnant and lactating women"
MOTHERS = {"Mother and Child Cash Support (fictional)", "National Nutrition Stipend (fictional)",
           "Sindh Mother and Infant Support (fictional)"}


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

            pick(page, "Target group", PLW)
            page.get_by_text("3 programmes of 3 owners are recorded.").first.wait_for(timeout=60_000)
            page.get_by_text("Programmes (3)").first.wait_for(timeout=10_000)
            page.get_by_text("no programme for pregnant and lactating women").first.wait_for(timeout=10_000)
            page.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)  # the map redrawn

            pick(page, "District of origin", "Lahore (Punjab)")
            page.get_by_text("Portability: a family that moves").first.wait_for(timeout=10_000)

            with page.expect_download(timeout=60_000) as got:
                page.get_by_role("button", name="Programmes (.csv, with HXL row)").click()
            text = Path(got.value.path()).read_bytes().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0][:2] == ["Programme", "Owner"] and rows[1][:2] == ["#programme+name", "#org+name"]
            assert {r[0] for r in rows[2:]} == MOTHERS
            page.screenshot(path=str(tmp_path / "programmes.png"), full_page=True)
            browser.close()
    log = (tmp_path / "streamlit.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
