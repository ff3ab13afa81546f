"""The secretariat's tools, one function per tab of the Admin page. Each calls the store, which enforces roles."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from mapping import config
from mapping.errors import StocktakeError
from mapping.geo import boundaries, countries
from mapping.returns import schema
from mapping.store import auth, db, lists, picture, registry, submissions
from views import accounts, core, render, submitting
from views import organisations as org_identity


def _done(message: str, *, clear: tuple[str, ...] = ()) -> None:
    """Say it worked and rerun; `clear` empties a form's fields (only on success: a refused form keeps them)."""
    st.session_state["admin_flash"] = message
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


def flash() -> None:
    if msg := st.session_state.pop("admin_flash", None):
        st.success(core.esc(msg))


# ---------------------------------------------------------------- boundaries

def _country_for(active: dict | None) -> str | None:
    """The country to offer for a download: the active set's, else STOCKTAKE_COUNTRY (None: neither)."""
    bset = None
    if active:
        with core.guarded("Reading the active boundary set"):
            bset = core.bset()
    return core.call(boundaries.deployment_country, bset, what="Reading STOCKTAKE_COUNTRY")


def boundary_sets(actor: db.Actor) -> None:
    engine = core.engine()
    sets = core.call(registry.list_boundary_sets, engine) or []
    active = next((s for s in sets if s["active"]), None)
    if active:
        meta = active.get("meta") or {}
        st.markdown(f"**Active:** `{core.esc(active['version'])}` — {core.esc(meta.get('source') or '')}")
        st.caption(core.esc(meta.get("attribution") or ""))
    country = _country_for(active)
    if not active and country:
        st.warning(f"No boundary set is active: the map is empty and districts cannot be matched. Download "
                   f"{core.esc(countries.name(country))}'s boundaries below (the country STOCKTAKE_COUNTRY names), "
                   "or upload the boundary files.")
    elif not active:
        st.warning(core.esc(boundaries.no_country_error().message) + " Upload the country's boundary files below, "
                   "or write its ISO3 code under *Download from the public source*. Setting STOCKTAKE_COUNTRY on "
                   "the server (e.g. `STOCKTAKE_COUNTRY=KEN`) makes the first run download them.")
    if sets:
        frame = pd.DataFrame([{"Version": s["version"], "Active": "yes" if s["active"] else "",
                               "Country": (s.get("meta") or {}).get("country"),
                               "Source": (s.get("meta") or {}).get("source"),
                               "Districts": ((s.get("meta") or {}).get("counts") or {}).get("adm2"),
                               "Imported": s.get("imported_at")} for s in sets])
        st.dataframe(frame, hide_index=True, width="stretch")
        inactive = [s["version"] for s in sets if not s["active"]]
        if inactive:
            c1, c2 = st.columns([3, 1])
            pick = c1.selectbox("Make another set active", inactive, key="bset_activate")
            if c2.button("Activate", key="bset_activate_btn"):
                with core.guarded("Activating the boundary set"):
                    meta = next(s["meta"] for s in sets if s["version"] == pick)
                    registry.register_boundary_set(engine, actor, dict(meta) | {"version": pick}, activate=True)
                    _done(f"{pick} is now the active boundary set.")
    st.markdown("##### Upload boundaries")
    st.caption("A .zip of shapefiles, a GeoJSON, TopoJSON or GeoPackage holding the province and district levels.")
    up = st.file_uploader("Boundary file", type=["zip", "geojson", "json", "topojson", "gpkg"], key="bset_upload")
    c1, c2 = st.columns(2)
    name_field = c1.text_input("Name field (optional)", key="bset_name_field")
    code_field = c2.text_input("P-code field (optional)", key="bset_code_field")
    if up is not None and st.button("Import the uploaded boundaries", type="primary", key="bset_import"):
        with core.guarded(f"Importing {up.name}"), tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(up.name).name
            path.write_bytes(up.getvalue())
            kw = {k: v for k, v in (("name_field", name_field), ("code_field", code_field)) if v.strip()}
            with st.spinner("Reading and simplifying the boundaries…"):
                bset = boundaries.import_path(path, **kw)
            registry.register_boundary_set(engine, actor, bset.meta | {"version": bset.version}, activate=True)
            _done(f"Imported and activated {bset.version}.")
    st.markdown("##### Download from the public source")
    c1, c2, c3 = st.columns([1, 1, 1])
    written = c1.text_input("Country (ISO3 or name)", value=country or "", key="bset_country")
    source = c2.selectbox("Source", ["hdx", "geoboundaries"], key="bset_source")
    if c3.button("Fetch", key="bset_fetch"):
        with core.guarded("Downloading boundaries"), st.spinner("Downloading…"):
            code = countries.resolve(written)
            if code is None:
                raise countries.CountryError("Write the country whose boundaries to download.",
                                             hint="Its ISO3 code (e.g. KEN) or its name.")
            bset = boundaries.fetch(code, source=source)
            registry.register_boundary_set(engine, actor, bset.meta | {"version": bset.version}, activate=True)
            _done(f"Downloaded and activated {bset.version}.")
    need_indicator(actor)


