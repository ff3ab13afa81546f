"""The database tables, declared once with SQLAlchemy Core so that the store and the migrations agree.

Core tables (not ORM classes) because the store moves whole returns and whole pictures at a time:
bulk inserts and `pandas.read_sql` on a select are faster and simpler than objects. Every change to
these tables needs a new Alembic revision in `mapping/migrations/versions/`.

Times are stored as naive UTC; dates of activities as dates; counts and money as floats (a return's
numbers are estimates, and floats load into pandas without conversion).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from mapping.returns.schema import FIELD_BY_NAME, FIELD_NAMES

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ROLES: tuple[str, ...] = ("admin", "focal_point", "viewer", "public")
SUBMISSION_STATUSES: tuple[str, ...] = ("accepted", "superseded", "rolled_back", "rejected")

organisations = Table(
    "organisations", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("acronym", String(100)),
    Column("type", String(100)),
    Column("aliases", JSON, nullable=False, default=list),
    Column("created_at", DateTime, nullable=False),
    Column("iati_id", String(100)),  # e.g. XM-DAC-41122; optional
    # A record merged into another: its past submissions count for that one (reversible: clear the column)
    Column("merged_into", Integer, ForeignKey("organisations.id")),
    Column("merged_at", DateTime),
    # False for the reference (starter) list: recognised in returns, but not expected to report
    Column("reporting", Boolean, nullable=False, default=True, server_default=text("true")),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-case
    Column("name", String(300)),
    Column("role", String(20), nullable=False),
    Column("org_id", Integer, ForeignKey("organisations.id")),
    Column("password_hash", Text),  # None: signs in through OpenID Connect only
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    # set by an admin's password reset: the one-time password works once, then a new one must be chosen
    Column("must_change_password", Boolean, nullable=False, default=False, server_default=text("false")),
)

rounds = Table(
    "rounds", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("locked", Boolean, nullable=False, default=False),
    Column("carry_forward", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    Column("deadline", Date),  # returns due by this day (shown to focal points; reminders name it)
)

boundary_sets = Table(
    "boundary_sets", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", String(200), nullable=False, unique=True),
    Column("meta", JSON, nullable=False, default=dict),
    Column("active", Boolean, nullable=False, default=False),
    Column("imported_at", DateTime, nullable=False),
)

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("user_email", String(320)),
    Column("submitted_at", DateTime, nullable=False),
    Column("filename", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("boundary_version", String(200)),
    Column("status", String(20), nullable=False),
    Column("rows", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("source_file_sha256", String(64)),  # set when split out of a consolidated file
    Column("note", Text),
    Index("ix_submissions_org_round", "org_id", "round_id"),
    # The same file cannot be stored twice for one organisation and round (rejected uploads are kept
    # for the record but do not count: a fixed gazetteer may accept the same file later).
    Index("uq_submissions_org_round_sha", "org_id", "round_id", "sha256", unique=True,
          sqlite_where=text("status <> 'rejected'"), postgresql_where=text("status <> 'rejected'")),
)


def _activity_column(name: str) -> Column:
    kind = FIELD_BY_NAME[name].kind
    if kind == "date":
        return Column(name, Date)
    if kind in ("int", "number"):
        return Column(name, Float)
    return Column(name, Text)


activities = Table(
    "activities", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("row", Integer),
    *[_activity_column(name) for name in FIELD_NAMES],
    Column("match_method", String(20)),
    Column("match_score", Float),
    Column("extra", JSON),
    # a row kept with its submission but waiting for the secretariat (unknown district, unreadable date ...):
    # not in the picture until resolved; `queue_reason` says what is wrong, in the words of the report
    Column("queued", Boolean, nullable=False, default=False, server_default=text("false")),
    Column("queue_reason", Text),
    Column("queue_field", String(50)),
    Column("queue_value", Text),
)

validation_issues = Table(
    "validation_issues", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("file", Text),
    Column("sheet", Text),
    Column("row", Integer),
    Column("column", Text),
    Column("value", Text),
    Column("severity", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("suggestion", Text),
    Column("field", String(50)),
    # the province as written on the row of an unmatched district (read back from the file at submission),
    # so the review queue can show "Dera Gazi, Punjab" and learn the alias for the right province
    Column("province", Text),
)

learned_aliases = Table(
    "learned_aliases", metadata,
    Column("id", Integer, primary_key=True),
    Column("alias", Text, nullable=False),
    Column("alias_key", String(300), nullable=False),  # normalised: lower-case, single spaces
    Column("adm1_pcode", String(50), nullable=False, default=""),
    Column("adm2_pcode", String(50)),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("alias_key", "adm1_pcode", name="uq_learned_aliases_alias_adm1"),
)

vocabulary_aliases = Table(
    # A value a return wrote that is not on a list ("Saúde", "EDUCATION_OP", "Em andamento"), confirmed once
    # by a person as one of the deployment's values and applied to every later file; who and when are kept.
    "vocabulary_aliases", metadata,
    Column("id", Integer, primary_key=True),
    Column("field", String(50), nullable=False),  # sector | subsector | status | org_type | modality | org_name
    Column("alias", Text, nullable=False),
    Column("alias_key", String(300), nullable=False),  # folded: case, accents and punctuation away
    Column("canonical", Text, nullable=False),
    Column("user_id", Integer),
    Column("user_email", String(320)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("field", "alias_key", name="uq_vocabulary_aliases_field_key"),
)

column_layouts = Table(
    # Which canonical field each column of a partner's file holds, confirmed once and applied to every later
    # file with the same headers (the signature); one organisation's, or the deployment's (org_id null).
    "column_layouts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),  # folded, so "Monthly 3W" and "monthly 3w" are one layout
    Column("scope_key", String(40), nullable=False),  # "org:<id>", or "*" for the deployment (NULL is never unique)
    Column("org_id", Integer, ForeignKey("organisations.id")),
    Column("signature", String(64), nullable=False),
    Column("headers", JSON, nullable=False, default=list),
    Column("mapping", JSON, nullable=False, default=dict),  # source header -> field, or null: not read
    Column("user_id", Integer),
    Column("user_email", String(320)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("scope_key", "name_key", name="uq_column_layouts_scope_name"),
    Index("ix_column_layouts_signature", "signature"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("user_id", Integer),  # no foreign key: the log outlives accounts
    Column("email", String(320)),
    Column("action", String(50), nullable=False),
    Column("object_type", String(50)),
    Column("object_id", String(200)),
    Column("detail", JSON),
)

settings = Table(
    "settings", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text),
)

need_indicators = Table(
    "need_indicators", metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(200), nullable=False),
    Column("source_filename", String(500)),
    Column("sha256", String(64), nullable=False),  # of the values: identifies the figure in cache keys
    Column("figures", JSON, nullable=False),  # [[adm2_pcode, number or null], ...] in the file's order
    Column("districts", Integer, nullable=False),  # rows with a number
    Column("active", Boolean, nullable=False, default=False),  # one active row; older ones stay as history
    Column("user_id", Integer),
    Column("user_email", String(320)),
    Column("created_at", DateTime, nullable=False),
)

user_sessions = Table(
    # Browser sessions that outlive a reload: the browser holds a random token in an HttpOnly cookie, the
    # table only its SHA-256, so a copy of the database cannot be replayed as a sign-in. A row is born at
    # sign-in with a one-time hand-off code (also hashed) that the browser swaps for its cookie.
    "user_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), unique=True),
    Column("handoff_hash", String(64), unique=True),
    Column("handoff_expires_at", DateTime),
    Column("method", String(20), nullable=False),  # password | oidc
    Column("user_agent", String(500)),
    Column("client", String(100)),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("cookie_set_at", DateTime),
    Column("ended_at", DateTime),
    Column("end_reason", String(200)),
)

sign_in_limits = Table(
    # Failed sign-ins per (e-mail, client address), both hashed: a stranger's failures lock only the
    # stranger's own address out, never the account's owner elsewhere; each new lock-out lasts twice as long.
    "sign_in_limits", metadata,
    Column("email_key", String(64), primary_key=True),
    Column("client_key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("lockouts", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("last_failure_at", DateTime, nullable=False),
)

# --------------------------------------------------------------------------- people in two programmes (issue 16)

programmes = Table(
    # A named programme and the organisation that owns it; the programmes issue adds more fields later.
    "programmes", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("owner_org_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(320)),
    # the record the inter-provincial forum compares (issue 17); districts as adm2 p-codes, provinces as adm1
    Column("provinces", JSON),
    Column("programme_type", String(200)),
    Column("target_groups", JSON),
    Column("benefit", String(300)),
    Column("benefit_amount", Float),
    Column("benefit_currency", String(10)),
    Column("benefit_frequency", String(60)),
    Column("eligibility", Text),
    Column("districts", JSON),
    Column("beneficiaries", Integer),
    Column("beneficiaries_date", Date),
    Column("beneficiaries_source", String(300)),
    Column("start_year", Integer),
    Column("link", String(500)),
    Column("aliases", JSON),
    Column("updated_at", DateTime),
)

not_programme_names = Table(
    # A name returns write in their Programme column that is not a programme ("Staff training"), marked once by
    # a person so it leaves the programme names queue for good; unmarking deletes the row. Both are audited.
    "not_programme_names", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),                           # as first written
    Column("name_key", String(300), nullable=False, unique=True),   # returns.programmes.name_key
    Column("user_id", Integer),
    Column("user_email", String(320)),
    Column("created_at", DateTime, nullable=False),
)

people_lists = Table(
    # A programme's keyed-hash list for one round, kept only until `expires_at`. Compact on purpose: the
    # first 16 bytes of each HMAC, sorted, in one blob, and one int32 district index per person in another.
    "people_lists", metadata,
    Column("id", Integer, primary_key=True),
    Column("programme_id", Integer, ForeignKey("programmes.id"), nullable=False),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("people", Integer, nullable=False),
    Column("pcodes", JSON, nullable=False),  # the district p-codes the indices point into
    Column("hashes", LargeBinary, nullable=False),
    Column("districts", LargeBinary, nullable=False),
    Column("filename", String(500)),
    Column("user_id", Integer),
    Column("user_email", String(320)),
    Column("uploaded_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    UniqueConstraint("programme_id", "round_id", name="uq_people_lists_programme_round"),
)

people_consents = Table(
    # The owner of `programme_id` agrees to compare its list with `other_id`'s; a comparison needs both rows.
    "people_consents", metadata,
    Column("id", Integer, primary_key=True),
    Column("programme_id", Integer, ForeignKey("programmes.id"), nullable=False),
    Column("other_id", Integer, ForeignKey("programmes.id"), nullable=False),
    Column("user_id", Integer),
    Column("user_email", String(320)),
    Column("given_at", DateTime, nullable=False),
    UniqueConstraint("programme_id", "other_id", name="uq_people_consents_programme_other"),
)

upload_drafts = Table(
    # An upload checked but not yet confirmed or discarded, one per person, organisation and kind, so that a
    # reload of the Submit page shows its report again instead of losing it (the raw file kept as sent).
    "upload_drafts", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("org_key", String(300), nullable=False),  # the organisation's name, or "*" for a consolidated file
    Column("filename", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "org_key", name="uq_upload_drafts_user_org"),
)
