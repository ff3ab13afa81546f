"""Browser sessions: a one-time hand-off, a signed cookie, hashes only in the table, sliding expiry, ending."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mapping.store import db, sessions
from mapping.store import models as m
from tests.factories.store import fast_hashing, world

T0 = dt.datetime(2026, 11, 30, 9, 0)


@pytest.fixture
def w(db_url, monkeypatch):
    fast_hashing(monkeypatch)
    return world(db_url)


def test_a_sign_in_becomes_a_cookie_once_and_the_table_holds_only_hashes(w):
    opened = sessions.open_session(w.engine, w.focal_a, user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0",
                                   client="10.0.0.7", now=T0)
    cookie = sessions.claim(w.engine, opened.code, now=T0 + dt.timedelta(seconds=5))
    assert cookie is not None and cookie.max_age == 12 * 3600
    assert sessions.claim(w.engine, opened.code, now=T0 + dt.timedelta(seconds=6)) is None  # once only
    live = sessions.resolve(w.engine, cookie.value, now=T0 + dt.timedelta(minutes=1))
    assert (live.session_id, live.actor.email, live.actor.org_name) == (opened.session_id, "focal@alpha.example",
                                                                        "Alpha Relief")
    token = cookie.value.rpartition(".")[0]
    with w.engine.connect() as conn:
        row = conn.execute(select(m.user_sessions)).one()
    assert token not in {row.token_hash, row.handoff_hash} and len(row.token_hash) == 64
    assert row.handoff_hash is None  # the code is spent
    # a forged or altered cookie is refused before any lookup
    assert sessions.resolve(w.engine, token + ".0000", now=T0) is None
    assert sessions.resolve(w.engine, "x" + cookie.value, now=T0) is None
    [listed] = sessions.list_sessions(w.engine, w.admin, now=T0)
    assert (listed["email"], listed["browser"], listed["client"], listed["since"]) == (
        "focal@alpha.example", "Chrome on Linux", "10.0.0.7", T0)


def test_a_hand_off_code_expires_after_two_minutes(w):
    opened = sessions.open_session(w.engine, w.viewer, now=T0)
    assert sessions.claim(w.engine, opened.code, now=T0 + dt.timedelta(minutes=3)) is None
    assert sessions.claim(w.engine, "made-up", now=T0) is None


def test_sessions_slide_with_use_and_expire_when_idle(w, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_SESSION_HOURS", "2")
    opened = sessions.open_session(w.engine, w.viewer, now=T0)
    cookie = sessions.claim(w.engine, opened.code, now=T0)
    assert cookie.max_age == 7200
    # used every 90 minutes, it stays alive well past two hours
    for step in range(1, 5):
        assert sessions.check(w.engine, opened.session_id, now=T0 + dt.timedelta(minutes=90 * step)) is not None
    last = T0 + dt.timedelta(minutes=360)
    assert sessions.check(w.engine, opened.session_id, now=last + dt.timedelta(minutes=119)) is not None
    # idle for longer than the lifetime: gone, whether asked by id or by cookie
    idle = last + dt.timedelta(minutes=119) + dt.timedelta(hours=2, minutes=1)
    assert sessions.check(w.engine, opened.session_id, now=idle) is None
    assert sessions.resolve(w.engine, cookie.value, now=idle) is None


def test_the_cookie_asks_to_be_renewed_after_ten_minutes(w):
    opened = sessions.open_session(w.engine, w.viewer, now=T0)
    cookie = sessions.claim(w.engine, opened.code, now=T0)
    assert not sessions.check(w.engine, opened.session_id, now=T0 + dt.timedelta(minutes=5)).refresh_cookie
    assert sessions.check(w.engine, opened.session_id, now=T0 + dt.timedelta(minutes=11)).refresh_cookie
    assert sessions.renew_cookie(w.engine, cookie.value, now=T0 + dt.timedelta(minutes=11)).value == cookie.value
    assert not sessions.check(w.engine, opened.session_id, now=T0 + dt.timedelta(minutes=12)).refresh_cookie


def test_signing_out_ends_the_session_for_every_tab(w):
    opened = sessions.open_session(w.engine, w.focal_a)
    cookie = sessions.claim(w.engine, opened.code)
    assert sessions.resolve(w.engine, cookie.value) is not None
    sessions.sign_out(w.engine, cookie=cookie.value)
    assert sessions.resolve(w.engine, cookie.value) is None
    assert sessions.check(w.engine, opened.session_id) is None
    assert sessions.list_sessions(w.engine, w.admin) == []


def test_an_admin_lists_and_revokes_sessions_and_it_is_audited(w):
    mine = sessions.open_session(w.engine, w.focal_a)
    theirs = sessions.open_session(w.engine, w.viewer)
    with pytest.raises(db.PermissionDenied):
        sessions.list_sessions(w.engine, w.focal_a)
    with pytest.raises(db.PermissionDenied):
        sessions.revoke(w.engine, w.focal_a, theirs.session_id)
    listed = sessions.list_sessions(w.engine, w.admin)
    assert {s["email"] for s in listed} == {"focal@alpha.example", "viewer@example.org"}
    assert {s["client"] for s in listed} == {sessions.CLIENT_UNKNOWN}  # no address known: said so, never "None"
    sessions.revoke(w.engine, w.admin, theirs.session_id)
    assert sessions.check(w.engine, theirs.session_id) is None
    assert sessions.check(w.engine, mine.session_id) is not None
    with pytest.raises(db.StoreError, match="already ended"):
        sessions.revoke(w.engine, w.admin, theirs.session_id)
    with pytest.raises(db.StoreError, match="There is no session 999"):
        sessions.revoke(w.engine, w.admin, 999)
    [entry] = db.audit_log(w.engine, w.admin, action="session.revoke")
    assert entry["detail"]["email"] == "viewer@example.org" and entry["email"] == "admin@example.org"
