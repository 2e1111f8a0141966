"""The result store and the executors: identical results whatever the executor, failures recorded, resume.

World: tests/test_measures.py's BASE (600 households, 4 x 4 grid, 3 years),
a baseline and an option with a higher job-finding hazard, seed 7.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import qsim
from qsim.engine import Simulation
from qsim.experiment import Comparison, Store, StoreError, StoreWarning, execute, replications_plan, run_batch
from qsim.experiment import runs as runs_module
from qsim.experiment.store import manifest_checksum
from test_experiment_compare import named

TESTS = Path(__file__).resolve().parent


def scenarios() -> list[qsim.Scenario]:
    faster = named("faster").with_parameters({"labour.job_finding_max": 0.8})
    return [named("baseline"), faster]


def plan(replications: int = 6, batch_size: int = 2, seed: int = 7):
    return replications_plan(scenarios(), replications, seed, batch_size=batch_size)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The yearly results of an uninterrupted serial execution of ``plan()``."""
    p = plan()
    with Store.for_plan(tmp_path_factory.mktemp("reference"), p) as store:
        report = execute(p, store, 1, progress=False)
    assert (report.done, report.failed, report.skipped) == (12, 0, 0)
    return store.yearly


def test_serial_and_local_processes_give_bit_identical_stored_results(reference, tmp_path):
    p = plan()
    with Store.for_plan(tmp_path, p) as store:
        report = execute(p, store, 2, progress=False)  # two worker processes (forkserver), after a warm-up here
    assert report.done == 12
    pd.testing.assert_frame_equal(store.yearly, reference, check_exact=True)
    assert len(list((tmp_path / "batches").glob("batch-*.parquet"))) == len(p.batches)


def test_any_concurrent_futures_executor_gives_the_same_results(reference, tmp_path):
    p = plan()
    with Store.for_plan(tmp_path, p) as store, ThreadPoolExecutor(max_workers=2) as pool:
        execute(p, store, pool, progress=False)
    pd.testing.assert_frame_equal(store.yearly, reference, check_exact=True)


class Flaky(Simulation):
    """Raises for replicate 2 of 'faster'."""

    def __init__(self, scenario, seed=None, replicate=0, hooks=()):
        if scenario.name == "faster" and replicate == 2:
            raise RuntimeError("injected failure")
        super().__init__(scenario, seed=seed, replicate=replicate, hooks=hooks)


def test_a_failing_run_is_recorded_and_the_rest_complete(reference, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runs_module, "Simulation", Flaky)
    p = plan()
    with Store.for_plan(tmp_path, p) as store:
        report = execute(p, store, 1, progress=True)
    assert (report.done, report.failed) == (11, 1)
    assert "11 runs done, 1 failed, 0 already in the store" in capsys.readouterr().err
    runs = qsim.open_store(tmp_path).runs
    failed = runs[runs["status"] == "failed"]
    assert failed[["scenario", "replicate"]].values.tolist() == [["faster", 2]]
    assert "RuntimeError: injected failure" in failed["error"].iloc[0]
    assert (runs["status"] != "missing").all()
    kept = reference[reference["run"] != int(failed["run"].iloc[0])].reset_index(drop=True)
    pd.testing.assert_frame_equal(store.yearly, kept, check_exact=True)
    # the comparison pairs only replicates that both scenarios finished
    assert (Comparison.from_store(tmp_path).differences()["n"] == 5).all()
    assert "1 failed" in store.summary()


