"""Place names as typed by focal points → p-codes of the active boundary set, precision first.

A wrong automatic match puts a partner in the wrong district on a map that decides where money goes, so
a name is matched only when the evidence is clear: a p-code, the exact (normalised) name, an alias the
country file or an admin vouches for, initials or a romanisation variant that fit exactly one district of
the province given, or a spelling close to one district and clearly further from every other. A name of a
unit above a district ("Sargodha Division", "Hazara") is never matched to one district. Everything else
comes back `ambiguous` or `unmatched` with candidates and a plain-words note.

The matching is a cascade of named steps (`STEPS`): each takes the gazetteer and one `Query` and either
decides (returns a `Match`) or passes (returns None). Country knowledge lives in data files:
`data/aliases/<ISO3>.csv` (abbreviations, old and newer names), `data/divisions/<ISO3>.csv` (which
districts each division holds) and `data/places/<ISO3>.csv` (the country's own names and places that are no
unit, which `place_names` adds to every name the set knows); any country works without them.
"""

from __future__ import annotations

import csv
import gc
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from mapping import config
from mapping.geo.countries import from_pcode, iso2, iso3
from mapping.geo.names import (
    Normaliser,
    basic_tokens,
    clean_pcode,
    collapse,
    higher_unit_word,
    initials_fit,
    skeleton,
    split_pcode,
)

__all__ = ["Match", "Query", "Gazetteer", "STEPS", "load_aliases", "load_divisions", "load_places", "Normaliser",
           "basic_tokens"]

ALIASES_DIR = config.PROJECT_ROOT / "data" / "aliases"
DIVISIONS_DIR = config.PROJECT_ROOT / "data" / "divisions"
PLACES_DIR = config.PROJECT_ROOT / "data" / "places"
AUTO_SCORE = 86.0      # a close spelling is matched only at or above this similarity ...
AUTO_MARGIN = 7.0      # ... and only this far ahead of the runner-up
NATIONAL_SCORE = 93.0  # without a province there is less context, so the spelling must be closer
LOCAL_SCORE = 78.0     # a district this close in the given province beats an exact name elsewhere
CONFIRM_SCORE = 75.0   # at least this close: "looks like X, confirm it" (ambiguous) rather than "not a district"
SUGGEST_SCORE = 60.0   # below this a district is not worth suggesting
VARIANT_SCORE = 95.0   # the score reported for an abbreviation or a romanisation variant
UNIT_WORDS = {"division": "a division", "region": "a region", "agency": "an agency"}


@dataclass
class Match:
    """How one (province, district) pair was understood; `status` says whether to trust it."""

    province: str | None
    district: str | None
    adm1_pcode: str | None = None
    adm1_name: str | None = None
    adm2_pcode: str | None = None
    adm2_name: str | None = None
    method: str | None = None
    score: float = 0.0
    status: str = "unmatched"
    candidates: list[dict] = field(default_factory=list)
    note: str | None = None
    step: str | None = None  # the step of the cascade that decided (for measuring each step)

    @property
    def suggestion(self) -> str | None:
        """The sentence a focal point reads next to an unmatched row."""
        if self.status == "matched" or not self.candidates:
            return None
        names = [f"{c['adm2_name']} ({c['adm2_pcode']})" for c in self.candidates[:4]]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"Did you mean {listed}?"

    def as_row(self) -> dict:
        return {"adm1_pcode": self.adm1_pcode, "adm1_name": self.adm1_name, "adm2_pcode": self.adm2_pcode,
                "adm2_name": self.adm2_name, "method": self.method, "score": round(self.score, 1),
                "status": self.status, "note": self.note, "suggestion": self.suggestion}


@dataclass
class Query:
    """One district name on its way through the steps, with every form of it the steps compare."""

    match: Match            # carries the province already recognised; the deciding step fills in the rest
    prov: str | None        # adm1 p-code of the province given, when it was recognised
    text: str               # the district as written, stripped
    key: str                # normalised words joined ("dgkhan" -> "deraghazikhan")
    skey: str               # the same with words sorted ("Karachi East" = "East Karachi")
    marked: str             # the key keeping "division", "agency" ... (for names of higher units)
    unit_word: str | None   # "division", "region", "agency" when the name has one
    tokens: list[str]
    exact: list[str]        # districts whose key is the name's, anywhere
    memo: dict = field(default_factory=dict)


Step = Callable[["Gazetteer", Query], "Match | None"]


# --------------------------------------------------------------------------- country files

def _country_file(folder: Path, country: str | None) -> Path | None:
    code = iso3(country)
    path = folder / f"{code}.csv" if code else None
    return path if path is not None and path.is_file() else None


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def alias_file(country: str | None) -> Path | None:
    return _country_file(ALIASES_DIR, country)


