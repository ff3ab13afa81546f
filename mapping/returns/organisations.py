"""Organisation names as returns write them → one organisation of the list, never a wrong guess.

A partner counted twice ("UNICEF" and "Unicef Pakistan") inflates every distinct-partner figure; a partner
merged with another hides one. So a name is matched only by evidence that identifies one organisation, in
this order: the exact name, an alias, the acronym, then the normalised name (case, accents, punctuation,
"the", British/American spelling, an office word such as "country office", a place of the deployment's country
after the name). A close spelling is only a suggestion for review. A key two organisations share (an
acronym used by two, "Save the Children" for two members) matches neither.

Which words are places is the deployment's knowledge, not this module's: the gazetteer's `place_names` (the
boundary set's names and the country files) are handed to `OrgIndex`, so "Sindh" ends an organisation's name in
Pakistan and is part of one elsewhere. Pure functions over the directory the store hands out
(`registry.org_directory`): no database here.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from mapping import config
from mapping.errors import StocktakeError

__all__ = ["OrgIndex", "OrgMatch", "name_key", "place_keys", "METHODS", "STARTER_LIST", "read_org_list"]

STARTER_LIST = config.PROJECT_ROOT / "data" / "organisations.csv"  # the usual partners, with IATI identifiers

METHODS: tuple[str, ...] = ("exact", "alias", "acronym", "normalised", "fuzzy")
SUGGEST_SCORE = 85.0   # a close spelling this similar is offered for review ...
HINT_SCORE = 70.0      # ... and this similar is still listed as a candidate of an unmatched name
# Words after a name that say which office wrote it, not which organisation it is (language, not a country's).
OFFICE_WORDS = frozenset({"office", "offices", "country", "head", "field", "sub", "suboffice", "provincial",
                          "regional", "area", "mission", "resident", "delegation", "team", "unit", "hub", "in"})
# A donor country written before the agency's name ("UK FCDO", "German GIZ"): tried last, without it.
DONOR_PREFIXES = frozenset({"uk", "us", "usa", "german", "germany", "japan", "japanese", "swiss", "australian",
                            "canadian", "canada", "dutch", "swedish", "norwegian", "danish", "korean"})
MAX_PLACE_WORDS = 6  # places of up to six words ("State of ... and ...") are stripped as a whole
_SPELLING = {"organisation": "organization", "organisations": "organizations", "programme": "program",
             "programmes": "programs", "labour": "labor", "centre": "center", "defence": "defense",
             "fuer": "fur", "&": "and"}
_OF_UN = (["of", "the", "united", "nations"], ["of", "united", "nations"], ["of", "the", "un"], ["of", "un"])


def _fold(text: Any) -> str:
    """Case, accents and punctuation folded away; letters of any script are kept."""
    s = unicodedata.normalize("NFKD", str(text)).casefold()
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("'", "").replace("’", "").replace("&", " and ")
    s = re.sub(r"[^\w]+|_", " ", s)
    return " ".join(s.split())


def _join_letters(words: list[str]) -> list[str]:
    """"U.N.I.C.E.F" folds to single letters: join a run of them back into one word."""
    out: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        if run:
            out.append("".join(run) if len(run) > 1 else run[0])
            run = []
        if w:
            out.append(w)
    return out


def _words(text: Any) -> list[str]:
    """Folded words with single letters joined and one spelling of each British/American pair."""
    return [_SPELLING.get(w, w) for w in _join_letters(_fold(text).split())]


def place_keys(names: Iterable[str]) -> frozenset[str]:
    """Place names ("Khyber Pakhtunkhwa", "D. I. Khan") as `name_key` compares them with a name's last words."""
    return frozenset(k for k in (" ".join(_words(n)) for n in names if n) if k)


