"""Ingest speed: a 20,000-row .xlsx return validated and matched, against python-calamine reading its cells.

    python bench/ingest.py [--scale N]     # N x 20,000 rows

Prints `ingest_seconds`, `calamine_read_seconds` and `ingest_ratio` (target: at most 3), then the national-size
case: a consolidated 5W of 91,000 rows x 75 columns (29 known fields, 46 other columns), validated in a fresh
process so its peak memory is its own: `ingest_national_seconds` (target <= 10) and `ingest_national_peak_mb`
(target <= 600; the larger of the checking process's and the reader process's own peak, VmHWM), with the
machine's load and the CPU seconds both processes used (the machine is shared). `--no-national` skips it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import time

from _common import SHARED_BOUNDARIES, emit

ROWS = 20_000


def _units():
    import pandas as pd

    if (SHARED_BOUNDARIES / "pak_adm2.geojson").exists():
        import geopandas as gpd

        adm2 = gpd.read_file(SHARED_BOUNDARIES / "pak_adm2.geojson")
        return pd.DataFrame(adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]]), "real"
    rows = [(f"XX{p}{d:02d}", f"District {p}-{d}", f"XX{p}", f"Province {p}") for p in range(1, 8) for d in range(1, 24)]
    return pd.DataFrame(rows, columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]), "synthetic"


def _workbook(n: int, units) -> bytes:
    """A template-layout return with realistic variety: text and real dates, '12,500' numbers, misspellings."""
    from openpyxl import Workbook

    from mapping.returns.schema import FIELDS, load_vocabularies

    rng = random.Random(7)
    vocab = load_vocabularies()
    places = units.to_dict("records")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Activities")
    ws.append([f.header for f in FIELDS])
    ws.append([f.hxl for f in FIELDS])
    orgs = ["Indus Relief Partners", "IRP", "Northern Alliance for Child Welfare", "NACW"]
    for i in range(n):
        sector, sub, _ = rng.choice(vocab.sectors)
        place = rng.choice(places)
        district = place["adm2_name"] if rng.random() > 0.05 else place["adm2_name"].upper()
        start = dt.date(2024, rng.randint(1, 12), rng.randint(1, 28))
        values = {
            "org_name": rng.choice(orgs), "sector": sector, "subsector": sub, "activity": f"Activity {i % 300}",
            "modality": rng.choice(vocab.modalities), "adm1_name": place["adm1_name"], "adm2_name": district,
            "status": rng.choice(("ongoing", "Ongoing", "completed", "planned")),
            "start_date": start if i % 2 else start.strftime("%d/%m/%Y"),
            "end_date": dt.date(2025, 12, 31), "targeted": f"{rng.randint(1, 90) * 500:,}",
            "reached": rng.randint(0, 400), "budget": rng.randint(1, 100) * 1000, "currency": "USD",
            "activity_id": f"IRP-{i:06d}",
        }
        ws.append([values.get(f.name) for f in FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _national_child(path: str, units_csv: str) -> None:
    """Run in its own process: validate the national file once (an admin's consolidated import, with its size
    and cell caps) and print seconds, this process's peak memory (VmHWM: the checking), the reader process's
    peak, and CPU seconds of this process and of the reader."""
    import resource

    import pandas as pd

    from mapping import config
    from mapping.geo.gazetteer import Gazetteer
    from mapping.returns import sandbox
    from mapping.returns.ingest import read_return

    gaz = Gazetteer.from_units(pd.read_csv(units_csv, dtype=str))  # no geopandas here: its 100 MB is not ingest's
    data = open(path, "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = read_return(data, "national.xlsx", gazetteer=gaz, orgs=None, max_bytes=config.upload_limit(True),
                         max_cells=config.cell_limit(True))
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak = sandbox.peak_mb()  # this child's own peak, not the generating parent's
    print(seconds, peak, result.reader_peak_mb, cpu, result.reader_cpu_seconds, result.rows, result.accepted,
          len(result.issues), len(result.queued))


def _national(units, kind: str) -> None:
    # imported here, not at the top: the reader processes are forked from a server that imports this script
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from tests.factories.national import national_workbook

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "national.xlsx"
        started = time.perf_counter()
        national_workbook(path, units)
        emit("ingest_national_build_seconds", time.perf_counter() - started, "s (writing the file, not measured)")
        emit("ingest_national_file_mb", path.stat().st_size / 1024 / 1024, "MB")
        units_csv = Path(tmp) / "units.csv"
        units.to_csv(units_csv, index=False)
        load = os.getloadavg()
        child = subprocess.run([sys.executable, __file__, "--national-child", str(path), str(units_csv)],
                               capture_output=True, text=True)
    if child.returncode != 0:  # refused (e.g. the reader's cell cap): say why instead of a figure
        reason = (child.stderr.strip().splitlines() or ["no output"])[-1]
        emit("ingest_national_refused", 1, f"({reason[:300]})")
        return
    out = child.stdout.split()
    seconds, peak, reader_peak, cpu, reader_cpu = map(float, out[:5])
    rows, accepted, issues, queued = map(int, out[5:9])
    emit("ingest_national_rows", rows, "rows")
    emit("ingest_national_accepted", accepted, "rows")
    emit("ingest_national_queued", queued, "rows")
    emit("ingest_national_issues", issues, "issues")
    emit("ingest_national_load", load[0], "(1-minute load average when the check started; 2 cores)")
    emit("ingest_national_cpu_seconds", cpu + reader_cpu, f"s (checking {cpu:.2f} + reading {reader_cpu:.2f})")
    emit("ingest_national_seconds", seconds, "s (target <= 10)")
    emit("ingest_national_peak_mb", max(peak, reader_peak),
         f"MB (target <= 600; checking process {peak:.0f}, reader process {reader_peak:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the 20,000 rows")
    parser.add_argument("--no-national", action="store_true", help="skip the 91,000 x 75 national-size case")
    parser.add_argument("--national-child", nargs=2, metavar=("PATH", "UNITS_CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.national_child:
        _national_child(*args.national_child)
        return
    import python_calamine as pc

    from mapping.geo.gazetteer import Gazetteer
    from mapping.returns.ingest import read_return

    n = int(ROWS * args.scale)
    units, kind = _units()
    data = _workbook(n, units)
    orgs = [{"name": "Indus Relief Partners", "acronym": "IRP", "type": "National NGO", "aliases": []},
            {"name": "Northern Alliance for Child Welfare", "acronym": "NACW", "type": "International NGO",
             "aliases": []}]
    gaz = Gazetteer.from_units(units)
    best_read, best_ingest = float("inf"), float("inf")
    result = None
    for _ in range(3):
        start = time.perf_counter()
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        wb.get_sheet_by_name("Activities").to_python(skip_empty_area=False)
        best_read = min(best_read, time.perf_counter() - start)
        fresh = Gazetteer.from_units(units)  # no warm match cache carried between runs
        start = time.perf_counter()
        result = read_return(data, "bench.xlsx", gazetteer=fresh, orgs=orgs)
        best_ingest = min(best_ingest, time.perf_counter() - start)
    del gaz
    emit("ingest_rows", result.rows, "rows")
    emit("ingest_accepted", result.accepted, "rows")
    emit("ingest_issues", len(result.issues), "issues")
    emit("ingest_file_mb", len(data) / 1024 / 1024, "MB")
    emit("calamine_read_seconds", best_read, "s")
    emit("ingest_seconds", best_ingest, "s")
    emit("ingest_ratio", best_ingest / best_read, f"x ({kind} boundaries; target <= 3)")
    if not args.no_national:
        _national(units, kind)


if __name__ == "__main__":
    main()
