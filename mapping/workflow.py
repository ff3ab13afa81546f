"""The few operations that span several modules, shared by the CLI and the app so both behave alike.

Validating a return needs the active boundary set, the gazetteer with learned aliases, the vocabularies and
the organisation list; submitting it needs all that plus the store. First-run set-up and the demo live here
too because they use every layer once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from mapping import config
from mapping.errors import StocktakeError
from mapping.geo import boundaries, countries, points
from mapping.geo.files import IMPORT_ONE, IMPORT_ONE_CLI, NoBoundariesError
from mapping.geo.gazetteer import Gazetteer
from mapping.returns import iati
from mapping.returns import programmes as programme_files
from mapping.returns.ingest import IngestResult, read_return
from mapping.returns.layouts import SavedLayout
from mapping.returns.schema import Vocabularies, load_vocabularies
from mapping.returns.vocabulary import SUGGESTION_THRESHOLD
from mapping.store import auth, db, identity, picture, programmes, registry, submissions
from mapping.store import layouts as store_layouts
from mapping.store import vocabulary as store_vocabulary

SYSTEM = db.Actor(user_id=None, email="system", role="admin", org_id=None, org_name=None)
DEMO_PASSWORDS = {"admin": "demo-admin", "focal_point": "demo-focal", "viewer": "demo-viewer"}


@dataclass
class Context:
    """Everything ingest needs to check a return against this deployment's reference data."""

    bset: boundaries.BoundarySet | None
    units: pd.DataFrame
    gazetteer: Gazetteer | None
    vocab: Vocabularies
    orgs: list[dict] = field(default_factory=list)
    confirmed: dict[str, dict[str, str]] = field(default_factory=dict)  # vocabulary aliases people confirmed

    @property
    def boundary_version(self) -> str | None:
        return self.bset.version if self.bset is not None else None


_GAZETTEERS: dict[tuple, Gazetteer] = {}


def context(engine: Engine) -> Context:
    """Build (and memoise per boundary version and learned aliases) the matching context."""
    version = registry.active_boundary_version(engine)
    try:
        bset = boundaries.load_set(version)
    except NoBoundariesError:  # a normal state before set-up; a damaged set is an error and goes up
        bset = None
    vocab = load_vocabularies()
    orgs = registry.org_directory(engine)
    confirmed = store_vocabulary.confirmed(engine)
    if bset is None:
        return Context(None, pd.DataFrame(columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]), None,
                       vocab, orgs, confirmed)
    units = boundaries.units(bset)
    learned = registry.learned_aliases(engine)
    key = (bset.version, tuple(sorted((d["alias"], d.get("adm1_pcode") or "", d.get("adm2_pcode") or "")
                                      for d in learned)))
    gaz = _GAZETTEERS.get(key)
    if gaz is None:
        gaz = Gazetteer.from_units(units, learned=learned, country=bset.meta.get("country"))
        _GAZETTEERS.clear()
        _GAZETTEERS[key] = gaz
    return Context(bset, units, gaz, vocab, orgs, confirmed)


def round_period(engine: Engine, round_name: str | None = None) -> tuple[dt.date, dt.date] | None:
    """(start, end) of the round a return is for, against which a missing status is derived; None without one."""
    try:
        with db.transaction(engine, write=False) as conn:
            rnd = registry.resolve_round(conn, round_name)
    except StocktakeError:
        return None
    return rnd.period_start, rnd.period_end


