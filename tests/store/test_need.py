"""The need indicator kept by the deployment: store, commands, the Admin section and the sidebar default."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapping import workflow
from mapping.analysis import matrices as analysis
from mapping.cli import main
from mapping.store import auth, db, registry
from tests.factories.store import fast_hashing, world

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NEED_CSV = b"adm2_pcode,people_in_need\nPK101,90000\nPK607,50000\nPK617,1000\nPK999,\n"


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    fast_hashing(monkeypatch)


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------ store

def test_set_need_stores_one_figure_for_everyone_in_read_need_shape(db_url, tmp_path):
    w = world(db_url)
    assert registry.need(w.engine) is None and registry.need_info(w.engine) is None
    path = tmp_path / "need.csv"
    path.write_bytes(NEED_CSV)
    read = analysis.read_need(path)
    info = registry.set_need(w.engine, w.admin, label="  People   in need ", values=read, source_filename="need.csv")
    assert (info["label"], info["districts"], info["source_filename"], info["set_by"]) == (
        "People in need", 3, "need.csv", "admin@example.org")
    got = registry.need(w.engine)
    assert list(got.columns) == ["adm2_pcode", "People in need"] and got.attrs["label"] == "People in need"
    assert list(got["adm2_pcode"]) == ["PK101", "PK607", "PK617", "PK999"]
    assert got["People in need"].tolist()[:3] == [90000.0, 50000.0, 1000.0] and pd.isna(got["People in need"][3])
    # analysis reads it exactly as it reads the CSV: same ranking, same label
    s_stored, l_stored = analysis._need(got)
    s_csv, _ = analysis._need(read)
    assert l_stored == "People in need" and s_stored.dropna().to_dict() == s_csv.dropna().to_dict()

    # a new figure replaces the old one; the audit log has both changes; clear stops it
    registry.set_need(w.engine, w.admin, label="Poverty rate",
                   values=pd.DataFrame({"adm2_pcode": ["PK617"], "value": [0.41]}), source_filename="pov.csv")
    got = registry.need(w.engine)
    assert (got.attrs["label"], got["Poverty rate"].tolist(), registry.need_info(w.engine)["districts"]) == (
        "Poverty rate", [0.41], 1)
    assert registry.clear_need(w.engine, w.admin) is True
    assert registry.need(w.engine) is None and registry.clear_need(w.engine, w.admin) is False
    actions = [e["action"] for e in db.audit_log(w.engine, w.admin, object_type="need_indicator")]
    assert actions == ["need.clear", "need.set", "need.set"]


def test_only_an_admin_sets_the_need_and_bad_tables_are_explained(db_url):
    w = world(db_url)
    frame = pd.DataFrame({"adm2_pcode": ["PK101"], "value": [5]})
    for actor in (w.focal_a, w.viewer):
        with pytest.raises(db.PermissionDenied, match="Only an admin can set the need indicator"):
            registry.set_need(w.engine, actor, label="People", values=frame)
        with pytest.raises(db.PermissionDenied, match="Only an admin can remove the need indicator"):
            registry.clear_need(w.engine, actor)
    with pytest.raises(db.StoreError, match="needs a label"):
        registry.set_need(w.engine, w.admin, label="  ", values=frame)
    with pytest.raises(db.StoreError, match=r"lists PK101 more than once; keep one row per district p-code"):
        registry.set_need(w.engine, w.admin, label="People",
                       values=pd.DataFrame({"adm2_pcode": ["PK101", " PK101"], "value": [1, 2]}))
    with pytest.raises(db.StoreError, match="has no number in it"):
        registry.set_need(w.engine, w.admin, label="People", values=pd.DataFrame({"adm2_pcode": ["PK1"], "value": ["x"]}))
    assert registry.need(w.engine) is None  # nothing was stored by the refusals


# ------------------------------------------------------------------ commands

def _deployment(db_url, shared_boundaries, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "admin-pass-1")
    from tests.factories.app import ORGS, RETURNS, return_bytes

    workflow.setup(url=db_url)
    engine = db.connect(db_url)
    for org in ORGS:
        registry.add_org(engine, db.CLI_ADMIN, org["name"], acronym=org["acronym"], org_type=org["type"])
    for org, rows in RETURNS.items():
        assert workflow.submit_file(engine, db.CLI_ADMIN, return_bytes(rows), "r.xlsx", org=org).status == "stored"
    return engine


def test_need_commands_set_show_clear_and_gaps_use_the_stored_figure(db_url, shared_boundaries, monkeypatch,
                                                                      capsys, tmp_path):
    _deployment(db_url, shared_boundaries, monkeypatch)
    csv = tmp_path / "pin.csv"
    csv.write_bytes(NEED_CSV)
    code, out, _ = _cli(capsys, "need", "show")
    assert code == 0 and out.startswith("No need indicator is set.")
    code, out, _ = _cli(capsys, "need", "set", str(csv), "--label", "People in need")
    assert code == 0 and out.startswith('Need indicator set: "People in need" for 3 districts (from pin.csv).')
    code, out, _ = _cli(capsys, "need", "show", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith('Need indicator: "People in need" — 3 districts with a number, from '
                                             "pin.csv, set by cli on ")
    assert [ln.split()[:2] for ln in lines[2:]] == [["PK101", "90,000"], ["PK607", "50,000"]]
    code, out, _ = _cli(capsys, "need", "show", "--json")
    assert json.loads(out)["values"][:2] == [{"adm2_pcode": "PK101", "value": 90000.0},
                                             {"adm2_pcode": "PK607", "value": 50000.0}]
    # gaps are ranked by the stored figure without --need; --need still overrides it
    code, out, _ = _cli(capsys, "gaps", "--sector", "Health", "--limit", "2")
    # Dera Ghazi Khan (need rank 2) has Health partners, so it is no gap: Bagh, then Lahore
    assert code == 0 and out.splitlines()[1:3] == ["  Azad Kashmir / Bagh: Health (need 90,000, rank 1)",
                                                   "  Punjab / Lahore: Health (need 1,000, rank 3)"]
    # the PDF snapshot gets the stored figure too (captured at the hand-over to the PDF builder)
    from mapping.outputs import report

    seen = {}
    monkeypatch.setattr(report, "build_snapshot", lambda *a, **kw: seen.update(kw) or b"%PDF-1.4 stub")
    assert _cli(capsys, "report", "--out", str(tmp_path / "s.pdf"))[0] == 0
    assert seen["need"].attrs["label"] == "People in need" and seen["need"]["People in need"].iloc[0] == 90000
    other = tmp_path / "other.csv"
    other.write_text("adm2_pcode,score\nPK617,7\n")
    code, out, _ = _cli(capsys, "gaps", "--sector", "Health", "--limit", "1", "--need", str(other))
    assert code == 0 and out.splitlines()[1] == "  Punjab / Lahore: Health (need 7, rank 1)"
    code, out, _ = _cli(capsys, "need", "clear")
    assert code == 0 and out == "Need indicator removed: gaps are listed by province again.\n"
    code, out, _ = _cli(capsys, "gaps", "--sector", "Health", "--limit", "1")
    assert code == 0 and "(need" not in out and out.startswith("159 gaps (no partner) — Sector: Health")


def test_need_set_refuses_unreadable_files_and_other_roles(db_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    world(db_url)
    code, _, err = _cli(capsys, "need", "set", str(tmp_path / "missing.csv"))
    assert code == 2 and err.startswith("Cannot read ") and "missing.csv" in err
    words = tmp_path / "words.csv"
    words.write_text("adm2_pcode,notes\nPK101,high\n")
    code, _, err = _cli(capsys, "need", "set", str(words))
    assert code == 2 and "The need file has no numeric column next to the district p-code." in err
    good = tmp_path / "good.csv"
    good.write_bytes(NEED_CSV)
    code, _, err = _cli(capsys, "need", "set", str(good), "--user", "viewer@example.org")
    assert code == 2 and err.startswith("Only an admin can set the need indicator")
    code, out, _ = _cli(capsys, "need", "set", str(good))
    assert code == 0 and '"people_in_need" for 3 districts' in out  # the label defaults to the column name


# ------------------------------------------------------------------ the app

@pytest.fixture
def app_deployment(tmp_path, shared_boundaries, monkeypatch):
    from tests.factories.app import build_deployment

    env = {"STOCKTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'stocktake.db'}",
           "STOCKTAKE_SHAPEFILES_DIR": str(tmp_path / "shapefiles"), "STOCKTAKE_DATA_DIR": str(tmp_path / "data"),
           "STOCKTAKE_BOUNDARIES_FROM": str(shared_boundaries), "STOCKTAKE_ADMIN_EMAIL": "secretariat@app.test",
           "STOCKTAKE_ADMIN_PASSWORD": "app-test-admin", "STOCKTAKE_TILES": "none"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
    build_deployment(public=True)
    return db.connect()


def _start(actor, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["actor"] = actor
    at.run()
    at.switch_page(page)
    at.run()
    return at


def _problems(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def _boundaries_section(at):
    """The need indicator sits in the Admin page's Boundaries section (the page opens on Submissions)."""
    at.button_group(key="admin_section").set_value("Boundaries").run()
    return at


