"""Workers and failures: a killed worker is replaced and its batch redone, workers die with their parent, a batch
that keeps losing its worker is recorded as failed, failed runs give a non-zero exit code and are rerun on
request, and effect tables count the runs they lack.

World: tests/test_measures.py's BASE (600 households, 4 x 4 grid, 3 years), as in test_experiment_store.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import Executor, Future
from pathlib import Path

import pandas as pd
import psutil
import pytest

import qsim
from qsim.cli import main
from qsim.experiment import MAX_ATTEMPTS, Store, execute, replications_plan
from qsim.experiment import executors
from qsim.experiment import runs as runs_module
from test_experiment_compare import named, write_base_and_faster
from test_experiment_store import Flaky, plan, reference  # noqa: F401 - a fixture (pyflakes: unused)
from test_store_integrity import fake_run_batch

TESTS = Path(__file__).resolve().parent


def workers_of(process: psutil.Process) -> list[psutil.Process]:
    """The pool workers under ``process``: the forkserver's children (or, with 'spawn', spawned children); not the
    forkserver itself or the resource tracker."""
    workers = []
    for p in process.children(recursive=True):
        try:
            command = " ".join(p.cmdline())
            if "multiprocessing.spawn" in command or (p.ppid() != process.pid and "forkserver" in command):
                workers.append(p)
        except psutil.Error:  # ended meanwhile
            pass
    return workers


def gone(p: psutil.Process) -> bool:
    try:
        return not p.is_running() or p.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_sweep_whose_worker_is_killed_completes_every_run_with_identical_results(reference, tmp_path, capfd):
    p = plan(batch_size=1)  # 12 batches of one run; yearly results do not depend on the batching
    outcome: dict = {}

    def run() -> None:
        try:
            with Store.for_plan(tmp_path, p) as store:
                outcome["report"] = execute(p, store, 2, progress=False)
        except BaseException as e:  # noqa: BLE001 - reported by the test below
            outcome["error"] = e

    runner = threading.Thread(target=run)
    runner.start()
    me, deadline, killed = psutil.Process(), time.monotonic() + 180, None
    while killed is None:
        assert runner.is_alive(), "the execution ended before a worker could be killed"
        assert time.monotonic() < deadline, "no worker started"
        workers = workers_of(me)
        if workers and list((tmp_path / "batches").glob("batch-*.parquet")):
            killed = workers[0]
            killed.send_signal(signal.SIGKILL)
        time.sleep(0.01)
    runner.join(timeout=300)
    assert "error" not in outcome, f"the execution raised {outcome.get('error')!r}"
    report = outcome["report"]
    assert (report.done, report.failed) == (len(p.runs), 0)
    assert "a worker process died; replacing the pool" in capfd.readouterr().err
    store = Store(tmp_path)
    assert store.verification.clean and store.runs["status"].eq("ok").all()
    pd.testing.assert_frame_equal(store.yearly, reference, check_exact=True)


PARENT = textwrap.dedent(f"""
    import sys
    sys.path.insert(0, {str(TESTS)!r})
    from qsim.experiment import Store, dask_executor, execute
    from test_experiment_store import plan
    if __name__ == "__main__":
        p = plan(40, batch_size=1)
        if sys.argv[2] == "dask":  # a Dask LocalCluster of two worker processes, as a user's script would start
            import distributed
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                               dashboard_address=None)
            executor = dask_executor(distributed.Client(cluster))
        else:
            executor = 2
        with Store.for_plan(sys.argv[1], p) as store:
            execute(p, store, executor, progress=False)
