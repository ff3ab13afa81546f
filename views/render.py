"""Rendering helpers shared by pages: the folium map panel, a district profile, tidy tables.

Nothing here decides a number; it only shows what `mapping.analysis` and `mapping.maps` computed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from mapping import config
from mapping.analysis import matrices as analysis
from mapping.analysis.frame import scope
from mapping.outputs import maps, palette
from views import core, sidebar
from views.sidebar import View, describe

# Column labels people read, for tables that come straight from the engine.
LABELS = {
    "org_name": "Organisation", "org_acronym": "Acronym", "org_type": "Type", "org_impl": "Implementing partner",
    "org_funder": "Donor", "project": "Programme", "sector": "Sector", "subsector": "Sub-sector",
    "activity": "Activity", "modality": "Modality", "adm1_name": "Province", "adm1_pcode": "Province p-code",
    "adm2_name": "District", "adm2_pcode": "P-code", "scope": "Scope", "status": "Status",
    "start_date": "Start", "end_date": "End", "targeted": "Targeted", "reached": "Reached", "budget": "Budget",
    "currency": "Currency", "partners": "Partners", "activities": "Activities", "sectors": "Sectors",
    "gap_sectors": "Sectors missing", "gap_sector_names": "Which sectors", "contact_name": "Focal point", "contact_email": "E-mail",
    "contact_phone": "Phone", "round_name": "Round", "submitted_at": "Submitted", "need": "Need", "partner": "Partner",
    "since": "Since", "level": "Level", "partner_names": "Partner names", "district": "District", "province": "Province",
    "wide_partners": "Province-wide / national partners", "peak_partners": "Most at once",
    "overlap_from": "Overlap from", "overlap_to": "Overlap to", "need_rank": "Need rank",
    "org": "Organisation", "orgs": "Organisations", "iati_id": "IATI identifier", "aliases": "Other names",
    "has_password": "Password set", "locked_until": "Locked until",
}


# Stored codes people should read as words (submission status, account role), in the columns that hold them.
VALUE_WORDS = {"rolled_back": "rolled back", **core.ROLE_LABELS}
WORDED_COLUMNS = ("status", "role", "was")


def _missing(v: Any) -> bool:
    return v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def tidy(df: pd.DataFrame, columns: list[str] | None = None, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Only the columns asked for (when present), with readable headers; lists and stored codes shown as words."""
    if df is None or not len(df):
        return pd.DataFrame()
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    out = df[cols].copy()
    for c in out.columns:
        if out[c].dtype == object:  # a missing value reads as nothing, never as "None", "nan" or "NaT"
            out[c] = out[c].map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple, set)) else
                                "" if _missing(v) else v)
        if c in WORDED_COLUMNS and out[c].dtype == object:
            out[c] = out[c].map(lambda v: VALUE_WORDS.get(v, v) if isinstance(v, str) else v)
    names = {**LABELS, **(labels or {})}
    return out.rename(columns={c: names.get(c, c.replace("_", " ").capitalize()) for c in out.columns})


def table(df: pd.DataFrame, columns: list[str] | None = None, *, empty: str = "Nothing to show.",
          height: int | None = None, key: str | None = None, labels: dict[str, str] | None = None,
          widths: dict[str, str | int] | None = None, counts: tuple[str, ...] = ()) -> None:
    """A read-only table with readable headers; `widths` ("small", "medium", "large"
    or pixels, by engine column name) keeps a narrow panel from pushing columns off to the right; `counts` are
    whole numbers shown with thousands separators (21,000), still sorted as numbers."""
    shown = tidy(df, columns, labels)
    if not len(shown):
        st.caption(empty)
        return
    kw: dict[str, Any] = {"hide_index": True, "width": "stretch"}
    if height:
        kw["height"] = height
    if key:
        kw["key"] = key
    if widths or counts:
        names = {**LABELS, **(labels or {})}

        def header(c: str) -> str:
            return names.get(c, c.replace("_", " ").capitalize())

        config: dict[str, Any] = {header(c): st.column_config.Column(width=w) for c, w in (widths or {}).items()}
        for c in counts:
            config[header(c)] = st.column_config.NumberColumn(width=(widths or {}).get(c), format="localized")
        kw["column_config"] = config
    for c in shown.columns:  # timestamps as people read them, not ISO with a 'T'; none reads as nothing
        if pd.api.types.is_datetime64_any_dtype(shown[c]):
            shown[c] = shown[c].dt.strftime("%d %b %Y %H:%M").fillna("")
    st.dataframe(shown, **kw)


