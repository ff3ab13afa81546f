"""Keeping the forum's programme list and the strategy framework: the Admin page's "Programmes and strategy"
section, and the parts of the Programmes page that the owners' focal points use (the list, programme names).

One function per job, so the Admin page and the Programmes page show the same forms with the same rules; the
store and the workflow check who may do what.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from mapping import config, workflow
from mapping.analysis import programmes as an
from mapping.outputs import programmes as outputs
from mapping.returns.programmes import name_key
from mapping.returns.strategy import MAX_BYTES, framework_file, load_framework
from mapping.store import db
from mapping.store import programmes as store_programmes
from views import core, render

FLASH = "programmes_flash"


def _done(message: str, *, reset: str | None = None) -> None:
    """Say it worked after the rerun that shows the change; `reset` empties that file box."""
    st.session_state[FLASH] = message
    if reset:
        st.session_state[reset] = st.session_state.get(reset, 0) + 1
    st.rerun()


def flash() -> None:
    if msg := st.session_state.pop(FLASH, None):
        st.success(core.esc(msg))


def update_list(actor: db.Actor, frame: pd.DataFrame, units: pd.DataFrame) -> None:
    """Upload a programmes sheet (checked first, stored on request) and the blank template; admins and focal points."""
    who = "any organisation's" if actor.role == "admin" else f"{core.esc(actor.org_name or '')}'s"
    st.caption(f"Upload a programmes sheet (the Programmes page's export, edited, or the blank template) to add or "
               f"update {who} programmes. Rows are matched by programme name; every change is audited.")
    with core.guarded("Preparing the template"):
        render.download("Blank programmes template (.xlsx)", outputs.programmes_xlsx(
            frame.iloc[0:0], units, title="Programmes template"), "programmes_template.xlsx", render.XLSX,
            key="prog_template")
    limit_mb = max(1, math.ceil(config.upload_limit() / (1024 * 1024)))  # the reader's limit, stated and applied
    sheet = st.file_uploader(f"Programmes sheet (.xlsx, .csv or .ods; up to {limit_mb} MB)",
                             type=["xlsx", "csv", "ods"], max_upload_size=limit_mb,
                             key=f"prog_upload_{st.session_state.get('prog_upload_n', 0)}")
    if sheet is None:
        return
    engine = core.engine()
    with core.guarded("Reading the programmes sheet"):
        parsed, _ = workflow.programmes_import(engine, actor, sheet.getvalue(), sheet.name, dry_run=True)
        if parsed.issues:
            render.table(pd.DataFrame([i.to_dict() for i in parsed.issues]),
                         ["row", "column", "value", "severity", "message", "suggestion"], key="prog_issues")
        if parsed.errors:
            st.error(f"{len(parsed.errors)} error(s): fix the sheet and upload it again. Nothing was stored.")
        elif st.button(f"Save {len(parsed.records)} programme(s)", type="primary", key="prog_save"):
            _, report = workflow.programmes_import(engine, actor, sheet.getvalue(), sheet.name)
            _done(report.sentence(), reset="prog_upload_n")


def programme_names(actor: db.Actor, frame: pd.DataFrame) -> None:
    """Programme names written in returns: matched, or queued with a suggestion until someone entitled learns them
    or marks them as not a programme (reversible: a mistaken mark is put back below)."""
    engine = core.engine()
    marks = core.call(store_programmes.not_programme_names, engine, what="Reading the marked names") or []
    links = an.link_activities(core.activities(actor), frame, [r["name"] for r in marks])
    marked = links[links["not_programme"].astype(bool)]
    links = links[~links["not_programme"].astype(bool)]
    linked = links[links["programme"].notna()]
    st.caption(f"{len(linked)} of {len(links)} programme names written in returns name a recorded programme "
               f"({int(linked['activities'].sum()) if len(linked) else 0} activities)"
               + (f"; {len(marked)} more {'is' if len(marked) == 1 else 'are'} marked as not a programme"
                  if len(marked) else "")
               + ". Names are matched exactly (ignoring case and spacing) to a programme or one of its other names; "
               "a close spelling is only suggested, and confirming it teaches the name once. A name that is not a "
               "programme (a project, a training) can be marked so, and leaves the list.")
    render.table(links.fillna({"programme": "not recorded", "suggestion": ""}),
                 ["project", "programme", "activities", "organisations", "suggestion"],
                 labels={"project": "Name in the returns", "programme": "Programme", "activities": "Activities",
                         "organisations": "Organisations", "suggestion": "Did they mean"},
                 empty="No return names a programme still to decide.", key="prog_links")
    unlinked = links[links["programme"].isna()]
    may_decide = actor.role in ("admin", "focal_point")
    if may_decide and len(unlinked):
        l1, l2, l3, l4 = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
        name = l1.selectbox("Name in the returns", list(unlinked["project"]), key="prog_link_name")
        suggested = unlinked.set_index("project").loc[name, "suggestion"]
        options = list(frame["name"])
        programme = l2.selectbox("is the programme", options, key="prog_link_to",
                                 index=options.index(suggested) if isinstance(suggested, str) and suggested in options
                                 else None, placeholder="Pick the programme")
        if l3.button("Learn this name", key="prog_link", disabled=programme is None):
            with core.guarded("Learning the name"):
                store_programmes.add_alias(engine, actor, programme, name)
                _done(f"Returns that write “{name}” now count for {programme}.")
        if l4.button("Not a programme", key="prog_not_programme",
                     help="The name leaves this list; it can be put back below. Admins, and focal points of an "
                          "organisation whose returns write it."):
            with core.guarded("Marking the name"):
                store_programmes.mark_not_programme(engine, actor, name)
                _done(f"“{name}” is marked as not a programme; it can be put back under “Marked as not a "
                      "programme”.")
    if not marks:
        return
    with st.expander(f"Marked as not a programme ({len(marks)})"):
        written = {name_key(r["project"]): r for r in marked.to_dict("records")}
        rows = pd.DataFrame([{"name": r["name"], "at": r["at"], "by": r["by"],
                              "activities": written.get(name_key(r["name"]), {}).get("activities", 0),
                              "organisations": written.get(name_key(r["name"]), {}).get(
                                  "organisations", "no return writes it now")} for r in marks])
        render.table(rows, ["name", "activities", "organisations", "at", *(["by"] if actor.role == "admin" else [])],
                     labels={"name": "Name in the returns", "activities": "Activities",
                             "organisations": "Organisations", "at": "Marked on", "by": "Marked by"},
                     key="prog_not_programmes")
        if may_decide:
            u1, u2 = st.columns([4, 2], vertical_alignment="bottom")
            back = u1.selectbox("Name marked as not a programme", [r["name"] for r in marks],
                                key="prog_unmark_name")
            if u2.button("Put it back in the list", key="prog_unmark"):
                with core.guarded("Putting the name back"):
                    store_programmes.unmark_not_programme(engine, actor, back)
                    _done(f"“{back}” waits in the list of programme names again.")


def strategy_framework(actor: db.Actor) -> None:
    """The framework as the deployment keeps it: shown, downloadable, replaced by an admin with a checked CSV."""
    framework = core.call(load_framework, what="Reading the strategy framework")
    if framework is None:
        st.info("No strategy framework is kept: the Strategy column of the template has no list, and the Matrices "
                "and Gaps pages show nothing against the strategy.")
    else:
        counts = {level: len(framework.of_level(level)) for level in ("pillar", "objective", "action")}
        st.markdown(f"**Current framework:** {counts['pillar']} pillars, {counts['objective']} objectives, "
                    f"{counts['action']} policy actions.")
        rows = [{"code": i.code, "level": {"action": "policy action"}.get(i.level, i.level),
                 "name": ("    " * ("pillar", "objective", "action").index(i.level)) + i.name}
                for i in framework.items]
        render.table(pd.DataFrame(rows), ["code", "level", "name"], labels={"code": "Code", "level": "Level",
                                                                           "name": "Name"}, height=300,
                     key="strategy_items")
        path = framework_file()
        if path is not None:
            render.download("The framework (.csv)", path.read_bytes(), "strategy.csv", "text/csv",
                            key="strategy_download")
    if actor.role != "admin":
        return
    st.caption("Replace it with a CSV of four columns: code, level (pillar, objective or action), parent (the code "
               "one level up), name. It is checked before anything changes; the replacement is audited.")
    up = st.file_uploader("Strategy framework (.csv)", type=["csv"], max_upload_size=max(1, MAX_BYTES // 1_000_000),
                          key=f"strategy_upload_{st.session_state.get('strategy_upload_n', 0)}")
    if up is not None and st.button("Replace the framework", type="primary", key="strategy_set"):
        with core.guarded("Replacing the strategy framework"):
            new = workflow.set_strategy(core.engine(), actor, up.getvalue(), up.name)
            _done(f"Strategy framework replaced: {len(new.of_level('pillar'))} pillars, "
                  f"{len(new.of_level('objective'))} objectives, {len(new.of_level('action'))} policy actions.",
                  reset="strategy_upload_n")


def admin_section(actor: db.Actor) -> None:
    """The Admin page's "Programmes and strategy": the forum's list, names in returns, the strategy framework."""
    flash()
    frame, units = core.call(workflow.programmes_data, core.engine(), what="Loading the programmes") or (None, None)
    if frame is not None:
        st.markdown(f"##### Programmes ({len(frame)})")
        st.caption("The forum's list of programmes, compared on the Programmes page.")
        update_list(actor, frame, units)
        st.markdown("##### Programme names in returns")
        programme_names(actor, frame)
    st.markdown("##### Strategy framework")
    strategy_framework(actor)