def name_key(text: Any, places: Collection[str] = frozenset()) -> str:
    """The normalised name: "The U.N. Children's Fund - Northland Country Office" → "united nations childrens
    fund" when Northland is one of `places` (keys made by `place_keys`). British and American spellings meet,
    a leading "the" and trailing office and place words go, a leading "UN" reads "united nations". Without
    places only office words go: which words are places depends on the country."""
    words = _words(text)
    if words[:1] == ["the"]:
        words = words[1:]
    if words[:1] == ["un"] and len(words) > 1:
        words = ["united", "nations", *words[1:]]
    for tail in _OF_UN:  # "FAO of the UN" is the Food and Agriculture Organization (of the United Nations)
        if len(words) > len(tail) and words[-len(tail):] == tail:
            words = words[:-len(tail)]
            break
    while len(words) > 1:
        size = next((n for n in range(min(len(words) - 1, MAX_PLACE_WORDS), 0, -1)
                     if " ".join(words[-n:]) in places), 0)  # the longest place the name ends with
        if not size and words[-1] not in OFFICE_WORDS:
            break
        words = words[:-(size or 1)]
    return " ".join(words)


@dataclass(frozen=True)
class OrgMatch:
    """How one written organisation name was understood; only `matched` is trusted without a person."""

    text: str
    org: dict | None = None
    method: str | None = None      # exact | alias | acronym | normalised | fuzzy
    score: float = 0.0
    status: str = "unmatched"      # matched | ambiguous | unmatched
    candidates: tuple[dict, ...] = field(default_factory=tuple)

    @property
    def org_id(self) -> int | None:
        return self.org.get("id") if self.org else None

    @property
    def org_name(self) -> str | None:
        return self.org.get("name") if self.org else None

    @property
    def suggestion(self) -> str | None:
        """The sentence shown next to a name that was not matched."""
        if self.status == "matched" or not self.candidates:
            return None
        names = [c["name"] + (f" ({c['acronym']})" if c.get("acronym") else "") for c in self.candidates[:3]]
        return "Did you mean " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]) + "?"


