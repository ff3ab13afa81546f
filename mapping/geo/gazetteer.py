"""Place names as typed by focal points → p-codes of the active boundary set, precision first.

A wrong automatic match puts a partner in the wrong district on a map that decides where money goes, so
a name is matched only when the evidence is clear: a p-code, the exact (normalised) name, an alias the
country file or an admin vouches for, or a spelling close to one district and clearly further from every
other. Everything else comes back `ambiguous` or `unmatched` with candidates and a plain-words note.
Country knowledge (abbreviations, transliterations, old and newer district names) lives in
`data/aliases/<ISO3>.csv`; any country works without one.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from mapping import config

ALIASES_DIR = config.PROJECT_ROOT / "data" / "aliases"
STOPWORDS = frozenset({"district", "distt", "dist", "distric", "agency", "province", "provincial", "division",
                       "city", "region", "the", "of", "and", "zila", "zilla", "tribal"})
AUTO_SCORE = 86.0      # a close spelling is matched only at or above this similarity ...
AUTO_MARGIN = 7.0      # ... and only this far ahead of the runner-up
NATIONAL_SCORE = 93.0  # without a province there is less context, so the spelling must be closer
LOCAL_SCORE = 78.0     # a district this close in the given province beats an exact name elsewhere
SUGGEST_SCORE = 60.0   # below this a district is not worth suggesting
ISO2_TO_ISO3 = {"PK": "PAK", "AF": "AFG", "BD": "BGD", "IN": "IND", "NP": "NPL"}


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


# --------------------------------------------------------------------------- normalisation

def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_SPLIT = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"(.)\1+")


def basic_tokens(text: str | None) -> list[str]:
    """Lower-case ASCII words without punctuation or admin filler words ("District", "Distt.", "Agency")."""
    if text is None:
        return []
    raw = _ascii(text).lower().replace("&", " and ").replace("'", "").replace("`", "")
    return [t for t in _SPLIT.split(raw) if t and t not in STOPWORDS]


def collapse(key: str) -> str:
    """Doubled letters are the commonest transliteration slip (Abbotabad, Jafarabad, Kachi)."""
    return _DOUBLE.sub(r"\1", key)


class Normaliser:
    """Token rewrites from the country file (D G → Dera Ghazi, Qila → Killa), applied before comparing."""

    def __init__(self, rules: Iterable[tuple[str, str]] = ()):
        self.rules: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for src, dst in rules:
            s, d = tuple(basic_tokens(src)), tuple(basic_tokens(dst))
            if s:
                self.rules.append((s, d))
        self.rules.sort(key=lambda r: -len(r[0]))
        self._by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for rule in self.rules:
            self._by_first.setdefault(rule[0][0], []).append(rule)
        self._cache: dict[str | None, list[str]] = {}
        self._keys: dict[tuple[str | None, bool], str] = {}

    def tokens(self, text: str | None) -> list[str]:
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        toks = basic_tokens(text)
        if self.rules and toks:
            out: list[str] = []
            i = 0
            while i < len(toks):
                for src, dst in self._by_first.get(toks[i], ()):
                    if tuple(toks[i:i + len(src)]) == src:
                        out.extend(dst)
                        i += len(src)
                        break
                else:
                    out.append(toks[i])
                    i += 1
            toks = out
        if len(self._cache) < 200_000:
            self._cache[text] = toks
        return toks

    def key(self, text: str | None) -> str:
        hit = self._keys.get((text, False))
        if hit is None:
            hit = collapse("".join(self.tokens(text)))
            if len(self._keys) < 400_000:
                self._keys[(text, False)] = hit
        return hit

    def sorted_key(self, text: str | None) -> str:
        hit = self._keys.get((text, True))
        if hit is None:
            hit = collapse("".join(sorted(self.tokens(text))))
            if len(self._keys) < 400_000:
                self._keys[(text, True)] = hit
        return hit


def clean_pcode(text: str | None) -> str:
    return re.sub(r"[\s\-_./]+", "", str(text or "")).upper()


def _split_pcode(code: str) -> tuple[str, int] | None:
    m = re.fullmatch(r"([A-Z]{2,3})(\d+)", code)
    return (m.group(1), int(m.group(2))) if m else None


# --------------------------------------------------------------------------- alias file

def alias_file(country: str | None) -> Path | None:
    if not country:
        return None
    code = ISO2_TO_ISO3.get(country.upper(), country.upper())
    path = ALIASES_DIR / f"{code}.csv"
    return path if path.is_file() else None


def load_aliases(country: str | None) -> pd.DataFrame | None:
    """The country's alias table (kind, name, adm1, target, note), or None when there is none."""
    path = alias_file(country)
    if path is None:
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("kind") or "").strip() and not r["kind"].startswith("#")]
    return pd.DataFrame(rows, columns=["kind", "name", "adm1", "target", "note"]).fillna("")


