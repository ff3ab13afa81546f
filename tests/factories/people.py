"""Beneficiary lists for the people-overlap tests: made-up CNICs in real CSV files, and hashed lists.

Every identity number here is invented from a counter (`cnic(n)`); none belongs to a person.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import random
from pathlib import Path

KEY_A = "11" * 32  # fixed test keys (64 hex characters each)
KEY_B = "22" * 32


def cnic(n: int, *, dashed: bool = True) -> str:
    """A made-up 13-digit CNIC; with dashes in the usual 5-7-1 layout when `dashed`."""
    digits = f"{9_000_000_000_000 + n:013d}"
    return f"{digits[:5]}-{digits[5:12]}-{digits[12]}" if dashed else digits


def write_list(path: Path, rows: list[tuple], header: tuple[str, ...] = ("Name", "CNIC", "District"),
               *, newline: str = "\n", bom: bool = False) -> Path:
    """A beneficiary list as a programme exports it (csv module; optional BOM and CRLF line ends)."""
    with Path(path).open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator=newline)
        w.writerow(header)
        w.writerows(rows)
    return Path(path)


def hashed_line(key_hex: str, number: str, pcode: str) -> str:
    """One line of a hashed list, computed independently of the code under test."""
    digits = number.replace("-", "").replace(" ", "")
    return hmac.new(bytes.fromhex(key_hex), digits.encode(), hashlib.sha256).hexdigest() + "," + pcode


def first_word_twins(key_hex: str, start: int = 1000) -> tuple[int, int]:
    """Two people whose hashes under this key share their first 4 bytes (found by trying; about 80,000 tries):
    the rare case where a sort on the first 32 bits alone would not give the order of the whole hash."""
    key, seen = bytes.fromhex(key_hex), {}
    for n in range(start, start + 2_000_000):
        head = hmac.new(key, cnic(n, dashed=False).encode(), hashlib.sha256).digest()[:4]
        if head in seen:
            return seen[head], n
        seen[head] = n
    raise AssertionError("no two hashes share 4 bytes")  # pragma: no cover - 2 million tries always find one


def write_hashed(path: Path, people: list[tuple[int, str]], key_hex: str = KEY_A) -> Path:
    """A hashed list (header + sorted lines) for people given as (n, district p-code)."""
    lines = sorted(hashed_line(key_hex, cnic(n), pc) for n, pc in people)
    Path(path).write_text("\n".join(["hash,adm2_pcode", *lines]) + "\n", encoding="ascii")
    return Path(path)


def random_pair(n_a: int, n_b: int, n_both: int, pcodes: list[str], seed: int = 7):
    """Two programmes' people as (n, pcode) lists sharing exactly `n_both` people, districts at random.

    A shared person is given the same district in both lists half the time, another district otherwise.
    """
    rng = random.Random(seed)
    both = list(range(n_both))
    only_a = list(range(10**6, 10**6 + n_a - n_both))
    only_b = list(range(2 * 10**6, 2 * 10**6 + n_b - n_both))
    a = [(n, rng.choice(pcodes)) for n in both + only_a]
    home = dict(a)
    b = [(n, home[n] if rng.random() < 0.5 else rng.choice(pcodes)) for n in both] + \
        [(n, rng.choice(pcodes)) for n in only_b]
    rng.shuffle(a)
    rng.shuffle(b)
    return a, b
