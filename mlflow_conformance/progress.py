"""Progress of the long steps (the embedded stack's start, the Spark session, the autolog
example, spark_udf passes, probe pods): the engine says what it is doing, a sink shows it.

    with progress.step("starting the embedded stack") as shown:
        progress.update("PostgreSQL starting")   # optional, any number of times
        ...
        shown.note = "at http://127.0.0.1:5000"  # optional, joins the finished line

No sink is installed by default, so the engine used as a library (and in tests) shows
nothing. The pytest plugin (fixtures/progress.py) installs one that writes through pytest's
terminal reporter; `stack up` installs a LineSink on stderr. Every finished step is also
logged (INFO), so the diagnostics bundle's harness log holds the durations.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, TextIO

log = logging.getLogger("mlflow_conformance")
PREFIX = "[mlflow-conformance] "


@dataclass
class Step:
    title: str
    depth: int  # 0 for a step no other step encloses
    began: float = field(default_factory=time.monotonic)
    detail: str = ""  # what the step is doing right now (update)
    note: str = ""  # set by the engine before the step ends: joins the finished line
    ended: float | None = None
    error: str | None = None  # the exception's type when the step ended by one

    @property
    def seconds(self) -> float:
        return (self.ended if self.ended is not None else time.monotonic()) - self.began


class Sink(Protocol):
    def started(self, step: Step) -> None: ...

    def updated(self, step: Step) -> None: ...

    def finished(self, step: Step) -> None: ...


class NullSink:
    def started(self, step: Step) -> None:
        pass

    def updated(self, step: Step) -> None:
        pass

    def finished(self, step: Step) -> None:
        pass


# One process, one display: the stack of open steps is shared by all threads (a pool thread
# may update the step its caller opened), and the lock keeps a sink's calls in order.
_lock = threading.RLock()
_open: list[Step] = []
_sink: Sink = NullSink()


def install(sink: Sink) -> Sink:
    """Make ``sink`` the display; returns the one it replaces (install it back to undo)."""
    global _sink
    with _lock:
        previous, _sink = _sink, sink
    return previous


@contextlib.contextmanager
def installed(sink: Sink) -> Iterator[Sink]:
    previous = install(sink)
    try:
        yield sink
    finally:
        install(previous)


@contextlib.contextmanager
def step(title: str) -> Iterator[Step]:
    """A long step: shown while it runs, ended with its duration (or as failed when an
    exception, Ctrl-C included, leaves the block; the exception goes on unchanged)."""
    with _lock:
        shown = Step(title, depth=len(_open))
        _open.append(shown)
        _tell("started", shown)
    try:
        yield shown
    except BaseException as exc:
        shown.error = type(exc).__name__
        raise
    finally:
        with _lock:
            shown.ended = time.monotonic()
            # By identity, not pop(): steps of other threads may have opened since.
            _open.remove(shown)
            _tell("finished", shown)
        log.info("%s … %s", shown.title, _outcome(shown))


def update(detail: str | None = None) -> None:
    """What the innermost open step is doing now (None: the same as before, only the clock
    moves, for waiting loops). Without an open step, nothing happens."""
    with _lock:
        if not _open:
            return
        current = _open[-1]
        if detail is not None:
            current.detail = detail
        _tell("updated", current)


def _tell(event: str, shown: Step) -> None:
    try:
        getattr(_sink, event)(shown)
    except Exception:  # a display that fails (a closed terminal) must not fail what it shows
        log.debug("progress display failed", exc_info=True)


def open_steps() -> list[Step]:
    with _lock:
        return list(_open)


def live_line(steps: list[Step], width: int | None = None) -> str:
    """The line shown while ``steps`` (outermost first) run: their titles, the innermost
    step's detail, the outermost step's time. Within ``width`` the detail gives way first:
    the clock is what tells a slow step from a hung one."""
    if not steps:
        return ""
    head = PREFIX + " › ".join(s.title for s in steps)
    clock = f" ({steps[0].seconds:.1f} s)"
    detail = steps[-1].detail
    if width is not None and len(head) + len(clock) + 2 + len(detail) > width:
        room = width - len(head) - len(clock) - 2
        detail = detail[:room - 1] + "…" if room > 1 else ""
    line = head + (f": {detail}" if detail else "") + clock
    return line if width is None else line[:width]


def finished_line(finished: Step) -> str:
    return _head(finished) + _outcome(finished)


def _head(step: Step) -> str:
    return f"{PREFIX}{step.title} … "


def _outcome(finished: Step) -> str:
    """How a step ended, for the end of its line: "done in 7.1 s (note)"."""
    if finished.error is not None:
        said = f"failed after {finished.seconds:.1f} s ({finished.error})"
    else:
        said = f"done in {finished.seconds:.1f} s"
    return said + (f" ({finished.note})" if finished.note else "")


class LineSink(NullSink):
    """One line per outermost step, for a command's stderr: its title when it starts, how it
    ended when it ends (so a reader sees what is being waited for); no carriage returns."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def started(self, step: Step) -> None:
        if step.depth == 0:
            self._write(_head(step))

    def finished(self, step: Step) -> None:
        if step.depth == 0:
            self._write(_outcome(step) + "\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


__all__ = ["LineSink", "NullSink", "Sink", "Step", "finished_line", "install", "installed",
           "live_line", "open_steps", "step", "update"]
