"""Who has reported in a round, the round's deadline and an organisation's timeline (issue 20)."""

from __future__ import annotations

import datetime as dt

import pytest

from mapping.store import db, registry, reporting, submissions
from tests.factories.store import ORG_A, ORG_B, activity, fast_hashing, result, submit, world


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


def test_a_new_round_tells_reported_carried_rejected_and_silent_apart(db_url):
    w = world(db_url)
    registry.add_org(w.engine, w.admin, "Charlie Care", acronym="CHC")
    assert submit(w, w.focal_a, ORG_A, result(activity(1), activity(2))).status == "stored"
    assert submit(w, w.focal_b, ORG_B, result(activity(3, ORG_B))).status == "stored"
    registry.add_round(w.engine, w.admin, "2026 H2", "2026-07-01", "2026-12-31")
    reporting.set_deadline(w.engine, w.admin, "2026 H2", "2026-12-15")
    status = reporting.round_status(w.engine, w.admin, "2026 H2")
    assert [(o.org, o.state) for o in status.orgs] == [("Alpha Relief", "carried"), ("Bravo Aid", "carried"),
                                                       ("Charlie Care", "none")]
    assert status.orgs[0].label() == "carried forward from 2026 H1"
    assert status.sentence() == ("0 of 3 organisations have reported in 2026 H2; 2 are carried forward from "
                                 "2026 H1; 1 has sent nothing. Deadline: 15 Dec 2026.")
    # Alpha reports; Bravo's return is rejected (it keeps its carried data, and the rejection is said)
    assert submit(w, w.focal_a, ORG_A, result(activity(1)), round_name="2026 H2").status == "stored"
    rejected = submit(w, w.focal_b, ORG_B, result(activity(3, ORG_B), errors=4), round_name="2026 H2")
    assert rejected.status == "rejected"
    status = reporting.round_status(w.engine, w.admin, "2026 H2")
    alpha, bravo, charlie = status.orgs
    assert (alpha.state, bravo.state, charlie.state) == ("reported", "carried", "none")
    assert alpha.label().startswith("reported ") and alpha.label()[9:].strip()
    assert bravo.label().startswith("carried forward from 2026 H1; rejected on ") and bravo.label().endswith(
        " — 4 errors")
    # focal points' e-mails are for the secretariat only
    assert bravo.focal_points == ("focal@bravo.example",)
    assert all(o.focal_points == () for o in reporting.round_status(w.engine, w.viewer, "2026 H2").orgs)
    assert [o.org for o in status.missing] == ["Bravo Aid", "Charlie Care"]
    # without carry-forward an organisation whose only return was rejected says so, not "not yet"
    registry.add_round(w.engine, w.admin, "2027 H1", "2027-01-01", "2027-06-30", carry_forward=False)
    submit(w, w.focal_b, ORG_B, result(activity(3, ORG_B), errors=1), round_name="2027 H1")
    bravo = next(o for o in reporting.round_status(w.engine, w.admin, "2027 H1").orgs if o.org == ORG_B)
    assert bravo.state == "rejected" and bravo.label().startswith("rejected on ") and bravo.label().endswith(
        " — 1 error")


def test_deadlines_are_admin_business_and_must_be_dates(db_url):
    w = world(db_url)
    assert reporting.deadline(w.engine, "2026 H1") is None
    with pytest.raises(db.PermissionDenied):
        reporting.set_deadline(w.engine, w.focal_a, "2026 H1", "2026-05-31")
    with pytest.raises(db.StoreError, match="The deadline '31/05/2026' is not a date; write it as YYYY-MM-DD"):
        reporting.set_deadline(w.engine, w.admin, "2026 H1", "31/05/2026")
    assert reporting.set_deadline(w.engine, w.admin, "2026 H1", "2026-05-31") == dt.date(2026, 5, 31)
    assert reporting.deadline(w.engine, "2026 H1") == ("2026 H1", dt.date(2026, 5, 31))
    assert registry.list_rounds(w.engine)[0]["deadline"] == dt.date(2026, 5, 31)