# ---------------------------------------------------------------- vocabularies

VOCAB_LISTS = {"Sectors and sub-sectors": "sector", "Organisation types": "org_type", "Statuses": "status",
               "Modalities": "modality", "Target groups (programmes)": "target_group"}


def vocabularies(actor: db.Actor) -> None:
    _values_waiting(actor)
    st.markdown("##### The lists")
    which = st.selectbox("List", list(VOCAB_LISTS), key="vocab_which")
    field = VOCAB_LISTS[which]
    columns, rows = lists.read_list(field)
    st.caption("Returns are checked against the saved list; every save is recorded in the audit log.")
    edited = st.data_editor(pd.DataFrame(rows, columns=columns), num_rows="dynamic", width="stretch",
                            key=f"vocab_{field}", hide_index=True)
    if st.button("Save the list", type="primary", key="vocab_save"):
        with core.guarded("Saving the list"):
            change = lists.save_list(core.engine(), actor, field,
                                          edited.fillna("").astype(str).to_dict("records"))
            _done(f"Saved {change.rows} rows to {change.file}.")


def _values_waiting(actor: db.Actor) -> None:
    """What stored returns wrote that is on no list yet (a focal point cannot map values), to map once; and the
    mappings already confirmed, with who and when, each removable."""
    from mapping.store import vocabulary

    engine = core.engine()
    acts = core.call(core.activities, actor, what="Loading the picture")
    entries = [] if acts is None else core.call(vocabulary.waiting, engine, actor, acts,
                                                what="Reading the values waiting for a mapping") or []
    if not entries:
        st.caption("No value waits for a mapping: every sector, status, organisation type and modality in the "
                   "picture is on its list or mapped.")
    elif submitting.values_to_map(engine, actor, entries, key="waiting", heading="Values waiting for a mapping",
                                  apply_all=lambda: vocabulary.apply_waiting_suggestions(engine, actor, acts)):
        _done("Saved: the stored rows now count under the values they were mapped to.")
    confirmed = core.call(vocabulary.aliases, engine, what="Reading the confirmed mappings") or []
    if confirmed:
        with st.expander(f"Confirmed mappings ({len(confirmed)})"):
            render.table(pd.DataFrame([{"List": vocabulary.LABELS.get(a["field"], a["field"]).capitalize(),
                                        "As written": a["alias"],
                                        "Reads as": a["canonical"], "By": a["by"],
                                        "When": f"{a['at']:%d %b %Y %H:%M} UTC" if a["at"] else ""}
                                       for a in confirmed]), key="confirmed_mappings")
            labels = [f"{vocabulary.LABELS.get(a['field'], a['field']).capitalize()}: '{a['alias']}' → {a['canonical']}"
                      for a in confirmed]
            gone = st.selectbox("Remove a mapping", ["(choose one)", *labels], key="unmap_pick")
            if gone != "(choose one)" and st.button("Remove this mapping", key="unmap_go"):
                a = confirmed[labels.index(gone)]
                if core.call(vocabulary.remove_alias, engine, actor, a["field"], a["alias"],
                             what="Removing the mapping"):
                    _done(f"'{a['alias']}' is no longer mapped; its rows show it as written again.",
                          clear=("unmap_pick",))


