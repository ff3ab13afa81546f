"""Links and sign-in that survive a reload, a new tab and a server restart (issue 19), in Debian's Chromium.

The real app (`streamlit run app.py`) on the illustrative demo; Playwright drives it. Tabs of one browser
context share cookies, exactly as tabs of one browser window do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.views.test_e2e import app_env, nav, prepared, return_bytes, wait_app

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser

NAV = '[data-testid="stSidebarNav"]'
WAIT = 120_000  # a shared two-core test machine can take a minute over one page run


def menu_links(page) -> list[str]:
    # each link reads "<icon name>\n\n<label>": keep the label
    return [t.strip().splitlines()[-1].strip() for t in page.locator(f"{NAV} a").all_inner_texts()]


def signed_in_as(page, email: str, timeout: float = WAIT) -> None:
    page.get_by_text(f"Signed in as {email}").first.wait_for(timeout=timeout)


def signed_out(page, timeout: float = WAIT) -> None:
    page.locator(f"{NAV} a", has_text="Sign in").first.wait_for(timeout=timeout)
    # the sidebar of the run before may linger a moment while the new one draws
    page.get_by_text("Signed in as").first.wait_for(state="detached", timeout=timeout)


def sign_in(page, email: str, password: str) -> None:
    nav(page, "Sign in", "Sign in")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_app(page)
    signed_in_as(page, email)
    # the browser fetches its cookie from /api/session/start; wait for it before any reload
    page.wait_for_function("() => performance.getEntriesByType('resource')"
                           ".some(e => e.name.includes('/api/session/start'))", timeout=WAIT)
    page.wait_for_timeout(500)


def the_app_as_through_the_front_page(page, *, menu: set[str], not_in_menu: set[str], showing: str) -> None:
    """What a deep link must show, as arriving through `/` does: the role's menu in sections, the wide layout and
    the link's filters, both in the sidebar's boxes and in what the page says it shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    links = menu_links(page)
    assert menu <= set(links) and not not_in_menu & set(links), links
    assert not {"app", "admin", "signin", "map"} & set(links), f"legacy pages/ listing: {links}"
    assert page.locator(f"{NAV} >> text=Picture").count() == 1  # the menu's sections
    width = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
    assert width > 1000, f"narrow layout ({width}px) instead of the wide one"
    for label, value in (("Sector", "Health"), ("Province", "Punjab")):
        box = page.locator('[data-testid="stMultiSelect"]').filter(has=page.locator(f'input[aria-label="{label}"]'))
        try:  # the box's chips are drawn a moment after the page's heading, as a person would see them
            box.locator("[data-tag]").first.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            pass  # no chip at all: the assertion below says which box is empty  # no chip at all: the assertion below says which box is empty
        chosen = box.locator("[data-tag]").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
        assert chosen == [value], (label, chosen)
    page.locator('[data-testid="stCaptionContainer"]', has_text=f"Showing: {showing}").first.wait_for(timeout=10_000)


def demo_round(base: Path) -> str:
    with sqlite3.connect(base / "stocktake.db") as conn:
        return conn.execute("SELECT name FROM rounds ORDER BY id DESC").fetchone()[0]


def signed_in_tab(pw, port: int, email: str, password: str):
    """A new browser (its own cookies) with one tab, signed in on the front page."""
    ctx = pw.new_context(viewport={"width": 1440, "height": 960})
    page = ctx.new_page()
    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
    wait_app(page)
    sign_in(page, email, password)
    return ctx, page


@pytest.fixture(scope="module")
def demo(tmp_path_factory, shared_boundaries):
    base = tmp_path_factory.mktemp("sessions")
    info = prepared(base, shared_boundaries)
    return base, app_env(base, shared_boundaries), info