def load_aliases(country: str | None) -> pd.DataFrame | None:
    """The country's alias table (kind, name, adm1, target, note), or None when there is none."""
    path = alias_file(country)
    if path is None:
        return None
    rows = [r for r in _read_csv(path) if (r.get("kind") or "").strip()]
    return pd.DataFrame(rows, columns=["kind", "name", "adm1", "target", "note"]).fillna("")


def load_divisions(country: str | None) -> pd.DataFrame | None:
    """The country's divisions (division, province, districts separated by ';', note), or None."""
    path = _country_file(DIVISIONS_DIR, country)
    if path is None:
        return None
    return pd.DataFrame(_read_csv(path), columns=["division", "province", "districts", "note"]).fillna("")


def load_places(country: str | None) -> list[str]:
    """The country's names and the places that are no unit of a boundary set (a city that spans districts),
    from `data/places/<ISO3>.csv`: an organisation's name may end with them ("UNICEF Pakistan"), yet nothing
    in the boundary files says so. Empty when the country has no file."""
    path = _country_file(PLACES_DIR, country)
    if path is None:
        return []
    return [" ".join(r["name"].split()) for r in _read_csv(path) if (r.get("name") or "").strip()]


@dataclass
class _Unit:
    pcode: str
    name: str
    adm1_pcode: str
    adm1_name: str
    tokens: frozenset
    words: list[str]


@dataclass
class _Alias:
    kind: str               # alias | parent | newer | division
    name: str
    adm1: str | None
    targets: list[str]
    note: str | None


def _country_of(units: pd.DataFrame) -> str | None:
    return from_pcode(units["adm2_pcode"].iloc[0]) if len(units) else None