""")


def family_of(marker: str) -> list[psutil.Process]:
    """Every running process (of this user) whose environment holds ``QSIM_TEST_FAMILY=marker``: the parent and
    everything it started, wherever they have been re-parented to."""
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("QSIM_TEST_FAMILY") == marker and not gone(p):
                found.append(p)
        except psutil.Error:  # another user's, or ended meanwhile
            pass
    return found


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_killing_the_parent_leaves_no_worker_running_after_10_seconds(tmp_path, executor):
    """The parent (a sweep in a subprocess) is killed with SIGKILL once two workers run and a batch is stored;
    10 s later no process it started may run. They are found by a marker in their environment, which every
    child inherits, so none escapes by being re-parented."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    marker = f"{os.getpid()}-{executor}-{time.time_ns()}"
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "store"), executor],
                            env={**os.environ, "QSIM_TEST_FAMILY": marker})
    parent = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + 240
        while not (len(family_of(marker)) >= 3 and list((tmp_path / "store" / "batches").glob("batch-*"))):
            assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
        family = [p for p in family_of(marker) if p.pid != proc.pid]
        parent.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    killed_at = time.monotonic()
    while family_of(marker) and time.monotonic() - killed_at < 10:
        time.sleep(0.05)
    left = [" ".join(p.cmdline())[:120] for p in family_of(marker)]
    assert not left, f"10 s after the parent was killed these still run: {left}"
    print(f"{executor}: {len(family)} processes gone {time.monotonic() - killed_at:.2f} s after the parent was killed")


class LosingExecutor(Executor):
    """Runs tasks in this process, except that every task of batch ``lost`` fails as a lost worker would."""

    def __init__(self, lost: int):
        self.lost, self.tries = lost, 0

    def submit(self, fn, batch, *args) -> Future:
        future: Future = Future()
        if batch == self.lost:
            self.tries += 1
            future.set_exception(ConnectionError("worker connection closed"))
        else:
            future.set_result(fn(batch, *args))
        return future


def test_a_batch_that_keeps_losing_its_worker_is_recorded_as_failed_with_the_cause(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "run_batch", fake_run_batch)
    p = replications_plan([named("a"), named("b")], 2, seed=1, batch_size=1)
    lossy = LosingExecutor(lost=2)
    with Store.for_plan(tmp_path, p) as store:
        report = execute(p, store, lossy, progress=False)
    assert (report.done, report.failed) == (3, 1)
    assert lossy.tries == 1 + MAX_ATTEMPTS  # once among the others, then alone until the limit
    runs = Store(tmp_path).runs
    failed = runs[runs["status"] == "failed"]
    assert failed["batch"].tolist() == [2]
    assert failed["error"].iloc[0].startswith(f"worker lost {MAX_ATTEMPTS} times while running this batch "
                                              "(ConnectionError: worker connection closed)")


def compare_command(folder: Path, replications: int) -> tuple[Path, list[str]]:
    """base.toml and faster.toml in ``folder``, and the `qsim compare` arguments that compare them for a year
    in this process, into ``folder/out``."""
    write_base_and_faster(folder)
    out = folder / "out"
    return out, ["compare", str(folder / "base.toml"), str(folder / "faster.toml"), "-r", str(replications),
                 "--years", "1", "--workers", "1", "--out", str(out), "--quiet"]


def test_a_failed_run_exits_non_zero_with_its_cause_and_retry_failed_completes_it(tmp_path, monkeypatch, capsys):
    out, argv = compare_command(tmp_path, replications=3)
    monkeypatch.setattr(runs_module, "Simulation", Flaky)  # replicate 2 of 'faster' raises
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "1 of 6 runs did not finish" in err and "faster: 1 failed (replicates 2)" in err
    assert "1 x RuntimeError: injected failure" in err and "--retry-failed" in err
    monkeypatch.undo()
    assert main(argv) == 1  # a resume keeps the failure unless asked
    assert "RuntimeError: injected failure" in capsys.readouterr().err
    assert main([*argv, "--retry-failed"]) == 0
    assert qsim.open_store(out / "store").runs["status"].eq("ok").all()
    assert pd.read_csv(out / "differences.csv")["n"].eq(3).all()


class FailsAtOnePoint(Flaky):
    def __init__(self, scenario, seed=None, replicate=0, hooks=()):
        if scenario.name == "coaching@1":
            raise MemoryError("injected")
        super(Flaky, self).__init__(scenario, seed=seed, replicate=replicate, hooks=hooks)


