"""End to end in Debian's Chromium: a focal point signs in, fixes a return, and sees the map change.

Starts the real app (`streamlit run app.py`) on a free port against a temporary database holding the
illustrative demo, and drives it with Playwright. Saves a screenshot of each page into a temporary folder, or
into STOCKTAKE_SCREENSHOTS_DIR when set (`make screenshots` sets it to docs/screenshots/ to refresh the README's
pictures), so a test run never changes the working tree. Never downloads a browser: it uses /usr/bin/chromium.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.factories.returns import template_return
from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
SHOTS: list[Path] = []  # the folder of the current run's screenshots (set by the test)
ZERO = "#eeeeee"

pytestmark = pytest.mark.browser


def app_env(base: Path, shared: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "STOCKTAKE_DATABASE_URL": f"sqlite:///{base / 'stocktake.db'}",
        "STOCKTAKE_SHAPEFILES_DIR": str(base / "shapefiles"),
        "STOCKTAKE_DATA_DIR": str(base / "data"),
        "STOCKTAKE_BOUNDARIES_FROM": str(shared),
        "STOCKTAKE_TILES": "none",  # the test machine is offline; the map must still draw
        "STOCKTAKE_ADMIN_EMAIL": "secretariat@example.org",
        "STOCKTAKE_ADMIN_PASSWORD": "e2e-admin-pass",
        "PYTHONPATH": str(ROOT),
    })
    return env


def prepared(base: Path, shared: Path) -> dict:
    """Run the first-run set-up with the demo, in a child process with the app's environment."""
    env = app_env(base, shared)
    code = ("import json; from mapping import workflow; from mapping.geo import boundaries; from mapping.store import db, picture, registry;"
            "info = workflow.setup(demo=True);"
            "e = db.connect();"
            "acts = picture.current_activities(e, workflow.SYSTEM);"
            "units = boundaries.units(boundaries.load_set(registry.active_boundary_version(e)));"
            "print(json.dumps({'users': info['demo']['users'], 'pcodes': sorted(units['adm2_pcode']),"
            "'names': dict(zip(units['adm2_pcode'], units['adm2_name'])),"
            "'provinces': dict(zip(units['adm2_pcode'], units['adm1_name'])),"
            "'covered': sorted(set(acts['adm2_pcode'].dropna()))}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def return_bytes(rows: list[dict]) -> bytes:
    return template_return(rows, hxl=False)


def wait_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the current run (no 'running' status widget)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_timeout(300)


def nav(page, link: str, heading: str | None = None) -> None:
    """Follow a link of the sidebar menu (a full page load would start a new, signed-out session).

    A click that lands while the previous page is still running can be swallowed; try again, then fail.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    target = page.get_by_role("heading", name=heading or link).first
    for attempt in range(3):
        page.locator('[data-testid="stSidebarNav"] a', has_text=link).first.click()
        wait_app(page)
        try:
            target.wait_for(timeout=20_000)
            return
        except PlaywrightTimeoutError:  # retried below, then reported with a screenshot
            if attempt == 2:
                folder = SHOTS[0] if SHOTS else Path("/tmp")
                page.screenshot(path=str(folder / f"failed_{link.split()[0].lower()}.png"))
                raise


def map_fills(page, expected: int) -> list[str]:
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    paths = frame.locator("path.leaflet-interactive")
    paths.nth(expected - 1).wait_for(timeout=30_000)
    return [f.lower() for f in paths.evaluate_all("els => els.map(e => e.getAttribute('fill'))")]


def shot(page, name: str) -> None:
    """Save a picture into the run's folder; a test run on its own (no folder set yet) uses the env or /tmp."""
    if not SHOTS:
        SHOTS.append(Path(os.environ.get("STOCKTAKE_SCREENSHOTS_DIR") or "/tmp/stocktake-screenshots"))
    SHOTS[0].mkdir(parents=True, exist_ok=True)
    page.mouse.move(5, 5)  # no hover tooltip in the picture
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS[0] / name))