def ranking(top: pd.DataFrame, *, empty: str) -> None:
    """Districts as a short numbered list: name, province, partners and activities."""
    if top is None or not len(top):
        st.caption(empty)
        return
    lines = []
    for i, r in enumerate(top.to_dict("records"), 1):
        partners, acts = int(r.get("partners", 0)), int(r.get("activities", 0))
        province = f" ({core.esc(r['adm1_name'])})" if r.get("adm1_name") else ""
        lines.append(f"{i}. **{core.esc(r.get('adm2_name'))}**{province}: {partners} partner{'s' * (partners != 1)}, "
                     f"{acts} activit{'y' if acts == 1 else 'ies'}")
    st.markdown("\n".join(lines))


def wide_lines(wide: pd.DataFrame, *, limit: int, empty: str) -> None:
    """Province-wide and national activities as lines: who, sector, what, where, status, people targeted."""
    if wide is None or not len(wide):
        st.caption(empty)
        return
    lines = []
    for a in wide.head(limit).to_dict("records"):
        where = "national" if a.get("scope") == "national" else (a.get("adm1_name") or "province-wide")
        lines.append(f"- {_activity_line({**a, 'partner': a.get('org_name')})} — {core.esc(where)}")
    st.markdown("\n".join(lines))
    if len(wide) > limit:
        st.caption(f"The first {limit} of {len(wide)}; the Export page downloads them all.")


def _view_key(v: View) -> tuple:
    """What a page's figures depend on: the data version (which covers role and organisation), the boundary set,
    the filters and the need figure. Never the user: forty viewers share one entry."""
    a = v.actor
    return (v.version, a.role, a.org_id, v.geo.version if v.geo else None,
            tuple(sorted(v.filters.to_params().items())), v.need_key)


def district_summary(v: View) -> pd.DataFrame:
    """Per-district figures for the map (empty, never an exception, when there is no data or no boundaries)."""
    empty = pd.DataFrame(columns=["adm2_pcode", "partners", "activities", "gap_sectors"])
    if not len(v.acts) or v.geo is None:
        return empty
    with core.guarded("Summarising the districts"):
        return _summary(_view_key(v), v.prepared, v.units, v.filters, v.need)
    return empty


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _summary(key: tuple, _acts: pd.DataFrame, _units: pd.DataFrame, _filters, _need=None) -> pd.DataFrame:
    """district_summary once per data version, role, boundary set, filters and need figure (all in key)."""
    return analysis.district_summary(_acts, _units, _filters, need=_need)


def shared(kind: str, v: View, make, *extra):
    """An analysis result computed once per view (data version, role, boundaries, filters, need) and `extra`,
    then served to every session: the overview's gaps, overlaps and headlines, a district's profile. Forty
    members opening the same link cost one computation, not forty."""
    return _shared(kind, _view_key(v), extra, make)


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def _shared(kind: str, key: tuple, extra: tuple, _make):
    return _make()


@st.cache_data(show_spinner=False, max_entries=24, ttl=3600)
def _cached_bytes(kind: str, key: tuple, _make) -> bytes:
    return _make()


def cached_bytes(kind: str, v: View, make, *extra) -> bytes:
    """A download built once per data version, viewer and filters (exports of 10,000 rows take a moment)."""
    a = v.actor
    key = (v.version, a.role, a.user_id, a.org_id,
           tuple(sorted(v.filters.to_params().items())), *extra)
    return _cached_bytes(kind, key, make)


# ---------------------------------------------------------------- the district map
#
# The map is sent in two parts (issue 14). The base (Leaflet runtime, province outlines, attribution) depends
# only on the boundary set and is built once per process; its shapes are a JavaScript file the browser fetches
# beside the page. The style (fills, short tooltips, legend: a few kilobytes) is built once per view and sent
# as st_folium's dynamic-layer script, which the drawn map evaluates without being redrawn. The component is
# streamlit-folium's own (same frontend, same click reporting); only the Python half is done here, so the
# map's HTML is not rendered again on every run of every session.

GEOMETRY_COMPONENT = "stocktake_geometry"


@dataclass(frozen=True)
class _Base:
    script: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]


