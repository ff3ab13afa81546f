"""People in two programmes in Debian's Chromium: a focal point compares two consenting programmes and sees the
suppressed table and the share map (screenshot saved under docs/screenshots/people.png)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mapping import workflow
from mapping.store import auth, db
from mapping.store import people as sp
from tests.factories.app import PASSWORD, USERS, module_deployment
from tests.factories.people import write_hashed
from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.views.test_e2e import map_fills, nav, shot, wait_app

pytestmark = pytest.mark.browser
IRP, KCT = "Indus Relief Partners", "Khyber *Care* <b>Trust</b>"
CASH, MCH = "Cash for Families (fictional)", "Mother and Child (fictional)"


def test_focal_point_compares_two_programmes_in_the_browser(tmp_path, shared_boundaries, monkeypatch):
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium")
    built = module_deployment(tmp_path, shared_boundaries, admin_email="secretariat@people.test",
                              admin_password="people-e2e-admin")
    for k, v in built["env"].items():
        monkeypatch.setenv(k, v)
    engine = db.connect()
    sp.add_programme(engine, workflow.SYSTEM, CASH, owner_org=IRP)
    sp.add_programme(engine, workflow.SYSTEM, MCH, owner_org=KCT)
    # shared / only Cash / only MCH: Lahore 400/200/300, D.G. Khan 120/80/30, Bahawalpur 50/60/40, Quetta 4/16/2
    cash, mch = [], []
    for pcode, start, both, only_a, only_b in (("PK617", 0, 400, 200, 300), ("PK607", 10_000, 120, 80, 30),
                                               ("PK603", 20_000, 50, 60, 40), ("PK226", 30_000, 4, 16, 2)):
        cash += [(start + i, pcode) for i in range(both + only_a)]
        mch += [(start + i, pcode) for i in range(both)] + [(start + 5000 + i, pcode) for i in range(only_b)]
    irp, kct = (auth.authenticate(engine, USERS[r][0], PASSWORD) for r in ("focal_point", "focal_point_2"))
    for who, prog, people in ((irp, CASH, cash), (kct, MCH, mch)):
        path = write_hashed(tmp_path / f"{prog[:4]}.csv", people)
        workflow.people_upload(engine, who, path.read_bytes(), path.name, programme=prog)
    sp.set_consent(engine, irp, CASH, MCH)
    sp.set_consent(engine, kct, MCH, CASH)
    env = dict(os.environ, **built["env"], PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    port = free_port()
    with serving(env, port, tmp_path / "streamlit.log"):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
                page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
                wait_app(page)
                nav(page, "Sign in", "Sign in")
                page.get_by_label("E-mail", exact=True).fill(USERS["focal_point"][0])
                page.get_by_label("Password", exact=True).fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                wait_app(page)
                nav(page, "People in two programmes")
                page.get_by_text("Small numbers are hidden.").first.wait_for(timeout=30_000)
                page.get_by_role("button", name="Compare").click()
                wait_app(page)
                page.get_by_text("People in both").first.wait_for(timeout=60_000)
                page.get_by_text("who are in both").first.wait_for(timeout=240_000)  # the map is drawn below
                fills = map_fills(page, 10)
                body = page.locator('[data-testid="stMetric"]').all_inner_texts()
                page.locator("iframe[title=\"streamlit_folium.st_folium\"]").first.scroll_into_view_if_needed()
                shot(page, "people.png")
            finally:
                browser.close()
    assert any("People in both" in t and "574" in t for t in body), body
    # Lahore (400 of 900 listed there) and D.G. Khan (120 of 230) are coloured; Quetta (< 10) and Bahawalpur
    # (hidden so that the total cannot give Quetta away) are not
    from mapping.outputs import people_map

    assert people_map.share_colour(400 / 900).lower() in fills
    assert people_map.share_colour(120 / 230).lower() in fills
    assert people_map.HIDDEN_COLOUR in fills