def test_focal_point_fixes_a_return_and_sees_the_map_change(tmp_path, shared_boundaries):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-test-deps)")
    SHOTS[:] = [Path(os.environ.get("STOCKTAKE_SCREENSHOTS_DIR") or tmp_path / "screenshots")]
    info = prepared(tmp_path, shared_boundaries)
    focal = next(u for u in info["users"] if u[1] == "focal_point")
    email, org, password = focal[0], focal[2], focal[3]
    # a district nobody works in yet: it must turn from grey to a colour
    target = next(p for p in info["pcodes"] if p not in set(info["covered"]))
    idx = info["pcodes"].index(target)
    name, province = info["names"][target], info["provinces"][target]
    n = len(info["pcodes"])

    port = free_port()
    with serving(app_env(tmp_path, shared_boundaries), port, tmp_path / "streamlit.log"):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1440, "height": 960}, accept_downloads=True)
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            wait_app(page)
            page.get_by_text("Illustrative demo data").first.wait_for(timeout=30_000)

            # sign in as the focal point
            nav(page, "Sign in", "Sign in")
            page.get_by_label("E-mail", exact=True).fill(email)
            page.get_by_label("Password", exact=True).fill(password)
            page.get_by_role("button", name="Sign in").click()
            wait_app(page)
            page.get_by_text(f"Signed in as {email}").first.wait_for(timeout=30_000)
            page.get_by_text("Data freshness").first.wait_for(timeout=30_000)
            shot(page, "overview.png")

            nav(page, "Map")
            before = map_fills(page, n)
            assert len(before) == n
            assert before[idx] == ZERO, f"{name} should start grey (no partner), got {before[idx]}"
            shot(page, "map.png")

            nav(page, "Submit a return")
            with page.expect_download() as dl:
                page.get_by_role("button", name="Blank template").click()
            template = dl.value
            assert template.suggested_filename == "stocktake_template.xlsx"
            wb = openpyxl.load_workbook(io.BytesIO(Path(template.path()).read_bytes()))
            assert "Activities" in wb.sheetnames, wb.sheetnames

            good = {"org_name": org, "sector": "Health", "activity": "Mobile health camps",
                    "adm1_name": province, "adm2_name": name, "status": "ongoing",
                    "start_date": "01/03/2026", "targeted": 4000}
            bad = dict(good, adm2_name="Nowhereville", status="maybe later", targeted="lots")
            wrong = tmp_path / "return_with_mistakes.xlsx"
            wrong.write_bytes(return_bytes([good, bad]))
            page.locator('input[type="file"][accept*=".xlsx"]').set_input_files(str(wrong))
            wait_app(page)
            page.get_by_text("must be fixed before this return can be stored").first.wait_for(timeout=60_000)
            page.get_by_text("Nowhereville").first.wait_for(state="attached", timeout=10_000)
            assert page.get_by_role("button", name="Confirm and submit").first.is_disabled()
            page.get_by_role("heading", name="2. Upload your return").first.evaluate(
                "e => e.scrollIntoView({block: 'start'})")
            shot(page, "submit.png")

            fixed = tmp_path / "return_corrected.xlsx"
            fixed.write_bytes(return_bytes([good, dict(good, activity="Vaccination outreach", targeted=2500)]))
            page.locator('input[type="file"][accept*=".xlsx"]').set_input_files(str(fixed))
            wait_app(page)
            page.get_by_text("Rows accepted").first.wait_for(timeout=60_000)
            page.get_by_role("button", name="Confirm and submit 2 activities").click()
            wait_app(page)
            page.get_by_text("The map and matrices now show it").first.wait_for(timeout=60_000)

            nav(page, "Map")
            after = map_fills(page, n)
            assert after[idx] != ZERO, f"{name} should now be coloured, still {after[idx]}"
            assert after[idx] != before[idx]

            nav(page, "Matrices")
            shot(page, "matrices.png")
            nav(page, "Gaps & overlaps")
            shot(page, "gaps.png")

            nav(page, "Account / sign out", "Your account")
            page.get_by_role("button", name="Sign out").click()
            wait_app(page)
            page.locator('[data-testid="stSidebarNav"] a', has_text="Sign in").first.wait_for(timeout=30_000)
            assert page.locator('[data-testid="stSidebarNav"] a', has_text="Submit a return").count() == 0

            # the secretariat's page, for the README
            nav(page, "Sign in", "Sign in")
            page.get_by_label("E-mail", exact=True).fill("admin@demo.stocktake")
            page.get_by_label("Password", exact=True).fill("demo-admin")
            page.get_by_role("button", name="Sign in").click()
            wait_app(page)
            nav(page, "Admin")
            page.get_by_text("Submissions", exact=True).first.wait_for(timeout=60_000)  # the section picker
            shot(page, "admin.png")
            nav(page, "Export")
            page.get_by_role("button", name="District coverage (GeoJSON)").wait_for(timeout=60_000)
            shot(page, "export.png")
            browser.close()
    log = (tmp_path / "streamlit.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
