"""Progress of long steps: the engine's step API (mlflow_conformance.progress) with a recording
sink, its rendering through pytest's terminal reporter in inner sessions on a real
pseudo-terminal and on pipes, and real runs that start the embedded stack.
"""

from __future__ import annotations

import io
import logging
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlflow_conformance import progress
from mlflow_conformance.fixtures import progress as terminal_sink
from tests.test_stack import isolated_env, run_suite, scratch  # noqa: F401 - fixtures

PREFIX = re.escape(progress.PREFIX)


class Recording(progress.NullSink):
    def __init__(self) -> None:
        self.events: list[tuple[str, str, int, str, str | None]] = []
        self.steps: list[progress.Step] = []

    def _add(self, event: str, step: progress.Step) -> None:
        self.events.append((event, step.title, step.depth, step.detail, step.error))

    def started(self, step: progress.Step) -> None:
        self._add("started", step)

    def updated(self, step: progress.Step) -> None:
        self._add("updated", step)

    def finished(self, step: progress.Step) -> None:
        self._add("finished", step)
        self.steps.append(step)


@pytest.fixture
def recording():
    with progress.installed(Recording()) as sink:
        yield sink


# -- the engine ----------------------------------------------------------------------------

def test_steps_nest_and_each_ends_with_its_duration(recording):
    with progress.step("outer") as outer:
        progress.update("first")
        with progress.step("inner"):
            progress.update("deep")
            time.sleep(0.05)
        progress.update()  # only the clock moves: the detail stays
        outer.note = "at somewhere"
    assert recording.events == [
        ("started", "outer", 0, "", None), ("updated", "outer", 0, "first", None),
        ("started", "inner", 1, "", None), ("updated", "inner", 1, "deep", None),
        ("finished", "inner", 1, "deep", None), ("updated", "outer", 0, "first", None),
        ("finished", "outer", 0, "first", None)]
    inner, finished_outer = recording.steps
    assert 0.05 <= inner.seconds <= finished_outer.seconds
    assert progress.open_steps() == []
    assert re.fullmatch(PREFIX + r"outer … done in \d+\.\d s \(at somewhere\)",
                        progress.finished_line(finished_outer))


def test_an_exception_ends_the_step_as_failed_and_goes_on(recording, caplog):
    caplog.set_level(logging.INFO, logger="mlflow_conformance")
    with pytest.raises(KeyError), progress.step("doomed"):
        raise KeyError("x")
    assert recording.events[-1] == ("finished", "doomed", 0, "", "KeyError")
    assert progress.open_steps() == []
    assert re.fullmatch(PREFIX + r"doomed … failed after \d+\.\d s \(KeyError\)",
                        progress.finished_line(recording.steps[0]))
    # Durations land in the harness log (the diagnostics bundle) whatever the display.
    assert "doomed … failed after" in caplog.text


def test_without_a_step_or_a_sink_nothing_is_shown(recording, capsys):
    progress.update("nobody asked")
    assert recording.events == []
    with progress.installed(progress.NullSink()), progress.step("quiet"):
        progress.update("still quiet")
    assert capsys.readouterr() == ("", "")


def test_a_display_that_fails_does_not_fail_the_step():
    class Broken(progress.NullSink):
        def updated(self, step: progress.Step) -> None:
            raise BrokenPipeError

    with progress.installed(Broken()), progress.step("sturdy") as shown:
        progress.update("drawn on a closed terminal")
    assert shown.error is None


def test_a_line_sink_writes_one_line_per_outermost_step():
    stream = io.StringIO()
    with progress.installed(progress.LineSink(stream)):
        with progress.step("outer"):
            with progress.step("inner"):
                progress.update("busy")
        with pytest.raises(RuntimeError), progress.step("second"):
            raise RuntimeError
    lines = stream.getvalue().splitlines()
    assert [line.split(" … ")[0] for line in lines] == [progress.PREFIX + "outer",
                                                         progress.PREFIX + "second"]
    assert "failed after" in lines[1]
    assert "\r" not in stream.getvalue()


