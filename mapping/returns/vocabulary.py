"""Values outside the deployment's lists: what each most likely means, said once per value, never guessed.

A cluster writes "Saúde", "EDUCATION_OP" or "Em andamento"; the deployment's lists say Health, Education and
ongoing. The multilingual names and cluster codes are data (`data/vocabulary_aliases.csv`: field, alias,
canonical, source) so a deployment adds its own without code. A suggestion is only a suggestion: it is applied
when a person confirms it (or asks for every suggestion above `SUGGESTION_THRESHOLD`), and the confirmed mapping
is kept as an audited vocabulary alias in the store.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from mapping import config
from mapping.returns.normalise import fold

__all__ = ["SUGGESTION_THRESHOLD", "VOCAB_FIELDS", "Suggestion", "data_aliases", "suggest"]

# Fields whose values are checked against a list, and which `vocab map` can teach.
VOCAB_FIELDS: tuple[str, ...] = ("sector", "subsector", "status", "org_type", "modality", "org_name")
# `--apply-suggestions` and the app's "Apply all suggestions" take suggestions at or above this confidence (%).
SUGGESTION_THRESHOLD = 90
SOURCES = {"fr": "French name", "es": "Spanish name", "pt": "Portuguese name", "en": "English name",
           "cluster code": "cluster code"}
# Words clusters add around a sector's name ("EDUCATION_OP", "WASH Cluster", "Health sector").
AFFIXES = frozenset({"op", "ops", "cluster", "clusters", "sector", "sectors", "secteur", "sectoriel", "wg", "aor",
                     "sub", "subsector", "programme", "program", "prog", "area", "activities", "response", "grupo",
                     "groupe", "de", "du", "la", "le", "el", "the"})


@dataclass(frozen=True)
class Suggestion:
    """What an off-list value most likely means, how sure (0-100) and why."""

    canonical: str
    confidence: int
    how: str


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict[str, tuple[str, str]]]:
    out: dict[str, dict[str, tuple[str, str]]] = {}
    with Path(path).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            field, alias, canonical = (row.get(k, "").strip() for k in ("field", "alias", "canonical"))
            if field and alias and canonical:
                out.setdefault(field, {}).setdefault(fold(alias), (canonical, (row.get("source") or "").strip()))
    return out


def data_aliases() -> dict[str, dict[str, tuple[str, str]]]:
    """field -> folded alias -> (canonical, source), from the deployment's copy of the file, else the shipped one."""
    path = config.data_dir() / "vocabulary_aliases.csv"
    if not path.exists():
        path = config.PROJECT_ROOT / "data" / "vocabulary_aliases.csv"
    return _load(str(path))


def _strip_affixes(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[-1] in AFFIXES:
        words.pop()
    while len(words) > 1 and words[0] in AFFIXES:
        words.pop(0)
    return " ".join(words)


def suggest(field: str, value: Any, choices: list[str] | tuple[str, ...]) -> Suggestion | None:
    """The likeliest of `choices` for an off-list `value`, or None when nothing is close enough to say."""
    key = fold(value)
    if not key or not choices:
        return None
    canon = {fold(c): c for c in choices}
    table = {k: v for k, v in data_aliases().get(field, {}).items() if v[0] in choices}

    def lookup(k: str) -> tuple[str, str] | None:
        if k in canon:
            return canon[k], "same name"
        if k in table:
            canonical, source = table[k]
            return canonical, SOURCES.get(source, source or "known alias")
        return None

    hit = lookup(key)
    if hit:
        return Suggestion(hit[0], 95, hit[1])
    stripped = _strip_affixes(key)
    if stripped != key:
        hit = lookup(stripped)
        if hit:
            extra = " ".join(w for w in key.split() if w not in stripped.split())
            return Suggestion(hit[0], 90, f"'{extra.upper()}' removed; {hit[1]}")
    names = list(canon) + list(table)
    found = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=70) if len(key) >= 4 else None
    if found:
        target = canon.get(found[0]) or table[found[0]][0]
        return Suggestion(target, min(int(found[1]), 89), "close spelling")
    return None
