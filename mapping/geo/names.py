"""How a written place name is reduced to something comparable: words, keys, p-codes, spelling skeletons.

Kept apart from the gazetteer's matching steps so each rule of reading a name (filler words, the country
file's rewrites, initials, romanisation variants) can be read and tested by itself. All functions are pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["STOPWORDS", "HIGHER_UNIT_WORDS", "basic_tokens", "collapse", "Normaliser", "clean_pcode",
           "split_pcode", "higher_unit_word", "skeleton", "initials_fit"]

# Words that say what kind of place a name is; they carry no identity ("Badin District" is Badin).
STOPWORDS = frozenset({"district", "distt", "dist", "distric", "agency", "province", "provincial", "division",
                       "divison", "divn", "div", "city", "region", "the", "of", "and", "zila", "zilla", "tribal"})
# Words that name a unit *above* (or older than) a district: "Sargodha Division" holds four districts.
HIGHER_UNIT_WORDS = frozenset({"division", "divison", "divn", "div", "region", "agency"})


def _ascii(text: str) -> str:
    text = str(text)
    if text.isascii():  # nearly every name: nothing to decompose
        return text
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_SPLIT = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"(.)\1+")


def _first_group(m: re.Match) -> str:
    return m.group(1)


@lru_cache(maxsize=100_000)
def _raw_tokens(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    raw = _ascii(text).lower().replace("&", " and ").replace("'", "").replace("`", "")
    return tuple(t for t in _SPLIT.split(raw) if t)


def basic_tokens(text: str | None) -> list[str]:
    """Lower-case ASCII words without punctuation or admin filler words ("District", "Distt.", "Agency")."""
    return [t for t in _raw_tokens(text) if t not in STOPWORDS]


def higher_unit_word(text: str | None) -> str | None:
    """The word ("division", "region", "agency") that makes a name a larger or older unit, if it has one."""
    low = str(text or "").lower()
    if "div" not in low and "region" not in low and "agency" not in low:
        return None  # the common case, without splitting the name
    for t in _raw_tokens(text):
        if t in HIGHER_UNIT_WORDS:
            return t
    return None


@lru_cache(maxsize=100_000)
def collapse(key: str) -> str:
    """Doubled letters are the commonest transliteration slip (Abbotabad, Jafarabad, Kachi)."""
    return _DOUBLE.sub(_first_group, key)  # a function is quicker than the template r"\1"


# Romanised Urdu and Sindhi write one sound several ways. Applied in order to the joined words, so that
# Shikarpoor/Shikarpur, Khuzdaar/Kuzdar, Sheikhupura/Shekhupura, Mianwaali/Mianwali fall together.
_VARIANTS: tuple[tuple[str, str], ...] = (
    ("oo", "u"), ("ee", "i"), ("ai", "e"), ("ei", "e"), ("ey", "e"), ("e", "i"), ("kh", "k"), ("q", "k"),
    ("z", "s"), ("w", "v"), ("y", "i"),
)


@lru_cache(maxsize=100_000)
def skeleton(key: str) -> str:
    """A name's spelling skeleton: equal skeletons are spelling variants of one another, not typos."""
    s = key
    for src, dst in _VARIANTS:
        s = s.replace(src, dst)
    return collapse(s)


def initials_fit(query: list[str], words: list[str]) -> bool:
    """Whether `query` is `words` with some words shortened to initials: ["t", "allahyar"] fits
    ["tando", "allahyar"]; ["tt", "singh"] fits ["toba", "tek", "singh"]; ["s", "benazirabad"] fits
    ["shaheed", "benazir", "abad"]. At least one word must actually be abbreviated; full words compare by
    skeleton, and a full word may stand for several joined words ("benazirabad")."""
    n, m = len(query), len(words)
    sk = [skeleton(w) for w in words]

    def starts(letter: str, j: int) -> bool:  # "Q." stands for Qila as for Killa
        return len(words[j]) > 1 and (words[j].startswith(letter) or sk[j].startswith(skeleton(letter)))

    def fit(i: int, j: int, used: bool) -> bool:
        if i == n:
            return j == m and used
        t = query[i]
        if j < m and len(t) == 1 and starts(t, j):
            if fit(i + 1, j + 1, True):
                return True
        if 2 <= len(t) <= 3 and j + len(t) <= m and all(starts(t[k], j + k) for k in range(len(t))):
            if fit(i + 1, j + len(t), True):
                return True
        if len(t) > 1:
            st = skeleton(t)
            for k in range(j + 1, m + 1):
                if skeleton("".join(sk[j:k])) == st and fit(i + 1, k, used):
                    return True
        return False

    return bool(query) and bool(words) and fit(0, 0, False)


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
        self._keys: dict[tuple[str | None, int], str] = {}

    def tokens(self, text: str | None) -> list[str]:
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        toks = self._rewrite(basic_tokens(text))
        if len(self._cache) < 200_000:
            self._cache[text] = toks
        return toks

    def _rewrite(self, toks: list[str]) -> list[str]:
        if not self.rules or not toks:
            return toks
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
        return out

    def _memo(self, text: str | None, kind: int, make) -> str:
        hit = self._keys.get((text, kind))
        if hit is None:
            hit = make()
            if len(self._keys) < 400_000:
                self._keys[(text, kind)] = hit
        return hit

    def key(self, text: str | None) -> str:
        """The name's words joined and collapsed: "D.G. Khan Distt." and "Dera Ghazi Khan" share one key."""
        return self._memo(text, 0, lambda: collapse("".join(self.tokens(text))))

    def sorted_key(self, text: str | None) -> str:
        """The key with words in alphabetical order: "Karachi East" finds "East Karachi"."""
        # words collapsed one by one: collapsing after sorting would merge "L. Chitral" into "Chitral"
        return self._memo(text, 1, lambda: "".join(sorted(collapse(t) for t in self.tokens(text))))

    def skeleton_key(self, text: str | None) -> str:
        """The joined words' spelling skeleton (romanisation variants fall together)."""
        return self._memo(text, 3, lambda: skeleton("".join(self.tokens(text))))

    def marked_key(self, text: str | None) -> str:
        """The key keeping "Division", "Agency" ...: how a name of a higher unit is looked up by itself."""
        def make() -> str:
            if higher_unit_word(text) is None:
                return self.key(text)
            words = [t for t in _raw_tokens(text) if t not in STOPWORDS or t in HIGHER_UNIT_WORDS]
            words = ["division" if t in ("divison", "divn", "div") else t for t in words]
            return collapse("".join(self._rewrite(words)))
        return self._memo(text, 2, make)


def clean_pcode(text: str | None) -> str:
    return re.sub(r"[\s\-_./]+", "", str(text or "")).upper()


def split_pcode(code: str) -> tuple[str, int] | None:
    """("PK", 607) for "PK607" or "PK0607": p-codes are written with and without leading zeros."""
    m = re.fullmatch(r"([A-Z]{2,3})(\d+)", code)
    return (m.group(1), int(m.group(2))) if m else None