@st.cache_resource(show_spinner=False, max_entries=4)
def _geometry_file(version: str, folder: str, _geo: core.Geo) -> tuple[str, str]:
    """Write the boundary set's shapes as a JS file the browser can fetch and keep; (relative URL, global name)."""
    from streamlit.components.v1 import declare_component

    name, text = maps.geometry_js(maps.web_geometry(_geo.web_adm2, _geo.web_adm1))
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    target = path / name
    if not target.is_file():  # named by content: several app processes write the same bytes
        tmp = path / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    # a component's folder is served by Streamlit at /component/<name>/, next to streamlit-folium's own iframe
    served = declare_component(GEOMETRY_COMPONENT, path=str(path))
    return f"../{served.name}/{name}", maps.geometry_var(name)


@st.cache_resource(show_spinner=False, max_entries=8)
def _base(version: str, compact: bool, tiles: str, assets: str | None, attribution: str, disclaimer: str | None,
          geometry_url: str, geometry_name: str) -> _Base:
    """The map's base as streamlit-folium's component receives it; built once, shared by every session."""
    import streamlit_folium as sf

    m = maps.base_map(geometry_name=geometry_name, attribution=attribution, tiles=tiles, disclaimer=disclaimer,
                      assets=assets, compact=compact)
    m.get_root().render()
    html_part, header = sf._get_html(m), sf._get_header(m)
    script = sf._get_map_string(m)
    css: list[str] = []
    js: list[str] = []
    stack = [m]
    while stack:  # the scripts and styles the map's elements need (Leaflet; the tile layer's if any)
        elem = stack.pop(0)
        css.extend(href for _, href in getattr(elem, "default_css", []))
        js.extend(src for _, src in getattr(elem, "default_js", []))
        stack.extend(getattr(elem, "_children", {}).values())
    return _Base(script=script, header=header, html=html_part, map_id=sf.get_full_id(m),
                 css_links=tuple(dict.fromkeys(css)), js_links=(*dict.fromkeys(js), geometry_url))


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _style(key: tuple, measure: str, note: str | None, compact: bool, _summary: pd.DataFrame,
           _v: View) -> maps.MapStyle:
    """Fills, tooltips and legend once per view and measure (the key holds data version, filters, need)."""
    unit = maps.budget_unit(_v.filtered) if measure == "budget" else ""  # the stored rows: budgets as reported
    return maps.map_style(_summary, measure, unit=unit, note=None if compact else note, compact=compact,
                          hint=not compact)


def view_style(v: View, summary: pd.DataFrame, measure: str, *, compact: bool) -> maps.MapStyle:
    """The map's colours for a view, from the shared cache: the page and the start-up warm-up ask alike."""
    return _style(_view_key(v), measure, describe(v) or None, compact, summary, v)


def map_panel(v: View, summary: pd.DataFrame, *, measure: str = "partners", height: int = 600,
              key: str = "district_map", interactive: bool = True, selected: str | None = None,
              focus: str | None = None) -> str | None:
    """Draw the district map; return the p-code of a clicked district (None when nothing was clicked).

    `focus` pans and zooms the drawn map to that district (picked in a list), once.
    """
    import streamlit_folium as sf

    if v.geo is None:
        return None
    geo = v.geo
    url, name = _geometry_file(geo.version, str(config.data_dir() / "web"), geo)
    base = _base(geo.version, not interactive, str(config.tiles()), LEAFLET_ASSETS, geo.attribution,
                 geo.disclaimer, url, name)
    style = view_style(v, summary, measure, compact=not interactive)
    # the component's identity follows the base only, so a new style restyles the drawn map instead of a new one
    widget = sf.generate_js_hash(base.script, key, False)
    # the click counter makes a second click on the same district a new value (st_folium sends only changes),
    # since the map is no longer redrawn, and its memory reset, when another district is picked in the list
    # (in the order streamlit-folium's frontend builds its value: it compares the JSON text of the two, so the
    # default in another key order reads as a change when the drawn map fits its bounds, and every visit ran the
    # page a second time for nothing)
    returned = ["last_object_clicked_count", "last_active_drawing"] if interactive else []

    def _on_change() -> None:
        st.session_state[key] = st.session_state.get(widget, {})

    out = sf._component_func(
        script=base.script, header=base.header, html=base.html, id=base.map_id, key=widget, height=height,
        width=None, returned_objects=returned, default={k: 0 if k.endswith("_count") else None for k in returned}, zoom=None, center=None,
        feature_group=maps.style_script(style, selected=selected, focus=focus), return_on_hover=False,
        layer_control=None, pixelated=False, css_links=list(base.css_links), js_links=list(base.js_links),
        on_change=_on_change, wrap_longitude=False)
    if not interactive or not out:
        return None
    return maps.feature_pcode(out.get("last_active_drawing"))