# ---------------------------------------------------------------- organisations and users


def organisations(actor: db.Actor) -> None:
    engine = core.engine()
    orgs = core.call(registry.list_orgs, engine) or []
    from mapping.store import reporting

    status = core.call(reporting.round_status, engine, actor, what="Reading who has reported")
    standing = {o.org: o.label() for o in (status.orgs if status else [])}
    frame = pd.DataFrame(orgs)
    if len(frame):
        frame["standing"] = frame["name"].map(standing).fillna("")
    render.table(frame, ["name", "acronym", "type", "standing", "iati_id", "aliases", "submissions"],
                 labels={"standing": f"In {status.round_name}" if status and status.round_name else "This round",
                         "submissions": "Accepted returns"},
                 widths={"name": 300, "acronym": 80, "type": 140, "standing": 150, "submissions": 80},
                 empty="No organisations yet.")
    vocab = schema.load_vocabularies()
    with st.form("add_org"):
        st.markdown("**Add an organisation**")
        c1, c2, c3 = st.columns([3, 1, 2])
        name = c1.text_input("Name", key="org_new_name")
        acronym = c2.text_input("Acronym", key="org_new_acronym")
        org_type = c3.selectbox("Type", list(vocab.org_types), key="org_new_type")
        c4, c5 = st.columns([3, 2])
        aliases = c4.text_input("Other names it goes by (comma-separated)", key="org_new_aliases")
        iati = c5.text_input("IATI identifier (optional)", key="org_new_iati", placeholder="XM-DAC-41122")
        if st.form_submit_button("Add organisation"):
            with core.guarded("Adding the organisation"):
                registry.add_org(engine, actor, name.strip(), acronym=acronym.strip() or None, org_type=org_type,
                                 aliases=[a.strip() for a in aliases.split(",") if a.strip()], iati_id=iati)
                _done(f"Added {name.strip()}.", clear=("org_new_name", "org_new_acronym", "org_new_aliases",
                                                       "org_new_iati"))
    org_identity.identity_tools(actor)  # merge, unmerge, another name


def users(actor: db.Actor) -> None:
    engine = core.engine()
    people = core.call(auth.list_users, engine, actor) or []
    render.table(pd.DataFrame(people), ["email", "name", "role", "org", "active", "has_password", "locked_until"],
                 empty="No accounts yet.")
    orgs = [o["name"] for o in core.call(registry.list_orgs, engine) or []]
    with st.form("add_user"):
        st.markdown("**Add an account**")
        c1, c2, c3 = st.columns([3, 2, 3])
        email = c1.text_input("E-mail", key="user_new_email")
        role = c2.selectbox("Role", ["focal_point", "viewer", "admin"],
                            format_func=lambda r: core.ROLE_LABELS.get(r, r), key="user_new_role")
        org = c3.selectbox("Organisation (focal points)", [""] + orgs, key="user_new_org")
        c4, c5 = st.columns(2)
        name = c4.text_input("Name", key="user_new_name")
        password = c5.text_input("Initial password (leave empty for sign-in through the identity provider)",
                                 type="password", key="user_new_password")
        if st.form_submit_button("Add account"):
            with core.guarded("Adding the account"):
                auth.add_user(engine, actor, email=email, role=role, org=org or None, password=password or None,
                               name=name.strip() or None)
                _done(f"Added {email.strip()} as {core.ROLE_LABELS.get(role, role)}.",
                      clear=("user_new_email", "user_new_org", "user_new_name", "user_new_password"))
    accounts.manage(actor)  # disable, role, reset, unlock, open sessions


# ---------------------------------------------------------------- rounds


