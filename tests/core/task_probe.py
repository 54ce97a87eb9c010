"""Tasks for the worker tests, and a way to start a real ``regulars worker`` process that knows
them: ``python tests/core/task_probe.py worker ...`` declares these tasks, then runs the CLI.

Every run of a probe task appends one line, ``<task name> <argument> <pid>``, to the file named
by PROBE_LOG (O_APPEND writes of one short line do not interleave between processes)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from core.sdk import PermanentFailure, task, task_progress


def _log(name: str, value) -> None:
    with open(os.environ["PROBE_LOG"], "a") as f:
        f.write(f"{name} {value} {os.getpid()}\n")


def _runs_so_far(name: str, value) -> int:
    path = Path(os.environ["PROBE_LOG"])
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines()
               if line.split()[:2] == [name, str(value)])


@task("probe.noop")
def noop(n: int = 0) -> None:
    _log("noop", n)


@task("probe.flaky", max_attempts=5)
def flaky(label: str, fail_times: int) -> None:
    """Fails its first ``fail_times`` attempts, then succeeds."""
    tries = _runs_so_far("flaky", label)
    _log("flaky", label)
    if tries < fail_times:
        raise ConnectionError(f"attempt {tries + 1} refused")


@task("probe.broken", max_attempts=3)
def broken(label: str) -> None:
    _log("broken", label)
    raise RuntimeError(f"the printer is on fire ({label})")


@task("probe.refused")
def refused(label: str) -> None:
    _log("refused", label)
    raise PermanentFailure("mailbox does not exist")


@task("probe.slow", max_attempts=5)
def slow(label: str, seconds: float) -> None:
    """Logs that it started, reports progress, and takes ``seconds``."""
    _log("slow-start", label)
    steps = 10
    for i in range(steps):
        task_progress(i, steps, "working")
        time.sleep(seconds / steps)
    _log("slow-done", label)


if __name__ == "__main__":
    import sys

    from core.cli import main

    main(sys.argv[1:])