class Gazetteer:
    """The matcher for one boundary set (plus aliases and divisions); build once, match many."""

    def __init__(self, units: pd.DataFrame, aliases: pd.DataFrame | None = None,
                 learned: list[dict] | None = None, country: str | None = None,
                 divisions: pd.DataFrame | None = None, places: Iterable[str] = ()):
        self.country = iso3(country)
        self.other_places = [p for p in places if p.strip()]  # the country file's names that are no unit's
        rows = aliases.fillna("").to_dict("records") if aliases is not None else []
        self.norm = n = Normaliser((r["name"], r["target"]) for r in rows if str(r.get("kind")).strip() == "token")
        self.units: dict[str, _Unit] = {}
        self.by_key: dict[str, list[str]] = {}
        self.by_token: dict[str, set[str]] = {}
        self.by_skeleton: dict[str, set[str]] = {}
        self.provinces: dict[str, str] = {}
        self.province_keys: dict[str, str] = {}
        for r in units[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]].astype(str).itertuples(index=False):
            words = n.tokens(r.adm2_name)
            u = _Unit(r.adm2_pcode, r.adm2_name, r.adm1_pcode, r.adm1_name, frozenset(collapse(t) for t in words),
                      list(words))
            self.units[u.pcode] = u
            for t in u.tokens:
                self.by_token.setdefault(t, set()).add(u.pcode)
            for k in {n.key(u.name), n.sorted_key(u.name)}:
                self.by_key.setdefault(k, []).append(u.pcode)
            self.by_skeleton.setdefault(n.skeleton_key(u.name), set()).add(u.pcode)
            self.provinces[u.adm1_pcode] = u.adm1_name
        for pc, name in self.provinces.items():
            for k in (n.key(name), n.sorted_key(name)):
                self.province_keys.setdefault(k, pc)
        self.pcodes2 = self._pcode_index(self.units)
        self.pcodes1 = self._pcode_index(self.provinces)
        self.aliases: dict[str, list[_Alias]] = {}
        self.marked_aliases: dict[str, list[_Alias]] = {}  # names with "Division", "Agency" ... in them
        self.divisions: dict[str, list[_Alias]] = {}
        self.province_aliases: list[str] = []  # other names of the set's provinces, as the alias file writes them
        for r in rows:
            if str(r.get("kind")).strip() == "province":
                target = self._province_exact(str(r["target"]))
                if target:
                    self.province_keys.setdefault(n.key(r["name"]), target)
                    self.province_aliases.append(str(r["name"]).strip())
        for r in rows:
            kind = str(r.get("kind")).strip()
            if kind in ("alias", "parent", "newer"):
                self._add_alias(kind, r)
        if divisions is not None:
            for r in divisions.fillna("").to_dict("records"):
                self._add_division(r)
        self.learned: dict[tuple[str, str], str] = {}
        for item in learned or []:
            key = n.marked_key(item.get("alias"))
            adm1 = item.get("adm1_pcode") or ""
            if item.get("adm2_pcode") and item["adm2_pcode"] in self.units:
                self.learned[(key, adm1)] = item["adm2_pcode"]
            elif not item.get("adm2_pcode") and adm1 in self.provinces:
                self.province_keys[key] = adm1
        self.province_choices = list(self.province_keys)
        self._choices: dict[str | None, tuple[list[str], list[str]]] = {}
        self._keys_of: dict[str | None, dict[str, list[str]]] = {}  # the keys each district is known by
        for scope in [None, *self.provinces]:
            keys, codes = [], []
            for pc, u in self.units.items():
                if scope is None or u.adm1_pcode == scope:
                    keys.append(n.key(u.name))
                    codes.append(pc)
            for key, entries in self.aliases.items():
                for a in entries:
                    if a.kind == "alias" and len(a.targets) == 1:
                        t = self.units[a.targets[0]]
                        if scope is None or t.adm1_pcode == scope:
                            keys.append(key)
                            codes.append(t.pcode)
            self._choices[scope] = (keys, codes)
            by_code: dict[str, list[str]] = {}
            for k, c in zip(keys, codes, strict=True):
                by_code.setdefault(c, []).append(k)
            self._keys_of[scope] = by_code
        self.units_in: dict[str | None, list[_Unit]] = {None: list(self.units.values())}
        for u in self.units.values():
            self.units_in.setdefault(u.adm1_pcode, []).append(u)
        # districts of more than one word, the only ones initials can stand for
        self.multiword_in = {scope: [u for u in us if len(u.words) > 1] for scope, us in self.units_in.items()}
        self._cache: dict[tuple, Match] = {}
        self._district_cache: dict[tuple[str | None, str], Match] = {}
        self._fuzzy_cache: dict[tuple[str, str | None], list[tuple[str, float]]] = {}
        self._province_cache: dict[str | None, tuple[str | None, str | None, float]] = {}
        self._forms: dict[str, tuple] = {}

    @classmethod
    def from_units(cls, units: pd.DataFrame, *, aliases: pd.DataFrame | None = None, learned: list[dict] | None = None,
                   country: str | None = None, divisions: pd.DataFrame | None = None,
                   places: Iterable[str] | None = None) -> Gazetteer:
        """Use the country's alias, division and place files unless given; the country is guessed from p-codes
        if unset."""
        country = country or _country_of(units)
        if aliases is None:
            aliases = load_aliases(country)
        if divisions is None:
            divisions = load_divisions(country)
        if places is None:
            places = load_places(country)
        return cls(units, aliases, learned, country, divisions, places)

    def place_names(self) -> tuple[str, ...]:
        """Every name a place of this country goes by, as written: its districts and provinces, their other
        names and divisions from the country files, the country's own names and its ISO codes. Organisation
        matching strips them from the end of a name ("UNICEF Sindh", "WFP Quetta office"), so they must be this
        deployment's places: a word that is a place in one country is part of an organisation's name in another."""
        names = [u.name for u in self.units.values()] + list(self.provinces.values()) + self.province_aliases
        names += [a.name for table in (self.aliases, self.marked_aliases, self.divisions)
                  for entries in table.values() for a in entries]
        names += [*self.other_places, self.country or "", iso2(self.country) or ""]
        return tuple(dict.fromkeys(n for n in names if n.strip()))

    # ------------------------------------------------------------------ building helpers

    @staticmethod
    def _pcode_index(codes: Iterable[str]) -> dict[str, str | None]:
        idx: dict[str, str | None] = {}
        loose: dict[tuple[str, int], list[str]] = {}
        for code in codes:
            idx[clean_pcode(code)] = code
            parts = split_pcode(clean_pcode(code))
            if parts:
                loose.setdefault(parts, []).append(code)
        for parts, found in loose.items():
            idx.setdefault(f"{parts[0]}#{parts[1]}", found[0] if len(found) == 1 else None)
        return idx

    def _province_exact(self, text: str) -> str | None:
        if clean_pcode(text) in self.pcodes1:
            return self.pcodes1[clean_pcode(text)]
        return self.province_keys.get(self.norm.key(text)) or self.province_keys.get(self.norm.sorted_key(text))

    def _resolve_target(self, text: str, adm1: str | None) -> str | None:
        text = text.strip()
        if text in self.units:
            return text
        hits = [p for p in self.by_key.get(self.norm.key(text), []) if adm1 is None or self.units[p].adm1_pcode == adm1]
        return hits[0] if len(hits) == 1 else None

    def _add_alias(self, kind: str, r: dict) -> None:
        adm1 = self._province_exact(str(r["adm1"])) if str(r.get("adm1") or "").strip() else None
        if str(r.get("adm1") or "").strip() and adm1 is None:
            return  # the alias belongs to a province this set does not have
        targets = [self._resolve_target(t, adm1) for t in str(r["target"]).split(";") if t.strip()]
        if not targets or any(t is None for t in targets):
            return  # written for another boundary set: ignore rather than guess
        if kind == "newer" and self.by_key.get(self.norm.key(r["name"])):
            return  # this set already has the newer district
        entry = _Alias(kind, str(r["name"]).strip(), adm1, targets, str(r.get("note") or "").strip() or None)
        if higher_unit_word(r["name"]):
            self.marked_aliases.setdefault(self.norm.marked_key(r["name"]), []).append(entry)
        else:
            self.aliases.setdefault(self.norm.key(r["name"]), []).append(entry)

    def _add_division(self, r: dict) -> None:
        """A division holds the districts listed; names this set lacks (newer districts) are left out."""
        adm1 = self._province_exact(str(r.get("province") or ""))
        if adm1 is None or not str(r.get("division") or "").strip():
            return
        targets = [t for t in (self._resolve_target(x, adm1) for x in str(r["districts"]).split(";") if x.strip()) if t]
        if targets:
            entry = _Alias("division", str(r["division"]).strip(), adm1, sorted(targets, key=lambda p: self.units[p].name),
                           str(r.get("note") or "").strip() or None)
            self.divisions.setdefault(self.norm.key(r["division"]), []).append(entry)

    # ------------------------------------------------------------------ results the steps hand back

    def cand(self, pcode: str, score: float) -> dict:
        u = self.units[pcode]
        return {"adm2_pcode": u.pcode, "adm2_name": u.name, "adm1_pcode": u.adm1_pcode, "adm1_name": u.adm1_name,
                "score": round(float(score), 1)}

    def matched(self, q: Query, pcode: str, method: str, score: float, note: str | None = None) -> Match:
        m, u = q.match, self.units[pcode]
        m.adm2_pcode, m.adm2_name, m.adm1_pcode, m.adm1_name = u.pcode, u.name, u.adm1_pcode, u.adm1_name
        m.method, m.score, m.status, m.note = method, float(score), "matched", note
        m.candidates = [self.cand(pcode, score)]
        return m

    def undecided(self, q: Query, status: str, candidates: list[dict], note: str) -> Match:
        m = q.match
        m.status, m.method, m.candidates, m.note = status, None, candidates, note
        return m

    def mismatch_note(self, prov: str | None, pcode: str) -> str | None:
        if prov and self.units[pcode].adm1_pcode != prov:
            u = self.units[pcode]
            return (f"Province mismatch: {u.name} is in {u.adm1_name}, not {self.provinces[prov]}; "
                    "check the province column")
        return None

    def national(self, q: Query, pcode: str, method: str, score: float, note: str | None) -> Match:
        """A match outside the given province is kept only if that province offers nothing close."""
        prov = q.prov
        if prov and self.units[pcode].adm1_pcode != prov:
            local = [(p, s) for p, s in self.fuzzy(q.key, prov) if s >= LOCAL_SCORE]
            toks = {collapse(t) for t in q.tokens}
            local += [(u.pcode, 90.0) for u in self.units_in.get(prov, ())
                      if toks <= u.tokens and u.pcode not in {p for p, _ in local}]
            if local:
                u = self.units[pcode]
                cands = [self.cand(p, s) for p, s in sorted(local, key=lambda kv: -kv[1])[:3]] + [self.cand(pcode, score)]
                return self.undecided(q, "ambiguous", cands,
                                      f"'{q.text}' is {u.name} in {u.adm1_name}, but the province given is "
                                      f"{self.provinces[prov]}, which has a similar district; check both columns")
            mismatch = self.mismatch_note(prov, pcode)
            note = f"{note}; {mismatch[0].lower() + mismatch[1:]}" if note else mismatch
        return self.matched(q, pcode, method, score, note)

    def listing(self, entries: list[_Alias], score: float = 100.0) -> list[dict]:
        return [self.cand(t, score) for t in dict.fromkeys(t for e in entries for t in e.targets)]

    # ------------------------------------------------------------------ similarity helpers

    def fuzzy(self, key: str, scope: str | None) -> list[tuple[str, float]]:
        """Districts by similarity of their keys within a scope; worked out once per (key, scope)."""
        hit = self._fuzzy_cache.get((key, scope))
        if hit is None:
            hit = self._fuzzy(key, scope)
            if len(self._fuzzy_cache) < 200_000:
                self._fuzzy_cache[(key, scope)] = hit
        return list(hit)

    def _fuzzy(self, key: str, scope: str | None) -> list[tuple[str, float]]:
        keys, codes = self._choices.get(scope, ([], []))
        if not keys or len(key) < 3:
            return []
        best: dict[str, float] = {}
        for _, score, idx in process.extract(key, keys, scorer=fuzz.ratio, limit=12, score_cutoff=40):
            pc = codes[idx]
            best[pc] = max(best.get(pc, 0.0), float(score))
        return sorted(best.items(), key=lambda kv: -kv[1])

    def ranked(self, q: Query, scope: str | None) -> list[tuple[str, float]]:
        """Districts by similarity within a scope, computed once per query."""
        if ("ranked", scope) not in q.memo:
            q.memo[("ranked", scope)] = self.fuzzy(q.key, scope)
        return q.memo[("ranked", scope)]

    def edits(self, key: str, pcode: str, scope: str | None) -> int:
        return min((OSA.distance(key, k) for k in self._keys_of.get(scope, {}).get(pcode, ())), default=99)

    def clear(self, key: str, ranked: list[tuple[str, float]], scope: str | None) -> bool:
        """Ahead by similarity *and* by edits: "Hairpur" is one slip from Haripur and from Khairpur, so neither."""
        if not (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= AUTO_MARGIN):
            return False
        best = self.edits(key, ranked[0][0], scope)
        return all(self.edits(key, pc, scope) > best for pc, s in ranked[1:] if s >= ranked[0][1] - 25)

    # ------------------------------------------------------------------ matching

    def match_province(self, province: str | None) -> tuple[str | None, str | None, float]:
        """(adm1_pcode, method, score) for a province as typed; (None, None, 0) when it is not clear."""
        hit = self._province_cache.get(province)
        if hit is None:
            hit = self._province(province)
            if len(self._province_cache) < 10_000:
                self._province_cache[province] = hit
        return hit

    def _province(self, province: str | None) -> tuple[str | None, str | None, float]:
        if province is None or not str(province).strip():
            return None, None, 0.0
        code = clean_pcode(province)
        if code in self.pcodes1:
            return self.pcodes1[code], "pcode", 100.0
        parts = split_pcode(code)
        if parts and self.pcodes1.get(f"{parts[0]}#{parts[1]}"):
            return self.pcodes1[f"{parts[0]}#{parts[1]}"], "pcode", 100.0
        exact = self.province_keys.get(self.norm.key(province)) or self.province_keys.get(self.norm.sorted_key(province))
        if exact:
            return exact, "exact", 100.0
        key = self.norm.key(province)
        if len(key) < 4:
            return None, None, 0.0
        by_code: dict[str, float] = {}
        for choice, score, _ in process.extract(key, self.province_choices, scorer=fuzz.ratio, limit=6):
            pc = self.province_keys[choice]
            by_code[pc] = max(by_code.get(pc, 0.0), score)
        ranked = sorted(by_code.items(), key=lambda kv: -kv[1])
        if ranked and ranked[0][1] >= AUTO_SCORE and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= AUTO_MARGIN):
            return ranked[0][0], "fuzzy", ranked[0][1]
        return None, None, 0.0

    def match(self, province: str | None, district: str | None) -> Match:
        """Match one pair; `district` None or blank gives a province-level match."""
        key = (province, district)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._match(province, district)
            if len(self._cache) < 200_000:
                self._cache[key] = hit
        return hit

    def match_many(self, pairs: Iterable[tuple[str | None, str | None]]) -> list[Match]:
        """Each distinct pair is matched once (returns repeat the same names thousands of times); read-only results.

        The collector is paused meanwhile, as in `read_return`: matching makes tens of thousands of small
        objects and no cycles, and a full collection in a large process cost more than the matching.
        """
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            cache, out = self._cache, []
            for p, d in pairs:
                hit = cache.get((p, d))
                out.append(self.match(p, d) if hit is None else hit)
            return out
        finally:
            if gc_was_on:
                gc.enable()

    def _match(self, province: str | None, district: str | None) -> Match:
        province = None if province is None or (isinstance(province, float) and pd.isna(province)) else str(province)
        district = None if district is None or (isinstance(district, float) and pd.isna(district)) else str(district)
        m = Match(province, district)
        prov, pmethod, pscore = self.match_province(province)
        pnote = None
        if province and province.strip() and prov is None:
            pnote = f"Province '{province.strip()}' was not recognised"
        if prov:
            m.adm1_pcode, m.adm1_name = prov, self.provinces[prov]
        if district is None or not district.strip():
            if prov:
                m.method, m.score, m.status = pmethod, pscore, "matched"
            else:
                m.note = pnote or "No province or district given"
            return m
        found = self._district_in(prov, district)
        found = Match(province, district, found.adm1_pcode, found.adm1_name, found.adm2_pcode, found.adm2_name,
                      found.method, found.score, found.status, list(found.candidates), found.note, found.step)
        if pnote:
            found.note = f"{pnote}; {found.note[0].lower() + found.note[1:]}" if found.note else pnote
        return found

    def _district_in(self, prov: str | None, district: str) -> Match:
        """The district as matched in the province recognised (however the province was written), once."""
        hit = self._district_cache.get((prov, district))
        if hit is None:
            m = Match(None, district)
            if prov:
                m.adm1_pcode, m.adm1_name = prov, self.provinces[prov]
            hit = self._district(m, prov, district)
            if len(self._district_cache) < 200_000:
                self._district_cache[(prov, district)] = hit
        return hit

    def _district(self, m: Match, prov: str | None, district: str) -> Match:
        found = self.run(self.query(m, prov, district))
        if found.status != "matched" and "(" in district:
            # "Tharparkar (Mithi)": the name with its headquarters or old name in brackets
            outer = re.sub(r"\(.*?\)", " ", district).strip()
            inner = " ".join(re.findall(r"\((.*?)\)", district)).strip()
            results = [self.run(self.query(Match(m.province, part, m.adm1_pcode, m.adm1_name), prov, part))
                       for part in (outer, inner) if part]
            hits = {r.adm2_pcode for r in results if r.status == "matched"}
            if len(hits) == 1 and all(r.status in ("matched", "unmatched") or not r.candidates for r in results):
                best = next(r for r in results if r.status == "matched")
                best.province, best.district = m.province, m.district
                return best
        return found

    def query(self, m: Match, prov: str | None, district: str) -> Query:
        forms = self._forms.get(district)
        if forms is None:  # the same name comes with many provinces: read it once
            n = self.norm
            key, skey = n.key(district), n.sorted_key(district)
            exact = list(dict.fromkeys(self.by_key.get(key, []) + self.by_key.get(skey, [])))
            forms = (district.strip(), key, skey, n.marked_key(district), higher_unit_word(district),
                     n.tokens(district), exact)
            if len(self._forms) < 200_000:
                self._forms[district] = forms
        return Query(m, prov, *forms)

    def run(self, q: Query) -> Match:
        """The first step that decides; the last step always does."""
        for step in STEPS:
            found = step(self, q)
            if found is not None:
                found.step = step.__name__.removeprefix("step_")
                return found
        raise AssertionError("the last step always decides")  # pragma: no cover


