"""Publishing a run's outputs safely: one run at a time per output folder, and outputs that
change all together or not at all.

- RunLock: an advisory `flock` on `<out>/.cxtext.lock`. The kernel releases it when the
  holder dies, even on `kill -9`, so a killed run never blocks the next one; the pid left in
  the file tells the next run that the previous one did not finish.
- publish(): every file is first written to `<out>/.staging-<pid>/`; a `COMMIT` marker is
  written once all are complete; then each file is renamed into place (run.json last).
  A run killed before COMMIT leaves the previous outputs untouched and its staging folder
  is deleted by the next run; a run killed after COMMIT is rolled forward by the next run.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import shutil
import socket
from pathlib import Path

from .errors import CxtextError

log = logging.getLogger(__name__)

LOCK_NAME = ".cxtext.lock"
STAGING_PREFIX = ".staging-"
COMMIT = "COMMIT"


class RunLockedError(CxtextError):
    """Another run is writing to the same output folder."""

    exit_code = 75  # EX_TEMPFAIL: try again later; lets a scheduler tell "busy" from "broken"


class RunLock:
    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_NAME
        self._fh = None
        self.previous_owner: str | None = None

    def __enter__(self) -> "RunLock":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read().strip() or "unknown"
            fh.close()
            raise RunLockedError(
                f"another cxtext run is writing to {self.out_dir} ({owner}); "
                "wait for it to finish or use another --out folder"
            ) from None
        fh.seek(0)
        self.previous_owner = fh.read().strip() or None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}, started {dt.datetime.now():%Y-%m-%d %H:%M:%S}\n")
        fh.flush()
        self._fh = fh
        if self.previous_owner:
            log.warning("the previous run on %s (%s) did not finish; recovering", self.out_dir, self.previous_owner)
        recover(self.out_dir)
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()  # an empty lock file means: last run ended cleanly
            self._fh.flush()
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def new_staging(out_dir: Path) -> Path:
    staging = Path(out_dir) / f"{STAGING_PREFIX}{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(staging: Path, out_dir: Path, order: list[str]) -> None:
    """Mark the staging folder complete, then move its files into out_dir in `order`."""
    for name in order:
        with open(staging / name, "rb") as fh:
            os.fsync(fh.fileno())
    (staging / COMMIT).write_text("\n".join(order) + "\n", encoding="utf-8")
    _fsync_dir(staging)
    _roll_forward(staging, out_dir)


def _roll_forward(staging: Path, out_dir: Path) -> None:
    order = [n for n in (staging / COMMIT).read_text(encoding="utf-8").splitlines() if n]
    for name in order:
        if (staging / name).exists():
            os.replace(staging / name, out_dir / name)
    _fsync_dir(out_dir)
    shutil.rmtree(staging, ignore_errors=True)


def recover(out_dir: Path) -> None:
    """Finish a publish that was interrupted after COMMIT; drop unfinished staging folders."""
    for staging in sorted(Path(out_dir).glob(f"{STAGING_PREFIX}*")):
        if (staging / COMMIT).exists():
            log.warning("completing the interrupted publish of %s", staging.name)
            _roll_forward(staging, out_dir)
        else:
            shutil.rmtree(staging, ignore_errors=True)
