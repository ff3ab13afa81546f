"""The PDF snapshot a partnership group takes into meetings: it must stand on its own on paper.

A reader who never opened the app must see what was counted (filters, round, returns received, who has
not reported), when (generation time, data version) and by which rule (the counting rules close the
document). Numbers come from `mapping.analysis` only, so the PDF agrees with the screen and the exports;
colours come from `mapping.palette`. Maps are drawn by `report_maps` (matplotlib, no browser). Every
user-supplied string is XML-escaped before it reaches reportlab's Paragraph markup.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from mapping.analysis import matrices as an
from mapping.analysis.frame import sector_universe
from mapping.analysis.headlines import headlines as headline_sentences
from mapping.outputs import fonts
from mapping.outputs.report_tables import (
    annex_flowables,
    gaps_table,
    grouped_matrix_tables,
    matrix_tables,
    overlaps_table,
)

PAGE = landscape(A4)
MARGIN_X = 14 * mm
MARGIN_TOP = 14 * mm
MARGIN_BOTTOM = 17 * mm
FRAME_W = PAGE[0] - 2 * MARGIN_X
FRAME_H = PAGE[1] - MARGIN_TOP - MARGIN_BOTTOM
DEMO_BANNER = "ILLUSTRATIVE DEMO DATA — fictional organisations, not real programmes"
GREY = colors.HexColor("#555555")
BLUE = colors.HexColor("#253494")


def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles in the embedded fonts (registered on first use)."""
    f = fonts.register()
    base = ParagraphStyle("base", fontName=f["sans"], fontSize=9, leading=11.5, alignment=TA_LEFT,
                          bulletFontName=f["sans"])
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=GREY),
        "tiny": ParagraphStyle("tiny", parent=base, fontSize=6.8, leading=8.2),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.2, leading=8.6),
        "cellb": ParagraphStyle("cellb", parent=base, fontName=f["bold"], fontSize=7.2, leading=8.6),
        "head": ParagraphStyle("head", parent=base, fontName=f["bold"], fontSize=7.2, leading=8.6,
                               alignment=TA_CENTER),
        "h1": ParagraphStyle("h1", parent=base, fontName=f["bold"], fontSize=15, leading=19, spaceAfter=5,
                             textColor=BLUE),
        "h2": ParagraphStyle("h2", parent=base, fontName=f["bold"], fontSize=11, leading=14, spaceBefore=6,
                             spaceAfter=3),
        "title": ParagraphStyle("title", parent=base, fontName=f["bold"], fontSize=26, leading=31,
                                textColor=BLUE, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=13, leading=17, textColor=GREY,
                                   spaceAfter=12),
        "bullet": ParagraphStyle("bullet", parent=base, fontSize=10, leading=13.5, leftIndent=12,
                                 bulletIndent=2, spaceAfter=3),
        "banner": ParagraphStyle("banner", parent=base, fontName=f["bold"], fontSize=12, leading=15,
                                 textColor=colors.white, alignment=TA_CENTER),
    }


def _font() -> tuple:
    """Every table names its font: reportlab's default cell font is Helvetica, which is not embedded."""
    return ("FONT", (0, 0), (-1, -1), fonts.register()["sans"], 9)


def esc(text: Any) -> str:
    """User text as safe Paragraph markup (& < > escaped; Urdu set in the Arabic-script font)."""
    return fonts.markup(text)


