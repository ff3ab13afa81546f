"""One organisation, one record: merging duplicates (and undoing it), extra names, the starter list.

A merge never rewrites a submission: the absorbed record keeps its id, its submissions and its own latest
return, and only points at the record it now counts as (`merged_into`). The picture, the organisation list
and ingest follow that pointer, so every past activity counts for the surviving organisation at once, and
unmerging is clearing one column. Both are audited with what changed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from mapping.returns.organisations import STARTER_LIST, OrgIndex, OrgMatch, read_org_list
from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, require_admin, transaction, utcnow
from mapping.store.registry import canonical, find_org, org_directory

__all__ = ["MergeOutcome", "merge_orgs", "unmerge_org", "add_org_alias", "load_org_list",
           "match_names"]

@dataclass(frozen=True)
class MergeOutcome:
    """What a merge or unmerge did, in words an admin reads back."""

    kept: str
    other: str
    submissions: int   # accepted submissions of the other record that now count for `kept` (or no longer)
    message: str


def _accepted(conn, org_id: int) -> int:
    s = m.submissions
    return int(conn.execute(select(func.count()).where((s.c.org_id == org_id) & (s.c.status == "accepted"))).scalar())


def merge_orgs(engine: Engine, actor: Actor, keep: str | int, other: str | int) -> MergeOutcome:
    """`other` becomes `keep`: its past returns, its names and its accounts' uploads count for `keep`."""
    require_admin(actor, "merge organisations")
    o = m.organisations
    with transaction(engine) as conn:
        target = find_org(conn, keep)  # merging into a merged record means into the one it became
        absorbed = find_org(conn, other, follow=False)
        if absorbed.merged_into is not None:
            raise StoreError(f"{absorbed.name} is already merged into another organisation.",
                             hint="Undo that merge first.",
                             cli_hint=f"python -m mapping orgs unmerge \"{absorbed.name}\".")
        if absorbed.id == target.id:
            raise StoreError(f"{absorbed.name} and {target.name} are the same organisation; nothing to merge.")
        # records already merged into `other` follow it by the chain; nothing else changes
        conn.execute(update(o).where(o.c.id == absorbed.id).values(merged_into=target.id, merged_at=utcnow()))
        if not target.reporting and absorbed.reporting:
            conn.execute(update(o).where(o.c.id == target.id).values(reporting=True))
        n = _accepted(conn, absorbed.id)
        audit(conn, actor, "org.merge", "organisation", absorbed.id,
              {"merged": absorbed.name, "into": target.name, "into_id": target.id, "submissions": n})
    return MergeOutcome(target.name, absorbed.name, n,
                        f"{absorbed.name} is now counted as {target.name}; {n} accepted return(s) follow it. "
                        f"Undo with: python -m mapping orgs unmerge \"{absorbed.name}\".")


def unmerge_org(engine: Engine, actor: Actor, name: str | int) -> MergeOutcome:
    """Undo a merge: the record counts as itself again, with its own returns."""
    require_admin(actor, "unmerge organisations")
    o = m.organisations
    with transaction(engine) as conn:
        row = find_org(conn, name, follow=False)
        if row.merged_into is None:
            raise StoreError(f"{row.name} is not merged into another organisation.")
        into = conn.execute(select(o.c.name).where(o.c.id == row.merged_into)).scalar()
        conn.execute(update(o).where(o.c.id == row.id).values(merged_into=None, merged_at=None))
        n = _accepted(conn, row.id)
        audit(conn, actor, "org.unmerge", "organisation", row.id, {"unmerged": row.name, "from": into,
                                                                  "submissions": n})
    return MergeOutcome(str(into), row.name, n, f"{row.name} counts as itself again, with its {n} accepted "
                                                f"return(s); it is no longer part of {into}.")


def add_org_alias(engine: Engine, actor: Actor, org: str | int, alias: str) -> str:
    """Teach the list another name of an organisation; refused when the name already means another one."""
    require_admin(actor, "add organisation names")
    alias = " ".join((alias or "").split())
    if not alias:
        raise StoreError("An alias needs some text.")
    o = m.organisations
    with transaction(engine) as conn:
        row = find_org(conn, org)
        rows = list(conn.execute(select(o)))
        canon = canonical(rows)
        key = alias.lower()
        for r in rows:
            names = {str(x).lower() for x in (r.name, r.acronym, *(r.aliases or [])) if x}
            if key in names and canon[r.id].id != row.id:
                raise StoreError(f"'{alias}' already names {canon[r.id].name}.",
                                 hint="If the two are one organisation, merge them instead.")
        if key in {str(a).lower() for a in (row.aliases or [])} or key in {row.name.lower(), (row.acronym or "").lower()}:
            return row.name
        conn.execute(update(o).where(o.c.id == row.id).values(aliases=[*(row.aliases or []), alias]))
        audit(conn, actor, "org.alias", "organisation", row.id, {"name": row.name, "alias": alias})
    return row.name


def load_org_list(engine: Engine, actor: Actor, path: Path | None = None) -> int:
    """Add the starter list's organisations that are not on the list yet, as reference entries (recognised
    in returns, not expected to report). Names already known are left as the deployment edited them."""
    require_admin(actor, "load the organisation list")
    path = Path(path) if path else STARTER_LIST
    try:
        wanted = read_org_list(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StoreError(f"Could not read the organisation list {path}: {exc}") from exc
    o = m.organisations
    added = 0
    with transaction(engine) as conn:
        known = {str(r.name).lower() for r in conn.execute(select(o.c.name))}
        known |= {str(i).lower() for i in conn.execute(select(o.c.iati_id).where(o.c.iati_id.is_not(None))).scalars()}
        for org in wanted:
            if org["name"].lower() in known or (org["iati_id"] or "").lower() in known:
                continue
            conn.execute(insert(o).values(created_at=utcnow(), reporting=False, **org))
            known.add(org["name"].lower())
            added += 1
        if added:
            audit(conn, actor, "org.load_list", "organisation", None, {"file": path.name, "added": added})
    return added


def match_names(engine: Engine, names: list[str], places: Iterable[str] = ()) -> list[OrgMatch]:
    """How each written name is understood against the current list (the `orgs match` command's engine);
    `places` are the deployment's place names (`Gazetteer.place_names`), which a name may end with."""
    index = OrgIndex(org_directory(engine), places)
    return [index.match(n) for n in names]
