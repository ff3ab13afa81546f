"""Sign-in: argon2 hashes, lock-out after five wrong passwords, the first admin, e-mail mapping for OIDC."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mapping.store import auth, db
from mapping.store import models as m
from tests.factories.store import ORG_A, fast_hashing, world


@pytest.fixture
def fast(monkeypatch):
    fast_hashing(monkeypatch)


def test_password_sign_in_returns_the_person_with_role_and_organisation(db_url):
    w = world(db_url)
    actor = auth.authenticate(w.engine, "  FOCAL@alpha.example ", "alpha-pass-1")
    assert (actor.email, actor.role, actor.org_name, actor.org_id) == (
        "focal@alpha.example", "focal_point", ORG_A, w.focal_a.org_id)
    with pytest.raises(auth.AuthError, match=r"^Wrong e-mail or password\.$"):
        auth.authenticate(w.engine, "focal@alpha.example", "alpha-pass-2")
    with pytest.raises(auth.AuthError, match=r"^Wrong e-mail or password\.$"):
        auth.authenticate(w.engine, "nobody@alpha.example", "alpha-pass-1")
    with w.engine.connect() as conn:
        stored = conn.execute(select(m.users.c.password_hash).where(m.users.c.email == "focal@alpha.example")).scalar()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and "alpha-pass-1" not in stored


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(fast, db_url):
    w = world(db_url)
    t0 = dt.datetime(2026, 11, 23, 10, 0)
    for _ in range(4):
        with pytest.raises(auth.AuthError, match="Wrong e-mail or password"):
            auth.authenticate(w.engine, "viewer@example.org", "guess", now=t0)
    with pytest.raises(auth.AuthError, match="is now locked for 15 minutes, until 10:15 UTC"):
        auth.authenticate(w.engine, "viewer@example.org", "guess", now=t0)
    # the right password is refused while locked, and the message says when to retry
    with pytest.raises(auth.AuthError, match=r"Too many failed sign-ins for viewer@example.org. Try again after "
                                             r"10:15 UTC \(in about 5 minutes\)"):
        auth.authenticate(w.engine, "viewer@example.org", "viewer-pass-1", now=t0 + dt.timedelta(minutes=10))
    actor = auth.authenticate(w.engine, "viewer@example.org", "viewer-pass-1", now=t0 + dt.timedelta(minutes=16))
    assert actor.role == "viewer"
    [entry] = db.audit_log(w.engine, w.admin, action="user.locked")
    assert entry["email"] == "viewer@example.org" and entry["detail"]["failures"] == 5
    # other accounts are unaffected; a success resets the counter
    assert auth.authenticate(w.engine, "admin@example.org", "admin-pass-1", now=t0).role == "admin"


def test_admin_resets_a_password_and_lifts_the_lock(fast, db_url):
    w = world(db_url)
    t0 = dt.datetime(2026, 11, 23, 10, 0)
    for _ in range(5):
        with pytest.raises(auth.AuthError):
            auth.authenticate(w.engine, "focal@bravo.example", "guess", now=t0)
    with pytest.raises(db.PermissionDenied, match="Only an admin can change another person's password"):
        auth.set_password(w.engine, w.focal_a, "focal@bravo.example", "new-pass-123")
    with pytest.raises(db.StoreError, match="too short"):
        auth.set_password(w.engine, w.admin, "focal@bravo.example", "short")
    auth.set_password(w.engine, w.admin, "focal@bravo.example", "new-pass-123")
    assert auth.authenticate(w.engine, "focal@bravo.example", "new-pass-123", now=t0).org_name == "Bravo Aid"


def test_first_start_creates_the_admin_from_the_environment(fast, db_url, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_ADMIN_EMAIL", "Secretariat@Example.org")
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "from-env-pass")
    engine = db.connect(db_url)
    assert auth.ensure_admin(engine) is None
    assert auth.authenticate(engine, "secretariat@example.org", "from-env-pass").role == "admin"
    assert auth.ensure_admin(engine) is None  # once only
    assert len(auth.list_users(engine, db.CLI_ADMIN)) == 1


def test_first_start_without_settings_returns_a_one_time_password(fast, db_url, monkeypatch):
    monkeypatch.delenv("STOCKTAKE_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("STOCKTAKE_ADMIN_PASSWORD", raising=False)
    engine = db.connect(db_url)
    password = auth.ensure_admin(engine)
    assert password and len(password) >= 12
    assert auth.authenticate(engine, "admin@localhost", password).role == "admin"
    assert auth.ensure_admin(engine) is None


def test_oidc_email_maps_to_an_account_and_roles_are_checked(fast, db_url):
    w = world(db_url)
    assert auth.user_for_email(w.engine, "Focal@Bravo.example").org_name == "Bravo Aid"
    assert auth.user_for_email(w.engine, "stranger@example.org") is None
    uid = auth.add_user(w.engine, w.admin, email="sso@example.org", role="viewer")  # no password: OIDC only
    assert auth.user_for_email(w.engine, "sso@example.org").user_id == uid
    with pytest.raises(auth.AuthError, match="Wrong e-mail or password"):
        auth.authenticate(w.engine, "sso@example.org", "")
    with pytest.raises(db.StoreError, match="A focal point belongs to an organisation"):
        auth.add_user(w.engine, w.admin, email="f@example.org", role="focal_point", password="long-enough")
    with pytest.raises(db.StoreError, match="Unknown role 'superuser'"):
        auth.add_user(w.engine, w.admin, email="f@example.org", role="superuser", password="long-enough")
    with pytest.raises(db.StoreError, match="An account for admin@example.org already exists"):
        auth.add_user(w.engine, w.admin, email="ADMIN@example.org", role="viewer", password="long-enough")
    with pytest.raises(db.PermissionDenied, match="Only an admin can list accounts"):
        auth.list_users(w.engine, w.viewer)
    emails = [u["email"] for u in auth.list_users(w.engine, w.admin)]
    assert emails == sorted(emails) and "sso@example.org" in emails


def test_unknown_e_mails_are_locked_out_like_accounts_with_the_same_messages(fast, db_url):
    w = world(db_url)
    t0 = dt.datetime(2026, 11, 23, 10, 0)

    def attempts(email: str, at: dt.datetime, n: int = 5) -> list[str]:
        out = []
        for _ in range(n):
            with pytest.raises(auth.AuthError) as err:
                auth.authenticate(w.engine, email, "guess", now=at)
            out.append(str(err.value).replace(email.strip().lower(), "EMAIL"))
        return out

    real, ghost = attempts("viewer@example.org", t0), attempts("  Ghost@Example.org ", t0)
    assert ghost == real == ["Wrong e-mail or password."] * 4 + [
        "Wrong e-mail or password. Sign-in for EMAIL is now locked for 15 minutes, until 10:15 UTC."]
    later = t0 + dt.timedelta(minutes=10)
    locked = "Too many failed sign-ins for EMAIL. Try again after 10:15 UTC (in about 5 minutes), or ask an admin " \
             "to reset the password."
    assert attempts("ghost@example.org", later, 1) == attempts("viewer@example.org", later, 1) == [locked]
    # the counter is per normalised e-mail (one for each of the two), holds no address, and another unknown
    # e-mail is unaffected
    with w.engine.connect() as conn:
        keys = list(conn.execute(select(m.sign_in_limits.c.email_key)).scalars())
    assert len(keys) == 2 and not any("ghost" in k or "viewer" in k for k in keys) and {len(k) for k in keys} == {64}
    assert attempts("other@example.org", later, 1) == ["Wrong e-mail or password."]
    # after the lock-out the count starts again: four more failures do not lock
    after = t0 + dt.timedelta(minutes=16)
    assert attempts("ghost@example.org", after, 4) == ["Wrong e-mail or password."] * 4
    assert attempts("ghost@example.org", after, 1)[0].startswith("Wrong e-mail or password. Sign-in for EMAIL is now")


def test_an_account_created_for_a_locked_unknown_e_mail_signs_in(fast, db_url):
    w = world(db_url)
    t0 = dt.datetime(2026, 11, 23, 10, 0)
    for _ in range(5):
        with pytest.raises(auth.AuthError):
            auth.authenticate(w.engine, "new@example.org", "guess", now=t0)
    auth.add_user(w.engine, w.admin, email="new@example.org", role="viewer", password="new-pass-12")
    assert auth.authenticate(w.engine, "new@example.org", "new-pass-12", now=t0).email == "new@example.org"


def test_people_change_their_own_password_knowing_the_current_one(fast, db_url):
    w = world(db_url)
    with pytest.raises(auth.AuthError, match=r"^Your current password was not accepted\. Wrong e-mail or password"):
        auth.change_own_password(w.engine, w.focal_a, current="not-it", new="brand-new-pass")
    with pytest.raises(db.StoreError, match="too short: use at least 8 characters"):
        auth.change_own_password(w.engine, w.focal_a, current="alpha-pass-1", new="short")
    auth.change_own_password(w.engine, w.focal_a, current="alpha-pass-1", new="brand-new-pass")
    assert auth.authenticate(w.engine, "focal@alpha.example", "brand-new-pass").org_name == ORG_A
    with pytest.raises(auth.AuthError, match="Wrong e-mail or password"):
        auth.authenticate(w.engine, "focal@alpha.example", "alpha-pass-1")
    [entry] = db.audit_log(w.engine, w.admin, action="user.password")
    assert (entry["email"], entry["detail"]["email"]) == ("focal@alpha.example", "focal@alpha.example")


def test_users_password_command_for_oneself_or_as_an_admin(fast, db_url, monkeypatch, capsys):
    from mapping.cli import main

    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    w = world(db_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["users", "password", *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("--user", "focal@alpha.example", "--password", "alpha-pass-2")
    assert code == 0 and out == "Password changed for focal@alpha.example; any sign-in lock-out is lifted.\n"
    assert auth.authenticate(w.engine, "focal@alpha.example", "alpha-pass-2").role == "focal_point"
    code, _, err = run("viewer@example.org", "--user", "focal@alpha.example", "--password", "taken-over-1")
    assert code == 2 and err.startswith("Only an admin can change another person's password")
    assert auth.authenticate(w.engine, "viewer@example.org", "viewer-pass-1").role == "viewer"
    code, out, _ = run("viewer@example.org", "--user", "admin@example.org", "--password", "viewer-pass-2")
    assert code == 0 and out.endswith("for viewer@example.org (by admin@example.org); any sign-in lock-out is lifted.\n")
    assert auth.authenticate(w.engine, "viewer@example.org", "viewer-pass-2").role == "viewer"
    code, _, err = run("viewer@example.org", "--password", "short")
    assert code == 2 and "too short" in err
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = run("viewer@example.org")
    assert code == 2 and err == "No new password given. Run it in a terminal to type it, or pass --password P.\n"
