"""Reminder e-mails to the focal points of organisations that have not reported in a round.

The secretariat chases missing returns by e-mail; doing it from Stocktake means the list is the round's own
(carried forward, rejected or nothing at all) and the deadline is the one focal points see on their Submit page.
Sent through the deployment's SMTP server (the STOCKTAKE_SMTP_HOST settings); each send is audited by the caller.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from mapping import config
from mapping.errors import StocktakeError
from mapping.store.reporting import OrgReport, RoundStatus, day


class MailError(StocktakeError):
    """No mail server is configured, or it refused the messages."""


@dataclass(frozen=True)
class Reminder:
    org: str
    to: tuple[str, ...]
    subject: str
    body: str


@dataclass(frozen=True)
class SendResult:
    sent: list[Reminder]
    skipped: list[str]  # organisations with no focal point e-mail to write to

    def sentence(self) -> str:
        text = f"Sent {len(self.sent)} reminder{'s' * (len(self.sent) != 1)}"
        if self.sent:
            text += f" ({', '.join(r.org for r in self.sent)})"
        if self.skipped:
            text += f"; no focal point e-mail for {', '.join(self.skipped)}"
        return text + "."


def compose(status: RoundStatus, *, app_url: str | None = None, title: str | None = None) -> list[Reminder]:
    """One reminder per organisation still missing in the round, addressed to its focal points."""
    out = []
    for org in status.missing:
        if not org.focal_points:
            continue
        out.append(Reminder(org.org, org.focal_points, _subject(status, title), _body(status, org, app_url)))
    return out


def _subject(status: RoundStatus, title: str | None) -> str:
    due = f" by {day(status.deadline)}" if status.deadline else ""
    return f"{title or config.title()}: your return for {status.round_name} is due{due}"


def _body(status: RoundStatus, org: OrgReport, app_url: str | None) -> str:
    why = {"carried": f"Stocktake still shows {org.org}'s return from {org.carried_from}, carried forward.",
           "rejected": f"Your last upload was rejected on {day(org.rejected_at)} with {org.rejected_errors} "
                       "error(s); nothing from it was stored.",
           "none": f"We have not received a return from {org.org} yet."}.get(org.state, "")
    if org.state == "carried" and org.rejected_at is not None:
        why += (f" Your upload of {day(org.rejected_at)} was rejected with {org.rejected_errors} error(s); "
                "the report on the Submit page says what to fix.")
    due = f" by {day(status.deadline)}" if status.deadline else " as soon as you can"
    where = f"\n\nSubmit it here: {app_url}" if app_url else ""
    return (f"Dear focal point of {org.org},\n\n{why} Please submit your return for {status.round_name}{due}: "
            "download the pre-filled template on the Submit page, update it, and upload it back."
            f"{where}\n\nThank you,\nThe coordination secretariat\n")


def send(reminders: list[Reminder], status: RoundStatus, *, settings: dict | None = None) -> SendResult:
    """Send the reminders through the configured SMTP server, one message per organisation."""
    settings = settings or config.smtp()
    if not settings:
        raise MailError("No mail server is configured, so no reminder was sent.",
                        hint="Set STOCKTAKE_SMTP_HOST (and STOCKTAKE_SMTP_FROM, _USER, _PASSWORD as needed).")
    if not settings.get("sender"):
        raise MailError("Reminders need a sender address.", hint="Set STOCKTAKE_SMTP_FROM.")
    skipped = [o.org for o in status.missing if not o.focal_points]
    if not reminders:
        return SendResult([], skipped)
    try:
        with _connect(settings) as smtp:
            for r in reminders:
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = settings["sender"], ", ".join(r.to), r.subject
                msg.set_content(r.body)
                smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"The mail server {settings['host']}:{settings['port']} did not take the reminders "
                        f"({exc.__class__.__name__}: {exc}).",
                        hint="Check the SMTP settings, STOCKTAKE_SMTP_HOST and the rest and that the server answers.") from exc
    return SendResult(list(reminders), skipped)


def _connect(settings: dict) -> smtplib.SMTP:
    host, port, security = settings["host"], int(settings["port"]), settings.get("security", "starttls")
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=30)
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.get("user") and settings.get("password"):
        smtp.login(settings["user"], settings["password"])
    return smtp


def missing_csv(status: RoundStatus) -> bytes:
    """The organisations still to report, with their standing and focal points' e-mails (personal data)."""
    import csv
    import io

    from mapping.outputs.export import safe_cell

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["Organisation", "Standing", "Focal point e-mails", "Round", "Deadline"])
    for o in status.missing:
        writer.writerow([safe_cell(o.org), safe_cell(o.label()), safe_cell("; ".join(o.focal_points)),
                         safe_cell(status.round_name or ""), day(status.deadline)])
    return buf.getvalue().encode("utf-8-sig")
