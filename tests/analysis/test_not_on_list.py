"""Values kept as written (not yet mapped to the lists) are labelled "not on the list" in matrices, exports and a
district's profile."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from mapping.analysis import matrices as an
from mapping.analysis import profiles
from mapping.outputs import export
from tests.factories.activities import activity, frame, units_frame

U = units_frame()


def _acts():
    return frame([
        activity(org_name="Org A", sector="Health"),
        activity(org_name="Org B", sector="Seguridad alimentaria", subsector="Distribución", district="B2"),
        activity(org_name="Org C", sector="Seguridad alimentaria", status="Em andamento", district="A2"),
    ])


def test_matrix_labels_an_off_list_sector_row_and_column():
    by_district = an.matrix(_acts(), U, rows="district", cols="sector", measure="partners")
    assert "Seguridad alimentaria (not on the list)" in by_district.columns
    assert "Health" in by_district.columns  # a listed sector keeps its plain name
    assert by_district["Seguridad alimentaria (not on the list)"].iloc[-1] == 2  # Org B and Org C
    by_sector = an.matrix(_acts(), U, rows="sector", cols="partner", measure="activities")
    assert list(by_sector.index) == ["Health", "Seguridad alimentaria (not on the list)", "Total"]
    subs = an.matrix(_acts(), U, rows="subsector", cols="partner", measure="activities")
    assert "Distribución (not on the list)" in subs.index and "Primary health care" in subs.index


def test_matrix_export_keeps_the_label():
    mx = an.matrix(_acts(), U, rows="sector", cols="partner", measure="partners")
    rows = list(csv.reader(io.StringIO(export.matrix_csv(mx).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["Health", "Seguridad alimentaria (not on the list)", "Total"]


def test_dataset_export_marks_the_rows_with_values_not_on_the_list():
    rows = list(csv.reader(io.StringIO(export.dataset_csv(_acts()).decode("utf-8-sig"))))
    assert rows[0][-1] == "Not on the list" and rows[1][-1] == "#meta+offlist"
    assert [r[-1] for r in rows[2:]] == ["", "Sector, Sub-sector", "Sector, Status"]
    book = load_workbook(io.BytesIO(export.dataset_xlsx(_acts())))
    ws = book["Activities"]
    last = ws.max_column
    assert [ws.cell(r, last).value for r in range(1, 6)] == ["Not on the list", "#meta+offlist", None,
                                                            "Sector, Sub-sector", "Sector, Status"]


def test_dataset_export_without_off_list_values_has_no_marker_column():
    rows = list(csv.reader(io.StringIO(export.dataset_csv(frame([activity()])).decode("utf-8-sig"))))
    assert "Not on the list" not in rows[0]


def test_a_district_profile_labels_the_off_list_sector_and_sub_sector():
    p = profiles.district_profile(_acts(), U, "B2")
    assert [s["sector"] for s in p["sectors"]] == ["Seguridad alimentaria (not on the list)"]
    assert p["by_partner"][0]["sectors"] == "Seguridad alimentaria (not on the list)"
    [row] = p["activities_list"]
    assert (row["sector"], row["subsector"]) == ("Seguridad alimentaria (not on the list)",
                                                 "Distribución (not on the list)")
    # a listed sector keeps its plain name, and an off-list value is never counted as a missing listed sector
    health = profiles.district_profile(_acts(), U, "A1")
    assert [s["sector"] for s in health["sectors"]] == ["Health"]
    assert "Seguridad alimentaria (not on the list)" not in health["gap_sectors"]
