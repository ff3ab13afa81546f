"""IATI 2.03 activity files written the way different publishers write them (fictional organisations only)."""

from __future__ import annotations

from lxml import etree


def activity(ident: str, *, reporting: tuple[str, str] = ("XM-FICT-1", "Northwind Relief (fictional)"),
             countries: tuple[tuple[str, float | None], ...] = (("PK", None),),
             regions: tuple[str, ...] = (),
             status: str | None = "2",
             dates: dict[str, str] | None = None,
             sectors: tuple[tuple[str, str, float | None], ...] = (("1", "12220", None),),
             locations: tuple[dict, ...] = (),
             participants: tuple[tuple[str, str], ...] = (),
             budgets: tuple[tuple[str, str, float, str | None, str], ...] = (),
             commitments: tuple[tuple[float, str | None], ...] = (),
             default_currency: str | None = "USD",
             related: tuple[tuple[str, str], ...] = (),
             hierarchy: str | None = None,
             title: str | None = None) -> etree._Element:
    """One <iati-activity>. budgets: (start, end, value, currency, type '1' original / '2' revised)."""
    act = etree.Element("iati-activity")
    if default_currency:
        act.set("default-currency", default_currency)
    if hierarchy:
        act.set("hierarchy", hierarchy)
    etree.SubElement(act, "iati-identifier").text = ident
    rep = etree.SubElement(act, "reporting-org", ref=reporting[0], type="21")
    etree.SubElement(rep, "narrative").text = reporting[1]
    t = etree.SubElement(act, "title")
    etree.SubElement(t, "narrative").text = title or f"Project {ident}"
    fr = etree.SubElement(t, "narrative")
    fr.text = f"Projet {ident}"
    fr.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    for role, name in participants:
        p = etree.SubElement(act, "participating-org", role=role)
        etree.SubElement(p, "narrative").text = name
    if status:
        etree.SubElement(act, "activity-status", code=status)
    for kind, day in (dates or {"2": "2025-02-01", "3": "2027-12-31"}).items():
        etree.SubElement(act, "activity-date", type=kind, **{"iso-date": day})
    for code, pct in countries:
        el = etree.SubElement(act, "recipient-country", code=code)
        if pct is not None:
            el.set("percentage", str(pct))
    for code in regions:
        etree.SubElement(act, "recipient-region", code=code, vocabulary="1")
    for loc in locations:
        el = etree.SubElement(act, "location")
        if loc.get("name"):
            n = etree.SubElement(el, "name")
            etree.SubElement(n, "narrative").text = loc["name"]
        if loc.get("code"):
            etree.SubElement(el, "administrative", vocabulary=loc.get("vocabulary", "G1"), level="2",
                             code=loc["code"])
        if loc.get("pos"):
            point = etree.SubElement(el, "point", srsName="http://www.opengis.net/def/crs/EPSG/0/4326")
            etree.SubElement(point, "pos").text = loc["pos"]
    for vocab, code, pct in sectors:
        el = etree.SubElement(act, "sector", vocabulary=vocab, code=code)
        if pct is not None:
            el.set("percentage", str(pct))
    for start, end, value, ccy, kind in budgets:
        b = etree.SubElement(act, "budget", type=kind, status="1")
        etree.SubElement(b, "period-start", **{"iso-date": start})
        etree.SubElement(b, "period-end", **{"iso-date": end})
        v = etree.SubElement(b, "value", **{"value-date": start})
        v.text = str(value)
        if ccy:
            v.set("currency", ccy)
    for value, ccy in commitments:
        tr = etree.SubElement(act, "transaction")
        etree.SubElement(tr, "transaction-type", code="2")
        etree.SubElement(tr, "transaction-date", **{"iso-date": "2025-01-15"})
        v = etree.SubElement(tr, "value", **{"value-date": "2025-01-15"})
        v.text = str(value)
        if ccy:
            v.set("currency", ccy)
    for kind, ref in related:
        etree.SubElement(act, "related-activity", type=kind, ref=ref)
    return act


def iati_file(*activities: etree._Element, version: str = "2.03") -> bytes:
    root = etree.Element("iati-activities", version=version, **{"generated-datetime": "2026-10-01T00:00:00Z"})
    for a in activities:
        root.append(a)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