def test_an_organisations_timeline_says_who_did_what_and_what_changed(db_url):
    w = world(db_url)
    first = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2), activity(3)))
    submit(w, w.focal_a, ORG_A, result(activity(1), errors=2), filename="bad.xlsx")
    second = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2, status="completed"), activity(4)),
                    filename="second.xlsx")
    submissions.rollback(w.engine, w.admin, second.submission_id, reason="wrong file")
    with pytest.raises(db.PermissionDenied):
        reporting.timeline(w.engine, w.focal_a, ORG_A)
    entries = reporting.timeline(w.engine, w.admin, ORG_A)
    assert [(e.submission_id, e.status, e.submitted_by) for e in entries] == [
        (first.submission_id, "accepted", "focal@alpha.example"),
        (first.submission_id + 1, "rejected", "focal@alpha.example"),
        (second.submission_id, "rolled_back", "focal@alpha.example")]
    assert entries[0].what() == "accepted (current): 3 activities (3 new, 0 changed, 0 ended)"
    assert entries[1].what() == "rejected: 2 errors, nothing stored"
    assert entries[2].what().startswith("rolled back by admin@example.org on ")
    assert entries[2].what().endswith(": 3 activities (1 new, 1 changed, 1 ended)")


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Keep(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()


def test_reminders_reach_the_focal_points_of_missing_organisations(db_url, monkeypatch, capsys, tmp_path,
                                                                   smtp_server):
    from mapping.cli import main

    port, received = smtp_server
    w = world(db_url)
    registry.add_org(w.engine, w.admin, "Charlie Care", acronym="CHC")  # no focal point: cannot be written to
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    assert submit(w, w.focal_a, ORG_A, result(activity(1))).status == "stored"
    submit(w, w.focal_b, ORG_B, result(activity(3, ORG_B), errors=4))
    assert main(["rounds", "deadline", "2026 H1", "2026-06-15"]) == 0
    assert "Returns for 2026 H1 are due by 15 Jun 2026." in capsys.readouterr().out
    # without a mail server nothing is sent, and the message says which setting to set
    assert main(["rounds", "remind", "2026 H1"]) != 0
    assert "STOCKTAKE_SMTP_HOST" in capsys.readouterr().err
    for k, v in {"STOCKTAKE_SMTP_HOST": "127.0.0.1", "STOCKTAKE_SMTP_PORT": str(port),
                 "STOCKTAKE_SMTP_SECURITY": "none", "STOCKTAKE_SMTP_FROM": "secretariat@3w.example"}.items():
        monkeypatch.setenv(k, v)
    assert main(["rounds", "status", "2026 H1", "--missing", "--csv", str(tmp_path / "missing.csv")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 of 3 organisations have reported in 2026 H1; 1 had their return rejected; 1 has "
                          "sent nothing. Deadline: 15 Jun 2026.")
    assert "focal@bravo.example" in out and "Alpha Relief" not in out
    lines = (tmp_path / "missing.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Organisation,Standing,Focal point e-mails,Round,Deadline"
    assert lines[1].startswith("Bravo Aid,rejected on ") and lines[1].endswith(
        " — 4 errors,focal@bravo.example,2026 H1,15 Jun 2026")
    assert lines[2] == "Charlie Care,not yet,,2026 H1,15 Jun 2026"
    assert main(["rounds", "remind", "2026 H1", "--url", "https://3w.example/Submit"]) == 0
    assert capsys.readouterr().out.strip() == ("Sent 1 reminder (Bravo Aid); no focal point e-mail for "
                                               "Charlie Care.")
    assert len(received) == 1
    mail = received[0]
    assert (mail["To"], mail["From"]) == ("focal@bravo.example", "secretariat@3w.example")
    assert mail["Subject"].endswith("your return for 2026 H1 is due by 15 Jun 2026")
    body = mail.get_payload()
    assert "rejected on" in body and "4 error(s)" in body and "https://3w.example/Submit" in body
    audit = [e for e in db.audit_log(w.engine, w.admin) if e["action"] == "round.remind"]
    assert audit and audit[0]["detail"]["to"] == {"Bravo Aid": ["focal@bravo.example"]}
    # the timeline command tells Bravo's story
    assert main(["orgs", "timeline", "Bravo Aid"]) == 0
    assert "rejected: 4 errors, nothing stored" in capsys.readouterr().out


def test_reference_list_organisations_are_not_chased_until_they_send_something(db_url):
    from sqlalchemy import update

    from mapping.store import models as m

    w = world(db_url)
    registry.add_org(w.engine, w.admin, "Starter List Org", acronym="SLO")
    with w.engine.begin() as conn:
        conn.execute(update(m.organisations).where(m.organisations.c.name == "Starter List Org")
                     .values(reporting=False))
    assert "Starter List Org" not in [o.org for o in reporting.round_status(w.engine, w.admin, "2026 H1").orgs]
    submit(w, w.admin, "Starter List Org", result(activity(1, "Starter List Org"), errors=1))
    assert "Starter List Org" in [o.org for o in reporting.round_status(w.engine, w.admin, "2026 H1").orgs]
