"""Where Stocktake keeps its files and which settings it reads from the environment.

Every setting lives here so that one test can check the README documents each of them.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Every environment variable the engine reads, with its meaning; README must list each one.
SETTINGS: dict[str, str] = {
    "STOCKTAKE_DATABASE_URL": "SQLAlchemy URL of the database (default: SQLite file data/stocktake.db)",
    "STOCKTAKE_DATA_DIR": "folder for the SQLite file, uploads and vocabularies (default: data/)",
    "STOCKTAKE_SHAPEFILES_DIR": "folder for boundary sets (default: shapefiles/)",
    "STOCKTAKE_BOUNDARIES_FROM": "local boundary files imported on first run instead of downloading",
    "STOCKTAKE_COUNTRY": "the deployment's country (ISO3 code or name): whose boundaries the first run downloads and "
                         "whose identity numbers are checked, until a boundary set names its country",
    "STOCKTAKE_MAX_UPLOAD_MB": "largest return accepted, in MB (default 20)",
    "STOCKTAKE_DATE_ORDER": "how ambiguous text dates are read: dmy (default) or mdy",
    "STOCKTAKE_ADMIN_EMAIL": "e-mail of the admin account created on first start",
    "STOCKTAKE_ADMIN_PASSWORD": "password of that admin (a one-time password is printed when unset)",
    "STOCKTAKE_PUBLIC_VIEW": "1/true lets visitors read the consolidated picture without signing in; 0/false keeps it off",
    "STOCKTAKE_TILES": "base map tiles: a folium tile name, a URL template, or 'none' for offline",
    "STOCKTAKE_TITLE": "title on the app and on PDF snapshots",
    "STOCKTAKE_SESSION_HOURS": "hours a browser stays signed in after its last use (default 12)",
    "STOCKTAKE_TEST_PG_URL": "PostgreSQL server used by the test suite",
    "STOCKTAKE_MAX_CONSOLIDATED_MB": "largest consolidated file an admin imports (a national 3W/5W), in MB (default 100)",
    "STOCKTAKE_MAX_CONSOLIDATED_CELLS": "most cells one sheet of an admin's consolidated file may hold (default 10000000)",
    "STOCKTAKE_SCREENSHOTS_DIR": "where the end-to-end test saves its screenshots (default: a temporary folder)",
    "STOCKTAKE_TEST_BOUNDARIES": "folder of the real boundaries the test suite uses (default ../shared/boundaries)",
    "STOCKTAKE_STRICT_VOCABULARY": "1 makes a sector or status not on the lists an error that blocks its row",
    "STOCKTAKE_PEOPLE_RETENTION_DAYS": "days a programme's hashed beneficiary list is kept (default 90)",
    "STOCKTAKE_PEOPLE_MIN_CELL": "people counts below this are suppressed in overlaps (default 10)",
    "STOCKTAKE_IATI_DATASTORE_URL": "IATI Datastore API base URL; when set, the Submit page can fetch a publisher's IATI data",
    "STOCKTAKE_IATI_API_KEY": "subscription key sent to the IATI Datastore API (Ocp-Apim-Subscription-Key)",
    "STOCKTAKE_SMTP_HOST": "mail server that sends reminders to focal points (unset: no e-mail is sent)",
    "STOCKTAKE_SMTP_PORT": "its port (default 587 with STARTTLS, 465 with SSL, else 25)",
    "STOCKTAKE_SMTP_USER": "account on the mail server, when it asks for one",
    "STOCKTAKE_SMTP_PASSWORD": "that account's password",
    "STOCKTAKE_SMTP_FROM": "sender address of the reminders (default: the SMTP user)",
    "STOCKTAKE_SMTP_SECURITY": "starttls (default), ssl or none",
    "STOCKTAKE_MAX_PEOPLE": "largest believable number of people in one activity (default 300000000)",
    "STOCKTAKE_MAX_BUDGET": "largest believable budget of one activity, in any currency (default 1e13)",
}


def env(name: str, default: str | None = None) -> str | None:
    """Read a documented setting; an undocumented name is a programming error."""
    if name not in SETTINGS:
        raise KeyError(f"{name} is not a documented setting; add it to mapping.config.SETTINGS")
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def data_dir() -> Path:
    return Path(env("STOCKTAKE_DATA_DIR", str(PROJECT_ROOT / "data")))


def shapefiles_dir() -> Path:
    return Path(env("STOCKTAKE_SHAPEFILES_DIR", str(PROJECT_ROOT / "shapefiles")))


def database_url() -> str:
    return env("STOCKTAKE_DATABASE_URL") or f"sqlite:///{data_dir() / 'stocktake.db'}"


def max_upload_bytes() -> int:
    return int(float(env("STOCKTAKE_MAX_UPLOAD_MB", "20")) * 1024 * 1024)


def _positive(name: str, default: float) -> float:
    """A numeric setting; a value that is not a positive number falls back to the default."""
    try:
        value = float(env(name, str(default)) or default)
    except ValueError:
        return default
    return value if value > 0 and value == value and value != float("inf") else default


def max_people() -> float:
    """Beneficiary counts above this are typing slips (1e308 people), refused row by row."""
    return _positive("STOCKTAKE_MAX_PEOPLE", 300_000_000)


def max_budget() -> float:
    return _positive("STOCKTAKE_MAX_BUDGET", 1e13)


def max_consolidated_bytes() -> int:
    """An admin's consolidated import (last year's national 5W) is far bigger than one partner's return."""
    return int(float(env("STOCKTAKE_MAX_CONSOLIDATED_MB", "100")) * 1024 * 1024)


