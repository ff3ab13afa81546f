"""In Debian's Chromium: the secretariat uploads a national 5W (91,000 rows x 75 columns, 24 MB) on the Submit
page as a consolidated file. The page takes it (a focal point's 20 MB limit does not apply), shows how far the
check has come while it runs, then the report with every row read; the server stays healthy (issue 12)."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.factories.national import NATIONAL_ROWS, national_workbook
from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.views.test_e2e import app_env, nav, prepared, wait_app
from tests.views.test_e2e_sessions import sign_in

pytestmark = pytest.mark.browser


def test_a_national_5w_is_read_on_the_submit_page_with_a_progress_bar(tmp_path, shared_boundaries):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-test-deps)")
    import geopandas as gpd

    prepared(tmp_path, shared_boundaries)
    adm2 = gpd.read_file(shared_boundaries / "pak_adm2.geojson")
    national = tmp_path / "national_5w.xlsx"
    national_workbook(national, pd.DataFrame(adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]]))
    assert national.stat().st_size > 20 * 1024 * 1024  # over a focal point's limit

    port = free_port()
    with serving(app_env(tmp_path, shared_boundaries), port, tmp_path / "streamlit.log") as server, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        wait_app(page, timeout=180_000)
        sign_in(page, "secretariat@example.org", "e2e-admin-pass")
        nav(page, "Submit a return")
        page.get_by_text("Consolidated file: several organisations in one file").first.click()
        wait_app(page)
        page.get_by_text("up to 100 MB").first.wait_for(timeout=60_000)  # the consolidated limit, said before

        page.locator('input[type="file"][accept*=".xlsx"]').set_input_files(str(national))
        seen: list[str] = []  # what the progress bar said while the check ran
        deadline = time.time() + 600
        rows_read = page.locator('[data-testid="stMetric"]', has_text="Rows read")
        while not rows_read.count() and time.time() < deadline:
            text = page.evaluate("() => (document.querySelector('[data-testid=\"stProgress\"]') || {}).innerText || ''")
            if text.strip() and text.strip() not in seen:
                seen.append(text.strip())
            page.wait_for_timeout(200)
        assert rows_read.count(), page.screenshot(path=str(tmp_path / "national.png")) or "no report in 10 minutes"
        assert f"{NATIONAL_ROWS:,}" in rows_read.first.inner_text()
        accepted = page.locator('[data-testid="stMetric"]', has_text="Rows accepted").first.inner_text()
        assert f"{NATIONAL_ROWS:,}" in accepted
        assert seen and any(s.startswith(("Checking", "Reading", "Finding")) for s in seen), seen
        assert not page.get_by_text("over the").count()  # no size refusal
        # thousands of warnings (reached above targeted ...) are counted as the metrics are: 4,091, not 4091
        assert page.get_by_text(re.compile(r"^No errors\. \d{1,3}(,\d{3})+ warning\(s\)")).count()
        assert "Traceback" not in page.content()
        assert server.poll() is None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
            assert r.status == 200
        browser.close()
    log = (tmp_path / "streamlit.log").read_text(errors="ignore")
    assert "Traceback" not in log, log[-3000:]