def validate_upload(engine: Engine, data: bytes, filename: str, *, org: str | None = None,
                    sheet: str | None = None, date_order: str | None = None, ctx: Context | None = None,
                    round_name: str | None = None, reporting_org: str | None = None,
                    consolidated: bool = False, layout: str | None = None,
                    column_map: dict[str, str | None] | None = None,
                    progress: Callable[[float, str], None] | None = None) -> IngestResult:
    """Check a return without storing it; the upload page, `submit` and `validate` all come through here.

    The columns are read with the saved layout called `layout`, else with `column_map` (source header ->
    field), else with the organisation's (or the deployment's) saved layout whose headers are the file's, else
    as Stocktake recognises them. Raises ReturnError for unreadable files and NoBoundariesError before any
    boundary set is imported. `progress(fraction, what)` hears how far reading and checking have come (a
    national 5W takes a while).
    """
    ctx = ctx or context(engine)
    if ctx.gazetteer is None:
        raise NoBoundariesError("No boundary set is loaded, so districts cannot be matched.", hint=IMPORT_ONE,
                                cli_hint=IMPORT_ONE_CLI)
    chosen: SavedLayout | dict[str, str | None] | None = column_map
    if layout:
        chosen = store_layouts.get(engine, layout, org=org)
    saved = store_layouts.candidates(engine, org) if chosen is None else []
    return read_return(data, filename, gazetteer=ctx.gazetteer, orgs=ctx.orgs, vocab=ctx.vocab, org=org,
                       sheet=sheet, date_order=date_order or config.date_order(),
                       max_bytes=config.upload_limit(consolidated), max_cells=config.cell_limit(consolidated),
                       period=round_period(engine, round_name),
                       reporting_org=reporting_org, confirmed=ctx.confirmed, column_map=chosen,
                       saved_layouts=saved, progress=progress)


def save_layout(engine: Engine, actor: db.Actor, name: str, result: IngestResult,
                changes: dict[str, str | None] | None = None, *, org: str | None = None) -> SavedLayout:
    """Keep how `result`'s columns were read, with a person's `changes` (column key -> field, None: not read),
    as the layout `name` of `org` (None: the deployment's); the next file with the same headers is read with it.

    Columns left unread by Stocktake and not changed are not pinned, so a breakdown summed into a total stays
    summed."""
    changes = dict(changes or {})
    given = {f for f in changes.values() if f}  # a field given to another column is no longer this one's
    mapping = {c["key"]: c["field"] for c in result.columns if c.get("field") and c["field"] not in given}
    mapping |= changes
    return store_layouts.save(engine, actor, name, mapping, [c["header"] for c in result.columns], org=org)


def apply_suggestions(engine: Engine, actor: db.Actor, result: IngestResult, *,
                      threshold: int = SUGGESTION_THRESHOLD, only: list[tuple[str, str]] | None = None) -> list[dict]:
    """Confirm every off-list value's suggestion at or above `threshold` % (or only the (field, value) pairs
    listed) as a vocabulary alias; returns what was mapped. Validate again to see the rows with the new values."""
    entries = [e for e in result.offlist if only is None or (e["field"], e["value"]) in only]
    return store_vocabulary.confirm_suggestions(engine, actor, entries, threshold=threshold)


@dataclass(frozen=True)
class SubmitReport:
    """What submitting a file did: the check's result and one outcome per organisation (one for a single return,
    one per organisation for a consolidated file), so callers never ask which of the two they got."""

    result: IngestResult
    outcomes: list[submissions.SubmitOutcome]

    @property
    def stored(self) -> list[submissions.SubmitOutcome]:
        return [o for o in self.outcomes if o.status == "stored"]

    @property
    def status(self) -> str:
        """stored when any organisation's return was stored, else the first outcome's (duplicate or rejected)."""
        return "stored" if self.stored else (self.outcomes[0].status if self.outcomes else "rejected")

    @property
    def message(self) -> str:
        return " ".join(o.message or o.status for o in self.outcomes)


def submit_file(engine: Engine, actor: db.Actor, data: bytes, filename: str, *, org: str,
                round_name: str | None = None, consolidated: bool = False, reporting_org: str | None = None,
                reject_whole: bool = False, layout: str | None = None,
                column_map: dict[str, str | None] | None = None) -> SubmitReport:
    """Validate and store one return (or split a consolidated file into one submission per organisation)."""
    ctx = context(engine)
    result = validate_upload(engine, data, filename, org=None if consolidated else org, ctx=ctx,
                             round_name=round_name, reporting_org=reporting_org, consolidated=consolidated,
                             layout=layout, column_map=column_map)
    if consolidated:
        outcomes = submissions.import_consolidated(engine, actor, filename=filename, data=data, result=result,
                                             boundary_version=ctx.boundary_version, round_name=round_name,
                                             reject_whole=reject_whole)
        return SubmitReport(result, list(outcomes))
    replaced = None
    if result.ok:  # said before storing: the picture changes once the return is stored
        try:
            replaced = picture.replacement(engine, actor, org, result.records, round_name=round_name)
        except StocktakeError:  # unknown organisation, no round …: the store refuses below and says why
            replaced = None
    outcome = submissions.submit(engine, actor, org=org, filename=filename, data=data, result=result,
                           boundary_version=ctx.boundary_version, round_name=round_name, reject_whole=reject_whole)
    if replaced is not None and outcome.status == "stored":
        outcome.replaced = replaced.to_json()
    return SubmitReport(result, [outcome])


