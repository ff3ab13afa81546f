"""Run the parsing of an untrusted file in a separate process with a memory ceiling.

A spreadsheet parser written in Rust or C that fails to allocate aborts the whole process: inside the
Streamlit server that would end every user's session. So uploads are parsed in a child process whose
address space is capped with `RLIMIT_AS`; if the file is hostile the child dies, and the parent turns that
into a message for the person who uploaded it. Children come from a `forkserver` that imports only the
reader, so each one starts small and quickly, and never inherits the server's threads or open sessions.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Crashed", "Outcome", "Running", "peak_mb", "run", "start"]

MEMORY_MB = 600
TIMEOUT_S = 180
_PRELOAD = ["mapping.returns.readers", "python_calamine", "openpyxl"]  # openpyxl: the annotated workbook


def peak_mb() -> float:
    """This program's own peak resident memory, in MB.

    Linux keeps ru_maxrss across exec, so a process started by a large one (a worker of the forkserver the
    Streamlit server starts, a command run by pytest) would report its parent's peak; VmHWM belongs to this
    program's memory alone. ru_maxrss where /proc is missing.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Outcome:
    """What the child sent back: its value, or the exception it raised, and its own peak memory."""

    value: Any = None
    error: BaseException | None = None
    peak_mb: float = 0.0
    cpu_seconds: float = 0.0  # the child's own CPU time (user + system): on a shared machine wall time says little


class Crashed(Exception):
    """The child died (killed by the memory ceiling, a signal or the time limit) without an answer."""

    def __init__(self, reason: str, *, memory: bool = False, timeout: bool = False):
        super().__init__(reason)
        self.memory, self.timeout = memory, timeout


def _address_space() -> int:
    """Bytes of address space the process holds already (modules the child imported on start)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _child(conn, fn: Callable, args: tuple, kwargs: dict, memory_mb: int) -> None:
    os.environ["RUST_BACKTRACE"] = "0"
    # the ceiling is on top of what the child already maps: multiprocessing re-imports the parent's main
    # module in each child (the Streamlit server's is heavy), which must not eat the reader's allowance
    limit = _address_space() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # a parse builds millions of small objects and no cycles; the collector would walk them again and again
    # (a national file's grid: 0.3 s more to build and 0.5 s more to pickle)
    gc.disable()
    try:
        result = Outcome(value=fn(*args, **kwargs))
    except MemoryError:
        conn.send(Outcome(error=MemoryError()))
        return
    except Exception as exc:  # noqa: BLE001 - the worker process's top level: handed to the parent, which decides
        result = Outcome(error=exc)
    result.peak_mb = peak_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.cpu_seconds = usage.ru_utime + usage.ru_stime
    try:
        conn.send(result)
    except MemoryError:
        conn.send(Outcome(error=MemoryError()))
    finally:
        conn.close()


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


class Running:
    """A child started by `start`: `wait()` for its outcome, or `kill()` it when its answer is no longer needed."""

    def __init__(self, proc, receiver, timeout: float):
        self.proc, self.receiver, self.timeout = proc, receiver, timeout

    def wait(self) -> Outcome:
        """The child's outcome; `Crashed` when it died or ran past its time."""
        proc, receiver = self.proc, self.receiver
        try:
            if not receiver.poll(self.timeout):
                proc.kill()
                raise Crashed(f"took more than {self.timeout:.0f} s", timeout=True)
            try:
                outcome: Outcome = receiver.recv()
            except (EOFError, OSError):
                proc.join(5)
                code = proc.exitcode
                sig = -code if code is not None and code < 0 else None
                name = signal.Signals(sig).name if sig else f"exit status {code}"
                # an allocation refused by the ceiling aborts native code (SIGABRT) or kills Python
                raise Crashed(f"the reader stopped ({name})", memory=sig in (signal.SIGABRT, signal.SIGKILL,
                                                                           signal.SIGSEGV) or code == 1) from None
        finally:
            self._close(grace=5)
        if isinstance(outcome.error, MemoryError):
            raise Crashed("ran out of memory", memory=True)
        return outcome

    def kill(self) -> None:
        """End the child now (nothing happens once it has ended) and close the pipe."""
        self._close(grace=0)

    def _close(self, grace: float) -> None:
        self.receiver.close()
        if grace:
            self.proc.join(grace)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()


def start(fn: Callable, *args: Any, memory_mb: int = MEMORY_MB, timeout: float = TIMEOUT_S,
          **kwargs: Any) -> Running:
    """Start `fn(*args, **kwargs)` in a child limited to `memory_mb` of address space and return at once, so
    that two children can work side by side (see `readers.read_book`).

    `fn` must be importable (a module-level function) and its result picklable."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, fn, args, kwargs, memory_mb), daemon=True)
    proc.start()
    sender.close()
    return Running(proc, receiver, timeout)


def run(fn: Callable, *args: Any, memory_mb: int = MEMORY_MB, timeout: float = TIMEOUT_S, **kwargs: Any) -> Outcome:
    """`fn(*args, **kwargs)` in a child limited to `memory_mb` of address space; `Crashed` when it dies."""
    return start(fn, *args, memory_mb=memory_mb, timeout=timeout, **kwargs).wait()