def warm_up() -> None:
    """Prepare, once when the server starts, what the first visitor's map would otherwise wait for.

    Run in a background thread by app.py when the server imports it: the heavy libraries, the boundary set and
    (where the picture is public) the open round's picture, district summary and default map style, all in the
    caches every session shares. A visit that arrives first only waits for what is not ready yet; nothing here
    is required, so a failure leaves the pages to do it.
    """
    import time

    from streamlit.runtime import Runtime

    # the caches belong to the server's runtime, which starts after this import. Components (streamlit-folium,
    # the geometry file's folder) are left to the first page run: declared from this thread, the browser could
    # not load them.
    deadline = time.monotonic() + 120
    while not Runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.2)
    import folium  # noqa: F401  (imported for its cost, before the first visitor)

    from mapping.analysis import headlines, profiles  # noqa: F401

    geo = core.geo()
    if geo is None:
        return
    if not core.anonymous_allowed():
        return
    rounds = [r["name"] for r in core.rounds()]
    round_name = core.open_round() or (rounds[-1] if rounds else None)
    picture = core.frames(core.PUBLIC, round_name, geo)
    filters = replace(analysis.Filters(), round_name=round_name)
    need, need_key = sidebar.stored_need()
    v = View(actor=core.PUBLIC, filters=filters, acts=picture.raw, prepared=picture.prepared,
             scoped=scope(picture.prepared, geo.units, filters) if len(picture.prepared) else picture.prepared,
             geo=geo, version=picture.version, need=need, need_key=need_key)
    summary = district_summary(v)
    for compact in (False, True):
        view_style(v, summary, "partners", compact=compact)


def _num(value: Any) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if math.isnan(f) else f"{f:,.0f}"


def _partner_line(b: dict) -> str:
    """One partner in a district profile: name (wraps however long), activity count, sectors, start."""
    parts = [f"**{core.esc(b.get('partner'))}**"]
    n = b.get("activities")
    if n is not None and not pd.isna(n):
        parts.append(f"{int(n)} activit{'y' if int(n) == 1 else 'ies'}")
    sectors = b.get("sectors")
    if isinstance(sectors, (list, tuple, set)):
        sectors = ", ".join(map(str, sectors))
    if sectors:
        parts.append(core.esc(sectors))
    since = b.get("since")
    if since is not None and not pd.isna(since):
        parts.append(f"since {pd.to_datetime(since):%b %Y}")
    return " · ".join(parts)


def _date(value: Any) -> str | None:
    if value is None or value == "" or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None  # None, NaN and NaT alike: a missing date is left out, never shown as "NaT"
    try:
        return f"{pd.to_datetime(value):%d %b %Y}"
    except (TypeError, ValueError):
        return str(value)


def _activity_line(a: dict) -> str:
    """One activity of a district profile: partner, sector / sub-sector, what, status, dates, people, funder."""
    def text(key: str) -> str | None:
        v = a.get(key)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "" else str(v)

    sector = " / ".join(core.esc(x) for x in (text("sector"), text("subsector")) if x)
    head = f"**{core.esc(text('partner') or '')}** — {sector}" if sector else f"**{core.esc(text('partner') or '')}**"
    parts = [head]
    if text("activity"):
        parts.append(core.esc(text("activity")))
    start, end = _date(a.get("start_date")), _date(a.get("end_date"))
    when = f"{start or '…'} to {end}" if end else (f"from {start}" if start else "")
    detail = [x for x in (core.esc(text("status") or ""), when) if x]
    targeted = a.get("targeted")
    if targeted is not None and not pd.isna(targeted) and float(targeted) > 0:
        detail.append(f"{float(targeted):,.0f} targeted")
    if text("org_funder"):
        detail.append(f"funded by {core.esc(text('org_funder'))}")
    if detail:
        parts.append("(" + ", ".join(detail) + ")")
    return ": ".join(parts[:2]) + (" " + parts[2] if len(parts) > 2 else "")