@dataclass(frozen=True)
class SnapshotInputs:
    """What the PDF snapshot (and the exports) are built from, read once, the same for the page and `report`."""

    acts: pd.DataFrame
    units: pd.DataFrame
    bset: boundaries.BoundarySet | None
    data_version: str
    returns_count: int
    missing_orgs: list[str]
    round_name: str | None  # the round asked for, else the rounds the picture's returns come from
    demo: bool

    def cover(self) -> dict:
        """The keyword arguments `report.build_snapshot` takes about the picture (not the layout options)."""
        return {"round_name": self.round_name, "returns_count": self.returns_count,
                "missing_orgs": self.missing_orgs, "data_version": self.data_version, "demo": self.demo}


def snapshot_inputs(engine: Engine, actor: db.Actor, *, round_name: str | None = None,
                    acts: pd.DataFrame | None = None) -> SnapshotInputs:
    """The picture this actor may see plus the facts the cover states: returns, who has not reported, the round.

    `acts` is the picture the caller already holds (the app caches it per data version); without it the store
    is read. The boundary set is only loaded when there is something to draw.
    """
    acts = picture.current_activities(engine, actor, round_name=round_name) if acts is None else acts
    version = picture.data_version(engine, actor, round_name=round_name)
    if not len(acts):
        return SnapshotInputs(acts, pd.DataFrame(columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]),
                              None, version, 0, [], round_name, is_demo(engine))
    bset = boundaries.load_set(registry.active_boundary_version(engine))
    reported = set(acts["org_name"].dropna().astype(str))
    rounds = sorted(set(acts["round_name"].dropna().astype(str))) if "round_name" in acts else []
    return SnapshotInputs(
        acts=acts, units=boundaries.units(bset), bset=bset, data_version=version,
        returns_count=int(acts["submission_id"].nunique()) if "submission_id" in acts else 0,
        missing_orgs=sorted(o["name"] for o in registry.list_orgs(engine) if o["name"] not in reported),
        round_name=round_name or (", ".join(rounds) if rounds else None), demo=is_demo(engine))


PLACE_FIELDS = ("adm2_name", "adm2_pcode", "adm1_name", "scope")


def _district(ctx: Context, to: str) -> dict:
    """The district `to` names (a p-code, or a name only one district has) as the columns of an activity."""
    units = ctx.units
    key = " ".join(str(to).split()).lower()
    hit = units[units["adm2_pcode"].str.lower() == key]
    if len(hit) != 1:
        hit = units[units["adm2_name"].str.lower() == key]
    if len(hit) != 1:
        raise db.StoreError(f"{to!r} is not one district of the boundary set; give its p-code (e.g. "
                         f"{units['adm2_pcode'].iloc[0] if len(units) else 'PK607'}).")
    u = hit.iloc[0]
    return {"scope": "district", "adm1_name": u["adm1_name"], "adm1_pcode": u["adm1_pcode"],
            "adm2_name": u["adm2_name"], "adm2_pcode": u["adm2_pcode"], "match_method": "review",
            "match_score": 100.0}


def resolve_queued(engine: Engine, actor: db.Actor, field: str, value: str | None, *, to: str | None = None,
                   drop: bool = False) -> int:
    """Settle the queued rows with `field` = `value` (the review queue), in the engine's own terms: a district is
    matched to the boundary set (and learned, so later returns match it), a date or a number is read as a return's
    cell would be, a listed value must be on its list. Returns the rows settled."""
    from mapping.returns.normalise import parse_date, parse_number
    from mapping.store import review

    if drop:
        return review.resolve(engine, actor, field, value, drop=True)
    if to is None or not str(to).strip():
        raise db.StoreError("Say what the value stands for (--to) or drop the rows (--drop).")
    if field in PLACE_FIELDS:
        updates = _district(context(engine), to)
        if value and field != "scope":
            registry.learn_alias(engine, actor, value, updates["adm1_pcode"], updates["adm2_pcode"])
    elif field in ("start_date", "end_date"):
        day, problem = parse_date(to, order=config.date_order(), end=field == "end_date")
        if problem or day is None:
            raise db.StoreError(f"{to!r} is not a date; write it as YYYY-MM-DD.")
        updates = {field: day}
    elif field in ("targeted", "reached", "targeted_hh", "reached_hh", "budget"):
        number, _, problem = parse_number(to)
        if problem or number is None or number < 0:
            raise db.StoreError(f"{to!r} is not a number of zero or more.")
        updates = {field: number}
    elif field in store_vocabulary.LABELS:
        updates = {field: store_vocabulary.to_canonical(engine, field, to)}
    else:
        updates = {field: str(to).strip()}
    return review.resolve(engine, actor, field, value, updates=updates)


