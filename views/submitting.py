"""Helpers for the Submit page: templates (cached per data version) and the issue table focal points read."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from mapping import config, workflow
from mapping.store import db, drafts, picture
from views import core

ISSUE_COLUMNS = {"row": "Row", "column": "Column", "value": "Value", "severity": "Severity", "message": "Message",
                 "suggestion": "Suggestion"}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_") or "return"


def stem(filename: str) -> str:
    base = str(filename).rsplit("/", 1)[-1]
    return slug(base.rsplit(".", 1)[0] if "." in base else base)


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _template(url: str, org: str | None, data_version: str, user_id: int | None, email: str, role: str,
              org_id: int | None, org_name: str | None) -> bytes:
    from mapping.returns import template

    engine = core._engine_for(url)
    ctx = workflow.context(engine)
    acts = None
    if org is not None:
        actor = db.Actor(user_id=user_id, email=email, role=role, org_id=org_id, org_name=org_name)
        acts = picture.current_activities(engine, actor)
        if "org_name" in acts.columns:
            acts = acts[acts["org_name"] == org]
    return template.build_template(vocab=ctx.vocab, units=ctx.units, org=org, activities=acts,
                                   title=config.title())


def template_bytes(engine, org: str | None, actor: db.Actor | None = None) -> bytes:
    """The blank template, or one pre-filled with the organisation's current activities (cached per data version)."""
    if org is None or actor is None:
        return _template(config.database_url(), None, "", None, "", "public", None, None)
    version = core.data_version(actor)
    return _template(config.database_url(), org, version, actor.user_id, actor.email, actor.role, actor.org_id,
                     actor.org_name)


def issues_frame(result) -> pd.DataFrame:
    """The validation report as a table: errors first, then by row."""
    rows = []
    for issue in result.issues:
        d = issue.to_dict() if hasattr(issue, "to_dict") else dict(issue)
        rows.append({label: d.get(key) for key, label in ISSUE_COLUMNS.items()})
    frame = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS.values()))
    if not len(frame):
        return frame
    frame["_sev"] = frame["Severity"].map({"error": 0, "warning": 1}).fillna(2)
    frame["_row"] = pd.to_numeric(frame["Row"], errors="coerce").fillna(0)
    frame = frame.sort_values(["_sev", "_row"], kind="stable").drop(columns=["_sev", "_row"])
    frame["Row"] = pd.to_numeric(frame["Row"], errors="coerce").astype("Int64")
    for col in ("Column", "Value", "Message", "Suggestion"):
        frame[col] = frame[col].fillna("").astype(str)
    # "End date (R)" reads as "required": say "column R"; a date cell shows as the messages write dates
    frame["Column"] = frame["Column"].str.replace(r"^(.*) \(([A-Z]{1,3})\)$", r"\1, column \2", regex=True)
    frame["Value"] = frame["Value"].str.replace(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$", r"\3/\2/\1",
                                                regex=True)
    return frame.reset_index(drop=True)


def show_defaults(result) -> None:
    """Each default applied for a column the file does not have, said once (never a silent guess)."""
    for d in getattr(result, "defaults", None) or []:
        st.info(f"**Default for {d['rows']:,} row(s).** {core.esc(d['rule'])}")


LEAVE = "(leave as written)"


def offlist_panel(engine, actor: db.Actor, result) -> bool:
    """Each value of this return not on a list once; an admin maps them here, once for every later file. True
    when a mapping was saved, so the page checks the return again."""
    return values_to_map(engine, actor, list(getattr(result, "offlist", None) or []), key="vocab",
                         apply_all=lambda: workflow.apply_suggestions(engine, actor, result))


def values_to_map(engine, actor: db.Actor, entries: list[dict], *, key: str, apply_all,
                  heading: str = "Values not on the lists") -> bool:
    """Values kept as written (field, value, rows, suggestion, confidence, how), each once with its row count and
    suggestion, and for an admin a choice per value, "Save these mappings" and "Apply all suggestions". True when
    a mapping was saved."""
    from mapping.returns.vocabulary import SUGGESTION_THRESHOLD
    from mapping.store import vocabulary

    if not entries:
        return False
    st.markdown(f"##### {heading}")
    st.caption("These rows are kept with the value as written and shown as not on the list until the value is "
               "mapped once; the mapping then applies to the stored rows and to every later return.")
    frame = pd.DataFrame([{"List": vocabulary.LABELS.get(e["field"], e["field"]).capitalize(), "Value": e["value"],
                           "Rows": e["rows"], "Suggestion": e.get("suggestion") or "",
                           "Confidence": f"{e['confidence']}%" if e.get("suggestion") else "",
                           "Why": e.get("how") or ""} | ({"Organisations": ", ".join(e["orgs"])} if "orgs" in e else {})
                          for e in entries])
    st.dataframe(frame, hide_index=True, width="stretch")
    if actor.role != "admin":
        st.caption("The secretariat confirms these mappings; the rows are stored either way.")
        return False
    picks: list[tuple[dict, str]] = []
    for i, e in enumerate(entries):
        choices = [LEAVE, *core.call(vocabulary.choices, engine, e["field"], what="Reading the lists")]
        default = choices.index(e["suggestion"]) if e.get("suggestion") in choices else 0
        pick = st.selectbox(f"{vocabulary.LABELS.get(e['field'], e['field']).capitalize()} '{core.esc(e['value'])}' means",
                            choices, index=default, key=f"{key}_map_{i}_{e['field']}_{e['value']}")
        picks.append((e, pick))
    left, right = st.columns(2)
    if left.button(f"Apply all suggestions (≥ {SUGGESTION_THRESHOLD}% sure)", key=f"{key}_apply_all"):
        done = core.call(apply_all, what="Saving the mappings")
        return bool(done)
    if right.button("Save these mappings", key=f"{key}_save", type="primary"):
        saved = 0
        for e, pick in picks:
            if pick != LEAVE and core.call(vocabulary.map_value, engine, actor, e["field"], e["value"], pick,
                                           what="Saving a mapping"):
                saved += 1
        return saved > 0
    return False


