"""Pseudonymising a beneficiary list on the programme's own machine, before anything leaves it.

Two programmes want to know how many people they both reach without handing over who those people are. Each
runs this on its own list with a secret key the two agreed between themselves: the national identity number
(checked against the country's format, `identity_numbers`: Pakistan's 13-digit CNIC, Kenya's national ID
number ...) is normalised and replaced by HMAC-SHA256(key, number), next to the district's p-code, and nothing
else is written. Stocktake only ever sees those keyed hashes; without the key a hash cannot be turned back into
a number, however few numbers the country's format allows. A plain (unkeyed) hash would protect nothing: every
possible number can be hashed and looked up (10^13 CNICs in hours, 10^8 Kenyan numbers in seconds), so there is
deliberately no way to hash without a key.

The same rules are implemented in `static/pseudonymise.html` (offline; its HMAC checked against Web Crypto) for
staff who do not run Python; both produce byte-identical files for the same input and key. Districts are matched
through the gazetteer, but only by p-code, exact name or a known alias (the `district_table`, embedded in the page
too): a spelling guess could put a person in the wrong district, so a guess is reported as a suggestion instead.
Rows are written sorted by hash, so the file's order says nothing about the list's order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import unicodedata
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mapping import config
from mapping.errors import StocktakeError
from mapping.geo.gazetteer import Gazetteer
from mapping.returns.identity_numbers import MAX_LENGTH, IdFormat

KEY_BYTES = 32
HEADER = "hash,adm2_pcode"
PAGE_TEMPLATE = config.PROJECT_ROOT / "static" / "pseudonymise.html"
_TABLE_MARK = re.compile(r"/\*STOCKTAKE-DISTRICTS\*/.*?/\*END\*/", re.S)
_INFO_MARK = re.compile(r"/\*STOCKTAKE-INFO\*/.*?/\*END\*/", re.S)


class PseudonymiseError(StocktakeError, ValueError):
    """The key or the list cannot be used as given; the message says which and how to fix it."""


@dataclass(frozen=True)
class Problem:
    """One row left out of the hashed file, and why (the row number is the spreadsheet's, header = 1)."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column} ({self.value!r}): {self.message}"


@dataclass
class HashResult:
    """What `hash_list` made: the file to hand over, and the rows it left out."""

    file: str
    rows: int                      # data rows read (blank rows skipped)
    hashed: int                    # rows written
    output: bytes                  # the hashed CSV
    problems: list[Problem] = field(default_factory=list)
    districts: int = 0             # distinct districts written


# --------------------------------------------------------------------------- key

def new_key() -> str:
    """A fresh random key as 64 hex characters: what the two programmes share, and never Stocktake."""
    return secrets.token_hex(KEY_BYTES)


def write_key(path: Path) -> str:
    """Write a new key file; an existing one is never overwritten (losing a key breaks every comparison)."""
    path = Path(path)
    if path.exists():
        raise PseudonymiseError(f"{path} already exists; a key file is never overwritten.",
                                hint="Choose another file name, or delete the old key on purpose first.")
    key = new_key()
    path.write_text(key + "\n", encoding="ascii")
    try:
        path.chmod(0o600)
    except OSError:  # pragma: no cover - file systems without permissions (Windows shares)
        pass
    return key


def read_key(text: str | bytes, source: str = "the key") -> bytes:
    """The 32-byte key from its hex form; anything shorter is refused so no one hashes with a weak or no key."""
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    hexkey = "".join(text.split())
    if not re.fullmatch(r"[0-9a-fA-F]{64}", hexkey):
        raise PseudonymiseError(
            f"{source} is not a Stocktake key: it must be 64 hexadecimal characters (32 random bytes), "
            f"found {len(hexkey)} characters.",
            hint="Make a key and share it only with the other programme. Hashing without a key is refused: "
                 "identity numbers follow known formats and can be enumerated.",
            cli_hint="python -m mapping pseudonymise key --out KEY makes one.")
    return bytes.fromhex(hexkey)


# --------------------------------------------------------------------------- districts

def place_key(text: str | None) -> str:
    """Case, accents and punctuation removed: the same rule as the page's placeKey() in JavaScript."""
    folded = unicodedata.normalize("NFKD", str(text or ""))
    folded = "".join(ch for ch in folded if not unicodedata.category(ch).startswith("M")).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def district_table(units: pd.DataFrame, gazetteer: Gazetteer | None = None) -> dict[str, list[str]]:
    """Place key → p-codes (one: a match, several: ambiguous) for every p-code, name and alias the gazetteer
    resolves without guessing. The page embeds this table, so both tools match districts identically."""
    gaz = gazetteer or Gazetteer.from_units(units)
    names: set[str] = set()
    for r in units[["adm2_pcode", "adm2_name"]].astype(str).itertuples(index=False):
        names.update((r.adm2_pcode, r.adm2_name))
    for entries in gaz.aliases.values():
        names.update(a.name for a in entries)
    table: dict[str, set[str]] = {}
    for name in sorted(names):
        key = place_key(name)
        if not key:
            continue
        m = gaz.match(None, name)
        if m.status == "matched" and m.method in ("pcode", "exact", "alias") and m.adm2_pcode:
            codes = {m.adm2_pcode}
        elif m.status == "ambiguous" and m.candidates:
            codes = {c["adm2_pcode"] for c in m.candidates}
        else:
            continue
        table.setdefault(key, set()).update(codes)
    return {k: sorted(v) for k, v in sorted(table.items())}


def lookup_district(table: dict[str, list[str]], value: str) -> list[str]:
    """The p-codes a district value names: the key as written, then without spaces (PK 607 = PK607)."""
    key = place_key(value)
    return table.get(key) or table.get(key.replace(" ", "")) or []


# --------------------------------------------------------------------------- the list

def _column(header: list[str], wanted: str, what: str, filename: str) -> int:
    names = [h.strip().lower() for h in header]
    want = wanted.strip().lower()
    if want in names:
        return names.index(want)
    raise PseudonymiseError(f"{filename}: no column called {wanted!r} for the {what}; the columns are: "
                            + ", ".join(repr(h) for h in header) + ".",
                            hint=f"Give the {what} column's header exactly as it is in row 1.")


def _reader(data: bytes, filename: str):
    """The CSV's records one by one (header first); a clear error for files that are not UTF-8 text.

    Decoded as a stream: a whole decoded copy in a StringIO would cost four bytes per character.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PseudonymiseError(f"{filename} is not UTF-8 text (byte {exc.start} cannot be read).",
                                hint="Save the list as 'CSV UTF-8 (comma delimited)' and try again.") from None
    return csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))


def hash_list(data: bytes, filename: str, *, key: bytes, id_column: str, district_column: str,
              table: dict[str, list[str]], id_format: IdFormat) -> HashResult:
    """Hash a beneficiary list: one line per distinct valid identity number (of `id_format`, the country's) with
    a known district, sorted by hash.

    Written for millions of rows: the file is read record by record, the common case (a well-formed number
    and a district seen before) costs a few string operations and one HMAC. A person listed twice is found by
    the hash (its first 8 bytes, then all 32), so no number is kept in memory and any format works alike.
    """
    if len(key) != KEY_BYTES:
        raise PseudonymiseError("The key must be 32 bytes.", hint="Read it with read_key().")
    reader = _reader(data, filename)
    header = next(reader, None)
    if header is None:
        raise PseudonymiseError(f"{filename} is empty.", hint="Export the beneficiary list with its header row.")
    id_col = _column(header, id_column, f"identity number ({id_format.name})", filename)
    d_col = _column(header, district_column, "district", filename)
    id_name, d_name = header[id_col].strip(), header[d_col].strip()
    width = max(id_col, d_col) + 1
    problems: list[Problem] = []
    seen: set[int] = set()
    persons, rows, codes = array("q"), array("l"), array("H")  # per hashed person (first 8 bytes of the hash)
    digests = bytearray()
    pcodes: dict[str, int] = {}
    cache: dict[str, int | list[str]] = {}
    duplicates: list[tuple[int, str, int, bytes, int]] = []
    blank = 0
    inner, outer = _hmac_states(key)
    inner_copy, outer_copy = inner.copy, outer.copy
    # bound once: this loop runs millions of times
    cached, was_seen, see, keep = cache.get, seen.__contains__, seen.add, digests.extend
    valid, normalise, problem, from_bytes = id_format.regex.fullmatch, id_format.normalise, id_format.problem, \
        int.from_bytes
    number = 1
    for number, row in enumerate(reader, start=2):
        if len(row) < width:
            row = row + [""] * (width - len(row))
        raw_id, raw_d = row[id_col], row[d_col]
        ident = raw_id.replace("-", "").replace(" ", "")
        if not (len(ident) <= MAX_LENGTH and valid(ident)):  # a match holds only ASCII digits and capitals
            ident = normalise(raw_id)
            if ident is None:
                if not any(cell.strip() for cell in row):
                    blank += 1
                    continue
                problems.append(Problem(number, id_name, raw_id.strip(), problem(raw_id)))
                continue
        code = cached(raw_d)
        if code is None:
            found = lookup_district(table, raw_d)
            code = cache[raw_d] = pcodes.setdefault(found[0], len(pcodes)) if len(found) == 1 else found
        if code.__class__ is list:
            problems.append(Problem(number, d_name, raw_d.strip(), _district_problem(raw_d, code)))
            continue
        h = inner_copy()
        h.update(ident.encode())
        o = outer_copy()
        o.update(h.digest())
        digest = o.digest()
        person = from_bytes(digest[:8], "big", signed=True)
        if was_seen(person):
            duplicates.append((number, raw_id.strip(), person, digest, code))
            continue
        see(person)
        keep(digest)
        persons.append(person)
        rows.append(number)
        codes.append(code)
    del seen
    if duplicates:
        problems += _repeated(duplicates, persons, rows, digests, codes, id_name, id_format)
    del persons, rows
    problems.sort(key=lambda p: p.row)
    names = sorted(pcodes, key=pcodes.__getitem__)
    output = _hashed_csv(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32), np.frombuffer(codes, np.uint16),
                         names)
    hashed = len(codes)
    districts = len(np.unique(np.frombuffer(codes, np.uint16))) if hashed else 0
    return HashResult(filename, number - 1 - blank, hashed, output, problems, districts)


def _repeated(duplicates: list[tuple[int, str, int, bytes, int]], persons: array, rows: array, digests: bytearray,
              codes: array, id_name: str, id_format: IdFormat) -> list[Problem]:
    """The rows whose hash's first 8 bytes were seen before: the same person (all 32 bytes equal) is a problem
    naming the row kept; another person sharing those 8 bytes (about one list in ten million) is kept after all,
    appended to `digests` and `codes` (the file is sorted by hash, so where it goes does not matter)."""
    order = np.frombuffer(persons, dtype=np.int64)
    wanted = np.fromiter((d[2] for d in duplicates), dtype=np.int64)
    earlier: dict[int, list[tuple[bytes, int]]] = {}
    for i in np.flatnonzero(np.isin(order, wanted)).tolist():
        earlier.setdefault(int(order[i]), []).append((bytes(digests[i * 32:(i + 1) * 32]), int(rows[i])))
    del order
    out = []
    for number, raw, person, digest, code in duplicates:
        first = next((row for seen, row in earlier.get(person, ()) if seen == digest), None)
        if first is None:
            earlier.setdefault(person, []).append((digest, number))
            digests.extend(digest)
            codes.append(code)
        else:
            out.append(Problem(number, id_name, raw, id_format.duplicate(first)))
    return out


def _hashed_csv(digests: np.ndarray, codes: np.ndarray, names: list[str]) -> bytes:
    """The hashed file: header, then 'hex,pcode' lines sorted by hash, built with numpy in slices.

    Sorting the raw digests as bytes gives the order of their hex text, so the file is the same as sorting the
    text lines (what the offline page does).
    """
    n = len(digests)
    order = _digest_order(digests)
    width = max((len(p) for p in names), default=0)
    tails = np.zeros((max(len(names), 1), width + 2), dtype=np.uint8)  # ",PCODE\n", NUL-padded
    for i, name in enumerate(names):
        tail = ("," + name + "\n").encode("ascii")
        tails[i, :len(tail)] = np.frombuffer(tail, dtype=np.uint8)
    padded = len({len(p) for p in names}) > 1  # p-codes of one length (the usual case) leave no NUL to remove
    parts = [(HEADER + "\n").encode("ascii")]
    for start in range(0, n, _CHUNK):
        idx = order[start:start + _CHUNK]
        hexed = np.frombuffer(digests[idx].tobytes().hex().encode("ascii"), dtype=np.uint8).reshape(len(idx), 64)
        block = np.concatenate([hexed, tails[codes[idx]]], axis=1)
        flat = block.ravel()
        parts.append((flat[flat != 0] if padded else flat).tobytes())
    return b"".join(parts)


def _digest_order(digests: np.ndarray) -> np.ndarray:
    """Row order of (n, 32) digests sorted as bytes: by their first 8 bytes (a tenth of the time of sorting on all
    32), or on all 32 when two share those 8 (about one list in ten million of 2 million people)."""
    if not len(digests):
        return np.empty(0, np.int64)
    heads = digests[:, :8].copy().view(">u8").ravel().astype(np.uint64)
    order = np.argsort(heads, kind="stable")
    ordered = heads[order]
    if (ordered[1:] == ordered[:-1]).any():
        return np.lexsort(tuple(digests.view(">u8")[:, k] for k in (3, 2, 1, 0)))
    return order


def _hmac_states(key: bytes):
    """HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once, not once per person: 2.5 times
    faster than hmac.digest on millions of numbers, and the same bytes (the tests check against hmac)."""
    block = key.ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block)))


def _district_problem(value: str, codes: list[str]) -> str:
    if not value.strip():
        return "no district given; the row is left out."
    if codes:
        return f"the name fits several districts ({', '.join(codes)}); write the p-code instead."
    return "not a district p-code, name or known alias of this boundary set; write the p-code."


# --------------------------------------------------------------------------- the offline page

def page_html(table: dict[str, list[str]], *, id_format: IdFormat, boundary_version: str | None = None) -> str:
    """The offline page with this boundary set's district table and the country's identity-number rule built in
    (one file, no network)."""
    template = PAGE_TEMPLATE.read_text(encoding="utf-8")
    data = json.dumps(table, ensure_ascii=True, separators=(",", ":")).replace("</", "<\\/")
    info = json.dumps({"boundary_version": boundary_version or "", "districts": len(
        {c for codes in table.values() for c in codes}), "identity": id_format.for_page()},
        ensure_ascii=True).replace("</", "<\\/")
    html = _TABLE_MARK.sub(lambda _m: f"/*STOCKTAKE-DISTRICTS*/{data}/*END*/", template, count=1)
    return _INFO_MARK.sub(lambda _m: f"/*STOCKTAKE-INFO*/{info}/*END*/", html, count=1)


# --------------------------------------------------------------------------- reading a hashed list (Stocktake's side)

STORED_BYTES = 16  # of each 32-byte HMAC; why 16 is enough: docs/privacy.md
_CHUNK = 262_144
_HEX = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF", start=10):
    _HEX[_c] = _i


@dataclass
class HashedList:
    """A programme's pseudonymised people in compact form: 16-byte hashes sorted, each with a district index.

    Only the store and the comparison handle it; nothing shows or exports a person's hash.
    """

    hashes: np.ndarray       # (n, 16) uint8, rows sorted as bytes
    districts: np.ndarray    # (n,) int32 index into pcodes
    pcodes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.hashes)

    @classmethod
    def from_bytes(cls, hashes: bytes, districts: bytes, pcodes: list[str]) -> HashedList:
        return cls(np.frombuffer(hashes, dtype=np.uint8).reshape(-1, STORED_BYTES),
                   np.frombuffer(districts, dtype="<i4"), tuple(pcodes))

    def to_bytes(self) -> tuple[bytes, bytes]:
        return self.hashes.tobytes(), np.ascontiguousarray(self.districts, dtype="<i4").tobytes()


def _hashed_error(filename: str, row: int | None, column: str | None, value: str | None, what: str,
                  hint: str) -> PseudonymiseError:
    where = ", ".join(x for x in (f"row {row}" if row else None, f"column {column}" if column else None) if x)
    shown = f" ({value!r})" if value is not None else ""
    return PseudonymiseError(f"{filename}{', ' + where if where else ''}{shown}: {what}", hint=hint)


_REMAKE = "Make the file again with `python -m mapping pseudonymise hash` or the offline page, and upload it unchanged."


def read_hashed(data: bytes, filename: str, *, known_pcodes: set[str] | None = None) -> HashedList:
    """Check and load a file made by `hash_list`; anything else (a raw list above all) is refused whole.

    Read in blocks of a few MB: the whole file as an Arrow table (text of 2 million 64-character hashes, then a
    combined copy) took 470 MB on top of the upload itself; a block at a time keeps only the 16-byte hashes.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    first = data[:200].split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace").lstrip("\ufeff")
    if first.strip() != HEADER:
        raise _hashed_error(filename, 1, None, first[:60], f"the header must be exactly '{HEADER}'; this is not a "
                            "hashed list (a beneficiary list is never uploaded: hash it first).", _REMAKE)
    try:
        reader = pacsv.open_csv(pa.py_buffer(data), read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
                                convert_options=pacsv.ConvertOptions(
                                    column_types={"hash": pa.string(), "adm2_pcode": pa.string()},
                                    strings_can_be_null=False),
                                parse_options=pacsv.ParseOptions(newlines_in_values=False))
        if reader.schema.names != ["hash", "adm2_pcode"]:
            raise _hashed_error(filename, 1, None, ",".join(reader.schema.names), "exactly two columns are "
                                "expected: hash and adm2_pcode.", _REMAKE)
        hashes, codes, pcodes, rows = [], [], {}, 0
        for batch in reader:
            hashes.append(_batch_hashes(batch.column(0), rows, filename))
            dist = batch.column(1).dictionary_encode()
            index = np.array([pcodes.setdefault(str(p), len(pcodes)) for p in dist.dictionary.to_pylist()],
                             dtype=np.int32)
            codes.append(index[dist.indices.to_numpy(zero_copy_only=False)] if len(index) else
                         np.empty(0, np.int32))
            rows += batch.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _hashed_error(filename, None, None, None, f"cannot be read as CSV ({str(exc).splitlines()[0]}).",
                            _REMAKE) from None
    hashes = np.concatenate(hashes) if hashes else np.empty((0, STORED_BYTES), np.uint8)
    codes = np.concatenate(codes) if codes else np.empty(0, np.int32)
    names = list(pcodes)
    unknown = [p for p in names if not p.strip() or (known_pcodes is not None and p not in known_pcodes)]
    if unknown:
        i = int(np.flatnonzero(codes == names.index(unknown[0]))[0])
        raise _hashed_error(filename, i + 2, "adm2_pcode", unknown[0], "not a district p-code of the active "
                            "boundary set.", "Hash the list again with this deployment's offline page or boundary "
                            "set, so every district is a p-code it knows.")
    order = _byte_order(hashes)
    if order is not None:
        hashes, codes = hashes[order], codes[order]
    halves = hashes.view(">u8")
    dup = np.flatnonzero((halves[1:, 0] == halves[:-1, 0]) & (halves[1:, 1] == halves[:-1, 1]))
    if len(dup):
        raise _hashed_error(filename, None, "hash", None, f"{len(dup)} people appear twice; a hashed list names "
                            "each person once.", _REMAKE)
    return HashedList(np.ascontiguousarray(hashes), codes, tuple(names))


_BLOCK_BYTES = 8 << 20


def _batch_hashes(col, before: int, filename: str) -> np.ndarray:
    """One block's hash column as (n, 16) bytes, after checking every hash is 64 hexadecimal characters."""
    import pyarrow.compute as pc

    n = len(col)
    lengths = pc.utf8_length(col).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(lengths != 64)
    if len(bad):
        i = int(bad[0])
        raise _hashed_error(filename, before + i + 2, "hash", col[i].as_py()[:80], "a hash is 64 hexadecimal "
                            f"characters (HMAC-SHA256); {len(bad)} rows of this part of the file are not.", _REMAKE)
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset:col.offset + n + 1]
    raw = np.frombuffer(col.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(n, 64)
    part = _HEX[raw]
    bad = np.flatnonzero(part.max(axis=1) == 255) if n else []
    if len(bad):
        i = int(bad[0])
        raise _hashed_error(filename, before + i + 2, "hash", col[i].as_py(), "a hash holds only the characters "
                            "0-9 and a-f.", _REMAKE)
    return (part[:, 0:STORED_BYTES * 2:2] << 4) | part[:, 1:STORED_BYTES * 2:2]


def _byte_order(hashes: np.ndarray) -> np.ndarray | None:
    """Row order of (n, 16) bytes sorted as bytes (by the two big-endian 64-bit halves); None when they already
    are, as in every file the two tools write (checking takes milliseconds, sorting 2 million about a second)."""
    halves = hashes.view(">u8")
    hi, lo = halves[:, 0], halves[:, 1]
    if ((hi[1:] > hi[:-1]) | ((hi[1:] == hi[:-1]) & (lo[1:] >= lo[:-1]))).all():
        return None
    return np.lexsort((lo, hi))