def profile(p: dict) -> None:
    """A district's profile: who is there doing what, since when, with which donors, and what is missing."""
    st.subheader(core.esc(p.get("adm2_name") or p.get("adm2_pcode") or "District"))
    since = p.get("since")
    since_text = f" · active since {pd.to_datetime(since):%d %b %Y}" if since is not None and not pd.isna(since) else ""
    st.caption(f"{core.esc(p.get('adm1_name') or '')} · {core.esc(p.get('adm2_pcode') or '')}{since_text}")
    top, bottom = st.columns(2), st.columns(2)  # two by two: beneficiary figures need the width
    top[0].metric("Partners", _num(p.get("partners", 0)))
    top[1].metric("Activities", _num(p.get("activities", 0)))
    bottom[0].metric("Targeted", _num(p.get("targeted", 0)))
    bottom[1].metric("Reached", _num(p.get("reached", 0)))
    by_partner = p.get("by_partner") or [{"partner": n} for n in p.get("partner_names") or []]
    if by_partner:
        st.markdown("**Partners**")
        st.markdown("\n".join(f"- {_partner_line(b)}" for b in by_partner))
    if p.get("sectors"):
        st.markdown("**Sectors**")
        table(pd.DataFrame(p["sectors"]), ["sector", "partners", "activities"], key="profile_sectors",
              widths={"partners": 70, "activities": 75})  # the narrow panel cut "Activities" off
    if p.get("donors"):
        st.markdown("**Donors:** " + ", ".join(core.esc(n) for n in p["donors"]))
    if p.get("gap_sectors"):
        st.markdown("**Sectors with no partner here:** " + ", ".join(core.esc(n) for n in p["gap_sectors"]))
    if p.get("activities_list"):
        # one short paragraph per activity: the profile sits in a narrow panel (and on phones), where a table of
        # nine columns showed only its first one
        with st.expander(f"Activities ({len(p['activities_list'])})"):
            st.markdown("\n".join(f"- {_activity_line(a)}" for a in p["activities_list"]))
    if p.get("wide_activities"):
        with st.expander(f"Province-wide and national activities reaching it ({len(p['wide_activities'])})"):
            table(pd.DataFrame(p["wide_activities"]), ["level", "partner", "sector", "activity", "status"])
    if p.get("rule"):
        st.caption(core.esc(p["rule"]))


def heat_legend(classes: list[palette.ColourClass], what: str) -> str:
    """A one-line colour key above a matrix: the cells' own ranges and colours, and what an empty cell means."""
    import html

    def swatch(colour: str, text: str, label: str) -> str:
        return (f"<span style='display:inline-flex;align-items:center;margin-right:10px'>"
                f"<span style='display:inline-block;width:24px;height:16px;line-height:16px;margin-right:4px;text-align:center;"
                f"border:1px solid #ccc;background:{colour};color:{palette.text_colour(colour)}'>{text}</span>"
                f"{label}</span>")

    parts = [swatch("#ffffff", "<span style='color:#c8c8c8'>·</span>", "none")]
    for c in classes:
        parts.append(swatch(c.colour, "&nbsp;", html.escape(c.label)))
    return (f"<div style='font-size:0.85rem;color:#444;display:flex;flex-wrap:wrap;align-items:center;gap:2px'>"
            f"<b style='margin-right:10px'>{html.escape(what)} per cell:</b>{''.join(parts)}</div>")


def wide_activities(acts: pd.DataFrame) -> pd.DataFrame:
    """Province-wide and national activities: shown in their own panel, never spread over districts.

    A prepared frame says so in its `level` (the engine's rule); a stored one by its scope and a blank district.
    """
    if acts is None or not len(acts):
        return pd.DataFrame()
    if "level" in acts.columns:
        return acts[(acts["level"] != "district").to_numpy()]
    if "scope" in acts.columns:
        mask = acts["scope"].isin(["province", "national"])
    else:
        mask = pd.Series(False, index=acts.index)
    if "adm2_pcode" in acts.columns:
        mask |= acts["adm2_pcode"].isna() | (acts["adm2_pcode"].astype(str).str.strip() == "")
    return acts[mask]


def download(label: str, data: bytes | None, file_name: str, mime: str, *, key: str,
             help: str | None = None) -> None:
    if data is None:
        return
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key, help=help,
                       width="stretch")


# Leaflet is served by the app itself (static/leaflet, vendored), so the map draws with no CDN
LEAFLET_ASSETS = "/app/static/leaflet/" if (config.PROJECT_ROOT / "static" / "leaflet" / "leaflet.js").exists() else None
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