# =========================================================================== the steps, in order

def step_pcode(g: Gazetteer, q: Query) -> Match | None:
    """A p-code in the district column ("PK-607", "pk0607"), with a note when the province disagrees."""
    code = clean_pcode(q.text) if any(map(str.isdigit, q.text)) else ""
    pc = g.pcodes2.get(code)
    if pc is None and code:
        parts = split_pcode(code)
        if parts:
            pc = g.pcodes2.get(f"{parts[0]}#{parts[1]}")
    if pc:
        return g.matched(q, pc, "pcode", 100.0, g.mismatch_note(q.prov, pc))
    if not q.key:
        return g.undecided(q, "unmatched", [], f"'{q.text}' holds no letters or digits to match")
    return None


def step_learned(g: Gazetteer, q: Query) -> Match | None:
    """A name the secretariat confirmed in the review queue, for this province or any."""
    learned = g.learned.get((q.marked, q.prov or "")) or g.learned.get((q.marked, ""))
    if learned is None and q.prov is None:
        found = {v for (k, _), v in g.learned.items() if k == q.marked}
        learned = found.pop() if len(found) == 1 else None
    return g.matched(q, learned, "learned", 100.0, g.mismatch_note(q.prov, learned)) if learned else None


def _entries(table: dict[str, list[_Alias]], keys: Iterable[str], prov: str | None) -> list[_Alias]:
    found = [a for k in dict.fromkeys(keys) for a in table.get(k, []) if a.adm1 is None or prov is None or a.adm1 == prov]
    if prov and len(found) > 1:
        found = [a for a in found if a.adm1 == prov] or found
    return found


