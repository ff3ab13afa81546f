"""`layouts save|list|show|delete` and `validate/submit --layout`: a layout saved once from the command line reads
next month's file with the same headers, and says so."""

from __future__ import annotations

import json

from mapping.cli import main
from mapping.geo import boundaries
from tests.factories.returns import xlsx

HEADERS = ["Nom complet de l'organisation", "Partenaire (sigle)", "Secteur", "Province", "District", "Statut",
           "Commentaire interne"]


def french(path, month: str) -> str:
    path.write_bytes(xlsx([HEADERS,
                           ["Indus Relief Partners", "IRP", "Health", "Punjab", "Lahore", "En cours", month],
                           ["Indus Relief Partners", "IRP", "Nutrition", "Sindh", "Badin", "Terminé", month]],
                          sheet="3W"))
    return str(path)


def test_a_layout_saved_from_the_command_line_reads_the_next_file(shared_boundaries, tmp_path, capsys):
    boundaries.import_path(shared_boundaries)
    assert main(["orgs", "add", "Indus Relief Partners", "--acronym", "IRP"]) == 0
    assert main(["rounds", "add", "2025 H2", "--start", "2025-07-01", "--end", "2025-12-31"]) == 0
    assert main(["users", "add", "--email", "admin@example.org", "--role", "admin", "--password", "admin-pass-1"]) == 0
    october = french(tmp_path / "octobre.xlsx", "octobre")
    capsys.readouterr()
    assert main(["validate", october, "--org", "IRP", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["layout"] is None
    assert ("Nom complet de l'organisation", None) in [(c["header"], c["field"]) for c in before["columns"]]

    assert main(["layouts", "save", "3W mensuel", "--from", october, "--org", "IRP",
                 "--map", "Nom complet de l'organisation=org_name", "--map", "Partenaire (sigle)=org_acronym",
                 "--map", "Commentaire interne=remarks"]) == 0
    out = capsys.readouterr().out
    assert 'Saved the layout "3W mensuel" for Indus Relief Partners' in out
    assert "Nom complet de l'organisation  -> org_name" in out

    november = french(tmp_path / "novembre.xlsx", "novembre")
    assert main(["validate", november, "--org", "IRP"]) == 0
    out = capsys.readouterr().out
    assert 'Same layout as your return of ' in out and '(layout "3W mensuel"): columns read as saved' in out
    assert "Commentaire interne (G) -> remarks" in out
    assert main(["submit", november, "--org", "IRP", "--user", "admin@example.org", "--round", "2025 H2"]) == 0
    out = capsys.readouterr().out
    assert '(layout "3W mensuel"): columns read as saved' in out

    assert main(["layouts", "list"]) == 0
    listed = capsys.readouterr().out
    assert "3W mensuel" in listed and "Indus Relief Partners" in listed
    assert main(["layouts", "show", "3W mensuel", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["mapping"]["Partenaire (sigle)"] == "org_acronym" and shown["org"] == "Indus Relief Partners"
    assert main(["validate", october, "--layout", "nope", "--org", "IRP"]) == 2
    assert "No column layout called 'nope' for IRP. Saved layouts: 3W mensuel." in capsys.readouterr().err
    assert main(["layouts", "delete", "3W mensuel", "--org", "IRP"]) == 0
    capsys.readouterr()
    assert main(["validate", november, "--org", "IRP", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layout"] is None


def test_save_refuses_an_unknown_field_or_a_column_the_file_lacks(shared_boundaries, tmp_path, capsys):
    boundaries.import_path(shared_boundaries)
    october = french(tmp_path / "octobre.xlsx", "octobre")
    assert main(["layouts", "save", "Bad", "--from", october, "--map", "Partenaire (sigle)=short_name"]) == 2
    err = capsys.readouterr().err
    assert "'short_name' (for column 'Partenaire (sigle)') is not a field Stocktake reads. Valid fields: " in err
    assert "org_acronym" in err
    assert main(["layouts", "save", "Bad", "--from", october, "--map", "Bailleur=org_funder"]) == 2
    assert "octobre.xlsx has no column 'Bailleur'" in capsys.readouterr().err
    assert main(["layouts", "list"]) == 0
    assert "No column layouts saved yet" in capsys.readouterr().out