def upload_limit(consolidated: bool = False) -> int:
    """The size cap for one upload: a focal point's return, or an admin's consolidated file."""
    return max_consolidated_bytes() if consolidated else max_upload_bytes()


def cell_limit(consolidated: bool = False) -> int | None:
    """The most cells one sheet may hold: None for a focal point's return (the reader's own cap, 2,000,000);
    an admin's national 5W (91,000 rows x 75 columns is 6.8 million cells) gets its own, larger cap."""
    return int(_positive("STOCKTAKE_MAX_CONSOLIDATED_CELLS", 10_000_000)) if consolidated else None


def date_order() -> str:
    order = (env("STOCKTAKE_DATE_ORDER", "dmy") or "dmy").lower()
    return order if order in ("dmy", "mdy") else "dmy"


def shared_boundaries_dir() -> Path:
    """The read-only boundary copy that sits beside the project on development machines."""
    return PROJECT_ROOT.parent / "shared" / "boundaries"


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def public_view_setting() -> bool | None:
    """STOCKTAKE_PUBLIC_VIEW as said: True, False, or None when unset (or unreadable: then the database decides)."""
    value = (env("STOCKTAKE_PUBLIC_VIEW") or "").strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def public_view() -> bool:
    return bool(public_view_setting())


def title() -> str:
    return env("STOCKTAKE_TITLE", "Stocktake: who does what where") or "Stocktake"


def tiles() -> str:
    return env("STOCKTAKE_TILES", "OpenStreetMap") or "OpenStreetMap"


def people_retention_days() -> int:
    """How long hashed beneficiary lists are kept; at least one day."""
    return max(1, int(float(env("STOCKTAKE_PEOPLE_RETENTION_DAYS", "90") or 90)))


def people_min_cell() -> int:
    """The small-cell threshold of people overlaps: counts from 1 to this minus one are not shown."""
    return max(2, int(float(env("STOCKTAKE_PEOPLE_MIN_CELL", "10") or 10)))


def iati_datastore_url() -> str | None:
    return env("STOCKTAKE_IATI_DATASTORE_URL")


def iati_api_key() -> str | None:
    return env("STOCKTAKE_IATI_API_KEY")


def strict_vocabulary() -> bool:
    """Off-list sectors and statuses block their rows (the behaviour before values could be mapped once)."""
    return (env("STOCKTAKE_STRICT_VOCABULARY", "0") or "0").lower() in ("1", "true", "yes")


def smtp() -> dict | None:
    """The mail server settings, or None when no server is configured (reminders are then not sent)."""
    host = env("STOCKTAKE_SMTP_HOST")
    if not host:
        return None
    security = (env("STOCKTAKE_SMTP_SECURITY", "starttls") or "starttls").lower()
    default_port = {"ssl": 465, "starttls": 587}.get(security, 25)
    user = env("STOCKTAKE_SMTP_USER")
    return {"host": host, "port": int(env("STOCKTAKE_SMTP_PORT", str(default_port)) or default_port),
            "user": user, "password": env("STOCKTAKE_SMTP_PASSWORD"), "security": security,
            "sender": env("STOCKTAKE_SMTP_FROM") or user}