def test_the_live_line_gives_the_detail_up_before_the_clock():
    steps = [progress.Step("starting the embedded stack", 0, detail="x" * 200)]
    line = progress.live_line(steps, width=80)
    assert len(line) == 80
    assert re.search(r"x… \(\d+\.\d s\)$", line)
    assert progress.live_line(steps[:0]) == ""


# -- rendering on the terminal -------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def screen(raw: str) -> list[str]:
    """What a terminal shows for ``raw``: a carriage return goes back to the line's start
    and what follows overwrites it (a pty turns each newline into CR LF)."""
    shown = []
    for line in ANSI.sub("", raw).replace("\r\n", "\n").split("\n"):
        cells: list[str] = []
        column = 0
        for char in line:
            if char == "\r":
                column = 0
                continue
            if column < len(cells):
                cells[column] = char
            else:
                cells.append(char)
            column += 1
        shown.append("".join(cells).rstrip())
    return shown


class FakeReporter:
    """The part of pytest's TerminalReporter the sink uses, with its line bookkeeping
    (currentfspath: what is open on the current line; -2: something that is not a file)."""

    def __init__(self) -> None:
        self.out = io.StringIO()
        self.currentfspath: object = None
        self.startpath = Path.cwd()

    def write(self, text: str, flush: bool = False) -> None:
        self.out.write(text)

    def flush(self) -> None:
        pass

    def rewrite(self, line: str, erase: bool = False) -> None:
        self.out.write("\r" + line + (" " * (79 - len(line)) if erase else ""))

    def ensure_newline(self) -> None:
        if self.currentfspath:
            self.out.write("\n")
            self.currentfspath = None

    def write_line(self, line: str) -> None:
        self.ensure_newline()
        self.out.write(line + "\n")


def test_the_live_line_shows_nested_steps_and_survives_lines_written_meanwhile(monkeypatch):
    monkeypatch.setattr(terminal_sink, "QUICK_SECONDS", 0.0)  # this step is quick; show it
    reporter = FakeReporter()
    with progress.installed(terminal_sink.TerminalSink(reporter, None, live=True)):
        with progress.step("outer"):
            progress.update("one")
            with progress.step("inner"):
                progress.update("two")
                assert screen(reporter.out.getvalue())[-1].startswith(
                    progress.PREFIX + "outer › inner: two (")
            assert screen(reporter.out.getvalue())[-1].startswith(
                progress.PREFIX + "outer: one (")
            reporter.write_line("someone else's line")
            progress.update("three")
            assert screen(reporter.out.getvalue())[-1].startswith(
                progress.PREFIX + "outer: three (")
    assert [re.sub(r"\d+\.\d", "N", line) for line in screen(reporter.out.getvalue())] == [
        progress.PREFIX + "outer: one (N s)",  # ended by the line written meanwhile
        "someone else's line",
        progress.PREFIX + "outer … done in N s",  # the live line, finished in place
        ""]


INNER_TESTS = '''
import time

import pytest

from mlflow_conformance import progress


@pytest.fixture(scope="module")
def warmed():
    with progress.step("warming up") as shown:
        progress.update("first half")
        time.sleep(0.6)
        progress.update("second half")
        time.sleep(0.6)
        shown.note = "ready"
    return 1


def test_one(warmed):
    assert warmed == 1


def test_two():
    with progress.step("scoring"):
        time.sleep(1.1)


def test_three():
    with progress.step("a moment"):
        progress.update("quick")
'''


