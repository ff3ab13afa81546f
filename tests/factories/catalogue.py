"""Run a list of commands in one fresh process, as an operator would, recording for each the exit code, the
output, the process's peak memory so far, the peak of the reader process it started for an upload (if any)
and the database's state afterwards.

    python -m tests.factories.catalogue PLAN.json     # prints one JSON list, one entry per command

Running every case in one process keeps the catalogue fast; the peak memory only grows, so a case that
costs too much shows as the first entry whose `peak_mb` jumps. The database URL comes from
STOCKTAKE_DATABASE_URL, as for any command.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys

from mapping.returns import sandbox


def _state(org: str) -> dict:
    """What another organisation's picture looks like: its activity rows, every submission's status and the
    boundary sets (which one is active)."""
    from mapping.store import db, picture

    engine = db.connect()
    acts = picture.current_activities(engine, db.CLI_ADMIN)
    other = acts[acts["org_name"] == org].drop(columns=["submitted_at"], errors="ignore")
    with engine.connect() as conn:
        subs = [list(r) for r in conn.exec_driver_sql("select id, status from submissions order by id")]
    from mapping.geo import boundaries

    sets = [[s.get("version"), bool(s.get("active"))] for s in boundaries.list_sets()]
    return {"other_rows": other.astype(str).to_dict("records"), "submissions": subs, "boundary_sets": sets}


class _ReaderWatch:
    """Wraps `sandbox.Running.wait` to keep what each reader process reported: its own peak memory, or that it died
    (every reader process is waited for there, also the two an .xlsx is checked and parsed in side by side).

    The command's own peak says nothing about an upload's parsing, which happens in that child process."""

    def __init__(self) -> None:
        self.real, self.peaks, self.crashes = sandbox.Running.wait, [], []

    def __call__(self, *args, **kwargs):
        try:
            outcome = self.real(*args, **kwargs)
        except sandbox.Crashed as exc:
            self.crashes.append(str(exc))
            raise
        self.peaks.append(outcome.peak_mb)
        return outcome

    def take(self) -> dict:
        seen = {"reader_peak_mb": max(self.peaks, default=None), "reader_crashed": list(self.crashes)}
        self.peaks, self.crashes = [], []
        return seen


def main(plan_path: str) -> None:
    from mapping.cli import main as cli

    plan = json.loads(open(plan_path, encoding="utf-8").read())
    out = []
    watch = _ReaderWatch()
    sandbox.Running.wait = lambda running: watch(running)
    for case in plan["cases"]:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = cli(case["argv"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
            except BaseException as exc:  # noqa: BLE001 - a traceback is the defect the catalogue looks for
                code = f"{exc.__class__.__name__}: {exc}"
        out.append({"id": case["id"], "code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
                    "peak_mb": sandbox.peak_mb(), **watch.take(),
                    "state": _state(plan["other_org"])})
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