def is_demo(engine: Engine) -> bool:
    return db.get_setting(engine, "demo") == "1"


def demo_accounts(engine: Engine) -> list[dict]:
    """The demo's sign-in accounts (e-mail, role, organisation, password), for the sign-in page of a demo only.

    Their passwords are public by design (the demo is illustrative), so a visitor can try each role without
    a command line; any other deployment gets an empty list.
    """
    if not is_demo(engine):
        return []
    users = auth.list_users(engine, SYSTEM)
    return [{"email": u["email"], "role": u["role"], "org": u["org"], "password": DEMO_PASSWORDS[u["role"]]}
            for u in users if u["active"] and u["role"] in DEMO_PASSWORDS and u["email"].endswith(
                (".demo", "@demo.stocktake"))]


def ensure_boundary_set(engine: Engine) -> boundaries.BoundarySet:
    """Make sure a boundary set is imported and recorded as active in the database."""
    bset = boundaries.ensure_boundaries()
    known = {b["version"] for b in registry.list_boundary_sets(engine)}
    if registry.active_boundary_version(engine) is None or bset.version not in known:
        registry.register_boundary_set(engine, SYSTEM, bset.meta | {"version": bset.version}, activate=True)
    return bset


def ensure_round(engine: Engine, today: dt.date | None = None) -> str:
    """The first run needs an open reporting round; name it after the current half-year."""
    rounds = registry.list_rounds(engine)
    open_rounds = [r for r in rounds if not r["locked"]]
    if open_rounds:
        return open_rounds[-1]["name"]
    today = today or dt.date.today()
    half = 1 if today.month <= 6 else 2
    start = dt.date(today.year, 1 if half == 1 else 7, 1)
    end = dt.date(today.year, 6, 30) if half == 1 else dt.date(today.year, 12, 31)
    name = f"{today.year} H{half}"
    registry.add_round(engine, SYSTEM, name, start, end)
    return name


def demo_focal_email(item: dict) -> str:
    slug = "".join(ch for ch in (item.get("org_acronym") or item["org"]).lower() if ch.isalnum())
    return f"focal@{slug}.demo"


def load_demo(engine: Engine, out_dir: Path | None = None) -> dict:
    """Register the fictional organisations and submit their returns through the normal upload path."""
    from mapping.returns import demo

    bset = ensure_boundary_set(engine)
    round_name = ensure_round(engine)
    out_dir = out_dir or (config.data_dir() / "demo")
    out_dir.mkdir(parents=True, exist_ok=True)
    known = {o["name"] for o in registry.org_directory(engine)}
    for org in demo.demo_orgs():
        if org["name"] not in known:
            registry.add_org(engine, SYSTEM, org["name"], acronym=org.get("acronym"), org_type=org.get("type"),
                          aliases=org.get("aliases") or [])
    users = [("admin@demo.stocktake", "admin", None, DEMO_PASSWORDS["admin"]),
             ("viewer@demo.stocktake", "viewer", None, DEMO_PASSWORDS["viewer"])]
    returns = demo.write_demo_returns(out_dir, boundaries.units(bset))
    for item in returns:
        users.append((demo_focal_email(item), "focal_point", item["org"], DEMO_PASSWORDS["focal_point"]))
    existing = {u["email"] for u in auth.list_users(engine, SYSTEM)}
    for email, role, org, password in users:
        if email not in existing:
            auth.add_user(engine, SYSTEM, email=email, role=role, org=org, password=password,
                           name=email.split("@")[0].title())
    stored, rejected = 0, 0
    for item in returns:
        path = Path(item["path"])
        focal = auth.user_for_email(engine, demo_focal_email(item))
        outcome = submit_file(engine, focal or SYSTEM, path.read_bytes(), path.name, org=item["org"],
                              round_name=round_name)
        if outcome.status == "stored":
            stored += 1
        elif outcome.status == "rejected":
            rejected += 1
    programmes_file, _ = programmes_import(engine, SYSTEM, demo.demo_programmes_csv(), "demo_programmes.csv")
    db.set_setting(engine, SYSTEM, "demo", "1")
    return {"round": round_name, "returns": len(returns), "stored": stored, "rejected": rejected,
            "programmes": len(programmes_file.records),
            "users": [(e, r, o, p) for e, r, o, p in users]}


