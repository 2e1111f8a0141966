"""Output files are written atomically under unique temporary names (qsim/atomic.py): writers of the same file in
several processes at once never collide, readers never see half a file, a failed writer leaves nothing, and only
the temporary files of writers that no longer run are ever found for deletion.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys

import pandas as pd
import pytest

from qsim.atomic import atomic_write, dead_temporaries, temporary_name
from qsim.result import write_tables

WRITERS, ROUNDS = 4, 25


def _write_many(folder: str, k: int, start) -> None:
    """Write the same two tables ROUNDS times (rows differ by writer, so a torn mix would show)."""
    start.wait()
    frame = pd.DataFrame({"writer": [k] * 500, "value": range(500)})
    for _ in range(ROUNDS):
        write_tables(folder, {"a": frame, "b": frame})


def test_write_tables_in_several_processes_at_once_never_collide_and_leave_whole_files(tmp_path):
    context = multiprocessing.get_context("forkserver")
    start = context.Barrier(WRITERS)
    writers = [context.Process(target=_write_many, args=(str(tmp_path), k, start)) for k in range(WRITERS)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(timeout=120)
    assert [p.exitcode for p in writers] == [0] * WRITERS  # with one fixed temporary name, writers failed here
    for name in ("a", "b"):
        for table in (pd.read_parquet(tmp_path / f"{name}.parquet"), pd.read_csv(tmp_path / f"{name}.csv")):
            assert len(table) == 500 and table["writer"].nunique() == 1 and table["value"].tolist() == list(range(500))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.parquet", "b.csv", "b.parquet"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")

    def half_then_fail(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_temporary_names_are_unique_and_only_dead_writers_temporaries_are_found(tmp_path):
    target = tmp_path / "x.parquet"
    assert len({temporary_name(target) for _ in range(1000)}) == 1000
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    left = tmp_path / f".x.parquet.{host}.{int(dead.stdout)}.0123456789ab.tmp"  # its writer has ended
    mine = tmp_path / f".x.parquet.{host}.{os.getpid()}.0123456789ab.tmp"  # a running writer's
    elsewhere = tmp_path / f".x.parquet.other-host.{int(dead.stdout)}.0123456789ab.tmp"  # may still be writing
    odd = tmp_path / ".x.tmp"
    for p in (left, mine, elsewhere, odd):
        p.write_text("")
    assert dead_temporaries(tmp_path) == [left]
