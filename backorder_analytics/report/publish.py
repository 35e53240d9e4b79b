"""Putting a report folder in place so that it is never half-written.

:func:`staged` gives :func:`~backorder_analytics.report.build_report` a fresh folder
beside the target (``.<name>.building-…``, on the same file system) to write into,
and only when every file is written swaps it in:

- a folder that holds nothing but a report (:data:`REPORT_ENTRIES`) is replaced
  whole: two renames, so the folder is either the old report or the new one (a build
  killed between them leaves the old one as ``.<name>.old-…``, which the next build
  puts back before it starts);
- a folder that also holds files of its own keeps them: each report entry is
  replaced by a rename, the page last;
- a build that fails, or is killed, leaves the previous report as it was (the staging
  folder is removed, or cleaned up by the next build).

Nothing is written through a symbolic link inside the folder: the files are new, and
a link named like a report entry is replaced, not followed. Builds into the same
folder queue on a lock file beside it (``.<name>.lock``; POSIX ``flock``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..exceptions import BackorderAnalyticsError

__all__ = ["staged", "ReportError", "REPORT_ENTRIES"]

REPORT_ENTRIES = ("index.html", "report.xlsx", "tables")
"""What a report folder holds, in the order a partial swap replaces them (page last)."""


class ReportError(BackorderAnalyticsError, OSError):
    """The report could not be written where asked; the previous one is unchanged."""


@contextlib.contextmanager
def staged(out: str | os.PathLike) -> Iterator[Path]:
    """A fresh folder to write the report into, swapped in for ``out`` on success.

    Parameters
    ----------
    out : path
        The report folder (created if missing). A symbolic link to a folder is the
        folder it points to.

    Yields
    ------
    pathlib.Path
        The staging folder; write every report entry into it.

    Raises
    ------
    ReportError
        ``out`` is a file, or its parent cannot be written.
    """
    out = Path(os.path.abspath(out))
    if out.is_symlink() and out.is_dir():
        out = Path(os.path.realpath(out))
    if out.exists() and not out.is_dir():
        raise ReportError(f"The report folder {str(out)!r} is a file. Fix: pass a folder "
                          "(a new one is created), e.g. --out report/.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        lock = open(out.parent / f".{out.name}.lock", "a")  # noqa: SIM115 (held below)
    except OSError as err:
        raise ReportError(f"Cannot write the report to {str(out)!r}: {err.strerror or err}. "
                          "Fix: choose a folder you can write to.") from err
    with lock:
        _acquire(lock)
        _recover(out)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
        os.chmod(stage, _folder_mode(out))  # mkdtemp's is 0700: keep the folder's own
        try:
            yield stage
            _swap(stage, out)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def _folder_mode(out: Path) -> int:
    """The permissions of ``out`` if it exists, else those a new folder gets (umask)."""
    if out.is_dir():
        return out.stat().st_mode & 0o7777
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _acquire(lock) -> None:
    """Wait for the other builds into this folder (no lock where flock is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover (not POSIX)
        return
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)


def _recover(out: Path) -> None:
    """Clean up after a build that was killed: put back a report it had moved aside,
    remove its staging folders."""
    for old in sorted(out.parent.glob(f".{out.name}.old-*")):
        if not out.exists():
            os.rename(old, out)
        else:
            shutil.rmtree(old, ignore_errors=True)
    for stale in out.parent.glob(f".{out.name}.building-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _swap(stage: Path, out: Path) -> None:
    if not out.exists():
        os.rename(stage, out)
        return
    if all(entry.name in REPORT_ENTRIES for entry in out.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
        os.rename(stage, out)
        shutil.rmtree(old, ignore_errors=True)
        return
    for name in REPORT_ENTRIES:  # the folder has files of its own: entry by entry
        new, target = stage / name, out / name
        if target.is_symlink() or target.is_file():
            if new.is_dir() or not new.exists():
                target.unlink()
        elif target.is_dir():  # aside into the stage, removed with it
            os.rename(target, stage / f".{name}.old")
        if new.exists():  # an output not asked for this time is gone, not stale
            os.replace(new, target)  # a link in the way is replaced, never followed
