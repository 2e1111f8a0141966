"""Writing output files atomically: every file qsim writes (result tables, stores, reports, figures, scenario
files) is written to a temporary file beside it and moved into place in one step, so that a reader or a crash
never sees half a file.

A temporary name holds the writer's host and pid and a random part (``.NAME.HOST.PID.RANDOM.tmp``): two
processes (or threads) writing the same file never share one, a writer removes only its own on failure, and
:func:`dead_temporaries` finds those left by writers on this host that no longer run (the only ones anyone may
delete).
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Callable


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_name(path: Path) -> Path:
    """A temporary name beside ``path`` that no other process or call uses: host, pid and a random part."""
    return path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to write a temporary file beside ``path``, fsync it and move it to ``path`` in one step
    (``os.replace``), then fsync the folder; on any error the temporary file is removed. Returns ``path``."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def save_figure(fig, path: str | Path, **options) -> Path:
    """Save a matplotlib figure to ``path`` atomically, in the format its suffix names (default PNG)."""
    path = Path(path)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:] or "png", **options))


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (perhaps another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def dead_temporaries(folder: Path) -> list[Path]:
    """Temporary files in ``folder`` left by writers on this host that no longer run (never a running
    process's, nor one from another host, which may still be writing)."""
    host = socket.gethostname()
    dead = []
    for tmp in folder.glob(".*.tmp"):
        parts = tmp.name.rsplit(".", 3)  # .NAME.HOST . PID . RANDOM . tmp (a host name may hold dots)
        start, pid = (parts[0], parts[1]) if len(parts) == 4 else ("", "")
        if start.endswith(f".{host}") and pid.isdigit() and not process_alive(int(pid)):
            dead.append(tmp)
    return dead
