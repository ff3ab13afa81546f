"""In Debian's Chromium, two sessions on one server: a focal point uploads hostile files of a few kilobytes on
the Submit page while a visitor keeps browsing. Each upload ends in a message; the server, and the visitor's
session, carry on (issue 13: one cell at XFD1048576 used to abort the process for every user). Two are refused
by the extent they claim before any parser runs; the third, a 1 KB .ods within the cell cap, makes the reader
process die at its memory ceiling, inside the running server.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.factories.bad_files import repeated_rows_ods, with_far_cell
from tests.factories.returns import xls_bytes
from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.views.test_e2e import app_env, nav, prepared, wait_app
from tests.views.test_e2e_sessions import sign_in

pytestmark = pytest.mark.browser


def test_hostile_uploads_end_in_a_message_while_another_session_keeps_working(tmp_path, shared_boundaries):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-test-deps)")
    info = prepared(tmp_path, shared_boundaries)
    email, _role, _org, password = next(u for u in info["users"] if u[1] == "focal_point")
    stray = tmp_path / "stray_cell.xlsx"
    stray.write_bytes(with_far_cell("XFD1048576", "x"))
    whole_grid = tmp_path / "whole_grid.xls"
    whole_grid.write_bytes(xls_bytes([["Organisation", "Sector"]] + [[] for _ in range(65534)] + [[None] * 255 + ["x"]]))
    heavy = tmp_path / "heavy_notes.ods"
    heavy.write_bytes(repeated_rows_ods(99_998, 15, "n" * 200))
    assert stray.stat().st_size < 10_000 and whole_grid.stat().st_size < 10_000 and heavy.stat().st_size < 2_000

    port = free_port()
    with serving(app_env(tmp_path, shared_boundaries), port, tmp_path / "streamlit.log") as server, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        focal = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
        visitor = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
        for page in (focal, visitor):
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            wait_app(page, timeout=180_000)
            try:
                page.get_by_text("Illustrative demo data").first.wait_for(timeout=180_000)
            except sync_api.Error:  # screenshot, then the error itself
                page.screenshot(path="/tmp/stocktake_hostile_start.png")
                raise

        sign_in(focal, email, password)
        nav(focal, "Submit a return")

        messages = [(stray, "claims 17 billion cells (A1:XFD1048576)", "Matrices"),
                    (whole_grid, "claims 17 million cells (A1:IV65536)", "Gaps & overlaps"),
                    (heavy, "needed more than the 600 MB a return may use", "Export")]
        for path, words, elsewhere in messages:
            focal.locator('input[type="file"][accept*=".xlsx"]').set_input_files(str(path))
            # while the upload is being checked, the other session asks the server for a page
            nav(visitor, elsewhere)
            visitor.locator('[data-testid="stMain"]').first.wait_for(timeout=30_000)
            wait_app(focal)
            focal.get_by_text(words).first.wait_for(timeout=120_000)
            assert "Traceback" not in focal.content()
            assert server.poll() is None, "the server process must survive the upload"

        # both sessions still work: the visitor opens another page, the focal point's page still answers
        nav(visitor, "Map")
        assert not visitor.get_by_text("Connection error").count()
        nav(focal, "Map")
        assert not focal.get_by_text("Connection error").count()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
            assert r.status == 200
        browser.close()
    log = (tmp_path / "streamlit.log").read_text(errors="ignore")
    assert "Traceback" not in log, log[-3000:]
