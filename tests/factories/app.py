"""A small, fully known deployment for the app tests: three organisations, their accounts, their returns.

Built through the real set-up and upload path (workflow.setup, workflow.submit_file) so the pages see exactly
what a deployment holds. One organisation has markup in its name to prove the pages show it as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streamlit.testing.v1 import AppTest

from mapping import workflow
from mapping.store import auth, db, registry
from tests.factories.returns import template_return

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "app-tests-pass"
ORGS = [
    {"name": "Indus Relief Partners", "acronym": "IRP", "type": "National NGO"},
    {"name": "Khyber *Care* <b>Trust</b>", "acronym": "KCT", "type": "National NGO"},
    {"name": "Sindh Futures Fund", "acronym": "SFF", "type": "Donor"},
]
USERS = {
    "admin": ("admin@app.test", None),
    "viewer": ("viewer@app.test", None),
    "focal_point": ("focal@irp.test", "Indus Relief Partners"),
    "focal_point_2": ("focal@kct.test", "Khyber *Care* <b>Trust</b>"),
}
RETURNS = {
    "Indus Relief Partners": [
        {"org_name": "IRP", "sector": "Health", "subsector": "Primary health care", "activity": "Mobile clinics",
         "adm1_name": "Punjab", "adm2_name": "D.G Khan", "status": "ongoing", "start_date": "01/02/2026",
         "targeted": 12500, "org_funder": "Sindh Futures Fund"},
        {"org_name": "IRP", "sector": "Nutrition", "activity": "OTP sites", "adm1_name": "Sindh",
         "adm2_name": "Nawabshah", "status": "planned", "start_date": "01/03/2026"},
        {"org_name": "IRP", "sector": "Health", "activity": "Province-wide training", "adm1_name": "Sindh",
         "status": "planned", "scope": "province"},
    ],
    "Khyber *Care* <b>Trust</b>": [
        {"org_name": "KCT", "sector": "Health", "subsector": "Primary health care", "activity": "Clinics",
         "adm1_name": "Punjab", "adm2_name": "Dera Ghazi Khan", "status": "ongoing", "start_date": "01/01/2026",
         "targeted": 3000},
        {"org_name": "KCT", "sector": "Education", "activity": "School kits", "adm1_name": "Punjab",
         "adm2_name": "Lahore", "status": "ongoing", "start_date": "01/01/2026"},
    ],
}


def return_bytes(rows: list[dict]) -> bytes:
    """A return as a focal point would fill it: canonical headers in row 1, one activity per row."""
    return template_return(rows, hxl=False)


def build_deployment(*, public: bool = True) -> dict:
    """Set up the database named by the environment and fill it; returns what the tests need to know."""
    info = workflow.setup(demo=False)
    engine = db.connect()
    admin = workflow.SYSTEM
    for org in ORGS:
        registry.add_org(engine, admin, org["name"], acronym=org["acronym"], org_type=org["type"])
    for role, (email, org) in USERS.items():
        auth.add_user(engine, admin, email=email, role=role.removesuffix("_2"), org=org, password=PASSWORD)
    outcomes = {}
    for org, rows in RETURNS.items():
        outcome = workflow.submit_file(engine, admin, return_bytes(rows), f"{org[:3]}.xlsx", org=org)
        assert outcome.status == "stored", outcome.message
        outcomes[org] = outcome.outcomes[0]  # the one organisation's outcome (submission_id …)
    if public:
        db.set_setting(engine, admin, "public_view", "1")
    return {"info": info, "outcomes": outcomes}


def module_deployment(base, shared_boundaries, *, admin_email: str, admin_password: str) -> dict:
    """A deployment in its own folder, built once per test module: its settings and what build_deployment says."""
    import pytest

    env = {
        "STOCKTAKE_DATABASE_URL": f"sqlite:///{base / 'stocktake.db'}",
        "STOCKTAKE_SHAPEFILES_DIR": str(base / "shapefiles"),
        "STOCKTAKE_DATA_DIR": str(base / "data"),
        "STOCKTAKE_BOUNDARIES_FROM": str(shared_boundaries),
        "STOCKTAKE_ADMIN_EMAIL": admin_email,
        "STOCKTAKE_ADMIN_PASSWORD": admin_password,
        "STOCKTAKE_TILES": "none",
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
        built = build_deployment(public=True)
    return {"env": env, "base": base, **built}


@contextmanager
def deployment_settings(deployment: dict) -> Iterator[None]:
    """A module's deployment as the settings of a block: a module fixture fills it there (it has no monkeypatch)."""
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        for k, v in deployment["env"].items():
            mp.setenv(k, v)
        yield


def use_deployment(deployment: dict, monkeypatch) -> dict:
    """Point this test's settings at a module's deployment (its database, boundaries and data folder)."""
    for k, v in deployment["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
    return deployment


def offered_downloads(monkeypatch) -> dict[str, bytes]:
    """The bytes behind every download button the pages draw from now on, by widget key: AppTest shows a button
    but not its file, so the pages' one way to offer a file (views.render.download) is watched."""
    from views import render

    offered: dict[str, bytes] = {}
    shown = render.download

    def keep(label, data, file_name, mime, *, key, help=None):
        offered[key] = data
        return shown(label, data, file_name, mime, key=key, help=help)

    monkeypatch.setattr(render, "download", keep)
    return offered


def open_page(actor: db.Actor, page: str) -> AppTest:
    """The app signed in as `actor`, switched to `page` (e.g. "pages/submit.py") and run once."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["actor"] = actor
    at.run()
    at.switch_page(page)
    return at.run()