def test_resume_runs_only_the_missing_batches_and_matches_an_uninterrupted_run(reference, tmp_path):
    p = plan()
    with Store.for_plan(tmp_path, p) as store:
        for b in (0, 3):  # two finished batches, as left by an interrupted execution
            specs = [p.runs[r] for r in p.batches[b]]
            store.write(run_batch(b, {s.scenario: p.scenarios[s.scenario] for s in specs}, specs, p.years))
    # temporary files: one of a writer that died on this host (removed), one of a running process (kept)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    left = tmp_path / "batches" / f".batch-000001.parquet.{host}.{int(dead.stdout)}.0123456789ab.tmp"
    running = tmp_path / "batches" / f".batch-000002.parquet.{host}.{os.getpid()}.0123456789ab.tmp"
    left.write_bytes(b"half a file")
    running.write_bytes(b"another writer's half file")
    with Store.for_plan(tmp_path, p) as store:
        report = execute(p, store, 1, progress=False)
    assert (report.done, report.skipped) == (8, 4)
    yearly = qsim.open_store(tmp_path).yearly
    assert not yearly.duplicated(["run", "year", "area"]).any()
    pd.testing.assert_frame_equal(yearly, reference, check_exact=True)
    assert not left.exists() and running.exists()
    with Store.for_plan(tmp_path, p) as store:
        again = execute(p, store, 1, progress=False)
    assert (again.done, again.skipped) == (0, 12)
    with pytest.raises(StoreError, match="holds another experiment"):
        Store.for_plan(tmp_path, plan(seed=8))


def test_resuming_across_versions_warns_and_a_non_store_is_refused(tmp_path):
    p = plan(1)
    Store.for_plan(tmp_path / "s", p).close()
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    manifest["versions"]["numba"] = "0.0.1"  # as if written by another numba (whose manifest is whole)
    manifest["checksum"] = manifest_checksum(manifest)
    (tmp_path / "s" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="numba 0.0.1 ->"):
        Store.for_plan(tmp_path / "s", p).close()
    with pytest.raises(StoreError, match="not a qsim result store"):
        qsim.open_store(tmp_path)


KILL_REPLICATIONS = 40  # 80 batches of one run each: about 3 s of work, killed after 5 batches
SWEEP = textwrap.dedent(f"""
    import sys
    sys.path.insert(0, {str(TESTS)!r})
    from qsim.experiment import Store, execute
    from test_experiment_store import plan
    p = plan({KILL_REPLICATIONS}, batch_size=1)
    with Store.for_plan(sys.argv[1], p) as store:
        execute(p, store, 1, progress=False)
""")


def test_a_sweep_killed_with_sigkill_resumes_to_the_uninterrupted_results(tmp_path):
    p = plan(KILL_REPLICATIONS, batch_size=1)
    path = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", SWEEP, str(path)], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        journal = path / "batches.jsonl"  # a batch counts as stored once its checksum line is complete
        while not journal.exists() or journal.read_bytes().count(b"\n") < 5:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "the sweep did not start"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # a batch whose file was in place but whose checksum was not yet recorded at the kill counts as not stored
    stored = len(Store(path, report=False).finished_batches())
    assert 5 <= stored < len(p.batches), f"{stored} of {len(p.batches)} batches stored at the kill"
    with pytest.warns(StoreWarning, match=r"took over the lock of process \d+ on host \S+ \(no longer running\)"):
        with Store.for_plan(path, p) as store:
            report = execute(p, store, 1, progress=False)
    assert (report.done, report.skipped) == (len(p.runs) - stored, stored)
    with Store.for_plan(tmp_path / "uninterrupted", p) as full:
        execute(p, full, 1, progress=False)
    resumed = qsim.open_store(path).yearly
    assert not resumed.duplicated(["run", "year", "area"]).any()
    pd.testing.assert_frame_equal(resumed, full.yearly, check_exact=True)


def test_a_plan_batches_every_run_once_and_batches_hold_one_scenario():
    p = replications_plan(scenarios(), 7, seed=2, batch_size=3)
    assert [len(b) for b in p.batches] == [3, 3, 1, 3, 3, 1]
    assert sorted(r for b in p.batches for r in b) == [r.run for r in p.runs] == list(range(14))
    assert all(len({p.runs[r].scenario for r in b}) == 1 for b in p.batches)
    assert {(r.seed, r.replicate) for r in p.runs if r.scenario == 0} == \
        {(r.seed, r.replicate) for r in p.runs if r.scenario == 1}  # replicate r is paired across scenarios
    assert p.identity() == replications_plan(scenarios(), 7, seed=2, batch_size=5).identity()