def _from_alias_table(g: Gazetteer, q: Query, entries: list[_Alias]) -> Match | None:
    """What an alias-file row says: one district, several (a parent name), or a district newer than the set."""
    if not entries:
        return None
    a = entries[0]
    if a.kind == "alias" and len({t for e in entries for t in e.targets}) == 1:
        return g.national(q, a.targets[0], "alias", 100.0, a.note)
    cands = g.listing(entries)
    names = ", ".join(f"{c['adm2_name']} ({c['adm2_pcode']})" for c in cands)
    if a.kind == "newer":
        return g.undecided(q, "unmatched", cands,
                           f"{q.text} is a district created after this boundary set; it lies inside {names}. "
                           + (a.note or "Enter the district of this boundary set, or ask the secretariat to import "
                                        "a newer set."))
    return g.undecided(q, "ambiguous", cands, (a.note + "; " if a.note else f"'{q.text}' covers several districts in "
                                               "this boundary set; ") + f"name one of them: {names}")


def _divisions(g: Gazetteer, q: Query) -> list[_Alias]:
    """Divisions of that name, those of the province given first (a division elsewhere is still one)."""
    found = [d for k in dict.fromkeys((q.key, q.skey)) for d in g.divisions.get(k, [])]
    return [d for d in found if d.adm1 == q.prov] or found