@dataclass
class _Unit:
    pcode: str
    name: str
    adm1_pcode: str
    adm1_name: str
    tokens: frozenset


@dataclass
class _Alias:
    kind: str
    name: str
    adm1: str | None
    targets: list[str]
    note: str | None


class Gazetteer:
    """The matcher for one boundary set (plus aliases); build once, match many."""

    def __init__(self, units: pd.DataFrame, aliases: pd.DataFrame | None = None,
                 learned: list[dict] | None = None, country: str | None = None):
        self.country = ISO2_TO_ISO3.get(country.upper(), country.upper()) if country else None
        rows = aliases.fillna("").to_dict("records") if aliases is not None else []
        self.norm = Normaliser((r["name"], r["target"]) for r in rows if str(r.get("kind")).strip() == "token")
        self.units: dict[str, _Unit] = {}
        self.by_key: dict[str, list[str]] = {}
        self.by_token: dict[str, set[str]] = {}
        self.provinces: dict[str, str] = {}
        self.province_keys: dict[str, str] = {}
        n = self.norm
        for r in units[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]].astype(str).itertuples(index=False):
            u = _Unit(r.adm2_pcode, r.adm2_name, r.adm1_pcode, r.adm1_name,
                      frozenset(collapse(t) for t in n.tokens(r.adm2_name)))
            self.units[u.pcode] = u
            for t in u.tokens:
                self.by_token.setdefault(t, set()).add(u.pcode)
            for k in {n.key(u.name), n.sorted_key(u.name)}:
                self.by_key.setdefault(k, []).append(u.pcode)
            self.provinces[u.adm1_pcode] = u.adm1_name
        for pc, name in self.provinces.items():
            for k in (n.key(name), n.sorted_key(name)):
                self.province_keys.setdefault(k, pc)
        self.pcodes2 = self._pcode_index(self.units)
        self.pcodes1 = self._pcode_index(self.provinces)
        self.aliases: dict[str, list[_Alias]] = {}
        for r in rows:
            if str(r.get("kind")).strip() == "province":
                target = self._province_exact(str(r["target"]))
                if target:
                    self.province_keys.setdefault(n.key(r["name"]), target)
        for r in rows:
            kind = str(r.get("kind")).strip()
            if kind in ("alias", "parent", "newer"):
                self._add_alias(kind, r)
        self.learned: dict[tuple[str, str], str] = {}
        for item in learned or []:
            key = n.key(item.get("alias"))
            adm1 = item.get("adm1_pcode") or ""
            if item.get("adm2_pcode") and item["adm2_pcode"] in self.units:
                self.learned[(key, adm1)] = item["adm2_pcode"]
            elif not item.get("adm2_pcode") and adm1 in self.provinces:
                self.province_keys[key] = adm1
        self.province_choices = list(self.province_keys)
        self._choices: dict[str | None, tuple[list[str], list[str]]] = {}
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
        self._cache: dict[tuple, Match] = {}

    @classmethod
    def from_units(cls, units: pd.DataFrame, *, aliases: pd.DataFrame | None = None, learned: list[dict] | None = None,
                   country: str | None = None) -> Gazetteer:
        """Use the country's alias file unless aliases are given; the country is guessed from p-codes if unset."""
        if aliases is None:
            if not country and len(units):
                m = re.match(r"[A-Za-z]+", str(units["adm2_pcode"].iloc[0]))
                country = m.group(0) if m else None
            aliases = load_aliases(country)
        elif not country and len(units):
            m = re.match(r"[A-Za-z]+", str(units["adm2_pcode"].iloc[0]))
            country = m.group(0) if m else None
        return cls(units, aliases, learned, country)

    # ------------------------------------------------------------------ building helpers

    @staticmethod
    def _pcode_index(codes: Iterable[str]) -> dict[str, str | None]:
        idx: dict[str, str | None] = {}
        loose: dict[tuple[str, int], list[str]] = {}
        for code in codes:
            idx[clean_pcode(code)] = code
            parts = _split_pcode(clean_pcode(code))
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
        self.aliases.setdefault(self.norm.key(r["name"]), []).append(entry)

    # ------------------------------------------------------------------ matching

    def _cand(self, pcode: str, score: float) -> dict:
        u = self.units[pcode]
        return {"adm2_pcode": u.pcode, "adm2_name": u.name, "adm1_pcode": u.adm1_pcode, "adm1_name": u.adm1_name,
                "score": round(float(score), 1)}

    def _unit_match(self, m: Match, pcode: str, method: str, score: float, note: str | None = None) -> Match:
        u = self.units[pcode]
        m.adm2_pcode, m.adm2_name, m.adm1_pcode, m.adm1_name = u.pcode, u.name, u.adm1_pcode, u.adm1_name
        m.method, m.score, m.status, m.note = method, float(score), "matched", note
        m.candidates = [self._cand(pcode, score)]
        return m

    def match_province(self, province: str | None) -> tuple[str | None, str | None, float]:
        """(adm1_pcode, method, score) for a province as typed; (None, None, 0) when it is not clear."""
        if province is None or not str(province).strip():
            return None, None, 0.0
        code = clean_pcode(province)
        if code in self.pcodes1:
            return self.pcodes1[code], "pcode", 100.0
        parts = _split_pcode(code)
        if parts and self.pcodes1.get(f"{parts[0]}#{parts[1]}"):
            return self.pcodes1[f"{parts[0]}#{parts[1]}"], "pcode", 100.0
        exact = self.province_keys.get(self.norm.key(province)) or self.province_keys.get(self.norm.sorted_key(province))
        if exact:
            return exact, "exact", 100.0
        key = self.norm.key(province)
        if len(key) < 4:
            return None, None, 0.0
        best = process.extract(key, self.province_choices, scorer=fuzz.ratio, limit=6)
        by_code: dict[str, float] = {}
        for choice, score, _ in best:
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
        """Each distinct pair is matched once (returns repeat the same names thousands of times); read-only results."""
        return [self.match(p, d) for p, d in pairs]

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
        found = self._district(m, prov, district)
        if pnote:
            found.note = f"{pnote}; {found.note[0].lower() + found.note[1:]}" if found.note else pnote
        return found

    def _mismatch_note(self, prov: str | None, pcode: str) -> str | None:
        if prov and self.units[pcode].adm1_pcode != prov:
            u = self.units[pcode]
            return (f"Province mismatch: {u.name} is in {u.adm1_name}, not {self.provinces[prov]}; "
                    "check the province column")
        return None

    def _district(self, m: Match, prov: str | None, district: str) -> Match:
        found = self._district_once(m, prov, district)
        if found.status != "matched" and "(" in district:
            # "Tharparkar (Mithi)": the name with its headquarters or old name in brackets
            outer = re.sub(r"\(.*?\)", " ", district).strip()
            inner = " ".join(re.findall(r"\((.*?)\)", district)).strip()
            results = [self._district_once(Match(m.province, part), prov, part) for part in (outer, inner) if part]
            hits = {r.adm2_pcode for r in results if r.status == "matched"}
            if len(hits) == 1 and all(r.status == "matched" or not r.candidates or r.status == "unmatched"
                                      for r in results):
                best = next(r for r in results if r.status == "matched")
                best.province, best.district = m.province, m.district
                return best
        return found

    def _district_once(self, m: Match, prov: str | None, district: str) -> Match:
        # 1. p-code
        code = clean_pcode(district)
        pc = self.pcodes2.get(code)
        if pc is None:
            parts = _split_pcode(code)
            if parts:
                pc = self.pcodes2.get(f"{parts[0]}#{parts[1]}")
        if pc:
            return self._unit_match(m, pc, "pcode", 100.0, self._mismatch_note(prov, pc))
        n = self.norm
        key, skey = n.key(district), n.sorted_key(district)
        if not key:
            m.note = f"'{district}' holds no letters or digits to match"
            return m
        exact = list(dict.fromkeys(self.by_key.get(key, []) + self.by_key.get(skey, [])))
        # 2. exact name within the province
        if prov:
            inprov = [p for p in exact if self.units[p].adm1_pcode == prov]
            if len(inprov) == 1:
                return self._unit_match(m, inprov[0], "exact", 100.0)
        # 3. names an admin confirmed
        learned = self.learned.get((key, prov or "")) or self.learned.get((key, ""))
        if learned is None and prov is None:
            found = {v for (k, _), v in self.learned.items() if k == key}
            learned = found.pop() if len(found) == 1 else None
        if learned:
            return self._unit_match(m, learned, "learned", 100.0, self._mismatch_note(prov, learned))
        # 4. the country's alias table
        entries = [a for a in self.aliases.get(key, []) + (self.aliases.get(skey, []) if skey != key else [])
                   if a.adm1 is None or prov is None or a.adm1 == prov]
        if prov and len(entries) > 1:
            entries = [a for a in entries if a.adm1 == prov] or entries
        if entries:
            a = entries[0]
            if a.kind == "alias" and len({t for e in entries for t in e.targets}) == 1:
                return self._national(m, prov, a.targets[0], "alias", 100.0, a.note)
            m.candidates = [self._cand(t, 100.0) for t in dict.fromkeys(t for e in entries for t in e.targets)]
            names = ", ".join(f"{c['adm2_name']} ({c['adm2_pcode']})" for c in m.candidates)
            if a.kind == "newer":
                m.status, m.method = "unmatched", None
                m.note = (f"{district.strip()} is a district created after this boundary set; it lies inside "
                          f"{names}. " + (a.note or "Enter the district of this boundary set, or ask the "
                                                     "secretariat to import a newer set."))
            else:
                m.status = "ambiguous"
                m.note = (a.note + "; " if a.note else f"'{district.strip()}' covers several districts in this "
                          "boundary set; ") + f"name one of them: {names}"
            return m
        # 5. exact name elsewhere
        if exact:
            if len(exact) == 1:
                return self._national(m, prov, exact[0], "exact", 100.0, None)
            m.status = "ambiguous"
            m.candidates = [self._cand(p, 100.0) for p in exact]
            m.note = f"{len(exact)} districts are called '{district.strip()}'; give the province"
            return m
        # 6. a parent name (Karachi, Chitral, Kohistan) or a shortened name (Nankana, Kolai Palas)
        toks = {collapse(t) for t in n.tokens(district)}
        holders = set.intersection(*(self.by_token.get(t, set()) for t in toks)) if toks else set()
        covering = [self.units[p] for p in sorted(holders)
                    if (prov is None or self.units[p].adm1_pcode == prov) and len(self.units[p].tokens) > len(toks)]
        if len(covering) >= 2:
            m.status = "ambiguous"
            m.candidates = [self._cand(u.pcode, 100.0) for u in sorted(covering, key=lambda u: u.name)]
            names = ", ".join(f"{c['adm2_name']} ({c['adm2_pcode']})" for c in m.candidates)
            m.note = f"'{district.strip()}' covers several districts in this boundary set: {names}; name one of them"
            return m
        if len(covering) == 1:
            first = collapse(n.tokens(covering[0].name)[0])
            # the words given must start the name and be most of it: "Nankana", not "North" for North Waziristan
            if first in toks and len("".join(toks)) > 0.5 * len(n.key(covering[0].name)):
                return self._national(m, prov, covering[0].pcode, "fuzzy", 90.0, None)
        # 7. close spelling in the province, then nationally
        # (a close spelling in another province is only suggested: "Kharian" in Punjab is not Kharan)
        ranked = self._fuzzy(key, prov)
        if prov:
            if ranked and ranked[0][1] >= AUTO_SCORE and self._clear(key, ranked, prov):
                return self._unit_match(m, ranked[0][0], "fuzzy", ranked[0][1])
            one_slip = self._one_slip(key, prov)
            if one_slip:
                return self._unit_match(m, one_slip, "fuzzy", ranked[0][1] if ranked else AUTO_SCORE)
            merged: dict[str, float] = {}
            for pc, s in ranked + [(p, s) for p, s in self._fuzzy(key, None) if s >= AUTO_SCORE]:
                merged[pc] = max(merged.get(pc, 0.0), s)
            ranked = sorted(merged.items(), key=lambda kv: -kv[1])
        elif ranked and ranked[0][1] >= NATIONAL_SCORE and self._clear(key, ranked, None):
            return self._unit_match(m, ranked[0][0], "fuzzy", ranked[0][1])
        good = [(p, s) for p, s in ranked if s >= SUGGEST_SCORE]
        m.candidates = [self._cand(p, s) for p, s in (good or ranked)[:5]]
        m.score = float(ranked[0][1]) if ranked else 0.0
        if good and good[0][1] >= 75:
            m.status = "ambiguous"
            if len(good) == 1 or good[0][1] - good[1][1] >= AUTO_MARGIN:
                c = m.candidates[0]
                m.note = (f"'{district.strip()}' looks like {c['adm2_name']} ({c['adm1_name']}), but not closely "
                          "enough to match it automatically; confirm it")
            else:
                m.note = f"'{district.strip()}' is close to more than one district; pick the right one"
        else:
            m.note = f"'{district.strip()}' is not a district of " + (
                self.provinces[prov] if prov else "this boundary set")
        return m

    def _national(self, m: Match, prov: str | None, pcode: str, method: str, score: float,
                  note: str | None) -> Match:
        """A match outside the given province is kept only if that province offers nothing close."""
        if prov and self.units[pcode].adm1_pcode != prov:
            local = [(p, s) for p, s in self._fuzzy(self.norm.key(m.district), prov) if s >= LOCAL_SCORE]
            toks = {collapse(t) for t in self.norm.tokens(m.district)}
            local += [(u.pcode, 90.0) for u in self.units.values()
                      if u.adm1_pcode == prov and toks <= u.tokens and u.pcode not in {p for p, _ in local}]
            if local:
                m.status, m.method = "ambiguous", None
                m.candidates = [self._cand(p, s) for p, s in sorted(local, key=lambda kv: -kv[1])[:3]]
                m.candidates.append(self._cand(pcode, score))
                u = self.units[pcode]
                m.note = (f"'{m.district.strip()}' is {u.name} in {u.adm1_name}, but the province given is "
                          f"{self.provinces[prov]}, which has a similar district; check both columns")
                return m
            mismatch = self._mismatch_note(prov, pcode)
            note = f"{note}; {mismatch[0].lower() + mismatch[1:]}" if note else mismatch
        return self._unit_match(m, pcode, method, score, note)

    def _one_slip(self, key: str, scope: str) -> str | None:
        """One wrong, missing or swapped letter in a long name, with no other district of the province near it."""
        if len(key) < 6:
            return None
        keys, codes = self._choices.get(scope, ([], []))
        near = {codes[i] for i, k in enumerate(keys) if OSA.distance(key, k, score_cutoff=2) <= 2}
        if len(near) != 1:
            return None
        pc = near.pop()
        return pc if any(OSA.distance(key, k) <= 1 and len(k) >= 6 for k, c in zip(keys, codes, strict=True)
                         if c == pc) else None

    def _clear(self, key: str, ranked: list[tuple[str, float]], scope: str | None) -> bool:
        """Ahead by similarity *and* by edits: "Hairpur" is one slip from Haripur and from Khairpur, so neither."""
        if not _clear(ranked):
            return False
        keys, codes = self._choices.get(scope, ([], []))

        def edits(pc: str) -> int:
            return min((OSA.distance(key, k) for k, c in zip(keys, codes, strict=True) if c == pc), default=99)

        best = edits(ranked[0][0])
        return all(edits(pc) > best for pc, s in ranked[1:] if s >= ranked[0][1] - 25)

    def _fuzzy(self, key: str, scope: str | None) -> list[tuple[str, float]]:
        keys, codes = self._choices.get(scope, ([], []))
        if not keys or len(key) < 3:
            return []
        best: dict[str, float] = {}
        for _, score, idx in process.extract(key, keys, scorer=fuzz.ratio, limit=12, score_cutoff=40):
            pc = codes[idx]
            best[pc] = max(best.get(pc, 0.0), float(score))
        return sorted(best.items(), key=lambda kv: -kv[1])


def _clear(ranked: list[tuple[str, float]]) -> bool:
    return len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= AUTO_MARGIN
