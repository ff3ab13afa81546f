"""workflow.save_layout: a field given to another column leaves the column that had it, so the saved layout reads
the next file right (the French 3W whose "Acronyme" column was taken for the implementing partner)."""

from __future__ import annotations

from mapping import workflow
from mapping.geo import boundaries
from mapping.store import db, registry
from tests.factories.returns import xlsx

HEADERS = ["Nom du partenaire de mise en oeuvre", "Acronyme du partenaire", "Secteur", "Province", "District",
           "Statut"]


def test_a_field_moved_to_another_column_is_saved_once_and_read_from_there(shared_boundaries):
    boundaries.import_path(shared_boundaries)
    engine = db.connect()
    workflow.ensure_boundary_set(engine)
    registry.add_org(engine, workflow.SYSTEM, "Indus Relief Partners", acronym="IRP")
    data = xlsx([HEADERS, ["Croissant-Rouge", "CRP", "Health", "Punjab", "Lahore", "En cours"]])
    first = workflow.validate_upload(engine, data, "3w.xlsx", org="Indus Relief Partners")
    proposed = {c["header"]: c["field"] for c in first.columns}
    assert proposed["Nom du partenaire de mise en oeuvre"] == "org_impl"  # a close spelling, and wrong here
    saved = workflow.save_layout(engine, db.CLI_ADMIN, "Partenaires", first,
                                 {"Acronyme du partenaire": "org_impl", "Nom du partenaire de mise en oeuvre": "remarks"},
                                 org="Indus Relief Partners")
    assert saved.mapping["Acronyme du partenaire"] == "org_impl"
    assert saved.mapping["Nom du partenaire de mise en oeuvre"] == "remarks"
    assert list(saved.mapping.values()).count("org_impl") == 1
    again = workflow.validate_upload(engine, data, "3w_next.xlsx", org="Indus Relief Partners")
    assert again.layout["name"] == "Partenaires" and again.layout["how"] == "matched"
    assert [(r["org_impl"], r["remarks"]) for r in again.records] == [("CRP", "Croissant-Rouge")]
    # a consolidated file (no organisation) is only read with the deployment's layouts
    assert workflow.validate_upload(engine, data, "3w.xlsx", consolidated=True).layout is None
