"""Column layouts confirmed once: a header signature, a map applied over the proposal, unknown fields refused."""

from __future__ import annotations

import datetime as dt

import pytest

from mapping.errors import StocktakeError
from mapping.returns import layouts
from mapping.returns.ingest import read_return
from tests.factories.returns import ORGS, pak_gazetteer, xlsx

GAZ = pak_gazetteer()
HEADERS = ["Nom complet de l'organisation", "Partenaire (sigle)", "Nom du partenaire de mise en oeuvre", "Secteur",
           "Province", "District", "Statut", "Commentaire interne"]
FIX = {"Nom complet de l'organisation": "org_name", "Partenaire (sigle)": "org_acronym",
       "Nom du partenaire de mise en oeuvre": "org_impl", "Commentaire interne": None}


def french(month: str = "octobre") -> bytes:
    return xlsx([HEADERS,
                 ["Indus Relief Partners", "IRP", "Croissant Rouge", "Health", "Punjab", "Lahore", "En cours", month],
                 ["Northern Alliance for Child Welfare", "NACW", None, "Education", "Sindh", "Badin", "Terminé",
                  month]], sheet="3W")


def check(data: bytes, **kw):
    return read_return(data, "3w_fr.xlsx", gazetteer=GAZ, orgs=ORGS, today=dt.date(2025, 6, 1), **kw)


def test_signature_ignores_case_spacing_accents_and_order_but_not_a_different_header():
    sig = layouts.header_signature(HEADERS)
    assert layouts.header_signature([h.upper() for h in reversed(HEADERS)]) == sig
    assert layouts.header_signature([*HEADERS, "(no header, column K)"]) == sig
    assert layouts.header_signature(["Statut  ", "Secteur"]) == layouts.header_signature(["statut", "SECTEUR"])
    assert layouts.header_signature([*HEADERS[:-1], "Remarques"]) != sig


def test_the_proposal_says_why_and_shows_samples_of_unread_columns():
    result = check(french())
    cols = {c["header"]: c for c in result.columns}
    assert cols["Nom complet de l'organisation"]["field"] is None
    assert cols["Nom complet de l'organisation"]["sample"] == ["Indus Relief Partners",
                                                              "Northern Alliance for Child Welfare"]
    assert cols["Nom complet de l'organisation"]["why"] == "not recognised"
    assert (cols["Secteur"]["field"], cols["Secteur"]["why"]) == ("sector", "the header is a known name of this field")
    assert cols["Nom du partenaire de mise en oeuvre"]["why"] == "close spelling of a known header"
    assert result.layout is None and result.signature == layouts.header_signature(HEADERS)
    # without the organisation column every row is the submitter's: nobody told Stocktake otherwise
    assert [r["org_name"] for r in check(french(), org="Indus Relief Partners").records] == ["Indus Relief Partners"] * 2


def test_a_column_map_overrides_the_proposal_and_the_rows_are_read_with_it():
    result = check(french(), column_map=FIX)
    by = {c["header"]: (c["field"], c["method"], c["proposed"]) for c in result.columns}
    assert by["Nom complet de l'organisation"] == ("org_name", "layout", None)
    assert by["Partenaire (sigle)"] == ("org_acronym", "layout", None)
    assert by["Commentaire interne"] == (None, "layout", None)
    assert result.errors == []
    assert [(r["org_name"], r["org_acronym"]) for r in result.records] == [
        ("Indus Relief Partners", "IRP"), ("Northern Alliance for Child Welfare", "NACW")]
    assert result.layout["how"] == "given"


def test_a_map_giving_a_field_takes_it_from_the_column_that_had_it():
    result = check(french(), column_map={"Commentaire interne": "activity"}, org="Indus Relief Partners")
    fields = {c["header"]: c["field"] for c in result.columns}
    assert fields["Commentaire interne"] == "activity"
    assert list(fields.values()).count("activity") == 1
    assert [r["activity"] for r in result.records] == ["octobre", "octobre"]


def test_a_saved_layout_with_the_same_headers_is_applied_and_another_is_not():
    saved_at = dt.datetime(2025, 10, 12, 9, 30)
    mine = layouts.SavedLayout("3W mensuel", FIX, layouts.header_signature(HEADERS), "Indus Relief Partners", saved_at)
    other = layouts.SavedLayout("Autre", {"Secteur": "activity"}, layouts.header_signature(["Secteur", "Province"]))
    result = check(french("novembre"), saved_layouts=[other, mine])
    assert result.layout == {"name": "3W mensuel", "org": "Indus Relief Partners", "saved_at": saved_at,
                             "saved_by": None, "how": "matched"}
    assert [r["org_acronym"] for r in result.records] == ["IRP", "NACW"]
    assert layouts.describe(result.layout) == ('Same layout as your return of 12 Oct 2025 (layout "3W mensuel"): '
                                               'columns read as saved, nothing to confirm.')
    assert layouts.describe(mine.info("chosen")) == 'Columns read with the layout "3W mensuel" (saved 12 Oct 2025).'
    assert result.to_json()["layout"]["saved_at"] == "2025-10-12T09:30:00"
    assert check(french(), saved_layouts=[other]).layout is None


def test_a_chosen_layout_naming_columns_the_file_lacks_says_which():
    chosen = layouts.SavedLayout("Old", {**FIX, "Bailleur": "org_funder"})
    result = check(french(), column_map=chosen)
    assert result.layout["how"] == "chosen"
    assert any(i.message == "The layout names column(s) this file does not have: Bailleur." for i in result.warnings)


def test_an_unknown_field_is_refused_naming_it_and_listing_the_valid_ones():
    with pytest.raises(StocktakeError) as exc:
        check(french(), column_map={"Partenaire (sigle)": "acronym_of_org"})
    assert "'acronym_of_org' (for column 'Partenaire (sigle)') is not a field Stocktake reads" in exc.value.message
    assert "org_acronym" in exc.value.message and "adm2_pcode" in exc.value.message
    with pytest.raises(StocktakeError, match="both mapped to org_name"):
        layouts.check_map({"A": "org_name", "B": "Organisation"})
    assert layouts.check_map({"A": "Sector", "B": "-"}) == {"A": "sector", "B": None}