def current_upload(engine, actor: db.Actor, org: str | None, upload) -> tuple[str, bytes] | None:
    """The file whose report the page shows: a new upload (kept as a draft, so a reload does not lose its
    report), else the draft left unconfirmed by this person for this organisation (issue 19)."""
    if upload is not None:
        data = upload.getvalue()
        mark = (org, upload.name, len(data), upload.file_id if hasattr(upload, "file_id") else None)
        if len(data) <= config.max_upload_bytes() and st.session_state.get("draft_saved") != mark:
            core.call(drafts.save, engine, actor, org=org, filename=upload.name, data=data,
                      what="Keeping the upload for later")
            st.session_state["draft_saved"] = mark
        return upload.name, data
    draft = core.call(drafts.latest, engine, actor, org=org)
    if draft is None:
        return None
    st.info(f"Your last upload, **{core.esc(draft.filename)}**, is not confirmed yet; its report is below. Confirm "
            "it, upload a corrected file, or discard it.", icon=":material/history:")
    return draft.filename, draft.data


def drop_draft(engine, actor: db.Actor, org: str | None) -> None:
    """No kept upload (an unreadable file has nothing to come back to)."""
    core.call(drafts.discard, engine, actor, org=org)


def forget_upload(engine, actor: db.Actor, org: str | None) -> None:
    """After confirming or discarding: no draft, and a fresh upload box."""
    drop_draft(engine, actor, org)
    st.session_state.pop("draft_saved", None)
    st.session_state.pop("validated_key", None)
    st.session_state["upload_counter"] = st.session_state.get("upload_counter", 0) + 1


def queue_choice(result) -> tuple[int, bool]:
    """Rows whose only problems can wait (unknown district, unreadable date ...) go to the review queue and the
    rest is stored, unless the uploader rejects the whole return. Returns (errors that still block, reject_whole)."""
    queued = list(getattr(result, "queued", None) or [])
    if not queued or config.strict_vocabulary():
        return len(result.errors), False
    st.info(f"**{len(queued):,} row(s) will wait in the review queue** (their problems are listed below): they "
            "are stored with the return but not counted until the secretariat settles them. The other rows are "
            "stored as usual.")
    whole = st.checkbox("Reject the whole return instead (store nothing until I fix the file)", key="reject_whole")
    return (len(result.errors) if whole else len(result.blocking)), whole


NOT_READ = "(not read)"


def layout_panel(engine, actor: db.Actor, result, org: str | None, filename: str) -> bool:
    """How each column was read and why, the unread columns with a sample of their values, and a choice per
    column; saving makes it the organisation's (or, for an admin, every organisation's) layout, applied to the
    next file with the same headers without a question. True when a layout was saved, so the page checks again."""
    from mapping.returns.layouts import describe
    from mapping.returns.schema import FIELDS

    columns = list(getattr(result, "columns", None) or [])
    if not columns:
        return False
    used = getattr(result, "layout", None)
    if used:
        st.success(core.esc(describe(used)), icon=":material/view_column:")
    unread = [c for c in columns if not c.get("field")]
    title = (f"How the columns were read ({len(columns) - len(unread)} read, {len(unread)} not read)"
             + (": change or save them as a layout" if not used else ""))
    # open only when there is something to confirm: a column not read, or read by a guess (similar words, a close
    # spelling); the template's own headers or HXL tags need no look, and 32 choices pushed the report far down
    settled = all(c.get("field") and c.get("method") in ("hxl", "alias") for c in columns)
    with st.expander(title, expanded=not used and not settled):
        label = {f.name: f"{f.header} ({f.name})" for f in FIELDS}
        st.dataframe(pd.DataFrame([{
            "Column": f"{c['header']} ({c['letter']})", "Read as": label.get(c.get("field"), NOT_READ),
            "Why": c.get("why") or "", "Sample": "; ".join(c.get("sample") or [])} for c in columns]),
            hide_index=True, width="stretch")
        if actor.role not in ("admin", "focal_point"):
            return False
        st.caption("Change any column, then save: the next file with the same headers is read this way, with no "
                   "question asked.")
        options = [None, *(f.name for f in FIELDS)]
        changes: dict[str, str | None] = {}
        for i, c in enumerate(columns):
            current = c.get("field")
            pick = st.selectbox(core.esc(f"{c['header']} ({c['letter']})"), options,
                                index=options.index(current) if current in options else 0,
                                format_func=lambda f: NOT_READ if f is None else label[f],
                                key=f"layout_col_{result.signature}_{i}")
            if pick != current:
                changes[c["key"]] = pick
        default = (used or {}).get("name") or f"{org or 'Consolidated'} – {stem(filename)}"
        name = st.text_input("Layout name", value=default, key=f"layout_name_{result.signature}")
        everyone = org is None
        if actor.role == "admin" and org is not None:
            everyone = st.checkbox("For every organisation (the deployment's layout)", key="layout_everyone")
        taken = [f for f in changes.values() if f]
        if len(taken) != len(set(taken)):
            st.caption("Two columns are set to the same field; a field is read from one column.")
        if st.button("Save this layout and check the file again", key="layout_save", type="primary"):
            saved = core.call(workflow.save_layout, engine, actor, name, result, changes,
                              org=None if everyone else org, what="Saving the layout")
            return saved is not None
    return False