@pytest.fixture(scope="module")
def pw():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-test-deps)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_deep_link_first_after_a_restart_and_sign_in_that_survives_it(demo, pw):
    base, env, info = demo
    focal = next(u for u in info["users"] if u[1] == "focal_point")
    email, password = focal[0], focal[3]
    rnd = demo_round(base)
    link = f"/map?round={quote_plus(rnd)}&sec=Health&prov=Punjab"  # what the page puts in the address bar
    showing = f"Round: {rnd}; Sector: Health; Province: Punjab"
    ctx = pw.new_context(viewport={"width": 1440, "height": 960})
    page = ctx.new_page()
    port = free_port()
    with serving(env, port, base / "first.log"):
        # the very first request after the start is a shared link with filters
        page.goto(f"http://127.0.0.1:{port}{link}", wait_until="domcontentloaded")
        wait_app(page)
        page.get_by_role("heading", name="Map").first.wait_for(timeout=WAIT)
        the_app_as_through_the_front_page(page, menu={"Overview", "Matrices", "Sign in"},
                                          not_in_menu={"Submit a return", "Admin"}, showing=showing)
        assert "sec=Health" in page.url and "prov=Punjab" in page.url

        sign_in(page, email, password)
        cookie = next(c for c in ctx.cookies() if c["name"] == "stocktake_session")
        hours = (cookie["expires"] - time.time()) / 3600
        assert 11.8 < hours <= 12, f"the cookie lasts {hours:.2f} h, not the default 12"
        # the server keeps only the token's hash: a copy of the database cannot be replayed as a sign-in
        token = cookie["value"].rpartition(".")[0]
        with sqlite3.connect(base / "stocktake.db") as conn:
            rows = [tuple(map(str, r)) for r in conn.execute("SELECT * FROM user_sessions")]
        assert any(hashlib.sha256(token.encode()).hexdigest() in r for r in rows)
        assert not any(token in v for r in rows for v in r)

        page.reload(wait_until="domcontentloaded")
        wait_app(page)
        signed_in_as(page, email)
        assert "Submit a return" in menu_links(page)

        second = ctx.new_page()  # a second tab, straight onto another page
        second.goto(f"http://127.0.0.1:{port}/matrices", wait_until="domcontentloaded")
        wait_app(second)
        signed_in_as(second, email)
        second.close()

    port = free_port()
    with serving(env, port, base / "second.log"):  # the server restarted: the first link after it, signed in
        page.goto(f"http://127.0.0.1:{port}{link}", wait_until="domcontentloaded")
        wait_app(page)
        page.get_by_role("heading", name="Map").first.wait_for(timeout=WAIT)
        signed_in_as(page, email)
        the_app_as_through_the_front_page(page, menu={"Overview", "Submit a return", "Account / sign out"},
                                          not_in_menu={"Admin", "Sign in"}, showing=showing)
        assert page.locator(f"{NAV} >> text=Work").count() == 1
        cookie = next(c for c in ctx.cookies() if c["name"] == "stocktake_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("document.cookie").find("stocktake_session") == -1  # scripts cannot read it
        nav(page, "Gaps & overlaps")  # and it stays signed in from page to page
        signed_in_as(page, email)
    ctx.close()


def test_sign_out_and_disabling_end_other_tabs_at_their_next_action(demo, pw):
    base, env, info = demo
    focals = [u for u in info["users"] if u[1] == "focal_point"]
    port = free_port()
    with serving(env, port, base / "third.log"):
        ctx, one = signed_in_tab(pw, port, focals[0][0], focals[0][3])
        two = ctx.new_page()
        two.goto(f"http://127.0.0.1:{port}/map", wait_until="domcontentloaded")
        wait_app(two)
        signed_in_as(two, focals[0][0])

        nav(one, "Account / sign out", "Your account")
        one.get_by_role("button", name="Sign out").click()
        wait_app(one)
        signed_out(one)
        two.locator(f"{NAV} a", has_text="Matrices").first.click()  # the other tab's next action
        wait_app(two)
        signed_out(two)
        two.get_by_text("Your session has ended").first.wait_for(timeout=WAIT)
        nav(two, "Gaps & overlaps")  # the note stays on the next page, until dismissed
        two.get_by_text("Your session has ended").first.wait_for(timeout=WAIT)
        two.get_by_role("button", name="Dismiss").click()
        wait_app(two)
        two.get_by_text("Your session has ended").first.wait_for(state="detached", timeout=WAIT)
        two.reload(wait_until="domcontentloaded")  # and the cookie is gone: a reload stays signed out
        wait_app(two)
        signed_out(two)
        ctx.close()

        # a focal point works in an open tab; the secretariat disables the account on the server
        ctx, tab = signed_in_tab(pw, port, focals[1][0], focals[1][3])
        out = subprocess.run([sys.executable, "-m", "mapping", "users", "disable", focals[1][0]], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        tab.locator(f"{NAV} a", has_text="Map").first.click()
        wait_app(tab)
        signed_out(tab)
        tab.get_by_text("Your session has ended").first.wait_for(timeout=WAIT)
        ctx.close()


def test_an_unconfirmed_upload_keeps_its_report_across_a_reload(demo, pw, tmp_path):
    base, env, info = demo
    focal = [u for u in info["users"] if u[1] == "focal_point"][2]
    email, org, password = focal[0], focal[2], focal[3]
    pcode = info["pcodes"][0]
    good = {"org_name": org, "sector": "Health", "activity": "Mobile health camps",
            "adm1_name": info["provinces"][pcode], "adm2_name": info["names"][pcode], "status": "ongoing",
            "start_date": "01/03/2026", "targeted": 4000}
    wrong = tmp_path / "return_with_a_mistake.xlsx"
    # an unknown district alone would wait in the review queue; an unreadable number keeps the return out
    wrong.write_bytes(return_bytes([good, dict(good, adm2_name="Nowhereville", targeted="four thousand")]))
    port = free_port()
    with serving(env, port, base / "fourth.log"):
        ctx, page = signed_in_tab(pw, port, email, password)
        nav(page, "Submit a return")
        page.locator('[data-testid="stFileUploader"]').filter(has_text="Excel return").locator(
            'input[type="file"]').set_input_files(str(wrong))
        wait_app(page)
        page.get_by_text("must be fixed before this return can be stored").first.wait_for(timeout=WAIT)

        page.reload(wait_until="domcontentloaded")  # an accidental F5 in the middle of the review
        wait_app(page)
        signed_in_as(page, email)
        page.get_by_text("must be fixed before this return can be stored").first.wait_for(timeout=WAIT)
        page.get_by_text("return_with_a_mistake.xlsx").first.wait_for(timeout=10_000)
        page.get_by_text("Nowhereville").first.wait_for(state="attached", timeout=10_000)

        page.get_by_role("button", name="Discard this upload").click()
        wait_app(page)
        page.reload(wait_until="domcontentloaded")
        wait_app(page)
        page.get_by_role("heading", name="2. Upload your return").first.wait_for(timeout=WAIT)
        assert page.get_by_text("must be fixed before this return can be stored").count() == 0
        ctx.close()


def choose(page, label: str, typed: str, option) -> None:
    """Pick an option of a select box by its label, typing first as a person does in a long list."""
    from playwright.sync_api import expect

    combo = page.get_by_role("combobox", name=label, exact=True)
    expect(combo).to_have_count(1, timeout=WAIT)  # the box of the run before (another account's) has gone
    combo.click()
    combo.fill(typed)
    page.get_by_role("option", name=option).first.click()
    wait_app(page)


def next_action_finds_it_ended(tab) -> None:
    """The tab's next click (another page of its menu) signs it out and says why."""
    tab.locator(f"{NAV} a", has_text="Map").first.click()
    wait_app(tab)
    signed_out(tab)
    tab.get_by_text("Your session has ended").first.wait_for(timeout=WAIT)


def refused(tab, email: str, password: str, message: str) -> None:
    nav(tab, "Sign in", "Sign in")
    tab.get_by_label("E-mail", exact=True).fill(email)
    tab.get_by_label("Password", exact=True).fill(password)
    tab.get_by_role("button", name="Sign in").click()
    wait_app(tab)
    tab.get_by_text(message).first.wait_for(timeout=WAIT)
    assert tab.get_by_text("Signed in as").count() == 0


def test_the_admin_page_lists_sessions_and_ends_them_by_revoking_a_role_change_a_reset_or_disabling(demo, pw):
    """The secretariat, in its own browser, does what the issue lists; each time the focal point's open tab is
    signed out at its next action, and comes back (when it may) with the account as it is now."""
    base, env, info = demo
    admin = next(u for u in info["users"] if u[1] == "admin")
    focals = [u for u in info["users"] if u[1] == "focal_point"]
    (one, _, _, password), (two, _, _, password_two) = focals[3], focals[4]
    port = free_port()
    with serving(env, port, base / "fifth.log"):
        opened = dt.datetime.now(dt.UTC)
        ctx, tab = signed_in_tab(pw, port, one, password)
        desk_ctx, desk = signed_in_tab(pw, port, admin[0], admin[3])
        nav(desk, "Admin")
        desk.get_by_text("Accounts", exact=True).first.click()
        wait_app(desk)
        desk.get_by_text("Signed in now").first.wait_for(timeout=WAIT)

        # who is signed in, since when, from which browser; the admin ends that session
        days = "|".join({f"{d:%d %b}" for d in (opened, dt.datetime.now(dt.UTC))})
        choose(desk, "Session", one, re.compile(rf"^{re.escape(one)} — (Headless )?Chrome on Linux, since ({days}) "
                                                r"\d\d:\d\d UTC$"))
        desk.get_by_role("button", name="End session").click()
        wait_app(desk)
        desk.get_by_text(f"Ended the session of {one}").first.wait_for(timeout=WAIT)
        next_action_finds_it_ended(tab)

        # a role change: the open tab is signed out, and signs in again with the new rights only
        sign_in(tab, one, password)
        assert "Submit a return" in menu_links(tab)
        choose(desk, "Account", one, one)
        choose(desk, "New role", "Group", "Group member (viewer)")
        desk.get_by_role("button", name="Change role").click()
        wait_app(desk)
        desk.get_by_text(f"{one} is now viewer").first.wait_for(timeout=WAIT)
        next_action_finds_it_ended(tab)
        sign_in(tab, one, password)
        tab.get_by_text("Group member (viewer)").first.wait_for(timeout=WAIT)
        assert "Submit a return" not in menu_links(tab)

        # a password reset: signed out at the next action, and the old password no longer opens the account
        desk.get_by_role("button", name="Reset password").click()
        wait_app(desk)
        desk.get_by_text("One-time password:").first.wait_for(timeout=WAIT)
        next_action_finds_it_ended(tab)
        refused(tab, one, password, "Wrong e-mail or password.")
        ctx.close()

        # disabling: another focal point's open tab is signed out at its next action and cannot sign in again
        ctx, tab = signed_in_tab(pw, port, two, password_two)
        choose(desk, "Account", two, two)
        desk.get_by_role("button", name="Disable account").click()
        wait_app(desk)
        desk.get_by_text(f"{two} is disabled. 1 open session ended.").first.wait_for(timeout=WAIT)
        next_action_finds_it_ended(tab)
        refused(tab, two, password_two, f"The account {two} is disabled")
        ctx.close()
        desk_ctx.close()


def _session_row(base: Path, token: str) -> dict:
    with sqlite3.connect(base / "stocktake.db") as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM user_sessions WHERE token_hash = ?",
                           (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
    return dict(row)


def _age(base: Path, token: str, minutes: int) -> None:
    """Let `minutes` pass for a session without a click: its last use, cookie and expiry that much older."""
    row = _session_row(base, token)
    older = {c: (dt.datetime.fromisoformat(row[c]) - dt.timedelta(minutes=minutes)).isoformat(" ")
             for c in ("created_at", "last_seen_at", "cookie_set_at", "expires_at")}
    with sqlite3.connect(base / "stocktake.db") as conn:
        conn.execute("UPDATE user_sessions SET created_at = :created_at, last_seen_at = :last_seen_at, "
                     "cookie_set_at = :cookie_set_at, expires_at = :expires_at WHERE id = :id",
                     {**older, "id": row["id"]})


def _post(port: int, path: str, cookie: str, headers: dict[str, str]) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"{}", method="POST",
                                     headers={"Cookie": f"stocktake_session={cookie}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_configured_lifetime_slides_with_use_and_ends_when_idle(demo, pw):
    """STOCKTAKE_SESSION_HOURS=1 on the server: the cookie lasts an hour, a visit after forty idle minutes pushes the
    session and the browser's cookie another hour on, an hour without a click signs the browser out. Another site
    can neither end nor renew the session (the routes want this origin and the X-Stocktake header)."""
    base, env, info = demo
    email, _, _, password = [u for u in info["users"] if u[1] == "focal_point"][5]
    port = free_port()
    with serving(dict(env, STOCKTAKE_SESSION_HOURS="1"), port, base / "sixth.log"):
        ctx, tab = signed_in_tab(pw, port, email, password)
        cookie = next(c for c in ctx.cookies() if c["name"] == "stocktake_session")
        assert 0.95 < (cookie["expires"] - time.time()) / 3600 <= 1
        token = cookie["value"].rpartition(".")[0]

        for headers in ({}, {"X-Stocktake": "1", "Origin": "http://elsewhere.example"}):
            for route in ("/api/session/end", "/api/session/renew"):
                assert _post(port, route, cookie["value"], headers) == 403, (route, headers)

        # forty minutes without a click: twenty are left, in the database and in the browser
        _age(base, token, 40)
        ctx.add_cookies([dict(cookie, expires=cookie["expires"] - 40 * 60)])
        tab.reload(wait_until="domcontentloaded")
        wait_app(tab)
        signed_in_as(tab, email)
        # that visit pushed both on by the configured hour
        tab.wait_for_function("() => performance.getEntriesByType('resource')"
                              ".some(e => e.name.includes('/api/session/renew'))", timeout=WAIT)
        tab.wait_for_timeout(500)
        renewed = next(c for c in ctx.cookies() if c["name"] == "stocktake_session")
        assert renewed["value"] == cookie["value"] and 0.95 < (renewed["expires"] - time.time()) / 3600 <= 1
        left = dt.datetime.fromisoformat(_session_row(base, token)["expires_at"]) - dt.datetime.now(dt.UTC).replace(
            tzinfo=None)
        assert dt.timedelta(minutes=55) < left <= dt.timedelta(hours=1), left

        # an hour and a minute without a click: the next visit is signed out
        _age(base, token, 61)
        tab.reload(wait_until="domcontentloaded")
        wait_app(tab)
        signed_out(tab)
        ctx.close()


def test_a_one_time_password_opens_only_the_account_page_until_a_new_one_is_chosen(demo, pw):
    """An admin resets a password from the server's shell (issue 13); its holder signs in with it and can only
    choose their own: the account page is the only page (Streamlit shows no menu for one), and a deep link
    lands on it."""
    base, env, info = demo
    email = [u for u in info["users"] if u[1] == "focal_point"][6][0]  # one the other tests here leave alone
    port = free_port()
    with serving(env, port, base / "reset.log"):
        out = subprocess.run([sys.executable, "-m", "mapping", "users", "reset-password", email], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        one_time = out.stdout.split("One-time password: ")[1].split(" ")[0]
        ctx, page = signed_in_tab(pw, port, email, one_time)
        page.get_by_text("You signed in with a one-time password").first.wait_for(timeout=WAIT)
        assert menu_links(page) == []
        page.goto(f"http://127.0.0.1:{port}/submit", wait_until="domcontentloaded")  # the cookie signs it in
        wait_app(page)
        page.get_by_text("You signed in with a one-time password").first.wait_for(timeout=WAIT)
        assert menu_links(page) == []
        assert not page.get_by_role("heading", name="Submit a return").count()
        dialog = page.locator('[data-testid="stDialog"]')  # Streamlit's own note for a page not in the menu
        assert dialog.first.inner_text().startswith("Page not found")
        page.keyboard.press("Escape")
        dialog.first.wait_for(state="detached", timeout=WAIT)
        page.get_by_label("New password", exact=True).fill("my-own-pass-1")
        page.get_by_label("New password again", exact=True).fill("my-own-pass-1")
        page.get_by_role("button", name="Save my new password").click()
        wait_app(page)
        page.locator(f"{NAV} a", has_text="Submit a return").first.wait_for(timeout=WAIT)  # the whole menu
        assert "Traceback" not in page.content()
        ctx.close()
    assert "Traceback" not in (base / "reset.log").read_text(errors="ignore")