def setup(*, demo: bool = False, url: str | None = None) -> dict:
    """First run: database, first admin, boundaries, an open round and (optionally) the demo.

    Without boundaries and without a country to download them for, everything else is still prepared so an
    admin can sign in and upload boundaries; `no_boundaries` holds the error saying how (the demo needs them).
    """
    engine = db.connect(url)
    info: dict = {"database": engine.url.render_as_string(hide_password=True)}
    info["admin_password"] = auth.ensure_admin(engine)
    try:
        info["boundaries"] = ensure_boundary_set(engine).version
    except NoBoundariesError as exc:  # no country named: the rest of the set-up is still done, the demo is not
        if demo:
            raise
        info["boundaries"], info["no_boundaries"] = None, exc
    info["round"] = ensure_round(engine)
    info["organisations"] = identity.load_org_list(engine, SYSTEM)  # the starter list, once; edits are kept
    if demo and db.get_setting(engine, "demo") != "1":
        info["demo"] = load_demo(engine)
    return info


# --------------------------------------------------------------------------- people in two programmes

def people_upload(engine: Engine, actor: db.Actor, data: bytes, filename: str, *, programme: str,
                  round_name: str | None = None):
    """Check a hashed list against the active boundary set and store it for the programme and round."""
    from mapping.returns import pseudonymise
    from mapping.store import people

    units = context(engine).units
    known = set(units["adm2_pcode"]) if len(units) else None
    hashed = pseudonymise.read_hashed(data, filename, known_pcodes=known)
    return people.upload(engine, actor, programme, hashed, filename=filename, round_name=round_name)


def people_overlap(engine: Engine, actor: db.Actor, a: str, b: str, *, round_name: str | None = None,
                   threshold: int | None = None):
    """The suppressed overlap table of two consenting programmes; the exact counts stay in here."""
    from mapping.analysis import people_overlap as po
    from mapping.store import people

    name_a, name_b, rnd, list_a, list_b = people.comparison_lists(engine, actor, a, b, round_name=round_name)
    exact = po.count(list_a, list_b)
    del list_a, list_b
    floor = config.people_min_cell()  # a caller may raise the threshold, never lower it
    return po.suppress(exact, (name_a, name_b), threshold=max(floor, threshold or floor), round_name=rnd)
# --------------------------------------------------------------------------- IATI drafts

IATI_COUNTRY_HINT = "Give the two-letter ISO code of the country (e.g. KE for Kenya), or set STOCKTAKE_COUNTRY."
IATI_COUNTRY_CLI = "On the command line: --country XX, the two-letter code."


def iati_country(ctx: Context) -> str | None:
    """The deployment's country (the active boundary set's, else STOCKTAKE_COUNTRY) as the two-letter code IATI
    uses (PAK → PK)."""
    return countries.iso2(boundaries.deployment_country(ctx.bset))


def iati_draft(engine: Engine, data: bytes, filename: str, *, org: str | None, country: str | None = None,
               round_name: str | None = None) -> tuple[iati.IatiDraft, bytes]:
    """An IATI file → draft rows and the organisation's template pre-filled with them (nothing stored)."""
    ctx = context(engine)
    country = country or iati_country(ctx)
    if not country:
        raise StocktakeError("Which country's activities should be drafted?",
                             hint=IATI_COUNTRY_HINT, cli_hint=IATI_COUNTRY_CLI)
    with db.transaction(engine, write=False) as conn:
        try:
            rnd = registry.resolve_round(conn, round_name)
            period = (rnd.period_start, rnd.period_end)
        except db.StoreError:
            if round_name:
                raise
            period = None
    locate = (lambda lons, lats: points.locate_points(ctx.bset.adm2, lons, lats)) if ctx.bset is not None else None
    draft = iati.read_iati(data, filename, country=country, vocab=ctx.vocab, gazetteer=ctx.gazetteer,
                           units=ctx.units, locate=locate, org=org, period=period)
    book = iati.draft_workbook(draft, vocab=ctx.vocab, units=ctx.units, org=org, title=config.title())
    return draft, book