def _division_match(g: Gazetteer, q: Query, entries: list[_Alias]) -> Match:
    d = entries[0]
    cands = g.listing([d])
    names = ", ".join(f"{c['adm2_name']} ({c['adm2_pcode']})" for c in cands)
    where = "" if q.prov is None or d.adm1 == q.prov else f" (in {g.provinces[d.adm1]}, not {g.provinces[q.prov]})"
    note = (f"'{q.text}' is {d.name} division{where}, which holds {len(cands)} district"
            f"{'s' if len(cands) != 1 else ''}: {names}; name the district")
    return g.undecided(q, "ambiguous", cands, f"{note}. {d.note}" if d.note else note)


def step_higher_unit(g: Gazetteer, q: Query) -> Match | None:
    """"Sargodha Division", "Hazara Region", "Kurram Agency": a unit above or older than a district is never
    matched to the district named like it. The country file may vouch for one (the FATA agencies became
    districts of the same extent); a known division lists its districts; anything else is left unmatched."""
    if q.unit_word is None:
        return None
    vouched = _from_alias_table(g, q, _entries(g.marked_aliases, (q.marked,), q.prov))
    if vouched is not None:
        return vouched
    divisions = _divisions(g, q)
    if divisions:
        return _division_match(g, q, divisions)
    kind = "a division" if q.unit_word.startswith("div") else UNIT_WORDS[q.unit_word]
    same = [g.cand(p, 100.0) for p in q.exact]
    return g.undecided(q, "unmatched", same,
                       f"'{q.text}' names {kind}, an older or larger unit than a district; write the district "
                       "(or districts, one row each) where the activity takes place")


