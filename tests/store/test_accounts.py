"""Account administration: every action audited, sessions ended at once, lock-outs that cannot trap an admin."""

from __future__ import annotations

import datetime as dt

import pytest

from mapping.store import accounts, auth, db, sessions
from tests.factories.store import fast_hashing, world

T0 = dt.datetime(2026, 11, 30, 9, 0)


@pytest.fixture
def w(db_url, monkeypatch):
    fast_hashing(monkeypatch)
    return world(db_url)


def live_session(w, actor) -> int:
    opened = sessions.open_session(w.engine, actor)
    sessions.claim(w.engine, opened.code)
    return opened.session_id


def test_disabling_ends_open_sessions_and_refuses_sign_in_until_enabled(w):
    sid = live_session(w, w.focal_a)
    done = accounts.disable(w.engine, w.admin, "Focal@Alpha.example", reason="left the organisation")
    assert done.sessions_ended == 1 and "1 open session ended" in done.message
    assert sessions.check(w.engine, sid) is None
    assert auth.user_by_id(w.engine, w.focal_a.user_id) is None
    with pytest.raises(auth.AuthError, match="disabled"):
        auth.authenticate(w.engine, "focal@alpha.example", "alpha-pass-1")
    accounts.enable(w.engine, w.admin, "focal@alpha.example")
    assert auth.authenticate(w.engine, "focal@alpha.example", "alpha-pass-1").org_name == "Alpha Relief"
    actions = [e["action"] for e in db.audit_log(w.engine, w.admin, object_type="user",
                                                  object_id=w.focal_a.user_id)]
    assert actions[:2] == ["user.enable", "user.disable"]


def test_only_an_admin_administers_and_the_last_admin_cannot_be_removed(w):
    with pytest.raises(db.PermissionDenied):
        accounts.disable(w.engine, w.focal_a, "viewer@example.org")
    with pytest.raises(db.PermissionDenied):
        accounts.reset_password(w.engine, w.viewer, "focal@alpha.example")
    with pytest.raises(db.StoreError, match="cannot disable your own account"):
        accounts.disable(w.engine, w.admin, "admin@example.org")
    with pytest.raises(db.StoreError, match="last active admin"):
        accounts.disable(w.engine, db.CLI_ADMIN, "admin@example.org")
    with pytest.raises(db.StoreError, match="last active admin"):
        accounts.change_role(w.engine, db.CLI_ADMIN, "admin@example.org", role="viewer")
    with pytest.raises(db.StoreError, match="There is no account for ghost@example.org"):
        accounts.unlock(w.engine, w.admin, "ghost@example.org")


def test_a_role_or_organisation_change_applies_at_the_next_page_run(w):
    sid = live_session(w, w.focal_a)
    with pytest.raises(db.StoreError, match="belongs to an organisation"):
        accounts.change_role(w.engine, w.admin, "viewer@example.org", role="focal_point")
    done = accounts.change_role(w.engine, w.admin, "focal@alpha.example", role="viewer")
    assert "now viewer" in done.message and done.sessions_ended == 1
    assert sessions.check(w.engine, sid) is None
    assert auth.user_by_id(w.engine, w.focal_a.user_id).role == "viewer"
    moved = accounts.change_role(w.engine, w.admin, "viewer@example.org", role="focal_point", org="BRA")
    assert "focal point for Bravo Aid" in moved.message
    now = auth.user_by_id(w.engine, w.viewer.user_id)
    assert (now.role, now.org_name) == ("focal_point", "Bravo Aid")
    with pytest.raises(db.StoreError, match="nothing changed"):
        accounts.change_role(w.engine, w.admin, "viewer@example.org", role="focal_point", org="Bravo Aid")
    [entry] = db.audit_log(w.engine, w.admin, action="user.role", object_id=w.viewer.user_id)
    assert entry["detail"] == {"email": "viewer@example.org", "from": "viewer", "to": "focal_point",
                               "org": "Bravo Aid", "sessions_ended": 0}


def test_a_reset_gives_a_one_time_password_that_must_be_changed(w):
    sid = live_session(w, w.focal_a)
    done = accounts.reset_password(w.engine, w.admin, "focal@alpha.example")
    assert done.password and len(done.password) >= 12 and sessions.check(w.engine, sid) is None
    with pytest.raises(auth.AuthError):
        auth.authenticate(w.engine, "focal@alpha.example", "alpha-pass-1")  # the old password is gone
    actor = auth.authenticate(w.engine, "focal@alpha.example", done.password)
    assert auth.must_change_password(w.engine, actor.email)
    sid = live_session(w, actor)
    assert sessions.check(w.engine, sid).must_change_password
    auth.set_password(w.engine, actor, actor.email, "chosen-by-me-1")
    assert not auth.must_change_password(w.engine, actor.email)
    assert not sessions.check(w.engine, sid).must_change_password
    assert db.audit_log(w.engine, w.admin, action="user.reset_password")[0]["detail"]["sessions_ended"] == 1