def iati_fetch(publisher: str, *, country: str) -> bytes:
    """A publisher's activities in the country from the configured IATI Datastore."""
    base = config.iati_datastore_url()
    if not base:
        raise StocktakeError("No IATI Datastore is configured.",
                             hint="Set STOCKTAKE_IATI_DATASTORE_URL, or download your IATI file and upload it.")
    return iati.fetch_publisher(publisher, country=country, base_url=base, api_key=config.iati_api_key())


def iati_second_opinion(engine: Engine, result: IngestResult, iati_data: bytes, iati_filename: str, *,
                        org: str | None, country: str | None = None) -> list:
    """Validation warnings comparing a return with the partner's IATI data, by iati-identifier."""
    ctx = context(engine)
    country = country or iati_country(ctx)
    if not country:
        raise StocktakeError("Which country's IATI activities should the return be compared with?",
                             hint=IATI_COUNTRY_HINT, cli_hint=IATI_COUNTRY_CLI)
    published = iati.published_identifiers(iati_data, iati_filename, country=country, vocab=ctx.vocab)
    return iati.second_opinion(result.records, published, filename=result.file)


def send_reminders(engine: Engine, actor: db.Actor, round_name: str | None = None, *,
                   app_url: str | None = None, settings: dict | None = None):
    """E-mail the focal points of every organisation still missing in the round; audited. Admins only."""
    from mapping.outputs import reminders
    from mapping.store import reporting

    db.require_admin(actor, "send reminders")
    status = reporting.round_status(engine, actor, round_name)
    result = reminders.send(reminders.compose(status, app_url=app_url), status, settings=settings)
    with db.transaction(engine) as conn:
        db.audit(conn, actor, "round.remind", "round", status.round_name,
                 {"round": status.round_name, "to": {r.org: list(r.to) for r in result.sent},
                  "no_email": result.skipped})
    return result


# --------------------------------------------------------------------------- programmes (the forum's list)

def programmes_import(engine: Engine, actor: db.Actor, data: bytes, filename: str, *,
                      dry_run: bool = False) -> tuple[programme_files.ProgrammeFile, programmes.SaveReport | None]:
    """Read a programmes sheet and, when it has no errors (and not `dry_run`), save every record."""
    ctx = context(engine)
    parsed = programme_files.read_programmes(data, filename, units=ctx.units, gazetteer=ctx.gazetteer,
                                             vocab=ctx.vocab, max_bytes=config.upload_limit())
    if parsed.errors or dry_run:
        return parsed, None
    return parsed, programmes.save_programmes(engine, actor, parsed.records)


def programmes_data(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The programme list and the boundary units it is read against."""
    return programmes.programme_frame(engine), context(engine).units


def snapshot_extras(engine: Engine, *, group: str | None = None) -> list[list]:
    """Sections other outputs add to the PDF snapshot: the programmes, when the deployment keeps any."""
    from mapping.outputs import programmes as programme_outputs
    from mapping.outputs.report import FRAME_W, styles

    frame, units = programmes_data(engine)
    if frame.empty:
        return []
    return [programme_outputs.programmes_section(frame, units, styles(), FRAME_W, group=group)]


# --------------------------------------------------------------------------- the strategy framework

def set_strategy(engine: Engine, actor: db.Actor, data: bytes, filename: str):
    """Replace the deployment's strategy framework (admins; audited) after checking it; returns it."""
    from mapping.returns import strategy

    db.require_admin(actor, "replace the strategy framework")
    framework = strategy.parse_framework(data, filename)
    target = config.data_dir() / "strategy.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    with db.transaction(engine) as conn:
        db.audit(conn, actor, "strategy.set", "strategy", filename,
                 {"file": filename, "pillars": len(framework.of_level("pillar")),
                  "objectives": len(framework.of_level("objective")), "actions": len(framework.of_level("action"))})
    return framework