def step_exact_in_province(g: Gazetteer, q: Query) -> Match | None:
    """The exact name (after filler words and the country file's rewrites) of one district of the province."""
    if q.prov:
        inprov = [p for p in q.exact if g.units[p].adm1_pcode == q.prov]
        if len(inprov) == 1:
            return g.matched(q, inprov[0], "exact", 100.0)
    return None


def step_alias(g: Gazetteer, q: Query) -> Match | None:
    """Old names, headquarters towns and split districts from the country's alias file."""
    return _from_alias_table(g, q, _entries(g.aliases, (q.key, q.skey), q.prov))


def step_division(g: Gazetteer, q: Query) -> Match | None:
    """A division's bare name that is no district's ("Karachi", "Hazara", "Makran") lists its districts."""
    if q.exact:
        return None
    divisions = _divisions(g, q)
    return _division_match(g, q, divisions) if divisions else None


def step_exact_elsewhere(g: Gazetteer, q: Query) -> Match | None:
    """The exact name of a district outside the province given (or with no province): kept with a warning,
    unless the province given has a district close to it; two districts of that name are a question."""
    if not q.exact:
        return None
    if len(q.exact) == 1:
        return g.national(q, q.exact[0], "exact", 100.0, None)
    return g.undecided(q, "ambiguous", [g.cand(p, 100.0) for p in q.exact],
                       f"{len(q.exact)} districts are called '{q.text}'; give the province")


def step_part_of_name(g: Gazetteer, q: Query) -> Match | None:
    """Words found inside district names: a shortened name (Nankana) matches, a shared word (Tando, Dera,
    Karachi) lists the districts that carry it."""
    toks = {collapse(t) for t in q.tokens}
    holders = set.intersection(*(g.by_token.get(t, set()) for t in toks)) if toks else set()
    covering = [g.units[p] for p in sorted(holders)
                if (q.prov is None or g.units[p].adm1_pcode == q.prov) and len(g.units[p].tokens) > len(toks)]
    if len(covering) >= 2:
        cands = [g.cand(u.pcode, 100.0) for u in sorted(covering, key=lambda u: u.name)]
        names = ", ".join(f"{c['adm2_name']} ({c['adm2_pcode']})" for c in cands)
        return g.undecided(q, "ambiguous", cands,
                           f"'{q.text}' covers several districts in this boundary set: {names}; name one of them")
    if len(covering) == 1:
        first = collapse(g.norm.tokens(covering[0].name)[0])
        # the words given must start the name and be most of it: "Nankana", not "North" for North Waziristan
        if first in toks and len("".join(toks)) > 0.5 * len(g.norm.key(covering[0].name)):
            return g.national(q, covering[0].pcode, "fuzzy", 90.0, None)
    return None


def _variant(g: Gazetteer, q: Query, hits: set[str], method: str, what: str) -> Match | None:
    """Shared rule of the abbreviation and romanisation steps: automatic only inside the province given and
    only when exactly one district fits; several fitting districts there are a question."""
    if not q.prov:
        return None
    local = sorted((p for p in hits if g.units[p].adm1_pcode == q.prov), key=lambda p: g.units[p].name)
    if len(local) == 1:
        return g.matched(q, local[0], method, VARIANT_SCORE)
    if len(local) > 1:
        cands = [g.cand(p, VARIANT_SCORE) for p in local]
        return g.undecided(q, "ambiguous", cands,
                           f"'{q.text}' {what} more than one district of {g.provinces[q.prov]}; pick the right one")
    return None


