"""People in two programmes: hashing a list with the command, uploading two hashed lists and comparing them.

Wall seconds depend on what else the machine runs; the `_cpu_seconds` lines are the work itself.

python bench/people.py [--people N] [--pg URL]   (default 2,000,000 per list, 30 % in both; SQLite unless --pg)

Targets (issue 16): hashing 2 million IDs with `pseudonymise hash` or the offline page (in Debian's Chromium,
from choosing the list to the file being ready) <= 20 s; upload of both lists + comparison <= 10 s and <= 1 GB
peak memory. Each part runs in its own process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, SHARED_BOUNDARIES, emit

KEY = "5a" * 32

UPLOAD_AND_COMPARE = r"""
import json, sys, time
from mapping import workflow
from mapping.geo import boundaries
from mapping.store import auth, db, registry
from mapping.store import people as sp
from mapping.returns import sandbox

url, a_path, b_path = sys.argv[1:4]
engine = db.connect(url)
op = db.CLI_ADMIN
bset = boundaries.ensure_boundaries()
registry.register_boundary_set(engine, op, bset.meta | {"version": bset.version})
registry.add_round(engine, op, "2026 H2", "2026-07-01", "2026-12-31")
for org, email, prog in (("Federal Cash (fictional)", "a@bench.example", "Cash"),
                         ("Provincial MCH (fictional)", "b@bench.example", "MCH")):
    registry.add_org(engine, op, org)
    auth.add_user(engine, op, email=email, role="focal_point", org=org, password="bench-password")
    sp.add_programme(engine, op, prog, owner_org=org)
fa, fb = auth.user_for_email(engine, "a@bench.example"), auth.user_for_email(engine, "b@bench.example")
sp.set_consent(engine, fa, "Cash", "MCH")
sp.set_consent(engine, fb, "MCH", "Cash")
workflow.context(engine)  # the app has its boundary set loaded already
start = time.perf_counter()
cpu0 = time.process_time()
up = []
for actor, path, prog in ((fa, a_path, "Cash"), (fb, b_path, "MCH")):
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        data = fh.read()
    workflow.people_upload(engine, actor, data, path.rsplit("/", 1)[-1], programme=prog, round_name="2026 H2")
    del data
    up.append(time.perf_counter() - t0)
t0 = time.perf_counter()
table = workflow.people_overlap(engine, fa, "Cash", "MCH")
compare = time.perf_counter() - t0
total = time.perf_counter() - start
cpu = time.process_time() - cpu0
print(json.dumps({"upload_a": up[0], "upload_b": up[1], "compare": compare, "total": total, "cpu": cpu,
                  "in_both": table.total["in_both"],
                  "peak_mb": sandbox.peak_mb()}))
