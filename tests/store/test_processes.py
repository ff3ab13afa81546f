"""Several app processes behind one address on one database: each sees a new submission within a second.

The app caches the picture by `picture.data_version` (views/core.py), so a process shows a new return as soon as
its data version changes. Here a second process, with its own engine and connection pool, watches the data
version as a page run would; the test submits in this process and times how long the other one takes to notice
and to load the new picture. Runs on SQLite and on the real PostgreSQL (`db_url`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from mapping.store import picture
from tests.factories.store import ORG_A, activity, result, submit, world

ROOT = Path(__file__).resolve().parents[2]

# Another app process: its own engine; polls the data version the way every page run does, and when it changes
# loads the picture and reports the time and the activity count.
WATCHER = r"""
import json, sys, time
from mapping.store import db, picture
engine = db.connect(sys.argv[1])
viewer = db.Actor(user_id=None, email="", role="viewer", org_id=None, org_name=None)
first = picture.data_version(engine, viewer)
start_rows = len(picture.current_activities(engine, viewer))
print(json.dumps({"ready": first, "rows": start_rows}), flush=True)
deadline = time.time() + 60
while time.time() < deadline:
    now = picture.data_version(engine, viewer)
    if now != first:  # any audited change moves the version; report the one that changed the picture
        rows = len(picture.current_activities(engine, viewer))
        if rows != start_rows:
            print(json.dumps({"seen_at": time.time(), "version": now, "rows": rows}), flush=True)
            break
        first = now
    time.sleep(0.05)
"""


def test_a_second_process_sees_a_new_submission_within_a_second(db_url):
    w = world(db_url)
    submit(w, w.focal_a, ORG_A, result(activity(1), activity(2)))
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, db_url], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(watcher.stdout.readline() or "{}")
        assert ready.get("rows") == 2, watcher.stderr.read()[-2000:]
        before = picture.data_version(w.engine, w.viewer)
        stored_at = time.time()
        outcome = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2), activity(3)))
        assert outcome.status == "stored", outcome.message
        stored_at = (stored_at + time.time()) / 2
        out, err = watcher.communicate(timeout=60)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert out.strip(), f"the other process never saw the new return: {err[-2000:]}"
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["rows"] == 3  # the new picture, not the cached one
    assert seen["version"] == picture.data_version(w.engine, w.viewer) != before
    assert seen["seen_at"] - stored_at < 1.0, f"seen {seen['seen_at'] - stored_at:.2f} s after the submission"
