"""An IATI file of 5,000 activities (a large publisher's country file) to a draft return.

Builds a fictional IATI 2.03 file with the real Pakistan boundaries: a third of the activities located by
p-code, a third by coordinates only (placed by point-in-polygon), a third country-wide; two or three DAC
sectors by percentage each; budgets by year. Prints:
  iati_parse_and_map_seconds  reading the XML and mapping every activity (target: with the draft <= 5 s)
  iati_draft_seconds          the same plus writing the pre-filled template
  iati_draft_cpu_seconds      the same in CPU seconds of this process (iati_write_cpu_seconds: the writing)
  iati_rows                   draft rows written
  iati_notes                  things reported as not mapped
Usage: python bench/iati.py [--activities N]
"""

from __future__ import annotations

import argparse
import random

from _common import SHARED_BOUNDARIES, emit, timed
from lxml import etree

from mapping.geo import boundaries
from mapping.geo.gazetteer import Gazetteer
from mapping.geo.points import locate_points
from mapping.returns import iati
from mapping.returns.schema import load_vocabularies

CODES = ["12220", "12240", "11220", "14031", "16010", "16012", "31150", "52010", "74020", "15180", "99999"]


def build(n: int, units, rng: random.Random) -> bytes:
    root = etree.Element("iati-activities", version="2.03")
    pcodes = list(units["adm2_pcode"])
    for i in range(n):
        a = etree.SubElement(root, "iati-activity", **{"default-currency": "USD"})
        etree.SubElement(a, "iati-identifier").text = f"XM-FICT-1-{i:05d}"
        rep = etree.SubElement(a, "reporting-org", ref="XM-FICT-1")
        etree.SubElement(rep, "narrative").text = "Northwind Relief (fictional)"
        etree.SubElement(etree.SubElement(a, "title"), "narrative").text = f"Project {i}"
        etree.SubElement(a, "activity-status", code=str(rng.choice([1, 2, 2, 2, 3])))
        etree.SubElement(a, "activity-date", type="2", **{"iso-date": "2025-01-01"})
        etree.SubElement(a, "recipient-country", code="PK")
        kind = i % 3
        for _ in range(rng.randint(1, 3)):
            loc = etree.SubElement(a, "location")
            if kind == 0:
                etree.SubElement(loc, "administrative", vocabulary="G1", level="2", code=rng.choice(pcodes))
            elif kind == 1:
                pos = f"{rng.uniform(24.5, 35.5):.4f} {rng.uniform(62.0, 76.5):.4f}"
                etree.SubElement(etree.SubElement(loc, "point"), "pos").text = pos
        codes = rng.sample(CODES, rng.randint(2, 3))
        for code, pct in zip(codes, (50, 30, 20)):
            etree.SubElement(a, "sector", vocabulary="1", code=code, percentage=str(pct))
        for year in (2025, 2026, 2027):
            b = etree.SubElement(a, "budget", type="1")
            etree.SubElement(b, "period-start", **{"iso-date": f"{year}-01-01"})
            etree.SubElement(b, "period-end", **{"iso-date": f"{year}-12-31"})
            etree.SubElement(b, "value").text = str(rng.randint(10, 900) * 1000)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--activities", type=int, default=5000)
    args = ap.parse_args()
    import tempfile
    from pathlib import Path

    bset = boundaries.import_path(SHARED_BOUNDARIES, dest=Path(tempfile.mkdtemp(prefix="bench-iati-")))
    units = boundaries.units(bset)
    gaz = Gazetteer.from_units(units, country="PAK")
    vocab = load_vocabularies()
    data = build(args.activities, units, random.Random(7))
    import datetime as dt
    period = (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    with timed() as t:
        draft = iati.read_iati(data, "bench.xml", country="PK", vocab=vocab, gazetteer=gaz, units=units,
                               locate=lambda lons, lats: locate_points(bset.adm2, lons, lats), period=period)
    emit("iati_parse_and_map_seconds", t["seconds"], "s")
    with timed() as t2:
        iati.draft_workbook(draft, vocab=vocab, units=units)
    emit("iati_draft_seconds", t["seconds"] + t2["seconds"], "s")
    emit("iati_draft_cpu_seconds", t["cpu"] + t2["cpu"], "s")
    emit("iati_write_cpu_seconds", t2["cpu"], "s")
    emit("iati_rows", len(draft.rows), "rows")
    emit("iati_notes", len(draft.notes), "notes")


if __name__ == "__main__":
    main()
