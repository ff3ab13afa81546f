"""National identity numbers: the format of each country's, so a beneficiary list is checked in its own words.

A programme's list is checked before it is hashed: a number cut short by a spreadsheet or typed with a digit
missing would be a different person, and would silently lower every overlap count. What a valid number looks
like is country data (`data/identity_numbers.csv`: Pakistan's 13-digit CNIC, Kenya's national ID number of up
to 8 digits ...), read for the deployment's country; a country without a row gets the `*` row, a loose rule
(digits and letters, 5 to 20 of them) that every run reports as unchecked rather than pretending to know.

The format decides only which values are numbers. How small its number space is changes nothing about their
protection: `pseudonymise` hashes with a key, and a key is what keeps a short number (10^8 Kenyan numbers can
all be tried against a plain hash in seconds) as safe as a long one.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from mapping import config
from mapping.errors import StocktakeError
from mapping.geo import countries

__all__ = ["ANY", "FORMATS", "MAX_LENGTH", "IdFormat", "id_format", "load_formats"]

FORMATS = config.PROJECT_ROOT / "data" / "identity_numbers.csv"
ANY = "*"  # the row for a country with none of its own
MAX_LENGTH = 32  # the offline page hashes a number in one SHA-256 block (up to 55 bytes)
_STRIP = re.compile(r"[-\s]+")
_PORTABLE = re.compile(r"[0-9A-Z\[\]{}(),|?:*+\-]+")  # what reads the same in Python and in the page's JavaScript
_SCIENTIFIC = re.compile(r"[0-9.]+[eE][+][0-9]+")


@dataclass(frozen=True)
class IdFormat:
    """One country's identity number: its name in a sentence, the pattern of a valid one and that pattern in words."""

    country: str | None      # ISO3 of the deployment (None: not known)
    name: str                # "CNIC", "national ID number of Kenya"
    pattern: str             # matched against the number without spaces and dashes, letters upper-cased
    characters: str          # "digits", "digits and letters"
    length: str              # "13", "6 to 8"
    example: str
    min_space_note: str      # why a plain hash would give the numbers away
    checked: bool = True     # False: the country has no row; only the loose `*` rule was applied
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))

    @property
    def letters(self) -> bool:
        """Whether a valid number may hold letters (the pattern names some)."""
        return bool(re.search(r"[A-Z]", self.pattern))

    @property
    def a_name(self) -> str:
        """The name with its article, to start a sentence's subject: "a CNIC", "an identity number"."""
        return ("an " if self.name[:1].lower() in "aeiou" else "a ") + self.name

    def normalise(self, value: str | None) -> str | None:
        """The number as it is hashed (spaces and dashes removed, letters upper-cased), or None when it is not one."""
        text = _STRIP.sub("", value or "")
        if not text.isascii() or len(text) > MAX_LENGTH:
            return None
        text = text.upper()
        return text if self.regex.fullmatch(text) else None

    def problem(self, value: str) -> str:
        """Why a value is not a number of this format, in words a data clerk can act on."""
        text = _STRIP.sub("", value)
        if not text:
            return f"no {self.name} given; the row is left out."
        if _SCIENTIFIC.fullmatch(text):
            return ("the number was turned into scientific notation by a spreadsheet and lost digits; format the "
                    "column as text and export again.")
        if not text.isascii() or not (text.isalnum() if self.letters else text.isdigit()):
            return f"{self.a_name} holds only {self.characters} (dashes and spaces are allowed); fix the number."
        return f"{self.a_name} has {self.length} {self.characters}, this has {len(text)}; fix the number."

    def duplicate(self, first_row: int) -> str:
        return f"the same {self.name} as row {first_row}; a person is counted once (row {first_row} kept)."

    def unchecked_note(self) -> str | None:
        """For a country without a row: what was accepted instead of its format (None when it was checked)."""
        if self.checked:
            return None
        where = countries.name(self.country) if self.country else "this deployment's country"
        return (f"No identity-number format is on file for {where} (data/identity_numbers.csv), so any "
                f"{self.length} {self.characters} were taken as a number: check the list's numbers yourself, "
                "or add the country's format to that file.")

    def why_a_key(self) -> str:
        """Why hashing needs a key, for this format ("there are only 10^13 possible 13-digit numbers, so ...")."""
        return f"{self.min_space_note}, so a plain hash could be reversed by trying them all."

    def for_page(self) -> dict:
        """What the offline page needs to apply the same rule and say the same things."""
        return {"name": self.name, "a_name": self.a_name, "pattern": self.pattern, "characters": self.characters,
                "length": self.length, "letters": self.letters, "max_length": MAX_LENGTH,
                "unchecked": self.unchecked_note()}


def _refuse(path: Path, line: int, what: str) -> StocktakeError:
    return StocktakeError(f"Line {line} of {path.name}: {what}",
                          hint="Fix the row (the comments at the top of the file say what each column holds).")


@lru_cache(maxsize=2)
def load_formats(path: Path = FORMATS) -> dict[str, IdFormat]:
    """ISO3 (or `*`) → its format, checked: a pattern the page would read differently would make the two tools
    disagree about who is in a list."""
    lines = [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if not line.startswith("#")]
    out: dict[str, IdFormat] = {}
    for (line_no, _), r in zip(lines[1:], csv.DictReader(line for _, line in lines), strict=False):
        code = (r.get("iso3") or "").strip().upper()
        code = code if code == ANY else countries.iso3(code)
        pattern = (r.get("pattern") or "").strip()
        if not code or (code != ANY and not re.fullmatch(r"[A-Z]{3}", code)):
            raise _refuse(path, line_no, f"'{r.get('iso3') or ''}' is not a three-letter ISO country code or *.")
        if not _PORTABLE.fullmatch(pattern) or re.search(r"\(\?(?!:)", pattern):
            raise _refuse(path, line_no, f"the pattern '{pattern}' may use only [0-9], [A-Z], {{m,n}}, | and (?: ).")
        try:
            fmt = IdFormat(None if code == ANY else code, (r.get("name") or "").strip(), pattern,
                           (r.get("characters") or "").strip(), (r.get("length") or "").strip(),
                           (r.get("example") or "").strip(), (r.get("min_space_note") or "").strip())
        except re.error as exc:
            raise _refuse(path, line_no, f"the pattern '{pattern}' is not a regular expression ({exc}).") from None
        if not fmt.name or fmt.regex.fullmatch(""):
            raise _refuse(path, line_no, "a row needs a name and a pattern that an empty value does not match.")
        out[code] = fmt
    if ANY not in out:
        raise StocktakeError(f"{path.name} has no * row: the rule for countries without their own.",
                             hint="Add it back: *,identity number,[0-9A-Z]{5,20},digits and letters,5 to 20,...")
    return out


def id_format(country: str | None, path: Path = FORMATS) -> IdFormat:
    """The country's identity-number format, or the loose `*` rule marked unchecked when it has none."""
    formats = load_formats(path)
    code = countries.iso3(country)
    if code in formats:
        return formats[code]
    loose = formats[ANY]
    return IdFormat(code, loose.name, loose.pattern, loose.characters, loose.length, loose.example,
                    loose.min_space_note, checked=False)
