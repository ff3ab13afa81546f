"""Submit page, "Start from our IATI data": upload IATI, get the draft, upload the draft, confirm — no typing."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping import workflow
from mapping.store import auth, db, picture
from tests.factories.app import PASSWORD, USERS, module_deployment, use_deployment
from tests.factories.iati import activity, iati_file

ROOT = Path(__file__).resolve().parents[2]
IRP = "Indus Relief Partners"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    return module_deployment(tmp_path_factory.mktemp("iati_page"), shared_boundaries,
                             admin_email="sec@iatipage.test", admin_password="iati-page-admin")


@pytest.fixture
def app_env(_isolated_dirs, deployment, monkeypatch):
    return use_deployment(deployment, monkeypatch)


def published() -> bytes:
    return iati_file(
        activity("XM-FICT-7-01", reporting=("XM-FICT-7", "IRP Pakistan"), locations=({"code": "PK617"},),
                 budgets=(("2026-07-01", "2026-12-31", 40000, None, "1"),)),
        activity("XM-FICT-7-02", reporting=("XM-FICT-7", "IRP Pakistan"), locations=({"pos": "34.0 71.55"},),
                 sectors=(("1", "14031", None),), status="1"),
        activity("XM-FICT-7-03", reporting=("XM-FICT-7", "IRP Pakistan"), countries=(("AF", None),)),
    )


def test_focal_point_goes_from_an_iati_file_to_an_accepted_return(app_env):
    focal = auth.authenticate(db.connect(), USERS["focal_point"][0], PASSWORD)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["actor"] = focal
    at.run()
    at.switch_page("pages/submit.py")
    at.run()
    at.file_uploader(key="iati_upload").set_value(("irp.xml", published(), "application/xml")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("2 of 3 IATI activities became 2 draft rows" in s.value for s in at.success)
    assert "Download the draft return" in [b.label for b in at.get("download_button")]
    notes = at.dataframe[0].value
    assert list(notes["IATI activity"]) == ["XM-FICT-7-02", "XM-FICT-7-03"]  # no budget; another country

    _, draft = workflow.iati_draft(db.connect(), published(), "irp.xml", org=IRP)  # what the button holds
    returns = [u for u in at.file_uploader if u.key != "iati_upload"]
    returns[0].set_value(("irp_draft.xlsx", draft, "application/octet-stream")).run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Rows accepted"], metrics["Errors"]) == ("2", "2", "0")
    confirm = next(b for b in at.button if b.label.startswith("Confirm and submit 2 activities"))
    confirm.click().run()
    assert any("now show it" in s.value for s in at.success)
    mine = picture.current_activities(db.connect(), focal)
    mine = mine[mine["org_name"] == IRP]
    assert sorted(mine["adm2_pcode"]) == ["PK528", "PK617"]
    assert set(mine["activity_id"]) == {"XM-FICT-7-01", "XM-FICT-7-02"}
