"""The government's strategy framework as data: pillars → objectives → policy actions, with codes.

The development partnership group exists to align partners' work with the government's strategy. The
deployment keeps its framework in `data/strategy.csv` (code, level, parent, name); returns name the objective
or action an activity supports in their Strategy column, by code ("P2.1.b"), by "code — name" (what the
template's dropdown writes) or by name. Nothing here knows any country's strategy.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mapping import config
from mapping.returns.readers import ReturnError

__all__ = ["LEVELS", "MAX_BYTES", "Framework", "Item", "framework_file", "load_framework", "parse_framework"]

LEVELS = ("pillar", "objective", "action")
_CODE_FIRST = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:[—–:-]\s*|\s+)(.*)$")


@dataclass(frozen=True)
class Item:
    code: str
    level: str  # pillar | objective | action
    parent: str | None
    name: str

    @property
    def label(self) -> str:
        """What the template's dropdown shows and writes: 'P2.1 — Mothers and young children …'."""
        return f"{self.code} — {self.name}"


@dataclass(frozen=True)
class Framework:
    items: tuple[Item, ...]

    @property
    def by_code(self) -> dict[str, Item]:
        return {i.code: i for i in self.items}

    def of_level(self, level: str) -> list[Item]:
        return [i for i in self.items if i.level == level]

    def pillar_of(self, code: str) -> Item | None:
        item = self.by_code.get(code)
        while item is not None and item.level != "pillar":
            item = self.by_code.get(item.parent or "")
        return item

    def objective_of(self, code: str) -> Item | None:
        item = self.by_code.get(code)
        if item is None or item.level == "pillar":
            return None
        return item if item.level == "objective" else self.by_code.get(item.parent or "")

    def children(self, code: str) -> list[Item]:
        return [i for i in self.items if i.parent == code]

    def resolve(self, value: object) -> str | None:
        """The code a return's Strategy cell names (code, 'code — name' or name), or None."""
        if value is None:
            return None
        text = " ".join(str(value).split())
        if not text:
            return None
        codes = self.by_code
        if text in codes:
            return text
        upper = {c.upper(): c for c in codes}
        m = _CODE_FIRST.match(text)
        if m and m.group(1).upper() in upper:
            return upper[m.group(1).upper()]
        if text.upper() in upper:
            return upper[text.upper()]
        names = {i.name.lower(): i.code for i in self.items}
        return names.get(text.lower())

    def dropdown(self) -> list[str]:
        """Objectives and actions (the levels an activity supports), in framework order."""
        return [i.label for i in self.items if i.level != "pillar"]


MAX_BYTES = 1_000_000  # a national strategy has tens or hundreds of lines, not megabytes


def parse_framework(data: bytes, filename: str = "strategy.csv") -> Framework:
    """Read and check a framework CSV: unique codes, known levels, parents that exist one level up."""
    if len(data) > MAX_BYTES:
        raise ReturnError(f"{filename} is {len(data) / 1024 / 1024:.1f} MB; a strategy framework is a short CSV "
                          f"(at most {MAX_BYTES // 1_000_000} MB).", hint="Columns: code, level, parent, name.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReturnError(f"{filename} is not UTF-8 text.", hint="Save it as CSV UTF-8 and upload it again.") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    items: list[Item] = []
    seen: dict[str, Item] = {}
    for n, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        level = (row.get("level") or "").strip().lower()
        parent = (row.get("parent") or "").strip() or None
        name = " ".join((row.get("name") or "").split())
        where = f"{filename}, row {n}"
        if not code or not name:
            raise ReturnError(f"{where}: every line needs a code and a name.", hint="Columns: code, level, parent, "
                                                                                    "name.")
        if level not in LEVELS:
            raise ReturnError(f"{where}: level '{level}' is not one of {', '.join(LEVELS)}.")
        if code in seen:
            raise ReturnError(f"{where}: code {code} appears twice.")
        want = {"pillar": None, "objective": "pillar", "action": "objective"}[level]
        if want is None and parent:
            raise ReturnError(f"{where}: a pillar has no parent (found {parent}).")
        if want is not None and (parent not in seen or seen[parent].level != want):
            raise ReturnError(f"{where}: the parent of {level} {code} must be a {want} listed above it "
                              f"(found {parent or 'none'}).")
        item = Item(code, level, parent, name)
        items.append(item)
        seen[code] = item
    if not any(i.level == "pillar" for i in items):
        raise ReturnError(f"{filename}: the framework has no pillar.", hint="Columns: code, level, parent, name.")
    return Framework(tuple(items))


@lru_cache(maxsize=4)
def _load(path: str, mtime: int) -> Framework:
    p = Path(path)
    return parse_framework(p.read_bytes(), p.name)


def framework_file(data_dir: str | None = None) -> Path | None:
    """Where the framework is read from: the deployment's data folder first, then the shipped one."""
    path = Path(data_dir or config.data_dir()) / "strategy.csv"
    if not path.exists():
        path = config.PROJECT_ROOT / "data" / "strategy.csv"
    return path if path.exists() else None


def load_framework(data_dir: str | None = None) -> Framework | None:
    """The deployment's framework; None when there is none."""
    path = framework_file(data_dir)
    if path is None:
        return None
    return _load(str(path), path.stat().st_mtime_ns)