def test_admin_uploads_the_need_and_every_viewer_gets_gaps_ranked_by_it(app_deployment):
    from tests.factories.app import PASSWORD, USERS

    engine = app_deployment
    admin = auth.authenticate(engine, "secretariat@app.test", "app-test-admin")
    at = _boundaries_section(_start(admin, "pages/admin.py"))
    assert _problems(at) == []
    assert any("No need indicator is set" in c.value for c in at.caption)
    at.file_uploader(key="need_admin_upload").set_value(("pin.csv", NEED_CSV, "text/csv")).run()
    assert [w.value for w in at.warning if "not districts" in w.value] == [
        "1 p-code(s) are not districts of the active boundary set and will be ignored on the map: PK999"]
    at.text_input(key="need_admin_label").set_value("People in need").run()
    at.button(key="need_admin_save").click().run()
    assert _problems(at) == []
    assert any("Gaps are now ranked by “People in need” (3 districts)." in s.value for s in at.success)
    assert registry.need_info(engine)["label"] == "People in need"
    assert any("**Current:** “People in need” for 3 districts, from `pin.csv`" in m.value for m in at.markdown)

    viewer = auth.authenticate(engine, USERS["viewer"][0], PASSWORD)
    at = _start(viewer, "pages/gaps.py")
    assert _problems(at) == []
    assert any("Gaps are ranked by “People in need”, kept by the secretariat (3 districts)." in c.value
               for c in at.caption)
    top = at.dataframe[0].value
    assert list(top["District"][:2]) == ["Bagh", "Dera Ghazi Khan"] and list(top["Need"][:2]) == [90000, 50000]

    # the admin removes it: the gaps page falls back to the province order without a need column
    at = _boundaries_section(_start(admin, "pages/admin.py"))
    at.checkbox(key="need_admin_sure").check().run()
    at.button(key="need_admin_clear").click().run()
    assert _problems(at) == [] and registry.need(engine) is None
    at = _start(viewer, "pages/gaps.py")
    assert _problems(at) == [] and "Need" not in at.dataframe[0].value.columns