def step_abbreviation(g: Gazetteer, q: Query) -> Match | None:
    """Shortened first words: "T. Allahyar" (Tando), "D.G. Khan" (Dera Ghazi), "Tando M. Khan" (Muhammad)."""
    if not any(len(t) <= 3 for t in q.tokens):
        return None
    first = {q.tokens[0][0], skeleton(q.tokens[0][0])}
    hits = {u.pcode for u in g.multiword_in.get(q.prov, ()) if (u.words[0][0] in first or u.words[-1][0] in first)
            and (initials_fit(q.tokens, u.words) or (len(u.words) == 2 and initials_fit(q.tokens, u.words[::-1])))}
    return _variant(g, q, hits, "abbreviation", "could stand for")


def step_transliteration(g: Gazetteer, q: Query) -> Match | None:
    """Romanised Urdu and Sindhi spellings of one name: u/oo, e/i/ee, ai/e, kh/k, z/s, q/k, doubled letters."""
    hits = set(g.by_skeleton.get(g.norm.skeleton_key(q.text), set()))
    for a in g.aliases.get(q.key, []) + g.aliases.get(q.skey, []):
        if a.kind == "alias" and len(a.targets) == 1:
            hits.add(a.targets[0])
    return _variant(g, q, hits, "transliteration", "is a spelling of")


def step_close_in_province(g: Gazetteer, q: Query) -> Match | None:
    """A close spelling of one district of the province given, clearly ahead of every other."""
    if not q.prov:
        return None
    ranked = g.ranked(q, q.prov)
    if ranked and ranked[0][1] >= AUTO_SCORE and g.clear(q.key, ranked, q.prov):
        return g.matched(q, ranked[0][0], "fuzzy", ranked[0][1])
    return None


def step_one_slip(g: Gazetteer, q: Query) -> Match | None:
    """One wrong, missing or swapped letter in a long name, with no other district of the province near it."""
    if not q.prov or len(q.key) < 6:
        return None
    keys, codes = g._choices.get(q.prov, ([], []))
    near = {codes[i] for i, k in enumerate(keys) if OSA.distance(q.key, k, score_cutoff=2) <= 2}
    if len(near) != 1:
        return None
    pc = near.pop()
    if any(OSA.distance(q.key, k) <= 1 and len(k) >= 6 for k in g._keys_of[q.prov].get(pc, ())):
        ranked = g.ranked(q, q.prov)
        return g.matched(q, pc, "fuzzy", ranked[0][1] if ranked else AUTO_SCORE)
    return None


def step_close_nationally(g: Gazetteer, q: Query) -> Match | None:
    """Without a province, a spelling must be closer still (a close spelling in another province than the
    one given is only suggested: "Kharian" in Punjab is not Kharan)."""
    if q.prov:
        return None
    ranked = g.ranked(q, None)
    if ranked and ranked[0][1] >= NATIONAL_SCORE and g.clear(q.key, ranked, None):
        return g.matched(q, ranked[0][0], "fuzzy", ranked[0][1])
    return None


def step_unresolved(g: Gazetteer, q: Query) -> Match:
    """Nothing is sure: the closest districts as candidates, "confirm it" when one is close, else not a district."""
    ranked = g.ranked(q, q.prov)
    if q.prov:
        merged: dict[str, float] = {}
        for pc, s in ranked + [(p, s) for p, s in g.ranked(q, None) if s >= AUTO_SCORE]:
            merged[pc] = max(merged.get(pc, 0.0), s)
        ranked = sorted(merged.items(), key=lambda kv: -kv[1])
    good = [(p, s) for p, s in ranked if s >= SUGGEST_SCORE]
    cands = [g.cand(p, s) for p, s in (good or ranked)[:5]]
    q.match.score = float(ranked[0][1]) if ranked else 0.0
    if good and good[0][1] >= CONFIRM_SCORE:
        if len(good) == 1 or good[0][1] - good[1][1] >= AUTO_MARGIN:
            c = cands[0]
            note = (f"'{q.text}' looks like {c['adm2_name']} ({c['adm1_name']}), but not closely enough to match it "
                    "automatically; confirm it")
        else:
            note = f"'{q.text}' is close to more than one district; pick the right one"
        return g.undecided(q, "ambiguous", cands, note)
    return g.undecided(q, "unmatched", cands,
                       f"'{q.text}' is not a district of " + (g.provinces[q.prov] if q.prov else "this boundary set"))


STEPS: tuple[Step, ...] = (
    step_pcode, step_learned, step_higher_unit, step_exact_in_province, step_alias, step_division,
    step_exact_elsewhere, step_part_of_name, step_abbreviation, step_transliteration, step_close_in_province,
    step_one_slip, step_close_nationally, step_unresolved,
)
