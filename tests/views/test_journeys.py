"""The three journeys of issue 20 walked with AppTest: group member, focal point, secretariat.

Each test reproduces one thing a user met (a crash, a silent replacement, a misleading word) on a small
deployment built through the real upload path (tests/factories/app.py).
"""

from __future__ import annotations

import pytest

from mapping import workflow
from mapping.store import db
from tests.factories.app import module_deployment, return_bytes
from tests.views.test_app import IRP, actor_for, problems, start
from views.core import esc as core_esc


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    return module_deployment(tmp_path_factory.mktemp("journeys"), shared_boundaries,
                             admin_email="secretariat@journeys.test", admin_password="journeys-admin")


@pytest.fixture
def app_env(_isolated_dirs, deployment, monkeypatch):
    for k, v in deployment["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
    return deployment


@pytest.mark.parametrize("kind", ["Partner × district", "Sector × district", "Partner × sector"])
def test_every_matrix_swaps_rows_and_columns(app_env, kind):
    at = start(actor_for("viewer"), "matrices")
    at.radio(key="mx_kind").set_value(kind).run()
    before = at.dataframe[0].value
    at.toggle(key="mx_transpose").set_value(True).run()
    assert problems(at) == []
    after = at.dataframe[0].value
    # what ran down the side now runs across, and the grand total is the same
    assert len(after.columns) == len(before.index) and len(after.index) == len(before.columns)
    assert list(after.columns)[0] == "Total"
    total_row = next(ix for ix in before.index if "Total" in (ix if isinstance(ix, tuple) else (ix,)))
    assert int(after.loc["Total", "Total"]) == int(before.loc[total_row, "Total"]) > 0
    if kind.endswith("district"):  # a district across the top is named with its province
        assert "Lahore (Punjab)" in list(after.columns)


def test_review_queue_preselects_the_suggestion_or_nothing(app_env):
    engine = db.connect()
    rows = [{"org_name": "SFF", "sector": "Health", "activity": "Clinic support", "adm1_name": "Punjab",
             "adm2_name": "Dera Ghazi Khan Sadar", "status": "ongoing"},
            {"org_name": "SFF", "sector": "Health", "activity": "Outreach", "adm1_name": "Punjab",
             "adm2_name": "Qqxv Zzyx", "status": "ongoing"}]
    outcome = workflow.submit_file(engine, workflow.SYSTEM, return_bytes(rows), "sff.xlsx",
                                   org="Sindh Futures Fund", reject_whole=True)  # else the rows wait for review
    assert outcome.status == "rejected"
    at = start(actor_for("admin"), "admin")
    at.button_group(key="admin_section").set_value("Review place names").run()
    at.selectbox(key="review_name").set_value("Dera Ghazi Khan Sadar").run()
    assert problems(at) == []
    assert at.selectbox(key="review_pcode").value == "PK607"  # what the gazetteer suggested, not the first district
    at.selectbox(key="review_name").set_value("Qqxv Zzyx").run()
    assert at.selectbox(key="review_pcode").value is None  # no suggestion: nothing picked for the admin
    assert next(b for b in at.button if b.label == "Learn").disabled
    at.selectbox(key="review_name").set_value("Dera Ghazi Khan Sadar").run()
    assert at.selectbox(key="review_pcode").value == "PK607"


def test_confirm_step_says_which_activities_a_partial_return_drops(app_env):
    from tests.factories.app import RETURNS

    at = start(actor_for("focal_point"), "submit")
    mobile_clinics_only = [RETURNS[IRP][0]]
    at.file_uploader(key="upload_0").set_value(("partial.xlsx", return_bytes(mobile_clinics_only), "application/octet-stream"))
    at.run()
    assert problems(at) == []
    said = [w.value for w in at.warning if "This replaces" in w.value]
    assert len(said) == 1, [w.value for w in at.warning]
    assert said[0].startswith("This replaces the 3 current activities of Indus Relief Partners: 1 kept or changed, "
                              "none new, 2 will disappear (")
    assert "OTP sites in" in said[0] and "Province-wide training in Sindh" in said[0]
    assert any(e.label == "Activities that will disappear (2)" for e in at.expander)
    # the rule is the same words the template and the pre-filled download say
    from mapping.returns.schema import REPLACEMENT_RULE
    assert any(c.value == core_esc(REPLACEMENT_RULE) for c in at.caption)


def test_gaps_ranked_by_need_show_the_need_first_and_say_why(app_env):
    at = start(actor_for("viewer"), "gaps")
    first = at.dataframe[0].value
    assert list(first.columns)[0] == "District"
    assert any("Listed by province" in c.value for c in at.caption)
    provinces = list(first["Province"])
    assert provinces == sorted(provinces)  # "listed by province" is what it does
    csv = b"adm2_pcode,people_in_need\nPK101,90000\nPK607,50000\nPK617,1000\n"
    at.file_uploader(key="need_upload").set_value(("need.csv", csv, "text/csv")).run()
    assert problems(at) == []
    top = at.dataframe[0].value
    assert list(top.columns)[:2] == ["Need", "District"]
    assert list(top["Need"][:2]) == [90000, 50000]
    assert any("Ranked by need (“people\\_in\\_need”), highest first" in c.value for c in at.caption)
    assert any(c.value.startswith("0 pairs of programmes between organisations") for c in at.caption)
    assert at.radio(key="gaps_programme_pairs").options == ["between organisations", "within one organisation",
                                                            "between or within organisations"]


def test_the_secretariat_finds_the_need_indicator_on_the_gaps_page(app_env):
    at = start(actor_for("admin"), "gaps")
    assert problems(at) == []
    assert any(e.label == "Need indicator (ranks the gaps for everyone)" for e in at.expander)
    assert "need_admin_upload" in [u.key for u in at.file_uploader]
    viewer = start(actor_for("viewer"), "gaps")
    assert "need_admin_upload" not in [u.key for u in viewer.file_uploader]


def test_the_report_says_column_r_and_writes_dates_as_the_messages_do(app_env):
    import datetime as dt

    at = start(actor_for("focal_point"), "submit")
    row = {"org_name": "IRP", "sector": "Health", "activity": "Clinics", "adm1_name": "Punjab",
           "adm2_name": "Lahore", "status": "ongoing", "start_date": dt.date(2025, 6, 1),
           "end_date": dt.date(2025, 1, 31)}
    at.file_uploader(key="upload_0").set_value(("dates.xlsx", return_bytes([row]), "application/octet-stream")).run()
    assert not at.exception
    assert at.dataframe, [str(x.value) for x in [*at.error, *at.warning, *at.info, *at.success]]
    report = next(d.value for d in at.dataframe if "Message" in d.value.columns)  # the column panel comes first
    bad = report[report["Message"].str.startswith("End date")].iloc[0]
    assert bad["Column"].startswith("End date, column ")
    assert bad["Value"] == "31/01/2025" and "31/01/2025" in bad["Message"]


def test_saving_a_need_figure_counts_only_real_districts(app_env):
    at = start(actor_for("admin"), "admin")
    at.button_group(key="admin_section").set_value("Boundaries").run()
    csv = b"adm2_pcode,people_in_need\nPK101,90000\nPK607,50000\nPK999,7\n"
    at.file_uploader(key="need_admin_upload").set_value(("need.csv", csv, "text/csv")).run()
    assert any("PK999" in w.value for w in at.warning)
    next(b for b in at.button if b.key == "need_admin_save").click().run()
    assert any("(2 districts)" in s.value for s in at.success), [s.value for s in at.success]
    from mapping.store import registry

    registry.clear_need(db.connect(), workflow.SYSTEM)  # leave the module's deployment as it was