def rounds(actor: db.Actor) -> None:
    engine = core.engine()
    all_rounds = core.rounds()
    if all_rounds:
        frame = pd.DataFrame(all_rounds)
        frame["state"] = frame["locked"].map({True: "locked", False: "open for returns"})
        frame["carry_forward"] = frame["carry_forward"].map({True: "yes", False: "no"})
        render.table(frame, ["name", "period_start", "period_end", "state", "carry_forward", "orgs_reported"],
                     labels={"state": "Returns", "carry_forward": "Carries forward", "period_start": "Start",
                             "period_end": "End", "orgs_reported": "Organisations reported"})
        c1, c2 = st.columns([3, 1])
        pick = c1.selectbox("Round", [r["name"] for r in all_rounds], index=len(all_rounds) - 1, key="round_pick")
        locked = next(r["locked"] for r in all_rounds if r["name"] == pick)
        if c2.button("Reopen" if locked else "Lock", key="round_lock"):
            with core.guarded("Changing the round"):
                registry.lock_round(engine, actor, pick, locked=not locked)
                _done(f"{pick} is now {'open' if locked else 'locked'}.")
    with st.form("add_round"):
        st.markdown("**Open a new round**")
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("Name", placeholder="2026 H2", key="round_new_name")
        start = c2.date_input("Start", format="DD/MM/YYYY", key="round_new_start")
        end = c3.date_input("End", format="DD/MM/YYYY", key="round_new_end")
        carry = st.checkbox("Carry forward the last return of partners that do not report (marked as such)",
                            value=True, key="round_new_carry")
        if st.form_submit_button("Open round"):
            with core.guarded("Opening the round"):
                registry.add_round(engine, actor, name, start, end, carry_forward=carry)
                _done(f"Opened {name.strip()}.", clear=("round_new_name", "round_new_start", "round_new_end"))
    if len(all_rounds) >= 2:
        st.markdown("**Compare two rounds**")
        names = [r["name"] for r in all_rounds]
        c1, c2 = st.columns(2)
        a = c1.selectbox("Earlier", names, index=len(names) - 2, key="cmp_a")
        b = c2.selectbox("Later", names, index=len(names) - 1, key="cmp_b")
        if a != b:
            with core.guarded("Comparing the rounds"):
                diff = picture.compare_rounds(engine, a, b, actor=actor)
                st.markdown(f"{len(diff['new'])} new, {len(diff['changed'])} changed, {len(diff['ended'])} ended, "
                            f"{diff['unchanged']} unchanged activities.")
                for part in ("new", "changed", "ended"):
                    if diff[part]:
                        with st.expander(f"{part.capitalize()} ({len(diff[part])})"):
                            render.table(pd.DataFrame(diff[part]))


# ---------------------------------------------------------------- submissions and review


def submissions_tab(actor: db.Actor) -> None:
    engine = core.engine()
    subs = core.call(submissions.list_submissions, engine, actor, limit=500) or []
    if not subs:
        st.caption("No submissions yet.")
        return
    frame = pd.DataFrame(subs)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], errors="coerce")
    c1, c2 = st.columns(2)
    org = c1.selectbox("Organisation", ["All"] + sorted(frame["org"].unique()), key="subs_org")
    status = c2.selectbox("Status", ["All"] + sorted(frame["status"].unique()), key="subs_status",
                          format_func=lambda v: render.VALUE_WORDS.get(v, v))
    shown = frame[((frame["org"] == org) | (org == "All")) & ((frame["status"] == status) | (status == "All"))]
    render.table(shown, ["id", "org", "round", "status", "submitted_at", "user", "filename", "rows", "errors",
                         "warnings"], height=320,
                 widths={"id": 50, "round": 80, "status": 90, "rows": 55, "errors": 60, "warnings": 75})
    ids = list(shown["id"])
    if not ids:
        return
    labels = {r["id"]: f"#{r['id']} · {r['org']} · {r['round']} · {render.VALUE_WORDS.get(r['status'], r['status'])}"
                       f" · {r['submitted_at']:%d %b %Y %H:%M}"
              for r in shown.to_dict("records")}
    sid = st.selectbox("Submission", ids, format_func=labels.get, key="subs_pick")
    c1, c2, c3 = st.columns(3)
    with c1, core.guarded("Fetching the raw file"):
        name, data = submissions.raw_file(engine, actor, int(sid))
        st.download_button("Download the raw file", data, file_name=name, key="subs_raw", width="stretch")
    with c2:
        show_issues = st.toggle("Show its validation report", key="subs_issues")
    with c3:
        # a new key after each rollback: the browser would otherwise send the ticked box back on the rerun
        nonce = st.session_state.get("subs_nonce", 0)
        sure = st.checkbox("I want to roll this submission back", key=f"subs_sure_{nonce}")
        if st.button("Roll back", disabled=not sure, key="subs_rollback", width="stretch"):
            with core.guarded("Rolling back"):
                submissions.rollback(engine, actor, int(sid), reason="rolled back on the Admin page")
                st.session_state["subs_nonce"] = nonce + 1
                _done(f"Submission #{sid} rolled back; the organisation's previous return is current again.")
    if show_issues:
        with core.guarded("Loading the report"):
            render.table(pd.DataFrame(submissions.validation_issues(engine, actor, int(sid))),
                         ["row", "column", "value", "severity", "message", "suggestion"], empty="No issues.")