"""


def _write_list(path: Path, n: int, names: list[str]) -> None:
    """A beneficiary list with made-up CNICs (dashed), district names as typed."""
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Name,CNIC,District\n")
        for i in range(n):
            d = f"{9_000_000_000_000 + i:013d}"
            fh.write(f"Person {i},{d[:5]}-{d[5:12]}-{d[12]},{names[rng.randrange(len(names))]}\n")


def _write_hashed_pair(a: Path, b: Path, n: int, shared: float, pcodes: list[str]) -> int:
    """Two hashed lists of n random 32-byte hashes each, `shared` of them in both (made fast with os.urandom)."""
    both = int(n * shared)
    rng = random.Random(2)
    common = os.urandom(32 * both)
    for path in (a, b):
        own = os.urandom(32 * (n - both))
        lines = [common[i:i + 32].hex() for i in range(0, len(common), 32)]
        lines += [own[i:i + 32].hex() for i in range(0, len(own), 32)]
        lines = sorted(h + "," + pcodes[rng.randrange(len(pcodes))] for h in lines)
        path.write_text("hash,adm2_pcode\n" + "\n".join(lines) + "\n", encoding="ascii")
    return both


def _page_seconds(src: Path, key: Path, page: Path) -> tuple[float, bytes] | None:
    """Seconds from choosing the list to the hashed file being ready in the offline page (Debian's Chromium),
    and the file; None where Chromium or Playwright is missing."""
    from tests.factories.server import CHROMIUM, CHROMIUM_ARGS

    try:
        from playwright import sync_api
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(accept_downloads=True)
            tab.goto(page.as_uri())
            tab.set_input_files("#keyfile", str(key))
            start = time.perf_counter()
            tab.set_input_files("#list", str(src))
            tab.wait_for_selector("#run:not([disabled])", timeout=600_000)
            tab.select_option("#idcol", label="CNIC")
            tab.select_option("#districtcol", label="District")
            tab.click("#run", no_wait_after=True)
            tab.wait_for_selector("#download:not(.hidden)", timeout=600_000)
            seconds = time.perf_counter() - start
            with tab.expect_download() as dl:
                tab.click("#download")
            return seconds, Path(dl.value.path()).read_bytes()
        finally:
            browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=2_000_000)
    ap.add_argument("--pg", metavar="URL", help="PostgreSQL URL (a fresh database) instead of SQLite")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, PYTHONPATH=str(ROOT), STOCKTAKE_SHAPEFILES_DIR=str(tmp / "shapefiles"),
                   STOCKTAKE_BOUNDARIES_FROM=str(SHARED_BOUNDARIES),
                   STOCKTAKE_DATABASE_URL=f"sqlite:///{tmp / 'default.db'}")
        # untimed: import the boundary set once, as on a programme's machine that has used the tool before
        units = subprocess.run([sys.executable, "-c", "import json; from mapping.geo import boundaries as b; "
                                "u = b.units(b.ensure_boundaries()); print(json.dumps([list(u.adm2_name), "
                                "list(u.adm2_pcode)]))"], env=env, cwd=ROOT, capture_output=True, text=True,
                               check=True)
        names, pcodes = json.loads(units.stdout)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        units_cpu = before.ru_utime + before.ru_stime
        src, key = tmp / "list.csv", tmp / "key"
        _write_list(src, args.people, names)
        key.write_text(KEY + "\n")
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "mapping", "pseudonymise", "hash", str(src), "--id-column",
                              "CNIC", "--district-column", "District", "--key-file", str(key), "--out",
                              str(tmp / "hashed.csv")], env=env, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            sys.exit(run.stderr[-2000:])
        emit("people_hash_command_seconds", seconds, "s")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        emit("people_hash_command_cpu_seconds", usage.ru_utime + usage.ru_stime - units_cpu, "s")
        emit("people_hash_command_peak_mb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "MB")
        emit("people_hashed_ids", int(run.stdout.split(" people hashed")[0].rsplit(" ", 1)[-1]), "ids")
        page = tmp / "pseudonymise.html"
        subprocess.run([sys.executable, "-m", "mapping", "pseudonymise", "page", "--out", str(page)], env=env,
                       cwd=ROOT, capture_output=True, check=True)
        timed = _page_seconds(src, key, page)
        if timed is None:
            print("people_hash_page_seconds: not measured (no Chromium or Playwright)", file=sys.stderr)
        else:
            emit("people_hash_page_seconds", timed[0], "s")
            emit("people_hash_page_same_file_as_command", int(timed[1] == (tmp / "hashed.csv").read_bytes()), "bool")

        a, b = tmp / "a-hashed.csv", tmp / "b-hashed.csv"
        both = _write_hashed_pair(a, b, args.people, 0.30, pcodes)
        url = args.pg or f"sqlite:///{tmp / 'people.db'}"
        out = subprocess.run([sys.executable, "-c", UPLOAD_AND_COMPARE, url, str(a), str(b)], env=env, cwd=ROOT,
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(out.stderr[-3000:])
        res = json.loads(out.stdout.strip().splitlines()[-1])
        label = "pg" if args.pg else "sqlite"
        emit(f"people_upload_a_{label}_seconds", res["upload_a"], "s")
        emit(f"people_upload_b_{label}_seconds", res["upload_b"], "s")
        emit(f"people_compare_{label}_seconds", res["compare"], "s")
        emit(f"people_upload_and_compare_{label}_seconds", res["total"], "s")
        emit(f"people_upload_and_compare_{label}_cpu_seconds", res["cpu"], "s")
        emit(f"people_upload_and_compare_{label}_peak_mb", res["peak_mb"], "MB")
        emit("people_in_both_exact", int(res["in_both"] == both), "bool")


if __name__ == "__main__":
    main()