def run_inner(pytester: pytest.Pytester, *args: str, tty: bool = True,
              env: dict[str, str] | None = None) -> str:
    """The inner tests in a subprocess whose output is a pseudo-terminal (or a pipe); all
    it wrote, as the terminal received it."""
    pytester.makepyfile(test_inner=INNER_TESTS)
    environ = {k: v for k, v in os.environ.items()
               if k not in ("CI", "BUILD_NUMBER", "COLUMNS", "LINES", "PYTEST_ADDOPTS")}
    environ.update(env or {}, TERM="xterm", COLUMNS="100")
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, "test_inner.py"]
    if not tty:
        return subprocess.run(argv, cwd=pytester.path, env=environ, capture_output=True,
                              text=True, timeout=120, check=False).stdout
    leader, follower = pty.openpty()
    with subprocess.Popen(argv, cwd=pytester.path, env=environ, stdin=follower,
                          stdout=follower, stderr=follower) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def shown_run(raw: str) -> list[str]:
    """The screen from the first test file's line to the end of the tests, durations as N."""
    lines = screen(raw)
    first = next(i for i, line in enumerate(lines) if line.startswith("test_inner.py"))
    last = next(i for i, line in enumerate(lines) if line.startswith("==") and i > first)
    return [re.sub(r"\d+\.\d s", "N s", re.sub(r" +\[ *\d+%\]$", "", line))
            for line in lines[first:last] if line]


STEPS = [progress.PREFIX + "warming up … done in N s (ready)",
         progress.PREFIX + "scoring … done in N s"]


def test_on_a_terminal_one_line_updates_in_place_and_pytest_keeps_its_own(pytester):
    raw = run_inner(pytester)
    assert re.search(r"\r" + PREFIX + r"warming up: first half \(\d+\.\d s\)", raw)
    assert re.search(r"\r" + PREFIX + r"warming up: second half \(\d+\.\d s\)", raw)
    # The quick step's line is erased: pytest's line, which it ended, starts again.
    assert shown_run(raw) == ["test_inner.py", STEPS[0], "test_inner.py .", STEPS[1],
                              "test_inner.py .", "test_inner.py ."]
    assert "a moment" in raw


def test_verbose_names_each_test_again_after_a_step(pytester):
    raw = run_inner(pytester, "-v")
    assert shown_run(raw) == [
        "test_inner.py::test_one", STEPS[0], "test_inner.py::test_one PASSED",
        "test_inner.py::test_two", STEPS[1], "test_inner.py::test_two PASSED",
        "test_inner.py::test_three", "test_inner.py::test_three PASSED"]


def test_ci_prints_one_line_per_step_without_carriage_returns(pytester):
    raw = run_inner(pytester, env={"CI": "true"})
    assert "\r" + progress.PREFIX not in raw  # (pytest's own "collecting" line has one)
    # A step shorter than a second leaves no line.
    assert shown_run(raw) == ["test_inner.py", STEPS[0], "test_inner.py .", STEPS[1],
                              "test_inner.py .."]


@pytest.mark.parametrize(("args", "tty"), [(("-q",), True), (("-n", "2"), False)],
                         ids=["quiet", "xdist"])
def test_quiet_runs_and_xdist_workers_show_no_steps(pytester, args, tty):
    raw = run_inner(pytester, *args, tty=tty)
    assert "3 passed" in raw
    assert progress.PREFIX not in raw


# -- real runs that start the embedded stack -----------------------------------------------

STACK_LINE = re.compile(PREFIX + r"starting the embedded stack … done in \d+\.\d s "
                        r"\(mlflow server \S+ at http://127\.0\.0\.1:\d+\)")


@pytest.mark.parametrize(("args", "lines"), [((), 1), (("-q",), 0)], ids=["ci", "quiet"])
def test_a_run_that_starts_the_stack_says_so_once_and_quiet_not_at_all(
        isolated_env, tmp_path, args, lines):  # noqa: F811 - the imported fixture
    done = run_suite({**isolated_env, "CI": "true"}, "--report-dir", str(tmp_path / "report"),
                     *args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "verdict: CONFORMANT" in done.stdout
    assert len(STACK_LINE.findall(done.stdout)) == lines, done.stdout[-3000:]
    assert ("starting the embedded stack" in done.stdout + done.stderr) is bool(lines)
    assert "\r" not in done.stdout