def _province_codes(units: pd.DataFrame) -> dict[str, str]:
    """Province name or p-code as a return may write it -> adm1_pcode, for the review queue."""
    pairs = units[["adm1_pcode", "adm1_name"]].dropna().drop_duplicates()
    out = {str(n).lower(): str(c) for c, n in zip(pairs["adm1_pcode"], pairs["adm1_name"], strict=True)}
    return out | {str(c).lower(): str(c) for c in pairs["adm1_pcode"]}


def review_queue(actor: db.Actor) -> None:
    st.caption("Place names in returns that Stocktake could not match to a single district. Pick the district "
               "once: the name is learned (for the province it was written with) and matches automatically from "
               "then on.")
    geo = core.geo()
    provinces = _province_codes(geo.units) if geo is not None else None
    queue: list[dict] = []
    with core.guarded("Building the review queue"):
        queue = registry.unmatched_locations(core.engine(), actor, provinces=provinces)
    if not queue:
        st.success("Nothing to review: every place name in the returns matched, or has been learned.")
        return
    frame = pd.DataFrame([q | {"orgs": "; ".join(q["orgs"]), "suggestions": " ".join(q["suggestions"]),
                               "province": q["province"] or "—"} for q in queue])
    render.table(frame, ["district", "province", "count", "orgs", "latest_submission_id", "suggestions"],
                 labels={"district": "Name as written", "province": "Province as written", "count": "Rows",
                         "latest_submission_id": "Latest return (#)", "suggestions": "Suggestion"}, height=260)
    if geo is None:
        return
    units = geo.units.sort_values(["adm1_name", "adm2_name"])
    label = {r.adm2_pcode: f"{r.adm2_name}, {r.adm1_name} ({r.adm2_pcode})" for r in units.itertuples()}
    # the name alone where it is unique in the queue, with its province where the same name comes twice
    seen = pd.Series([q["district"].lower() for q in queue]).value_counts()
    items = {(q["district"] if seen[q["district"].lower()] == 1 else f"{q['district']} ({q['province'] or '—'})"): q
             for q in queue}
    c1, c2, c3 = st.columns([2, 3, 1])
    pick = c1.selectbox("Name as written", list(items), key="review_name")
    if st.session_state.get("review_for") != pick:  # a new name: start from its suggestion, or from nothing
        st.session_state["review_for"] = pick
        st.session_state["review_pcode"] = next((p for p in items[pick].get("suggested_pcodes", []) if p in label),
                                                None)
    pcode = c2.selectbox("is the district", list(label), format_func=label.get, key="review_pcode", index=None,
                         placeholder="Pick the district it means")
    if c3.button("Learn", type="primary", key="review_learn", disabled=pcode is None):
        with core.guarded("Learning the name"):
            item = items[pick]
            # keyed by the province as written (the gazetteer looks it up that way); none: any province
            adm1 = (provinces or {}).get((item["province"] or "").strip().lower())
            registry.learn_alias(core.engine(), actor, item["district"], adm1, pcode)
            _done(f"Learned: “{item['district']}” is {label[pcode]}. The next returns match it automatically.")


# ---------------------------------------------------------------- need indicator


