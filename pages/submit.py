"""Submit a return: template, upload, row-by-row report at once, annotated workbook, confirm; then history."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import pandas as pd
import streamlit as st

from mapping import config, workflow
from mapping.errors import StocktakeError
from mapping.returns import annotate, ingest
from mapping.store import picture, registry, reporting, submissions
from views import core, render, submitting
from views import iati as iati_view

actor = core.require(core.signed_in(), ("focal_point", "admin"))
st.title("Submit a return")
core.demo_banner()
engine = core.engine()
flash = st.session_state.pop("submit_flash", None)
if flash:
    st.success(core.esc(flash[1]) + " The map and matrices now show it.")

consolidated = False
if actor.role == "focal_point":
    if not actor.org_name:
        st.error("Your account is not linked to an organisation. Ask the secretariat to link it.")
        st.stop()
    org = actor.org_name
    st.markdown(f"Returns for **{core.esc(org)}**. You can only change your own organisation's data.")
else:
    names = [o["name"] for o in core.call(registry.list_orgs, engine) or []]
    if not names:
        st.warning("No organisations yet. Add one on the Admin page first.")
        st.stop()
    consolidated = st.toggle("Consolidated file: several organisations in one file (last year's 3W, an export)",
                             key="submit_consolidated",
                             help="Each organisation's rows become its own submission; unknown names are added.")
    org = None if consolidated else st.selectbox("Organisation (admin: submitting on its behalf)", names,
                                                 key="submit_org")

rounds = [r for r in core.rounds() if not r.get("locked")]
round_name = None
if rounds:
    round_name = st.columns([1, 2])[0].selectbox("Reporting round", [r["name"] for r in rounds], index=len(rounds) - 1,
                              key="submit_round")
else:
    st.warning("Every reporting round is locked. The secretariat must open a new round before returns can be stored.")
if round_name and (due := core.call(reporting.deadline, engine, round_name)):
    late = due[1] < dt.date.today()
    (st.warning if late else st.info)(
        f"Returns for {core.esc(due[0])} are due by **{reporting.day(due[1])}**"
        + (": the deadline has passed, but your return is still welcome." if late else "."))

st.markdown("#### 1. Download the template")
c1, c2 = st.columns(2)
with c1, core.guarded("Preparing the blank template"):
    render.download("Blank template", submitting.template_bytes(engine, None), "stocktake_template.xlsx",
                    render.XLSX, key="tpl_blank", help="Columns, drop-down lists and instructions; no rows.")
with c2, core.guarded("Preparing the pre-filled template"):
    if org:
        render.download(f"Pre-filled with {core.esc(org)}'s current activities",
                        submitting.template_bytes(engine, org, actor), f"stocktake_{submitting.slug(org)}.xlsx",
                        render.XLSX, key="tpl_filled",
                        help="Update the rows, add new ones, and upload it back. " + picture.REPLACEMENT_RULE)

if org:
    iati_view.start_from_iati(engine, org, round_name)

st.markdown("#### 2. Upload your return")
limit_mb = config.upload_limit(consolidated) / (1024 * 1024)
counter = st.session_state.setdefault("upload_counter", 0)
# the browser states and applies the same limit as the label (not the server's larger overall cap)
# the label names every kind the box takes (it said nothing of .xlsm, which the box offers)
kinds = ["xlsx", "xlsm", "xls", "ods", "csv"]
upload = st.file_uploader(f"Excel return ({', '.join('.' + k for k in kinds[:-1])} or .{kinds[-1]}; up to "
                          f"{limit_mb:.0f} MB)", type=kinds, key=f"upload_{counter}",
                          max_upload_size=max(1, math.ceil(limit_mb)))

pending = submitting.current_upload(engine, actor, org, upload)  # a reload keeps the last unconfirmed upload
if pending is not None:
    filename, data = pending
    if len(data) > config.upload_limit(consolidated):
        st.error(f"{core.esc(filename)} is {len(data) / 1048576:.1f} MB; the limit is {limit_mb:.0f} MB. "
                 "Remove unused sheets or images and upload again.")
        st.stop()
    key = ("validated", org, consolidated, hashlib.sha256(data).hexdigest())
    if st.session_state.get("validated_key") != key:
        st.session_state.pop("validated_result", None)
        try:
            bar = st.progress(0.0, text="Checking every row…")  # a national 5W takes a while: say how far it is
            st.session_state["validated_result"] = workflow.validate_upload(
                engine, data, filename, org=org, round_name=round_name, consolidated=consolidated,
                progress=lambda fraction, what: bar.progress(min(max(fraction, 0.0), 1.0), text=core.esc(what) + "…"))
            bar.empty()
            if org:
                st.session_state["validated_result"].issues.extend(
                    iati_view.second_opinion(engine, st.session_state["validated_result"], org))
            st.session_state["validated_key"] = key
        except StocktakeError as exc:  # unreadable file: the message says what to do
            core.show_error(exc, None if filename in exc.message else filename)  # usually names the file already
            submitting.drop_draft(engine, actor, org)
            st.stop()
    result: ingest.IngestResult = st.session_state["validated_result"]

    st.markdown("#### 3. Check the report")
    errors, warnings = len(result.errors), len(result.warnings)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Rows read", f"{result.rows:,}")
    m2.metric("Rows accepted", f"{result.accepted:,}")
    m3.metric("Errors", f"{errors:,}")
    m4.metric("Warnings", f"{warnings:,}")
    blocking, reject_whole = submitting.queue_choice(result)
    if blocking:
        st.error(f"{blocking:,} error(s) must be fixed before this return can be stored. Fix them in your file "
                 "(the annotated workbook marks each cell) and upload it again.")
    elif errors:
        pass  # every error is on a row that waits in the review queue (said above)
    elif warnings:
        st.warning(f"No errors. {warnings:,} warning(s): check them, then confirm.")
    else:
        st.success("No problems found. Confirm to store the return.")
    if submitting.layout_panel(engine, actor, result, org, filename):
        st.session_state.pop("validated_key", None)  # check the return again with the saved layout
        st.rerun()
    submitting.show_defaults(result)
    if submitting.offlist_panel(engine, actor, result):
        st.session_state.pop("validated_key", None)  # check the return again with the new mappings
        st.rerun()
    issues = submitting.issues_frame(result)
    if len(issues):
        # narrow fixed columns leave the width to the message and the suggestion (hover shows any long text)
        st.dataframe(issues, hide_index=True, width="stretch", height=min(460, 3 + 35 * (len(issues) + 1)),
                     column_config={"Row": st.column_config.NumberColumn(format="%d", width=48),
                                    "Column": st.column_config.TextColumn(width=150),
                                    "Value": st.column_config.TextColumn(width=90),
                                    "Severity": st.column_config.TextColumn(width=70),
                                    "Message": st.column_config.TextColumn(width=430),
                                    "Suggestion": st.column_config.TextColumn(width="medium")})
    with core.guarded("Preparing the annotated workbook"):
        if st.session_state.get("validated_annotated", (None,))[0] != key:  # built once per upload, not per rerun
            try:
                built: bytes | StocktakeError = annotate.annotate_workbook(data, filename, result)
            except StocktakeError as exc:  # too large to annotate: kept, so no rerun tries again
                built = exc
            st.session_state["validated_annotated"] = (key, built)
        built = st.session_state["validated_annotated"][1]
        if isinstance(built, StocktakeError):
            raise built
        render.download("Download the annotated workbook", built, f"{submitting.stem(filename)}_checked.xlsx",
                        render.XLSX, key="dl_annotated",
                        help="Your file with every problem highlighted and explained in a comment.")

    st.markdown("#### 4. Confirm")
    if org and not blocking:
        replaced = core.call(picture.replacement, engine, actor, org, result.records, round_name=round_name,
                             what="Comparing with your current activities")
        if replaced is not None:
            say = st.warning if replaced.disappearing else st.info
            say(core.esc(replaced.sentence()), icon="⚠️" if replaced.disappearing else "ℹ️")
            if replaced.disappearing:
                with st.expander(f"Activities that will disappear ({len(replaced.disappearing)})"):
                    render.table(pd.DataFrame(replaced.disappearing),
                                 ["activity_id", "sector", "activity", "adm1_name", "adm2_name", "status"],
                                 labels={"activity_id": "Activity ID", "adm1_name": "Province",
                                         "adm2_name": "District"}, key="replaced_gone")
                st.caption(core.esc(picture.REPLACEMENT_RULE))
    target = core.esc(org) if org else "the organisations named in the file"
    noun = "activity" if result.accepted == 1 else "activities"
    if st.button("Discard this upload", key="discard_upload"):
        submitting.forget_upload(engine, actor, org)
        st.rerun()
    if st.button(f"Confirm and submit {result.accepted} {noun} for {target}", type="primary", key="confirm",
                 disabled=bool(blocking) or not rounds):
        try:
            report = workflow.submit_file(engine, actor, data, filename, org=org or "", round_name=round_name,
                                          consolidated=consolidated, reject_whole=reject_whole)
        except StocktakeError as exc:  # permission, locked round ...: shown, never a traceback
            core.show_error(exc)
        else:
            status, text = report.status, report.message
            if status == "stored":
                st.session_state["submit_flash"] = ("success", text)
                submitting.forget_upload(engine, actor, org)
                st.rerun()
            elif status == "duplicate":
                st.info(core.esc(text))
            else:
                st.error(core.esc(text))

st.markdown(f"#### Submission history of {core.esc(org or 'all organisations')}")
hist = (core.call(submissions.history, engine, actor, org, what="Loading the history") if org else
        core.call(submissions.list_submissions, engine, actor, limit=50, what="Loading the history")) or []
if hist:
    frame = pd.DataFrame(hist)
    if "submitted_at" in frame.columns:
        frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], errors="coerce")
    render.table(frame, ["id", *([] if org else ["org"]), "round", "status", "submitted_at", "user", "filename",
                         "rows", "errors", "warnings"],
                 labels={"id": "#", "org": "Organisation", "user": "Submitted by", "filename": "File"}, key="history")
else:
    st.caption("No returns submitted yet.")
