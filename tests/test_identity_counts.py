"""Partners are counted by identity, not by spelling: in matrices, headlines, the PDF and "not reported yet"."""

from __future__ import annotations

import io

from pypdf import PdfReader

from mapping import workflow
from mapping.analysis.headlines import headlines
from mapping.analysis.matrices import matrix
from mapping.outputs import report
from mapping.store import db, identity, registry
from tests.factories.returns import row, template_return

UNICEF = "United Nations Children's Fund"
SPELLINGS = ("UNICEF", "Unicef Pakistan", "UN Children's Fund Sindh")


def _snapshot(engine) -> tuple[dict, list[str]]:
    data = workflow.snapshot_inputs(engine, db.CLI_ADMIN)
    pdf = report.build_snapshot(data.acts, data.units, data.bset, title="Identity test",
                                returns_count=data.returns_count, missing_orgs=data.missing_orgs,
                                data_version=data.data_version, map_dpi=60)
    return data, [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_three_spellings_of_one_organisation_in_three_returns_are_one_partner(tmp_path, shared_boundaries,
                                                                                monkeypatch):
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    workflow.setup(url=url)  # loads the starter list: UNICEF with its IATI identifier
    engine, admin = db.connect(url), db.CLI_ADMIN
    for name in SPELLINGS[1:]:  # two records typed in by hand before anyone noticed
        registry.add_org(engine, admin, name)
    registry.add_org(engine, admin, "Zeta Aid (fictional)", acronym="ZA")
    registry.add_org(engine, admin, "Omega Trust (fictional)")  # expected, has not reported
    for spelling in SPELLINGS:
        data = template_return([row(org_name=spelling), row(org_name=spelling, adm2_name="Multan")])
        report = workflow.submit_file(engine, admin, data, f"{spelling}.xlsx", org=spelling)
        result, outcome = report.result, report.outcomes[0]
        assert outcome.status == "stored", [i.message for i in result.issues]
    zeta = template_return([row(org_name="ZA")])
    assert workflow.submit_file(engine, admin, zeta, "zeta.xlsx", org="ZA").status == "stored"

    data, pages = _snapshot(engine)
    assert headlines(data.acts, data.units)[0].startswith("4 partners report 7 activities")
    assert data.missing_orgs == ["Omega Trust (fictional)"]

    for name in SPELLINGS[1:]:
        identity.merge_orgs(engine, admin, "UNICEF", name)
    data, pages = _snapshot(engine)
    acts, units = data.acts, data.units
    by_partner = matrix(acts, units, rows="partner", cols="district", measure="activities")
    assert [r for r in by_partner.index if r != "Total"] == [UNICEF, "Zeta Aid (fictional)"]
    partners = matrix(acts, units, rows="sector", cols="district", measure="partners")
    assert partners.loc["Health", "Lahore (Punjab)" if "Lahore (Punjab)" in partners.columns else "Lahore"] == 2
    assert partners.loc["Total", "Total"] == 2
    assert headlines(acts, units)[0].startswith("2 partners report 7 activities")
    assert data.missing_orgs == ["Omega Trust (fictional)"]  # the merged records are not "missing"
    text = "\n".join(pages)
    assert "2 partners report 7 activities" in text
    assert UNICEF in text and "Unicef Pakistan" not in text and "UN Children's Fund Sindh" not in text
    assert "Omega Trust (fictional)" in text
