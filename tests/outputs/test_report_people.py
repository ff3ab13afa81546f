"""The PDF snapshot's "People in two programmes" section: suppressed figures only, with the rule stated."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from mapping.analysis import people_overlap as po
from mapping.geo import boundaries
from mapping.outputs import report
from tests.factories.report import LAHORE, activity, frame


@pytest.fixture(scope="module")
def pak(shared_boundaries, tmp_path_factory):
    return boundaries.import_path(shared_boundaries, dest=tmp_path_factory.mktemp("shapefiles"))


def test_snapshot_gains_the_people_section_with_suppressed_cells(pak):
    units = boundaries.units(pak)
    lahore, quetta = LAHORE["adm2_pcode"], "PK226"
    exact = po.ExactOverlap(people_a=1_504, people_b=1_236, in_both=1_004,
                            by_district={lahore: {"in_both": 1_000, "only_a": 400, "only_b": 200, "people": 1_600},
                                         quetta: {"in_both": 4, "only_a": 100, "only_b": 32, "people": 136}},
                            elsewhere=0)
    table = po.suppress(exact, ("Cash <for> Families (fictional)", "Mother & Child (fictional)"), threshold=10,
                        round_name="2026 H2")
    pdf = report.build_snapshot(frame([activity(**LAHORE)]), units, pak, title="People test", round_name="2026 H2",
                                returns_count=1, data_version="dv1", people=[table])
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    text = next(t for t in pages if "People in two programmes" in t)
    assert "Cash <for> Families (fictional) and Mother & Child (fictional) — round 2026 H2" in text
    assert 'Counts from 1 to 9 are shown as "<10"' in text
    assert "Quetta" in text and "<10" in text and "suppressed" in text
    assert "Lahore" in text and "1,000" not in text  # secondary suppression hides Lahore's in-both count
    assert "Only in Cash <for> Families (fictional)" in text
    total = " ".join(po.figure(table.total[c]) for c in po.COLUMNS)
    assert total == "1,004 500 232" and f"Total {total}" in text  # written as the page writes it
    plain = report.build_snapshot(frame([activity(**LAHORE)]), units, pak, title="People test",
                                  round_name="2026 H2", returns_count=1, data_version="dv1")
    assert not any("People in two programmes" in p.extract_text() for p in PdfReader(io.BytesIO(plain)).pages)