def need_indicator(actor: db.Actor) -> None:
    """The deployment's need figure per district: every viewer, the PDF and the commands rank gaps by it."""
    engine = core.engine()
    st.markdown("##### Need indicator")
    st.caption("One number per district (people in need, population, poverty rate …) in a CSV with a district "
               "p-code column. Gaps are ranked by it for everyone, in the PDF and on the command line.")
    info = core.call(registry.need_info, engine, what="Reading the need indicator")
    if info:
        st.markdown(f"**Current:** “{core.esc(info['label'])}” for {info['districts']} districts, from "
                    f"`{core.esc(info['source_filename'] or 'an upload')}`, set by {core.esc(info['set_by'])} on "
                    f"{info['set_at']:%Y-%m-%d %H:%M} UTC.")
    else:
        st.caption("No need indicator is set: gaps are listed by province.")
    up = st.file_uploader("Need CSV", type=["csv"], key="need_admin_upload")
    if up is not None:
        from mapping.analysis import matrices as analysis

        frame = None
        try:
            frame = analysis.read_need(up.getvalue())
        except StocktakeError as exc:  # a wrong file is a message, not a crash
            core.show_error(exc, up.name)
        if frame is not None:
            geo = core.geo()
            known = set(geo.units["adm2_pcode"]) if geo is not None else set()
            unknown = sorted(set(frame["adm2_pcode"].dropna()) - known) if known else []
            if unknown:
                st.warning(f"{len(unknown)} p-code(s) are not districts of the active boundary set and will be "
                           f"ignored on the map: {core.esc(', '.join(unknown[:8]))}{' …' if len(unknown) > 8 else ''}")
            label = st.text_input("What the number is", value=str(frame.attrs.get("label") or ""),
                                  key="need_admin_label", max_chars=200)
            verb = "Replace the need indicator" if info else "Use as the need indicator"
            if st.button(verb, type="primary", key="need_admin_save"):
                with core.guarded("Saving the need indicator"):
                    # only the real districts are kept, so the count below is the one the map and gaps use
                    keep = frame[frame["adm2_pcode"].isin(known)] if known else frame
                    saved = registry.set_need(engine, actor, label=label, values=keep, source_filename=up.name)
                    _done(f"Gaps are now ranked by “{saved['label']}” ({saved['districts']} districts).")
    if info:
        sure = st.checkbox("I want to remove the need indicator", key="need_admin_sure")
        if st.button("Remove", disabled=not sure, key="need_admin_clear"):
            with core.guarded("Removing the need indicator"):
                registry.clear_need(engine, actor)
                st.session_state.pop("need_admin_sure", None)
                _done("The need indicator was removed; gaps are listed by province again.")


# ---------------------------------------------------------------- reporting: who is missing, reminders, timeline