def test_sweep_tables_keep_points_whose_runs_failed_and_count_them(monkeypatch):
    monkeypatch.setattr(runs_module, "Simulation", FailsAtOnePoint)
    result = qsim.sweep([named("baseline"), named("coaching", [{"type": "job_coaching"}])],
                        {"labour.job_loss": {"levels": [0.01, 0.02]}}, replications=2, seed=4, years=1, executor=1,
                        progress=False, indicators=["unemployment_rate"])
    effects = result.effects().set_index("point")
    assert effects.loc[0, "n"] == 2 and effects.loc[0, "runs_missing"] == 0
    assert effects.loc[1, "n"] == 0 and effects.loc[1, "runs_missing"] == 2 and pd.isna(effects.loc[1, "mean"])
    summary = result.summary().set_index(["point", "scenario"])
    assert summary.loc[(1, "coaching"), "runs_missing"] == 2 and summary.loc[(1, "baseline"), "runs_missing"] == 0
    assert result.runs["status"].value_counts().to_dict() == {"ok": 6, "failed": 2}


def test_output_folder_names_from_files_stay_inside_the_output_folder():
    from qsim.cli.common import safe_name

    for name in ("../../X", "/etc/passwd", "..", "a/../../b", "x\x00y", "C:\\tmp", "$\\frac{", "", "." * 5):
        cleaned = safe_name(name)
        assert cleaned and "/" not in cleaned and "\\" not in cleaned and cleaned not in (".", "..")
        assert (Path("out") / cleaned).resolve().parent == Path("out").resolve()
    assert safe_name("coaching_referrals-demand.v2") == "coaching_referrals-demand.v2"
    assert len(safe_name("x" * 500)) == 80


def test_cli_compare_into_a_store_in_use_stops_naming_the_owner_or_waits_with_wait(tmp_path, capsys):
    out, argv = compare_command(tmp_path, replications=1)
    assert main(argv) == 0
    capsys.readouterr()
    opened, release = threading.Event(), threading.Event()

    def hold() -> None:  # another writer (a thread here) holds the store
        with Store.open_for_repair(out / "store"):
            opened.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    opened.wait(30)
    assert main(argv) == 2
    assert f"the store is being written by process {os.getpid()} on host" in capsys.readouterr().err
    threading.Timer(0.5, release.set).start()
    assert main([*argv, "--wait"]) == 0
    holder.join()


class FailsInSweeps(Flaky):
    """Raises for replicate 1 of 'faster' at every point of a sweep."""

    def __init__(self, scenario, seed=None, replicate=0, hooks=()):
        if scenario.name.startswith("faster@") and replicate == 1:
            raise RuntimeError("injected failure")
        super(Flaky, self).__init__(scenario, seed=seed, replicate=replicate, hooks=hooks)


def test_cli_sweep_with_failed_runs_exits_1_and_its_output_folder_name_is_sanitised(tmp_path, monkeypatch, capsys):
    write_base_and_faster(tmp_path)
    (tmp_path / "exp.toml").write_text('[experiment]\nname = "../../escape"\nscenarios = ["base.toml", "faster.toml"]\n'
                                       'replications = 2\nyears = 1\n[factors."labour.job_loss"]\nlevels = [0.01]\n',
                                       encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runs_module, "Simulation", FailsInSweeps)
    argv = ["sweep", "exp.toml", "--workers", "1", "--quiet"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "1 of 4 runs did not finish" in err and "1 x RuntimeError: injected failure" in err
    out = tmp_path / "out" / "_.._escape"
    assert (out / "effects.csv").exists() and not (tmp_path.parent / "escape").exists()
    assert pd.read_csv(out / "effects.csv")["runs_missing"].eq(1).all()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--retry-failed"]) == 0
    assert pd.read_csv(out / "effects.csv")["runs_missing"].eq(0).all()


def test_cli_reports_a_damaged_batch_as_a_warning_and_redoes_it(tmp_path, capsys):
    out, argv = compare_command(tmp_path, replications=1)
    assert main(argv) == 0
    before = pd.read_csv(out / "differences.csv")
    (out / "store" / "batches" / "batch-000001.parquet").write_bytes(b"PAR1 not any more")
    capsys.readouterr()
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "qsim: warning: " in err and "batch 1: 17 bytes" in err and "moved to quarantine/" in err
    pd.testing.assert_frame_equal(pd.read_csv(out / "differences.csv"), before)
