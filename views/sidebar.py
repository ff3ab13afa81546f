"""The sidebar filters every data page shares, mirrored in the URL so a link reproduces the view.

Filters come from `analysis.Filters` (to_params/from_params), so the app, the CLI and the PDF describe a view
the same way. The chosen values live in session state as well as in the query string, so switching pages
(which may drop the query string) keeps them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from functools import cached_property

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from mapping.analysis import matrices as analysis
from mapping.analysis.filters import NOT_GIVEN
from mapping.analysis.frame import listed_labels, scope
from mapping.errors import StocktakeError
from mapping.returns.schema import LISTED_FIELDS
from mapping.store import db, registry
from views import core

STATE_KEY = "_filters"
# filter field -> (label, activities column used for the options)
MULTI: dict[str, tuple[str, str]] = {
    "provinces": ("Province", "adm1_name"),
    "districts": ("District", "adm2_pcode"),
    "sectors": ("Sector", "sector"),
    "subsectors": ("Sub-sector", "subsector"),
    "orgs": ("Organisation", "org_name"),
    "org_types": ("Organisation type", "org_type"),
    "donors": ("Donor", "org_funder"),
    "statuses": ("Status", "status"),
    "modalities": ("Modality", "modality"),
}


@dataclass
class View:
    """What a data page renders from: who is looking, the filters, the data and the boundaries.

    The picture comes in two forms: `prepared` (and `scoped`, it under the filters) is what every figure counts;
    `acts` (and `filtered`) is the picture as stored, for what must show the rows as reported (the data exports:
    a blank sector stays blank, a budget stays in its own currency).
    """

    actor: db.Actor
    filters: analysis.Filters
    acts: pd.DataFrame  # everything the actor may see in the chosen round, as stored
    prepared: pd.DataFrame  # the same, prepared for counting: what every analysis is given
    scoped: pd.DataFrame  # prepared, after the sidebar filters
    geo: core.Geo | None
    version: str = ""  # the data version of both frames (covers role and organisation)
    need: pd.DataFrame | None = None  # district need figure: the deployment's, or one uploaded for this session
    need_key: str = ""  # identifies the need figure in cache keys

    @cached_property
    def filtered(self) -> pd.DataFrame:
        """The stored rows after the sidebar filters, filtered when a page first asks: the data exports, the strategy
        tables and the budget notes read them."""
        return analysis.apply_filters(self.acts, self.filters) if len(self.acts) else self.acts

    @property
    def units(self) -> pd.DataFrame:
        if self.geo is not None:
            return self.geo.units
        return pd.DataFrame(columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])


def _filter_fields() -> set[str]:
    return {f.name for f in fields(analysis.Filters)}


def _initial() -> analysis.Filters:
    if STATE_KEY not in st.session_state:
        try:
            st.session_state[STATE_KEY] = analysis.Filters.from_params(dict(st.query_params.to_dict()))
        except ValueError:  # a mangled link falls back to no filters, with a note
            st.session_state[STATE_KEY] = analysis.Filters()
            st.toast("The link's filters could not be read; showing everything.")
    return st.session_state[STATE_KEY]


def _options(acts: pd.DataFrame, column: str, chosen: tuple[str, ...], units: pd.DataFrame) -> list[str]:
    """The values a filter offers, from the prepared picture: its categories are the distinct values already (no
    pass over 200,000 rows per box and run); a blank stays out, as does the '(not given)' that stands for it."""
    values: set[str] = set()
    if column == "adm1_name" and len(units):
        values |= set(units["adm1_name"].dropna().astype(str))
    elif column == "adm2_pcode" and len(units):
        values |= set(units["adm2_pcode"].dropna().astype(str))
    if column in acts.columns:
        col = acts[column]
        distinct = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.dropna().unique()
        values |= {str(v) for v in distinct if str(v).strip() and str(v) != NOT_GIVEN}
    values |= set(chosen)
    return sorted(values)


VALUES_KEY = "_filter_values"  # widget values kept outside widget state: page widgets reset on a page change


def _remember(key: str) -> None:
    """on_change: keep the new value so the same filter is set again on the next page."""
    st.session_state.setdefault(VALUES_KEY, {})[key] = st.session_state.get(key)


def _seed(key: str, default) -> None:
    """Give a filter widget its remembered value (or the link's) before it is drawn."""
    values = st.session_state.setdefault(VALUES_KEY, {})
    st.session_state[key] = values[key] if key in values else default
    values[key] = st.session_state[key]


def clear_filters() -> None:
    values = st.session_state.setdefault(VALUES_KEY, {})
    for name in MULTI:
        values[f"flt_{name}"] = []
    values["flt_period_on"] = False
    values.pop("flt_period", None)
    st.session_state[STATE_KEY] = analysis.Filters(round_name=st.session_state.get("flt_round"))


def view(*, with_filters: bool = True) -> View:
    """Render the sidebar (round + filters) and return the filtered data; stops with a message on failure."""
    actor = core.current_actor()
    if actor is None:
        st.error("Sign in to see the consolidated picture.")
        st.stop()
    start = _initial()
    geo = core.geo()
    units = geo.units if geo is not None else pd.DataFrame(columns=["adm2_pcode", "adm2_name", "adm1_name"])
    names = dict(zip(units.get("adm2_pcode", []), units.get("adm2_name", []), strict=False))
    rounds = [r["name"] for r in core.rounds()]
    with st.sidebar:
        st.markdown("### Filters")
        round_name = None
        if rounds:
            default = start.round_name if start.round_name in rounds else (core.open_round() or rounds[-1])
            _seed("flt_round", default)
            if st.session_state["flt_round"] not in rounds:
                st.session_state["flt_round"] = default
            round_name = st.selectbox("Reporting round", rounds, key="flt_round", on_change=_remember,
                                      args=("flt_round",),
                                      help="The picture as it stood in this round (current returns only).")
        picture = core.Frames("", pd.DataFrame(), pd.DataFrame())
        with core.guarded("Loading the picture", stop=True):
            picture = core.frames(actor, round_name, geo)
        chosen: dict[str, tuple[str, ...]] = {}
        if with_filters:
            for name, (label, column) in MULTI.items():
                key = f"flt_{name}"
                current = tuple(getattr(start, name, ()) or ())
                options = _options(picture.prepared, column, current, units)
                _seed(key, [v for v in current if v in options])
                st.session_state[key] = [v for v in st.session_state[key] or [] if v in options]
                if name == "districts":
                    fmt = lambda p: f"{names.get(p, p)} ({p})"  # noqa: E731
                elif column in LISTED_FIELDS:  # 'Saúde (not on the list)': kept as written, not one of the list's
                    shown = dict(zip(options, listed_labels(column, options), strict=True))
                    fmt = shown.get
                else:
                    fmt = str
                chosen[name] = tuple(st.multiselect(label, options, key=key, format_func=fmt, placeholder="All",
                                                    on_change=_remember, args=(key,)))
            _seed("flt_period_on", bool(start.period_start or start.period_end))
            period_on = st.checkbox("Limit to a period", key="flt_period_on", on_change=_remember,
                                    args=("flt_period_on",))
            period_start = period_end = None
            if period_on:
                today = dt.date.today()
                default_range = (start.period_start or dt.date(today.year, 1, 1),
                                 start.period_end or dt.date(today.year, 12, 31))
                _seed("flt_period", default_range)
                picked = st.date_input("Active between", key="flt_period", format="DD/MM/YYYY",
                                       on_change=_remember, args=("flt_period",))
                if isinstance(picked, (tuple, list)) and len(picked) == 2:
                    period_start, period_end = picked
            st.button("Clear filters", on_click=clear_filters, width="stretch")
            need, need_key = _need_upload()
        else:
            period_start = period_end = None
            need, need_key = stored_need()
    kwargs = {"round_name": round_name, "period_start": period_start, "period_end": period_end, **chosen}
    kwargs = {k: v for k, v in kwargs.items() if k in _filter_fields()}
    filters = replace(analysis.Filters(), **kwargs)
    st.session_state[STATE_KEY] = filters
    try:
        params = filters.to_params()
        if dict(st.query_params.to_dict()) != params:
            st.query_params.from_dict(params)
    except StreamlitAPIException:  # the URL is a convenience; the page still works without it
        pass
    scoped = picture.prepared
    with core.guarded("Applying the filters"):
        scoped = scope(picture.prepared, units, filters) if len(picture.prepared) else picture.prepared
    return View(actor=actor, filters=filters, acts=picture.raw, prepared=picture.prepared, scoped=scoped, geo=geo,
                version=picture.version, need=need, need_key=need_key)


def stored_need() -> tuple[pd.DataFrame | None, str]:
    """The need indicator the secretariat keeps for the deployment (Admin › Boundaries), if any."""
    frame = core.call(registry.need, core.engine(), what="Loading the need indicator")
    if frame is None:
        return None, ""
    return frame, f"stored:{frame.attrs.get('version', '')}"


def _need_upload() -> tuple[pd.DataFrame | None, str]:
    """The need indicator per district that ranks gaps and maps need vs presence.

    The deployment's stored figure is the default, so everyone sees the same ranking. A viewer may try another
    figure (CSV: p-code + one number) for this browser session only; it never leaves the session.
    """
    import hashlib

    stored, stored_key = stored_need()
    with st.expander("Need figure" if stored is not None else "Need figure (optional)"):
        if stored is not None:
            st.caption(f"Gaps are ranked by “{core.esc(stored.attrs.get('label', 'need'))}”, kept by the "
                       f"secretariat ({int(stored.iloc[:, 1].notna().sum())} districts). Upload another figure "
                       "below to try it in this session only.")
        else:
            st.caption("A CSV with a district p-code column and one number per district (people in need, poverty "
                       "rate …). Gaps are then ranked by it and the map can show need against presence.")
        up = st.file_uploader("Need CSV", type=["csv"], key="need_upload", label_visibility="collapsed")
        if up is None:
            # the uploader is a page widget and empties on a page change: the figure stays for the session
            cached = st.session_state.get("_need")
            if cached is None:
                return stored, stored_key
            st.caption(f"Using “{core.esc(cached[1].attrs.get('label', 'need'))}” (uploaded earlier).")
            stop = "Go back to the stored need figure" if stored is not None else "Stop using the need figure"
            if st.button(stop, key="need_clear"):
                st.session_state.pop("_need", None)
                st.rerun()
            return cached[1], cached[0]
        data = up.getvalue()
        key = hashlib.sha256(data).hexdigest()[:16]
        cached = st.session_state.get("_need")
        if cached is None or cached[0] != key:
            try:
                cached = (key, analysis.read_need(data))
            except StocktakeError as exc:  # a wrong file is a message, not a crash
                core.show_error(exc, up.name)
                return stored, stored_key
            st.session_state["_need"] = cached
        frame = cached[1]
        st.caption(f"Using “{core.esc(frame.attrs.get('label', 'need'))}” for "
                   f"{int(frame.iloc[:, 1].notna().sum())} districts.")
        return frame, key


def describe(v: View) -> str:
    return v.filters.describe()