def reporting_tab(actor: db.Actor) -> None:
    """Who has not reported in a round, their focal points' e-mails, the deadline, reminders, and timelines."""
    from mapping import workflow
    from mapping.outputs import reminders
    from mapping.store import reporting

    engine = core.engine()
    names = [r["name"] for r in core.rounds()]
    if not names:
        st.caption("No reporting round yet: open one under Rounds.")
        return
    default = core.open_round() or names[-1]
    c1, c2, c3 = st.columns([2, 2, 1])
    pick = c1.selectbox("Round", names, index=names.index(default), key="rep_round")
    status = core.call(reporting.round_status, engine, actor, pick, what="Reading who has reported")
    if status is None:
        return
    due = c2.date_input("Deadline", value=status.deadline, format="DD/MM/YYYY", key=f"rep_deadline_{pick}")
    c3.markdown("&nbsp;")
    if c3.button("Save deadline", key="rep_deadline_save", disabled=due == status.deadline):
        with core.guarded("Saving the deadline"):
            reporting.set_deadline(engine, actor, pick, due)
            _done(f"Returns for {pick} are due by {reporting.day(due)}." if due else f"{pick} has no deadline now.")
    (st.success if not status.missing else st.warning)(core.esc(status.sentence()))
    missing = status.missing
    if missing:
        st.markdown(f"**Not yet reported in {core.esc(pick)}** ({len(missing)}) — focal points' e-mails are "
                    "personal data: share them only with the secretariat.")
        render.table(pd.DataFrame([{"org": o.org, "standing": o.label(),
                                    "emails": "; ".join(o.focal_points) or "no focal point account"}
                                   for o in missing]), ["org", "standing", "emails"],
                     labels={"org": "Organisation", "standing": "Standing", "emails": "Focal points"},
                     key="rep_missing")
        emails = sorted({e for o in missing for e in o.focal_points})
        c1, c2 = st.columns([3, 1])
        c1.code("; ".join(emails) or "(no e-mail addresses)", language=None, wrap_lines=True)
        with c2:
            render.download("Download the list (CSV)", reminders.missing_csv(status),
                            f"not_reported_{submitting.slug(pick)}.csv", "text/csv", key="rep_missing_csv")
        if config.smtp() is None:
            st.caption("Reminder e-mails need a mail server: the deployment sets STOCKTAKE\\_SMTP\\_HOST (and "
                       "STOCKTAKE\\_SMTP\\_FROM). Until then, copy the addresses above.")
        else:
            with_mail = [o for o in missing if o.focal_points]
            sure = st.checkbox(f"E-mail a reminder to the focal points of {len(with_mail)} organisation(s)",
                               key=f"rep_remind_sure_{st.session_state.get('rep_nonce', 0)}")
            if st.button("Send reminders", type="primary", disabled=not sure or not with_mail, key="rep_remind"):
                with core.guarded("Sending the reminders"), st.spinner("Sending…"):
                    sent = workflow.send_reminders(engine, actor, pick)
                    st.session_state["rep_nonce"] = st.session_state.get("rep_nonce", 0) + 1
                    _done(sent.sentence())
    st.markdown("##### An organisation's timeline")
    orgs = [o.org for o in status.orgs]
    who = st.selectbox("Organisation", orgs, key="rep_timeline_org", index=None, placeholder="Pick an organisation")
    if who:
        with core.guarded("Reading the timeline"):
            entries = reporting.timeline(engine, actor, who)
            if not entries:
                st.caption(f"{core.esc(who)} has sent no return yet.")
            else:
                render.table(pd.DataFrame([{"id": e.submission_id, "when": reporting.day(e.submitted_at),
                                            "round": e.round_name, "who": e.submitted_by, "file": e.filename,
                                            "what": e.what()} for e in reversed(entries)]),
                             ["id", "when", "round", "who", "file", "what"],
                             labels={"id": "#", "when": "Date", "round": "Round", "who": "Submitted by",
                                     "file": "File", "what": "What happened"},
                             widths={"id": 50, "when": 100, "round": 80, "what": "large"}, key="rep_timeline")



# ---------------------------------------------------------------- exchange rates


def exchange_rates(actor: db.Actor) -> None:
    """The rate table every budget total is converted with (matrices, map, PDF, commands)."""
    from mapping.analysis import currency

    engine = core.engine()
    rates = None
    with core.guarded("Reading the rate table"):
        rates = currency.load_rates()
    if rates is not None:
        st.markdown(core.esc(rates.statement()))
        render.table(pd.DataFrame([{"currency": c, "rate": r, "as_of": rates.as_of[c]}
                                   for c, r in sorted(rates.rate.items())]), ["currency", "rate", "as_of"],
                     labels={"currency": "Currency", "rate": f"1 unit in {rates.reporting}", "as_of": "Rate of"},
                     key="rates_table")
    else:
        st.caption("No rate table: budgets are added up as reported.")
    st.caption("A CSV with the columns currency, rate, reporting_currency, as_of, source: one row per currency, the "
               "rate being what one unit is worth in the reporting currency.")
    up = st.file_uploader("Rate table (CSV)", type=["csv"], key="rates_upload")
    if up is not None and st.button("Use these rates", type="primary", key="rates_save"):
        with core.guarded(f"Reading {up.name}"):
            saved = currency.save_rates(up.getvalue(), up.name)
            with db.transaction(engine) as conn:
                db.audit(conn, actor, "rates.set", "rates", None, {"file": up.name, "rates": saved.rate})
            _done(f"{len(saved.rate)} rates saved. {saved.statement()}")
