"""Shared helpers for the benchmark scripts: one printed line per figure, `name value unit`."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED_BOUNDARIES = ROOT.parent / "shared" / "boundaries"


def emit(name: str, value: float, unit: str) -> None:
    if isinstance(value, float):
        text = f"{value:.3f}" if value < 1000 else f"{value:.0f}"
    else:
        text = str(value)
    print(f"{name} {text} {unit}", flush=True)


@contextmanager
def timed(name: str | None = None):
    """Measure a block (wall-clock seconds, and CPU seconds of this process); print it as a figure when named.

    On a shared machine the CPU seconds are close to what the block takes on a quiet one.
    """
    box = {"seconds": 0.0, "cpu": 0.0}
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start
        box["cpu"] = time.process_time() - cpu
        if name:
            emit(name, box["seconds"], "s")
