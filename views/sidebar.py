"""The sidebar filters every data page shares, mirrored in the URL so a link reproduces the view.

Filters come from `analysis.Filters` (to_params/from_params), so the app, the CLI and the PDF describe a view
the same way. The chosen values live in session state as well as in the query string, so switching pages
(which may drop the query string) keeps them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace

import pandas as pd
import streamlit as st

from mapping import analysis, store
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
    """What a data page renders from: who is looking, the filters, the data and the boundaries."""

    actor: store.Actor
    filters: analysis.Filters
    acts: pd.DataFrame  # everything the actor may see in the chosen round
    filtered: pd.DataFrame  # after the sidebar filters
    geo: core.Geo | None

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
        except Exception:  # noqa: BLE001 - a mangled link falls back to no filters, with a note
            st.session_state[STATE_KEY] = analysis.Filters()
            st.toast("The link's filters could not be read; showing everything.")
    return st.session_state[STATE_KEY]


def _options(acts: pd.DataFrame, column: str, chosen: tuple[str, ...], units: pd.DataFrame) -> list[str]:
    values: set[str] = set()
    if column == "adm1_name" and len(units):
        values |= set(units["adm1_name"].dropna().astype(str))
    elif column == "adm2_pcode" and len(units):
        values |= set(units["adm2_pcode"].dropna().astype(str))
    if column in acts.columns:
        values |= {str(v) for v in acts[column].dropna().unique() if str(v).strip()}
    values |= set(chosen)
    return sorted(values)


def clear_filters() -> None:
    for name in MULTI:
        st.session_state.pop(f"flt_{name}", None)
    for key in ("flt_period_on", "flt_period"):
        st.session_state.pop(key, None)
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
            if "flt_round" not in st.session_state:
                st.session_state["flt_round"] = default
            round_name = st.selectbox("Reporting round", rounds, key="flt_round",
                                      help="The picture as it stood in this round (current returns only).")
        acts = pd.DataFrame()
        with core.guarded("Loading the picture", stop=True):
            acts = core.activities(actor, round_name)
        chosen: dict[str, tuple[str, ...]] = {}
        if with_filters:
            for name, (label, column) in MULTI.items():
                key = f"flt_{name}"
                current = tuple(getattr(start, name, ()) or ())
                options = _options(acts, column, current, units)
                if key not in st.session_state:
                    st.session_state[key] = [v for v in current if v in options]
                fmt = (lambda p: f"{names.get(p, p)} ({p})") if name == "districts" else str
                chosen[name] = tuple(st.multiselect(label, options, key=key, format_func=fmt,
                                                    placeholder="All"))
            if "flt_period_on" not in st.session_state:
                st.session_state["flt_period_on"] = bool(start.period_start or start.period_end)
            period_on = st.checkbox("Limit to a period", key="flt_period_on")
            period_start = period_end = None
            if period_on:
                today = dt.date.today()
                default_range = (start.period_start or dt.date(today.year, 1, 1),
                                 start.period_end or dt.date(today.year, 12, 31))
                if "flt_period" not in st.session_state:
                    st.session_state["flt_period"] = default_range
                picked = st.date_input("Active between", key="flt_period", format="DD/MM/YYYY")
                if isinstance(picked, (tuple, list)) and len(picked) == 2:
                    period_start, period_end = picked
            st.button("Clear filters", on_click=clear_filters, width="stretch")
        else:
            period_start = period_end = None
    kwargs = {"round_name": round_name, "period_start": period_start, "period_end": period_end, **chosen}
    kwargs = {k: v for k, v in kwargs.items() if k in _filter_fields()}
    filters = replace(analysis.Filters(), **kwargs)
    st.session_state[STATE_KEY] = filters
    try:
        params = filters.to_params()
        if dict(st.query_params.to_dict()) != params:
            st.query_params.from_dict(params)
    except Exception:  # noqa: BLE001 - the URL is a convenience; the page still works without it
        pass
    filtered = acts
    with core.guarded("Applying the filters"):
        filtered = analysis.apply_filters(acts, filters) if len(acts) else acts
    return View(actor=actor, filters=filters, acts=acts, filtered=filtered, geo=geo)


def describe(v: View) -> str:
    try:
        return v.filters.describe()
    except Exception:  # noqa: BLE001
        return ""