def test_failures_elsewhere_never_lock_the_owner_out_and_back_off_doubles(w):
    def fail(client: str, at: dt.datetime) -> str:
        with pytest.raises(auth.AuthError) as err:
            auth.authenticate(w.engine, "admin@example.org", "guess", client=client, now=at)
        return str(err.value)

    for _ in range(4):
        fail("203.0.113.9", T0)
    assert "locked for 15 minutes" in fail("203.0.113.9", T0)
    # the attacker's address is locked; the admin at the office signs in at once
    assert "Too many failed sign-ins" in fail("203.0.113.9", T0 + dt.timedelta(minutes=1))
    assert auth.authenticate(w.engine, "admin@example.org", "admin-pass-1", client="198.51.100.4",
                             now=T0 + dt.timedelta(minutes=1)).role == "admin"
    # the same address keeps failing: 30 minutes, then 60
    t1 = T0 + dt.timedelta(minutes=16)
    for _ in range(4):
        fail("203.0.113.9", t1)
    assert "locked for 30 minutes" in fail("203.0.113.9", t1)
    t2 = t1 + dt.timedelta(minutes=31)
    for _ in range(4):
        fail("203.0.113.9", t2)
    assert "locked for 60 minutes" in fail("203.0.113.9", t2)
    assert auth.locked_until(w.engine, "admin@example.org", now=t2) == t2 + dt.timedelta(minutes=60)
    # an unlock lifts it from every address, audited
    accounts.unlock(w.engine, db.CLI_ADMIN, "admin@example.org")
    assert auth.locked_until(w.engine, "admin@example.org", now=t2) is None
    assert auth.authenticate(w.engine, "admin@example.org", "admin-pass-1", client="203.0.113.9",
                             now=t2).role == "admin"
    assert db.audit_log(w.engine, w.admin, action="user.unlock")[0]["email"] == "cli"


def test_a_generated_first_password_must_be_changed_like_a_reset(w):
    auth.add_user(w.engine, w.admin, email="new@example.org", role="viewer", password="handed-over-1", one_time=True)
    auth.add_user(w.engine, w.admin, email="own@example.org", role="viewer", password="chosen-by-them-1")
    assert auth.must_change_password(w.engine, "new@example.org")
    assert not auth.must_change_password(w.engine, "own@example.org")
    listed = {u["email"]: u["must_change_password"] for u in auth.list_users(w.engine, w.admin)}
    assert listed["new@example.org"] and not listed["own@example.org"]


def test_the_account_list_shows_a_running_lock_out(w):
    for _ in range(5):
        with pytest.raises(auth.AuthError):
            auth.authenticate(w.engine, "viewer@example.org", "guess", client="203.0.113.9")
    listed = {u["email"]: u["locked_until"] for u in auth.list_users(w.engine, w.admin)}
    assert isinstance(listed["viewer@example.org"], dt.datetime) and listed["focal@alpha.example"] is None
    accounts.unlock(w.engine, w.admin, "viewer@example.org")
    assert {u["email"]: u["locked_until"] for u in auth.list_users(w.engine, w.admin)}["viewer@example.org"] is None


def test_every_administration_action_is_a_command_too(w, db_url, monkeypatch, capsys):
    """`python -m mapping users ...`: what the Admin page does, from a shell on the server, audited as the
    operator; the way back in for an admin whom strangers keep locked out of the app."""
    from mapping.cli import main

    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)

    def run(*argv: str) -> tuple[int, str]:
        code = main(["users", *argv])
        out = capsys.readouterr()
        return code, out.out + out.err

    sid = live_session(w, w.focal_a)
    assert run("disable", "focal@alpha.example", "--reason", "left") == (
        0, "focal@alpha.example is disabled. 1 open session ended.\n")
    assert sessions.check(w.engine, sid) is None and auth.user_by_id(w.engine, w.focal_a.user_id) is None
    assert run("enable", "focal@alpha.example") == (0, "focal@alpha.example can sign in again.\n")
    assert run("role", "viewer@example.org", "--role", "focal_point", "--org", "BRA") == (
        0, "viewer@example.org is now focal point for Bravo Aid.\n")
    assert (auth.user_by_id(w.engine, w.viewer.user_id).org_name) == "Bravo Aid"

    for _ in range(5):  # a stranger locks the admin's e-mail from their address
        with pytest.raises(auth.AuthError):
            auth.authenticate(w.engine, "admin@example.org", "guess", client="203.0.113.9")
    assert auth.locked_until(w.engine, "admin@example.org") is not None
    assert run("unlock", "admin@example.org") == (0, "admin@example.org can try to sign in again from anywhere.\n")
    assert auth.locked_until(w.engine, "admin@example.org") is None
    code, said = run("reset-password", "admin@example.org")
    assert code == 0 and said.startswith("admin@example.org has a one-time password; it must be changed at the next "
                                         "sign-in.\nOne-time password: ")
    one_time = said.split("One-time password: ")[1].split(" ")[0]
    assert auth.authenticate(w.engine, "admin@example.org", one_time, client="203.0.113.9").role == "admin"
    assert auth.must_change_password(w.engine, "admin@example.org")

    # refusals: exit 2, the reason, nothing changed
    code, said = run("disable", "admin@example.org")
    assert code == 2 and said.startswith("admin@example.org is the last active admin")
    code, said = run("role", "focal@alpha.example", "--role", "admin", "--user", "focal@bravo.example")
    assert code == 2 and said.startswith("Only an admin can change roles")
    assert auth.user_by_id(w.engine, w.focal_a.user_id).role == "focal_point"
    code, said = run("unlock", "ghost@example.org")
    assert code == 2 and said.startswith("There is no account for ghost@example.org.")

    done = [(e["action"], e["email"]) for e in db.audit_log(w.engine, w.admin, object_type="user")][:6]
    assert done == [("user.reset_password", "cli"), ("user.unlock", "cli"), ("user.locked", "admin@example.org"),
                    ("user.role", "cli"), ("user.enable", "cli"), ("user.disable", "cli")]
