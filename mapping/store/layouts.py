"""Column layouts kept in the store: an organisation's (its focal point or an admin saves it) or the deployment's
(an admin), each named, with who saved it and when; every save and deletion is in the audit log.

`returns.layouts` matches and applies them; this module only keeps them and says which apply to a file.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from mapping.returns.layouts import SavedLayout, check_map, header_signature
from mapping.returns.normalise import fold
from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, require_admin, require_org, transaction, utcnow
from mapping.store.registry import find_org

__all__ = ["candidates", "delete_layout", "get", "list_layouts", "save"]

DEPLOYMENT = "*"


def _scope(conn, org: str | None) -> tuple[str, int | None, str | None]:
    if not org:
        return DEPLOYMENT, None, None
    row = find_org(conn, org)
    return f"org:{row.id}", row.id, row.name


def _known_org(conn, org: str | None) -> int | None:
    """The organisation's id, None when there is none or the store does not know it (validating a file for an
    organisation not added yet: only the deployment's layouts apply)."""
    if not org:
        return None
    try:
        return _scope(conn, org)[1]
    except StoreError:
        return None


def _key(name: str) -> str:
    key = fold(name)[:200]
    if not key:
        raise StoreError("A layout needs a name (e.g. 'Monthly 3W').")
    return key


def _saved(row, org_names: dict[int, str]) -> SavedLayout:
    return SavedLayout(row.name, dict(row.mapping or {}), row.signature,
                       org_names.get(row.org_id) if row.org_id is not None else None, row.updated_at,
                       row.user_email, tuple(row.headers or ()))


def save(engine: Engine, actor: Actor, name: str, mapping: dict[str, str | None], headers: list[str], *,
         org: str | None = None) -> SavedLayout:
    """Keep `mapping` (source header -> field, None: not read) under `name` for `org` (None: every organisation,
    admins only) with the file's `headers`, whose signature later files are matched on. Saving a name again
    replaces that layout; the audit log keeps what it was."""
    clean = check_map(mapping)
    label = " ".join(str(name or "").split())[:200]
    key = _key(label)
    sig = header_signature(headers)
    t = m.column_layouts
    with transaction(engine) as conn:
        scope, org_id, org_name = _scope(conn, org)
        if org_id is None:
            require_admin(actor, "save a column layout for every organisation")
        else:
            require_org(actor, org_id, org_name or "", "save a column layout")
        now = utcnow()
        values = {"name": label, "signature": sig, "headers": [str(h) for h in headers], "mapping": clean,
                  "user_id": actor.user_id, "user_email": actor.email, "updated_at": now}
        row = conn.execute(select(t).where((t.c.scope_key == scope) & (t.c.name_key == key))).first()
        if row is None:
            lid = conn.execute(insert(t).values(name_key=key, scope_key=scope, org_id=org_id, created_at=now,
                                                **values)).inserted_primary_key[0]
        else:
            lid = row.id
            conn.execute(update(t).where(t.c.id == lid).values(**values))
        audit(conn, actor, "layout.save", "column_layout", lid,
              {"name": label, "org": org_name, "signature": sig, "mapping": clean,
               "was": dict(row.mapping) if row is not None else None})
    return SavedLayout(label, clean, sig, org_name, now, actor.email, tuple(str(h) for h in headers))


def _rows(conn, org_id: int | None, *, everything: bool = False) -> list:
    t = m.column_layouts
    stmt = select(t).order_by(t.c.updated_at.desc(), t.c.id.desc())
    if not everything:
        stmt = stmt.where((t.c.org_id == org_id) | (t.c.scope_key == DEPLOYMENT) if org_id is not None
                          else t.c.scope_key == DEPLOYMENT)
    rows = list(conn.execute(stmt))
    # the organisation's own layouts first, then the deployment's
    return sorted(rows, key=lambda r: r.scope_key == DEPLOYMENT)


def _names(conn) -> dict[int, str]:
    return {r.id: r.name for r in conn.execute(select(m.organisations.c.id, m.organisations.c.name))}


def candidates(engine: Engine, org: str | None) -> list[SavedLayout]:
    """The layouts a file for `org` may be read with, in the order they are tried: the organisation's own,
    newest first, then the deployment's (a consolidated file, `org` None: the deployment's only)."""
    with transaction(engine, write=False) as conn:
        return [_saved(r, _names(conn)) for r in _rows(conn, _known_org(conn, org))]


def list_layouts(engine: Engine, *, org: str | None = None) -> list[SavedLayout]:
    """Every saved layout (`org`: that organisation's and the deployment's), the organisation's first."""
    with transaction(engine, write=False) as conn:
        if org:
            return [_saved(r, _names(conn)) for r in _rows(conn, _scope(conn, org)[1])]
        return [_saved(r, _names(conn)) for r in _rows(conn, None, everything=True)]


def _find(conn, name: str, org: str | None):
    key = _key(name)
    t = m.column_layouts
    org_id = _known_org(conn, org)
    rows = [r for r in _rows(conn, org_id, everything=org is None) if r.name_key == key]
    if not rows:
        known = sorted({r.name for r in _rows(conn, org_id, everything=org is None)})
        raise StoreError(f"No column layout called {name!r}" + (f" for {org}" if org else "") + ". Saved layouts: "
                         + (", ".join(known) if known else "none yet") + ".",
                         hint="Save one on the Submit page.",
                         cli_hint="Or: python -m mapping layouts save NAME --from FILE --map \"Header=field\".")
    if org is None:  # the deployment's layout of that name, else the one organisation's that has it
        rows = [r for r in rows if r.scope_key == DEPLOYMENT] or rows
        if len(rows) > 1:
            owners = ", ".join(sorted(_names(conn).get(r.org_id, "?") for r in rows))
            raise StoreError(f"Several organisations have a layout called {name!r} ({owners}); say whose.",
                             cli_hint="Give it with --org NAME.")
    return conn.execute(select(t).where(t.c.id == rows[0].id)).first()


def get(engine: Engine, name: str, *, org: str | None = None) -> SavedLayout:
    """The layout called `name`: the organisation's own, else the deployment's; StoreError listing the saved
    names when there is none."""
    with transaction(engine, write=False) as conn:
        return _saved(_find(conn, name, org), _names(conn))


def delete_layout(engine: Engine, actor: Actor, name: str, *, org: str | None = None) -> SavedLayout:
    """Forget a layout (its organisation's focal point or an admin; the deployment's: an admin). The audit log
    keeps what it was; files are then read with Stocktake's own proposal again."""
    t = m.column_layouts
    with transaction(engine) as conn:
        row = _find(conn, name, org)
        names = _names(conn)
        if row.org_id is None:
            require_admin(actor, "delete a column layout of every organisation")
        else:
            require_org(actor, row.org_id, names.get(row.org_id, ""), "delete a column layout")
        conn.execute(delete(t).where(t.c.id == row.id))
        audit(conn, actor, "layout.delete", "column_layout", row.id,
              {"name": row.name, "org": names.get(row.org_id), "mapping": dict(row.mapping or {})})
    return _saved(row, names)