class OrgIndex:
    """Recognise an organisation however a return spells it; build once per directory, match many."""

    def __init__(self, orgs: list[dict] | None, places: Iterable[str] = ()):
        """`places`: the deployment's place names (`Gazetteer.place_names`), which a name may end with."""
        self.orgs = list(orgs or [])
        self.places = place_keys(places)
        self.tables: dict[str, dict[str, list[dict]]] = {m: {} for m in ("exact", "alias", "acronym", "normalised")}
        for org in self.orgs:
            self._add("exact", _fold(org.get("name") or ""), org)
            for alias in org.get("aliases") or []:
                self._add("alias", _fold(alias), org)
            self._add("acronym", _fold(org.get("acronym") or ""), org)
            for text in (org.get("name"), org.get("acronym"), *(org.get("aliases") or [])):
                if text and str(text).strip():
                    for key in self._keys(str(text)):
                        self._add("normalised", key, org)
                    compact = _fold(text).replace(" ", "")  # "UN-Habitat" written "UNHABITAT"
                    if text != org.get("name") and 1 < len(_fold(text).split()) <= 3:
                        self._add("normalised", compact, org)
        self._choices = list(self.tables["normalised"])
        self._cache: dict[str, OrgMatch] = {}

    def _add(self, table: str, key: str, org: dict) -> None:
        if key:
            found = self.tables[table].setdefault(key, [])
            if not any(_same(o, org) for o in found):
                found.append(org)

    def find(self, text: Any) -> dict | None:
        """The organisation when the name identifies one, else None (ingest's question)."""
        m = self.match(text)
        return m.org if m.status == "matched" else None

    def match(self, text: Any) -> OrgMatch:
        """Exact → alias → acronym → normalised name → close spelling (a suggestion, never a match)."""
        if text is None or (isinstance(text, float) and text != text) or not str(text).strip():
            return OrgMatch("")
        raw = " ".join(str(text).split())
        hit = self._cache.get(raw)
        if hit is None:
            hit = self._match(raw)
            if len(self._cache) < 50_000:
                self._cache[raw] = hit
        return hit

    def _match(self, raw: str) -> OrgMatch:
        folded = _fold(raw)
        for method in ("exact", "alias", "acronym"):
            found = self.tables[method].get(folded)
            if found:
                return self._decide(raw, found, method)
        shared: list[dict] = []
        for key in self._keys(raw):  # the first key that names one organisation decides
            found = self.tables["normalised"].get(key) or []
            if len(found) == 1:
                return self._decide(raw, found, "normalised")
            shared.extend(o for o in found if not any(_same(o, s) for s in shared))
        return self._decide(raw, shared, "normalised") if shared else self._close(raw)

    def _keys(self, raw: str) -> list[str]:
        """The name, the name without its brackets and what the brackets hold ("UNICEF (United Nations
        Children's Fund)"), each normalised."""
        outside = re.sub(r"\([^)]*\)", " ", raw)
        inside = re.findall(r"\(([^)]*)\)", raw)
        parts = re.split(r"\s[-–—/|]\s", outside) if re.search(r"\s[-–—/|]\s", outside) else []
        keys = [name_key(t, self.places) for t in (raw, outside, *inside, *parts) if t.strip()]
        first, _, rest = keys[0].partition(" ") if keys else ("", "", "")
        if first in DONOR_PREFIXES and rest:
            keys.append(rest)
        return [k for k in dict.fromkeys(keys) if k]

    def _decide(self, raw: str, found: list[dict], method: str) -> OrgMatch:
        if len(found) == 1:
            return OrgMatch(raw, found[0], method, 100.0, "matched", (found[0],))
        return OrgMatch(raw, None, method, 100.0, "ambiguous", tuple(found))

    def _close(self, raw: str) -> OrgMatch:
        key = name_key(raw, self.places)
        if len(key) < 4 or not self._choices or (len(key.split()) == 1 and len(key) <= 6):
            return OrgMatch(raw)  # a short word or acronym one letter off is another organisation
        ranked = process.extract(key, self._choices, scorer=fuzz.token_sort_ratio, limit=6, score_cutoff=HINT_SCORE)
        orgs: list[tuple[dict, float]] = []
        for choice, score, _ in ranked:
            for org in self.tables["normalised"][choice]:
                if not any(_same(o, org) for o, _ in orgs):
                    orgs.append((org, float(score)))
        if not orgs:
            return OrgMatch(raw)
        status = "ambiguous" if orgs[0][1] >= SUGGEST_SCORE else "unmatched"
        return OrgMatch(raw, None, "fuzzy" if status == "ambiguous" else None, orgs[0][1], status,
                        tuple(o for o, _ in orgs[:3]))


def _same(a: dict, b: dict) -> bool:
    """One organisation, even when the directory lists it under two dicts (same id, or same name)."""
    if a is b:
        return True
    if a.get("id") is not None and b.get("id") is not None:
        return a["id"] == b["id"]
    return _fold(a.get("name") or "") == _fold(b.get("name") or "")


def read_org_list(data: str) -> list[dict]:
    """The starter list's rows (name, acronym, type, iati_id, aliases separated by ';'); '#' lines are notes."""
    rows = csv.DictReader(io.StringIO("\n".join(ln for ln in data.splitlines() if not ln.startswith("#"))))
    out = []
    for i, r in enumerate(rows, start=2):
        name = " ".join((r.get("name") or "").split())
        if not name:
            raise StocktakeError(f"Row {i} of the organisation list has no name.", hint="Fill in the name column.")
        out.append({"name": name, "acronym": (r.get("acronym") or "").strip() or None,
                    "type": (r.get("type") or "").strip() or None, "iati_id": (r.get("iati_id") or "").strip() or None,
                    "aliases": [a.strip() for a in (r.get("aliases") or "").split(";") if a.strip()]})
    return out