# ------------------------------------------------------------------------------------------- page chrome
def _numbered_canvas(footer: dict) -> type:
    """A canvas that knows the page count, for "Page 3 of 12" and a footer on every page."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if not kwargs.get("initialFontName"):  # no stray Helvetica: every font embedded
                kwargs["initialFontName"] = fonts.register()["sans"]
            super().__init__(*args, **kwargs)
            self._saved: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._draw_chrome(total)
                super().showPage()
            super().save()

        def _draw_chrome(self, total: int) -> None:
            f = fonts.register()
            w, _h = PAGE
            self.saveState()
            self.setStrokeColor(colors.HexColor("#bbbbbb"))
            self.setLineWidth(0.4)
            self.line(MARGIN_X, MARGIN_BOTTOM - 4 * mm, w - MARGIN_X, MARGIN_BOTTOM - 4 * mm)
            self.setFillColor(GREY)
            self._mixed(MARGIN_X, MARGIN_BOTTOM - 7.5 * mm, footer["left"], 7)
            self.setFont(f["sans"], 7)
            self.drawRightString(w - MARGIN_X, MARGIN_BOTTOM - 7.5 * mm, f"Page {self._pageNumber} of {total}")
            self._mixed(MARGIN_X, MARGIN_BOTTOM - 10.5 * mm, footer["attribution"][:230], 6)
            if footer.get("demo"):
                self.setFillColor(colors.HexColor("#b2182b"))
                self.setFont(f["bold"], 7.5)
                self.drawRightString(w - MARGIN_X, PAGE[1] - MARGIN_TOP + 4 * mm, "ILLUSTRATIVE DEMO DATA")
            self.restoreState()

        def _mixed(self, x: float, y: float, text: str, size: float) -> None:
            """One footer line: Latin in DejaVu, Arabic-script runs (an Urdu title) shaped, in Noto Naskh."""
            from reportlab.pdfbase.pdfmetrics import stringWidth

            f = fonts.register()
            for run, arabic in fonts.runs(text):
                face = f["arabic"] if arabic else f["sans"]
                self.setFont(face, size)
                self.drawString(x, y, run)
                x += stringWidth(run, face, size)

    return NumberedCanvas


# ------------------------------------------------------------------------------------------------ pieces
def describe_filters(filters: Any) -> str:
    """What the reader must know about the selection; "none" said plainly rather than left blank."""
    if filters is None:
        return "None: every current activity is included."
    text = filters.describe() if hasattr(filters, "describe") else str(filters)
    return text or "None: every current activity is included."


def cover(st: dict, *, title: str, round_name: str | None, filters: Any, returns_count: int,
          missing_orgs: Sequence[str], data_version: str, generated_at: datetime, bset: Any,
          headlines: Sequence[str], demo: bool, activities: int, partners: int,
          need_label: str | None = None) -> list:
    """The first page: what this is, what it covers, and how complete it is."""
    story: list = []
    if demo:
        banner = Table([[Paragraph(DEMO_BANNER, st["banner"])]], colWidths=[FRAME_W])
        banner.setStyle(TableStyle([_font(), ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#b2182b")),
                                    ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        story += [banner, Spacer(1, 6 * mm)]
    else:
        story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(esc(title), st["title"]))
    story.append(Paragraph("Who does what where — stocktake snapshot", st["subtitle"]))
    if missing_orgs:
        missing = f"{len(missing_orgs)}: " + ", ".join(esc(o) for o in sorted(missing_orgs))
    else:
        missing = "None: every registered organisation has a return in this snapshot."
    boundary = getattr(bset, "version", "") or ""
    rows = [
        ("Round", esc(round_name or "All rounds (current data)")),
        ("Filters applied", esc(describe_filters(filters))),
        ("Based on", f"{returns_count} return{'s' if returns_count != 1 else ''} · {activities:,} activities · "
                     f"{partners} partner{'s' if partners != 1 else ''}"),
        ("Not reported yet", missing),
        ("Data version", f"{esc(data_version)} <font color='#555555' size='7.5'>(changes whenever a return is "
                         f"added, replaced or rolled back)</font>"),
        ("Generated", generated_at.strftime("%d %B %Y, %H:%M UTC")),
        ("Boundaries", esc(boundary)),
    ]
    if need_label:
        rows.insert(4, ("Need indicator", f"{esc(need_label)} (gaps are ranked by it, highest need first)"))
    body = [[Paragraph(f"<b>{k}</b>", st["base"]), Paragraph(v, st["base"])] for k, v in rows]
    t = Table(body, colWidths=[42 * mm, FRAME_W - 42 * mm])
    t.setStyle(TableStyle([_font(), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -2), 0.3,
                                                                     colors.HexColor("#dddddd")),
                           ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    story += [t, Spacer(1, 6 * mm)]
    if headlines:
        story.append(Paragraph("In short", st["h2"]))
        story += [Paragraph(esc(h), st["bullet"], bulletText="•") for h in headlines]
    return story


def map_section(st: dict, png: bytes, facts: dict, *, heading: str, explain: str, bset: Any) -> list:
    """One map page: heading, the map with its legend, what it shows, and the boundary credit under it."""
    from reportlab.lib.utils import ImageReader

    img_reader = ImageReader(io.BytesIO(png))
    iw, ih = img_reader.getSize()
    max_h = FRAME_H - 26 * mm
    max_w = FRAME_W - 64 * mm
    scale = min(max_h / ih, max_w / iw)
    img = Image(io.BytesIO(png), width=iw * scale, height=ih * scale)
    meta = getattr(bset, "meta", {}) or {}
    in_scope = facts.get("in_scope", 0)
    notes = [explain,
             f"<b>{facts.get('zero_districts', 0)}</b> of {in_scope} districts in scope have no partner "
             f"(hatched grey).",
             f"Most partners in one district: <b>{facts.get('vmax', 0)}</b>.",
             f"Scale bar: {facts.get('scale_km', 0)} km, measured at the map's mid-latitude."]
    side = [Paragraph(n, st["base"]) for n in notes]
    side = [x for p in side for x in (p, Spacer(1, 3 * mm))]
    layout = Table([[img, side]], colWidths=[max_w + 4 * mm, FRAME_W - max_w - 4 * mm])
    layout.setStyle(TableStyle([_font(), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    credit = [Paragraph(esc(meta.get("attribution") or "Boundaries: source not recorded."), st["small"])]
    if meta.get("disclaimer"):
        credit.append(Paragraph(esc(meta["disclaimer"]), st["small"]))
    return [Paragraph(esc(heading), st["h1"]), layout, Spacer(1, 2 * mm), *credit]


def _partners_values(summary: pd.DataFrame) -> pd.Series:
    df = summary.reset_index() if "adm2_pcode" not in summary.columns else summary
    col = "partners" if "partners" in df.columns else df.columns[1]
    return pd.Series(pd.to_numeric(df[col], errors="coerce").fillna(0).to_numpy(), index=df["adm2_pcode"])


def _in_scope(units: pd.DataFrame, filters: Any) -> set[str] | None:
    """Districts the geographic filters keep: other districts are drawn blank, not as gaps."""
    if filters is None:
        return None
    provs = set(getattr(filters, "provinces", ()) or ())
    dists = set(getattr(filters, "districts", ()) or ())
    if not provs and not dists:
        return None
    keep = units
    if provs:
        keep = keep[keep["adm1_pcode"].isin(provs) | keep["adm1_name"].isin(provs)]
    if dists:
        keep = keep[keep["adm2_pcode"].isin(dists) | keep["adm2_name"].isin(dists)]
    return set(keep["adm2_pcode"])


def definitions_section(st: dict, rules: Sequence[str], bset: Any, data_version: str) -> list:
    """The last page: the rules behind every number, so the paper copy can be checked."""
    meta = getattr(bset, "meta", {}) or {}
    rule = ParagraphStyle("rule", parent=st["bullet"], fontSize=8, leading=10, spaceAfter=2)
    story = [Paragraph("Counting rules and definitions", st["h1"])]
    story += [Paragraph(esc(r), rule, bulletText="•") for r in rules]
    defs = [
        ("Partner", "an organisation reporting an activity (or the implementing organisation, when the filters "
                    "say so); counted once per district and sector however many activities it has there."),
        ("Gap", "a district and sector in scope with no partner."),
        ("Overlap", "a district where several partners work in the same sub-sector with overlapping dates: "
                    "their focal points should talk to each other."),
        ("Return", "one organisation's Excel sheet for a reporting round; the latest accepted return of each "
                   "organisation is used."),
        ("Data version", f"{esc(data_version)}: a short hash of the returns included. Two snapshots with the "
                         "same data version show the same data."),
        ("Heat colours", "darker blue = more; grey = none (0, shown as –). The same scale is used on screen, in "
                         "this PDF and in the Excel exports."),
        ("Boundaries", esc(meta.get("attribution") or "not recorded")),
    ]
    story.append(Paragraph("Definitions", st["h2"]))
    story += [Paragraph(f"<b>{k}</b>: {v}", rule, bulletText="•") for k, v in defs]
    if meta.get("disclaimer"):
        story += [Spacer(1, 3 * mm), Paragraph(esc(meta["disclaimer"]), st["small"])]
    return story


# ------------------------------------------------------------------------------------------------ build
def build_snapshot(acts: pd.DataFrame, units: pd.DataFrame, bset: Any, *, filters: Any = None,
                   title: str = "Stocktake", round_name: str | None = None, returns_count: int = 0,
                   missing_orgs: Sequence[str] = (), data_version: str = "", sectors: Sequence[str] = (),
                   need: pd.DataFrame | pd.Series | None = None, sector_maps: Sequence[str] = (),
                   district_annex: bool = False, generated_at: datetime | None = None, demo: bool = False,
                   overlap_min: int = 2, overlap_limit: int | None = 120, map_dpi: int = 150,
                   people: Sequence[Any] = (), extra_sections: Sequence[list] = ()) -> bytes:
    """The whole snapshot as PDF bytes (A4 landscape): cover, maps, matrices, gaps, overlaps, annex, rules.

    `extra_sections`: lists of flowables (each starts on a new page) that other outputs add, e.g. programmes.
    """
    from mapping.outputs import report_maps

    st = styles()
    generated_at = generated_at or datetime.now(UTC)
    f = filters if filters is not None else an.Filters()
    acts = an.prepare(acts, units)  # clean once, not in every analysis call
    scoped = an.apply_filters(acts, f)
    # gaps and headlines over the sectors the app uses (the list, or those asked for): a value not on the list
    # ("Peacebuilding", kept as written until mapped) is nobody's gap, and the cover said "No partner works on
    # Peacebuilding in 159 districts" where the Overview named a listed sector
    sector_list = sector_universe(list(sectors) or None, f)
    sector_arg = sector_list
    # the matrices append reported sectors themselves, labelling those not on the list
    matrix_sectors = sector_list
    summary = an.district_summary(acts, units, f)
    partner_col = "partner" if "partner" in scoped.columns else "org_name"
    headlines = headline_sentences(acts, units, sectors=sector_arg, filters=f, need=need)
    gp = an.gaps(acts, units, sectors=sector_arg, filters=f, need=need)
    need_label = gp.attrs.get("need_label") if need is not None else None
    story: list = cover(st, title=title, round_name=round_name, filters=f, returns_count=returns_count,
                        missing_orgs=missing_orgs, data_version=data_version, generated_at=generated_at,
                        bset=bset, headlines=headlines, demo=demo, activities=len(scoped),
                        partners=int(scoped[partner_col].nunique()), need_label=need_label)
    adm1, adm2 = report_maps.simplified_layers(bset)
    in_scope = _in_scope(units, filters)
    png, facts = report_maps.partners_map_png(adm1, adm2, _partners_values(summary), in_scope=in_scope, dpi=map_dpi)
    story += [PageBreak(), *map_section(
        st, png, facts, heading="Where partners work", bset=bset,
        explain="Each district is coloured by the number of <b>distinct partners</b> with at least one activity "
                "there, after the filters on the cover. Province-wide and national activities are not spread over "
                "districts (see the counting rules).")]
    for sector in sector_maps:
        fs = dataclasses.replace(f, sectors=(sector,))
        s_summary = an.district_summary(acts, units, fs)
        png, facts = report_maps.partners_map_png(adm1, adm2, _partners_values(s_summary), in_scope=in_scope,
                                                  legend_title=f"Partners: {sector}"[:40], dpi=map_dpi)
        story += [PageBreak(), *map_section(
            st, png, facts, heading=f"{sector}: where partners work", bset=bset,
            explain=f"Distinct partners with at least one <b>{esc(sector)}</b> activity in the district.")]
    # matrices
    sd = an.matrix(acts, units, rows="district", cols="sector", measure="partners", filters=f, sectors=matrix_sectors)
    story += [PageBreak(), Paragraph("Partners by district and sector", st["h1"]),
              Paragraph("Distinct partners per district and sector, districts grouped by province. "
                        "– = no partner (a gap). Totals count each partner once.", st["small"]), Spacer(1, 2 * mm)]
    story += grouped_matrix_tables(sd, units, st, FRAME_W)
    ps = an.matrix(acts, units, rows="partner", cols="sector", measure="activities", filters=f,
                   sectors=matrix_sectors)
    story += [PageBreak(), Paragraph("Activities by partner and sector", st["h1"]),
              Paragraph("Number of activities each partner reports per sector.", st["small"]), Spacer(1, 2 * mm)]
    story += matrix_tables(ps, st, FRAME_W, first_label="Partner")
    # gaps and overlaps
    story += [PageBreak(), Paragraph("Gaps: districts and sectors with no partner", st["h1"])]
    story += gaps_table(gp, st, FRAME_W, ranked_by_need=need is not None, sectors=sector_list)
    ov = an.overlaps(acts, filters=f, min_partners=overlap_min, units=units)
    story += [CondPageBreak(60 * mm), Spacer(1, 6 * mm), Paragraph("Overlaps: partners doing the same thing in the same place",
                                                st["h1"])]
    story += overlaps_table(ov, st, FRAME_W, min_partners=overlap_min,
                            rule=f"Listed when at least {overlap_min} different partners work in the same district "
                                 "and sub-sector with activities running on at least one same day.",
                            limit=overlap_limit)
    if district_annex:
        story += [PageBreak(), Paragraph("District annex", st["h1"]),
                  Paragraph("Every district with at least one activity: who is there, doing what, since when.",
                            st["small"])]
        story += annex_flowables(scoped, units, st, FRAME_W)
    if people:  # suppressed overlap tables of consenting programme pairs (analysis.people_overlap.OverlapTable)
        from mapping.outputs.report_people import people_section

        story += [PageBreak(), *people_section(st, people, units, FRAME_W)]
    for section in extra_sections:  # e.g. the forum's programmes, built by their own output module
        story += [PageBreak(), *section]
    story += [PageBreak(), KeepTogether(definitions_section(st, list(an.COUNTING_RULES), bset,
                                                            data_version))]
    meta = getattr(bset, "meta", {}) or {}
    footer = {"left": f"{title} · {round_name or 'all rounds'} · data version {data_version} · generated "
                      f"{generated_at.strftime('%Y-%m-%d %H:%M UTC')}",
              "attribution": meta.get("attribution_short") or meta.get("attribution") or "", "demo": demo}
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
                            bottomMargin=MARGIN_BOTTOM, title=title, author="Stocktake",
                            subject=f"Stocktake snapshot, data version {data_version}",
                            initialFontName=fonts.register()["sans"])
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return buf.getvalue()
