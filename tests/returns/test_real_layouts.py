"""Real-world 3W layouts keep every row: missing columns get stated defaults, HXL attributes are read properly,
households are never counted as people. Each fixture is a real file written by the test."""

from __future__ import annotations

import datetime as dt

from mapping.returns.ingest import read_return
from tests.factories.returns import ORGS, csv_bytes, pak_gazetteer, xlsx

TODAY = dt.date(2025, 6, 1)
ROUND = (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
GAZ = pak_gazetteer()


def check(data: bytes, filename: str = "return.xlsx", **kw):
    kw.setdefault("gazetteer", GAZ)
    kw.setdefault("orgs", ORGS)
    return read_return(data, filename, today=TODAY, **kw)


def fields(result) -> list[tuple[str, str | None]]:
    return [(c["header"], c["field"]) for c in result.columns]


def test_operational_presence_3w_without_status_or_organisation_column_keeps_every_row():
    """A focal point's own sheet: no organisation and no status column. Both get a default, each said once."""
    rows = [["Sector", "Activity", "Province", "District", "Start date", "End date"],
            ["Health", "Mobile clinics", "Punjab", "Lahore", "01/02/2025", "31/12/2025"],
            ["Health", "Vaccination", "Punjab", "Multan", "01/09/2025", "31/12/2025"],
            ["Nutrition", "OTP sites", "Sindh", "Badin", "01/01/2024", "31/03/2025"],
            ["WASH", "Latrines", "Sindh", "Sukkur", None, None]]
    result = check(csv_bytes(rows), "presence.csv", org="Indus Relief Partners", period=ROUND)
    assert result.errors == [] and (result.rows, result.accepted) == (4, 4)
    assert [r["org_name"] for r in result.records] == ["Indus Relief Partners"] * 4
    assert [r["status"] for r in result.records] == ["ongoing", "planned", "completed", "ongoing"]
    assert [r["extra"]["status_derived"] for r in result.records] == [
        "derived from the dates", "derived from the dates", "derived from the dates", "no dates: ongoing for the round"]
    assert [(d["field"], d["rows"]) for d in result.defaults] == [("org_name", 4), ("status", 4)]
    assert result.defaults[0]["rule"] == ("No Organisation column: every row is reported by Indus Relief Partners, "
                                          "the submitting organisation.")
    assert result.defaults[1]["rule"] == (
        "No Status column: each status is derived from the dates against the round (01/01/2025 to 30/06/2025) "
        "(1 planned, 1 ongoing, 1 completed). 1 row(s) without dates are read as ongoing. Derived statuses are "
        "marked as such in the stored data.")
    assert result.to_json()["defaults"] == result.defaults


def test_french_3w_with_organisation_and_acronyme_maps_both():
    rows = [["Organisation", "Acronyme", "Type d'organisation", "Secteur", "Province", "District", "Statut",
             "Bénéficiaires ciblés"],
            ["Indus Relief Partners", "IRP", "ONG nationale", "Health", "Punjab", "Lahore", "En cours", "1 500"],
            ["Northern Alliance for Child Welfare", "NACW", "ONG internationale", "Education", "Sindh", "Badin",
             "Terminé", "300"]]
    result = check(xlsx(rows, sheet="3W"), "3w_fr.xlsx")
    assert fields(result)[:2] == [("Organisation", "org_name"), ("Acronyme", "org_acronym")]
    assert result.errors == []
    assert [(r["org_name"], r["org_acronym"], r["status"], r["targeted"]) for r in result.records] == [
        ("Indus Relief Partners", "IRP", "ongoing", 1500),
        ("Northern Alliance for Child Welfare", "NACW", "completed", 300)]
    assert all("org_impl" not in r for r in result.records)


def test_portuguese_matrix_two_header_rows_and_hxl_keeps_households_apart_from_people():
    rows = [["Matriz de resposta - ilustrativa"],
            ["Organização", "Sector", "Província", "Distrito", "Estado", "Beneficiários", None, None, None,
             "Código da actividade"],
            [None, None, None, None, None, "Agregados previstos", "Pessoas previstas", "Agregados alcançados",
             "Pessoas alcançadas", None],
            ["#org+name", "#sector", "#adm1+name", "#adm2+name", "#status", "#targeted+hh", "#targeted+ind+num",
             "#reached+hh", "#reached+ind+num", "#activity+code"],
            ["IRP", "Health", "Punjab", "Lahore", "ongoing", 200, 1100, 150, 800, "IRP-PT-1"],
            ["IRP", "Education", "Sindh", "Badin", "completed", 50, 260, 50, 255, "IRP-PT-2"]]
    result = check(xlsx(rows, merges=["F2:I2"]), "matriz.xlsx")
    assert fields(result) == [
        ("Organização", "org_name"), ("Sector", "sector"), ("Província", "adm1_name"), ("Distrito", "adm2_name"),
        ("Estado", "status"), ("Agregados previstos", "targeted_hh"), ("Pessoas previstas", "targeted"),
        ("Agregados alcançados", "reached_hh"), ("Pessoas alcançadas", "reached"),
        ("Código da actividade", "activity_id")]
    assert result.errors == [] and result.accepted == 2
    first, second = result.records
    assert (first["targeted"], first["reached"], first["targeted_hh"], first["reached_hh"]) == (1100, 800, 200, 150)
    assert (second["targeted"], second["reached"], second["targeted_hh"], second["reached_hh"]) == (260, 255, 50, 50)
    assert [r["activity_id"] for r in result.records] == ["IRP-PT-1", "IRP-PT-2"]


def test_household_only_hxl_columns_never_become_people():
    rows = [["Org", "Sector", "Province", "District", "Status", "HH targeted", "HH reached"],
            ["#org", "#sector", "#adm1", "#adm2", "#status", "#targeted +hh", "#reached+hh"],
            ["IRP", "Health", "Punjab", "Lahore", "ongoing", 40, 12]]
    result = check(xlsx(rows))
    rec = result.records[0]
    assert (rec.get("targeted"), rec.get("reached"), rec["targeted_hh"], rec["reached_hh"]) == (None, None, 40, 12)


def test_national_5w_with_only_partner_columns_and_a_long_reached_header():
    """A consolidated import: the lead agency stands for the reporting organisation, stated once."""
    rows = [["Lead agency", "Implementing partner", "Sector", "Province", "District", "Status",
             "Total people reached (individuals)", "Number of households reached"],
            ["UNICEF", "Indus Relief Partners", "Health", "Punjab", "Lahore", "ongoing", "1,250", 240],
            ["UNICEF", "NACW", "Nutrition", "Sindh", "Badin", "ongoing", 600, 100],
            ["Northern Alliance for Child Welfare", "Indus Relief", "Education", "Sindh", "Sukkur", "planned", 90, 18]]
    result = check(xlsx(rows, sheet="5W"), "national_5w.xlsx")
    assert fields(result) == [
        ("Lead agency", "org_lead"), ("Implementing partner", "org_impl"), ("Sector", "sector"),
        ("Province", "adm1_name"), ("District", "adm2_name"), ("Status", "status"),
        ("Total people reached (individuals)", "reached"), ("Number of households reached", "reached_hh")]
    assert result.errors == [] and result.accepted == 3
    assert [(r["org_name"], r["org_lead"], r["org_impl"], r["reached"], r["reached_hh"]) for r in result.records] == [
        ("United Nations Children's Fund", "United Nations Children's Fund", "Indus Relief Partners", 1250, 240),
        ("United Nations Children's Fund", "United Nations Children's Fund", "Northern Alliance for Child Welfare",
         600, 100),
        ("Northern Alliance for Child Welfare", "Northern Alliance for Child Welfare", "Indus Relief Partners",
         90, 18)]
    assert result.defaults == [{"field": "org_name", "rows": 3, "rule": (
        "No reporting-organisation column: each row's Lead organisation (Lead agency (A)) is taken as its reporting "
        "organisation. To use Implementing partner instead, choose it as the reporting organisation "
        "(--reporting-org org_impl).")}]
    chosen = check(xlsx(rows, sheet="5W"), "national_5w.xlsx", reporting_org="org_impl")
    assert [r["org_name"] for r in chosen.records] == ["Indus Relief Partners", "Northern Alliance for Child Welfare",
                                                      "Indus Relief Partners"]


def test_sex_and_age_breakdown_is_summed_when_there_is_no_total_and_the_rule_is_stated():
    rows = [["Org", "Sector", "Province", "District", "Status", "Women", "Men", "Children", "Adults",
             "Girls reached", "Boys reached"],
            ["#org+name", "#sector", "#adm1+name", "#adm2+name", "#status", "#targeted+f", "#targeted+m",
             "#targeted+children", "#targeted+adults", "#reached+f+children", "#reached+m+children"],
            ["IRP", "Health", "Punjab", "Lahore", "ongoing", 60, 40, 30, 70, 12, 9],
            ["IRP", "WASH", "Sindh", "Badin", "ongoing", 5, None, None, None, None, None]]
    result = check(xlsx(rows))
    assert [(r.get("targeted"), r.get("reached")) for r in result.records] == [(100, 21), (5, None)]
    assert [(d["field"], d["rows"]) for d in result.defaults] == [("targeted", 2), ("reached", 1)]
    assert result.defaults[0]["rule"] == (
        "No total column for Beneficiaries targeted: each row's figure is the sum of Women (F) + Men (G). "
        "Children (H), Adults (I) are not added: they break down the same people.")
    assert result.defaults[1]["rule"] == ("No total column for Beneficiaries reached: each row's figure is the sum "
                                          "of Girls reached (J) + Boys reached (K).")
    with_total = rows[:1] + [rows[1][:5] + ["#targeted+total"] + rows[1][6:]] + rows[2:]
    result = check(xlsx(with_total))
    assert [r.get("targeted") for r in result.records] == [60, 5]  # the total column wins; nothing summed
    assert [d["field"] for d in result.defaults] == ["reached"]


def test_two_language_headers_and_hxl_row_are_all_used():
    rows = [["Organisation", "Sector", "Province", "District", "Status", "Partner ref"],
            ["Organisation", "Secteur", "Province", "District", "Statut", "Réf. partenaire"],
            ["#org+name", "#sector", "#adm1+name", "#adm2+name", "#x_status_internal", "#x_ref"],
            ["IRP", "Health", "Punjab", "Lahore", "ongoing", "R-1"]]
    result = check(xlsx(rows))
    assert [c["field"] for c in result.columns] == ["org_name", "sector", "adm1_name", "adm2_name", "status", None]
    assert result.errors == [] and result.records[0]["status"] == "ongoing"


# --------------------------------------------------------------------------- values mapped once

CLUSTER_ROWS = [["Organisation", "Cluster", "Sub-sector", "Province", "District", "Status", "Modality"],
                ["IRP", "EDU", None, "Punjab", "Lahore", "ongoing", "Cash"],
                ["IRP", "WASH_CLUSTER", None, "Punjab", "Multan", "Em andamento", "Cash"],
                ["IRP", "WASH_CLUSTER", None, "Sindh", "Badin", "Em andamento", "Dinheiro"],
                ["IRP", "Saúde", None, "Sindh", "Sukkur", "Temporarily suspended", "Cash"],
                ["IRP", "SHL", None, "Punjab", "Attock", "ongoing", "Cash"],
                ["IRP", "Social protection - Unconditional cash transfers", None, "Punjab", "Lahore", "ongoing",
                 "Cash"],
                ["IRP", "Social protection - Cash", None, "Punjab", "Multan", "ongoing", "Cash"],
                ["IRP", "SHL", None, "Sindh", "Badin", "completed", "Cash"]]


def test_cluster_codes_and_off_list_values_keep_their_rows_and_are_listed_once_with_a_suggestion():
    result = check(csv_bytes(CLUSTER_ROWS), "cluster.csv")
    assert result.errors == [] and (result.rows, result.accepted) == (8, 8)
    assert [(r["sector"], r.get("subsector"), r["status"]) for r in result.records] == [
        ("Education", None, "ongoing"), ("WASH_CLUSTER", None, "Em andamento"),
        ("WASH_CLUSTER", None, "Em andamento"), ("Saúde", None, "Temporarily suspended"), ("SHL", None, "ongoing"),
        ("Social protection", "Unconditional cash transfers", "ongoing"), ("Social protection", "Cash", "ongoing"),
        ("SHL", None, "completed")]
    assert [(e["field"], e["value"], e["rows"], e["first_row"], e["suggestion"], e["confidence"], e["how"])
            for e in result.offlist] == [
        ("sector", "SHL", 2, 6, None, 0, None),
        ("sector", "WASH_CLUSTER", 2, 3, "WASH", 90, "'CLUSTER' removed; same name"),
        ("sector", "Saúde", 1, 5, "Health", 95, "Portuguese name"),
        ("subsector", "Cash", 1, 8, None, 0, None),
        ("status", "Em andamento", 2, 3, "ongoing", 95, "Portuguese name"),
        ("status", "Temporarily suspended", 1, 5, "suspended", 95, "English name"),
        ("modality", "Dinheiro", 1, 4, "Cash", 95, "Portuguese name")]
    # one warning per value, however many rows carry it
    warned = [(i.row, i.value) for i in result.warnings]
    assert warned == [(3, "WASH_CLUSTER"), (3, "Em andamento"), (4, "Dinheiro"), (5, "Saúde"),
                      (5, "Temporarily suspended"), (6, "SHL"), (8, "Cash")]
    first = next(i for i in result.warnings if i.value == "WASH_CLUSTER")
    assert first.message == ("'WASH_CLUSTER' is not on the sector list; it is kept as written and shown as not on "
                             "the list until it is mapped. The same value is on rows 4.")
    assert first.suggestion == ("Suggested: WASH ('CLUSTER' removed; same name, 90% sure). Confirm it once: "
                                "python -m mapping vocab map sector \"WASH_CLUSTER\" --to \"WASH\".")
    fuzzy = check(csv_bytes([CLUSTER_ROWS[0], ["IRP", "EDUCATION_OP", None, "Punjab", "Lahore", "ongoing", None]]),
                  "fuzzy.csv")
    assert [(r["sector"], i.message) for r, i in zip(fuzzy.records, fuzzy.warnings, strict=True)] == [
        ("Education", "Read 'EDUCATION_OP' as Education; check it.")]


def test_confirmed_mappings_apply_to_every_row_and_strict_mode_keeps_the_old_errors():
    confirmed = {"sector": {"WASH_CLUSTER": "WASH", "saude": "Health"}, "status": {"Em andamento": "ongoing"},
                 "org_name": {"Indus R.P.": "Indus Relief Partners"}}
    rows = [r[:] for r in CLUSTER_ROWS]
    rows[1][0] = "Indus R.P."
    result = check(csv_bytes(rows), "cluster.csv", confirmed=confirmed)
    assert [r["sector"] for r in result.records][:4] == ["Education", "WASH", "WASH", "Health"]
    assert [r["status"] for r in result.records][1:3] == ["ongoing", "ongoing"]
    assert result.records[0]["org_name"] == "Indus Relief Partners"
    assert {e["value"] for e in result.offlist} == {"SHL", "Cash", "Temporarily suspended", "Dinheiro"}
    strict = check(csv_bytes(CLUSTER_ROWS), "cluster.csv", strict=True)
    assert strict.accepted == 3
    assert [(i.row, i.message) for i in strict.errors] == [
        (3, "'WASH_CLUSTER' is not a sector on the list."), (3, "'Em andamento' is not a status Stocktake knows."),
        (4, "'WASH_CLUSTER' is not a sector on the list."), (4, "'Em andamento' is not a status Stocktake knows."),
        (5, "'Saúde' is not a sector on the list."), (5, "'Temporarily suspended' is not a status Stocktake knows."),
        (6, "'SHL' is not a sector on the list."), (9, "'SHL' is not a sector on the list.")]


def test_validate_apply_suggestions_keeps_the_mappings_for_the_next_file(shared_boundaries, tmp_path, capsys):
    """The command-line twin: suggestions at >= 90 % are confirmed once; the next file needs no question."""
    import json

    from mapping.cli import main
    from mapping.geo import boundaries

    boundaries.import_path(shared_boundaries)
    assert main(["orgs", "add", "Indus Relief Partners", "--acronym", "IRP"]) == 0
    capsys.readouterr()
    path = tmp_path / "cluster.csv"
    path.write_bytes(csv_bytes(CLUSTER_ROWS))
    assert main(["validate", str(path), "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["accepted"] == 8 and len(before["offlist"]) == 7
    assert main(["validate", str(path), "--json", "--apply-suggestions"]) == 0
    captured = capsys.readouterr()
    assert "5 suggestion(s) at or above 90% confidence applied." in captured.err
    after = json.loads(captured.out)
    assert [(e["field"], e["value"]) for e in after["offlist"]] == [("sector", "SHL"), ("subsector", "Cash")]
    assert main(["vocab", "map", "sector", "SHL", "--to", "Governance and social protection systems"]) == 0
    assert main(["vocab", "aliases", "--json"]) == 0
    capsys.readouterr()
    assert main(["vocab", "aliases", "sector"]) == 0
    listed = capsys.readouterr().out
    assert "sector     'SHL' -> Governance and social protection systems  (cli, " in listed
    assert "sector     'WASH_CLUSTER' -> WASH  (cli, " in listed
    assert main(["vocab", "map", "sector", "Shelter", "--to", "Housing"]) == 2
    assert "'Housing' is not a sector on the list" in capsys.readouterr().err
    nxt = tmp_path / "cluster_next_month.csv"
    month = [r[:4] + ["Badin", *r[5:]] for r in CLUSTER_ROWS[1:] if r[1] != "Social protection - Cash"]
    nxt.write_bytes(csv_bytes(CLUSTER_ROWS[:1] + month))
    assert main(["validate", str(nxt), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["offlist"] == [] and out["accepted"] == 7


def test_validate_json_groups_issues_counts_queued_rows_and_says_why_it_cannot_read(shared_boundaries, tmp_path,
                                                                                   capsys, monkeypatch):
    import json

    from mapping.cli import main
    from mapping.geo import boundaries

    boundaries.import_path(shared_boundaries)
    rows = [["Organisation", "Sector", "Province", "District", "Status", "Activity"]]
    rows += [["IRP", "SHL", "Punjab", "Lahore", "ongoing", f"Shelter kits {i}"] for i in range(40)]
    rows += [["IRP", "Health", "Punjab", "Atlantis", "ongoing", f"Clinic {i}"] for i in range(7)]
    path = tmp_path / "national.csv"
    path.write_bytes(csv_bytes(rows))
    assert main(["validate", str(path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["rows"], out["accepted"], out["queued"]) == (47, 40, 7)
    assert [(g["column"], g["value"], g["severity"], g["count"], g["rows"]) for g in out["issues"]] == [
        ("District (D)", "Atlantis", "error", 7, [42, 43, 44, 45, 46]),
        ("Organisation (A)", "IRP", "warning", 1, [2]),
        ("Sector (B)", "SHL", "warning", 1, [2])]  # an off-list value is said once, whatever its row count
    assert main(["validate", str(path), "--json", "--all-issues"]) == 1
    assert len(json.loads(capsys.readouterr().out)["issues"]) == 9
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook at all")
    assert main(["validate", str(junk), "--json"]) == 2
    said = json.loads(capsys.readouterr().out)
    assert said["file"] == "junk.xlsx" and "is not a spreadsheet Stocktake can read" in said["error"]
    assert main(["validate", str(tmp_path / "missing.xlsx"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"].startswith("Cannot read")
    # a national file over a focal point's limit: refused as a return, read as an admin's consolidated import
    monkeypatch.setenv("STOCKTAKE_MAX_UPLOAD_MB", "0.001")
    assert main(["validate", str(path), "--json"]) == 2
    assert "over the 0 MB limit" in json.loads(capsys.readouterr().out)["error"]
    assert main(["validate", str(path), "--json", "--consolidated"]) == 1
    assert json.loads(capsys.readouterr().out)["rows"] == 47
