"""The checks of one field's value, each on its own: what a focal point would read in the report for that cell."""

from __future__ import annotations

import datetime as dt

from mapping.returns import checks
from mapping.returns.checks import Context, Finding
from mapping.returns.ingest import read_return
from mapping.returns.normalise import VocabIndex
from mapping.returns.organisations import OrgIndex
from mapping.returns.schema import load_vocabularies
from tests.factories.returns import ORGS, pak_gazetteer, row, template_return


def context(*, own: str | None = None, strict: bool = False) -> Context:
    vocab = load_vocabularies()
    orgs = OrgIndex(ORGS)
    return Context(pak_gazetteer(), vocab, VocabIndex(vocab), orgs, have_orgs=True,
                   own=orgs.find(own) if own else None, today=dt.date(2025, 6, 1), strict=strict)


def test_a_close_spelling_of_a_district_is_matched_with_a_warning_said_once_per_value():
    ctx = context()
    out = checks.check_location(ctx, ("Punjab", "Lahor", None, None, None))
    assert (out.update["adm2_pcode"], out.update["scope"], out.update["extra"]) == (
        "PK617", "district", {"adm2_as_written": "Lahor"})
    [finding] = out.findings
    assert (finding.field, finding.severity, finding.row) == ("adm2_name", "warning", None)
    assert finding.message == "Matched 'Lahor' to Lahore (PK617) by close spelling; check it."
    assert ctx.once == {finding.message}


def test_an_unknown_district_is_an_error_and_sets_nothing_and_a_province_wide_activity_needs_its_province():
    ctx = context()
    out = checks.check_location(ctx, ("Punjab", "Atlantis", None, None, None))
    assert out.update is None
    assert [(f.field, f.severity) for f in out.findings] == [("adm2_name", "error")]
    assert out.findings[0].message == "'Atlantis' is not a district of Punjab."
    wide = checks.check_location(ctx, ("Sindh", None, None, None, "Province-wide"))
    assert (wide.update["scope"], wide.update["adm1_pcode"], wide.findings) == ("province", "PK7", ())
    nowhere = checks.check_location(ctx, (None, None, None, None, "Province-wide"))
    assert [(f.field, f.message) for f in nowhere.findings] == [
        ("adm1_name", "Province is empty; a province-wide activity needs its province.")]


def test_numbers_are_never_guessed_never_negative_and_never_beyond_belief():
    ctx = context()
    assert checks.check_number(ctx, "targeted", "1,200").update == {"targeted": 1200}
    negative = checks.check_number(ctx, "reached", -5)
    assert negative.update is None and negative.findings[0].message == "Beneficiaries reached cannot be negative (-5)."
    huge = checks.check_number(ctx, "targeted", 1e308)
    assert huge.update is None and "STOCKTAKE_MAX_PEOPLE" in huge.findings[0].suggestion
    lakh = checks.check_number(ctx, "budget", "1,25,000")
    assert lakh.update == {"budget": 125000} and lakh.findings[0].severity == "warning"
    assert checks.check_number(ctx, "budget", None) is checks.NOTHING


def test_a_focal_point_may_only_report_its_own_organisation_and_an_unlisted_name_is_said_once():
    mine = context(own="IRP")
    assert checks.check_org(mine, ("Indus Relief", None)).update["org_name"] == "Indus Relief Partners"
    other = checks.check_org(mine, ("UNICEF", None))
    assert other.update is None and other.findings[0].severity == "error"
    assert "This return is for Indus Relief Partners, but this row names 'UNICEF'" in other.findings[0].message
    national = context()
    out = checks.check_org(national, ("Save the Goats", "STG"))
    assert out.update == {"org_name": "Save the Goats", "org_acronym": "STG"}
    assert [f.severity for f in out.findings] == ["warning"]
    assert national.offlist[out.findings[0].message]["value"] == "Save the Goats"


def test_a_status_off_the_list_is_kept_unless_the_deployment_is_strict():
    relaxed = checks.check_term(context(), "status", "Em andamento")
    assert relaxed.update == {"status": "Em andamento"} and relaxed.findings[0].severity == "warning"
    strict = checks.check_term(context(strict=True), "status", "Em andamento")
    assert strict.update is None and strict.findings[0].severity == "error"
    empty = checks.check_term(context(), "status", None)
    assert empty.findings[0].message == "Status is empty; every activity needs one."
    assert checks.check_term(context(), "modality", None) is checks.NOTHING


def test_row_checks_compare_the_fields_of_one_record():
    rec = {"start_date": dt.date(2025, 5, 1), "end_date": dt.date(2025, 1, 1), "targeted": 100, "reached": 250}
    assert checks.check_dates_in_order(rec, "01/01/2025") == Finding(
        "end_date", "01/01/2025", "error", "End date 01/01/2025 is before start date 01/05/2025.",
        "Swap the two dates or correct the year.")
    assert checks.check_reached(rec, 250).message.startswith("Beneficiaries reached (250) is more than targeted (100)")
    assert checks.check_dates_in_order({"start_date": dt.date(2025, 1, 1)}, None) is None
    assert checks.check_reached({"targeted": 100, "reached": 100}, 100) is None


def test_a_district_read_by_close_spelling_on_many_rows_is_said_once_with_its_count():
    data = template_return([row(adm2_name="Lahor", activity=f"Clinic {i}") for i in range(4)])
    steps: list[tuple[float, str]] = []
    result = read_return(data, "return.xlsx", gazetteer=pak_gazetteer(), orgs=ORGS, today=dt.date(2025, 6, 1),
                         progress=lambda fraction, what: steps.append((fraction, what)))
    close = [i for i in result.issues if "by close spelling" in i.message]
    assert [(i.row, i.message) for i in close] == [
        (3, "Matched 'Lahor' to Lahore (PK617) by close spelling; check it. The same value is on 3 more row(s): "
            "4, 5, 6.")]
    assert result.accepted == 4
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any(what == "Checking places" for _, what in steps)
