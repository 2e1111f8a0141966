"""The store defends itself: one writer at a time, one experiment per store, every batch checked against the
checksum recorded when it was written, `qsim store verify|repair`.

Runs are replaced by a cheap deterministic stand-in (:func:`fake_run_batch`, random numbers drawn from each run's
seed, replicate and scenario) so that hundreds of trials take seconds; what is tested is the store, and the
stand-in's rows are as reproducible as a simulation's. Real runs through the same code are in
tests/test_experiment_store.py.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qsim.cli import main
from qsim.experiment import (BatchOutput, RunStatus, Store, StoreError, StoreLocked, StoreWarning, execute,
                             replications_plan)
from qsim.experiment import executors
from test_experiment_store import scenarios


def fake_run_batch(batch, scenario_map, specs, years) -> BatchOutput:
    """Two yearly rows per run with numbers drawn from (seed, replicate, scenario): deterministic, like a run."""
    frames = []
    for s in specs:
        rng = np.random.default_rng([s.seed, s.replicate, s.scenario])
        frames.append(pd.DataFrame({"run": s.run, "year": [1, 2], "area": "all", "value": rng.random(2)}))
    return BatchOutput(batch, pd.concat(frames, ignore_index=True), [RunStatus(s.run, "", 0.0) for s in specs])


@pytest.fixture(autouse=True)
def fake_runs(monkeypatch):
    monkeypatch.setattr(executors, "run_batch", fake_run_batch)


@pytest.fixture
def no_fsync(monkeypatch):
    """fsync (durability against power loss) is not what the many-trial tests check, and costs about 6 ms a call
    here; without it 200 trials take seconds instead of half a minute."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def plan(seed: int = 7, replications: int = 3, batch_size: int = 2):
    return replications_plan(scenarios(), replications, seed, batch_size=batch_size)


def fill(folder: Path, p) -> Store:
    with Store.for_plan(folder, p) as store:
        execute(p, store, 1, progress=False)
    return Store(folder)


def contents(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    return store.yearly, store.runs.drop(columns="seconds")


# ------------------------------------------------------------------ one writer, one experiment
def _race(folder: Path, p, outcome: list, k: int, start) -> None:
    start.wait()
    try:
        with Store.for_plan(folder, p) as store:
            execute(p, store, 1, progress=False)
        outcome[k] = "wrote"
    except StoreLocked as e:
        outcome[k] = "locked: " + str(e)
    except StoreError as e:
        outcome[k] = "refused: " + str(e)


def fingerprint(store: Store) -> tuple[str, dict[int, str]]:
    """The experiment's hash and the SHA-256 of every verified batch file: equal fingerprints mean byte-identical
    batches of the same experiment (the stand-in's files are byte-for-byte reproducible)."""
    assert store.verification.clean and store.finished_batches() == set(range(len(store.batches)))
    return store.manifest["experiment"], {b: store._records[b]["sha256"] for b in store.finished_batches()}


def _check_race(folder: Path, outcome, trial: int) -> str:
    """Exactly one writer wrote; the other was refused; the store holds exactly the winner's experiment."""
    assert sorted(o == "wrote" for o in outcome) == [False, True], outcome
    winner = outcome.index("wrote")
    loser = outcome[1 - winner]
    assert ("being written by process" in loser) or ("holds another experiment" in loser), loser
    store, reference = Store(folder), Store(folder.parent / f"reference-{winner}")
    assert fingerprint(store) == fingerprint(reference)
    if trial % 25 == 0:  # and, now and then, the tables themselves
        for mine, theirs in zip(contents(store), contents(reference)):
            pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    return loser.split(":")[0]


def test_two_writers_started_together_never_mix_threads(tmp_path, no_fsync):
    """200 trials: two threads open one new folder for two different experiments at the same moment."""
    plans = [plan(seed=1), plan(seed=2)]
    for k, p in enumerate(plans):
        fill(tmp_path / f"reference-{k}", p)
    seen = Counter()
    for trial in range(200):
        folder, outcome, start = tmp_path / f"t{trial}", [None, None], threading.Barrier(2)
        threads = [threading.Thread(target=_race, args=(folder, plans[k], outcome, k, start)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seen[_check_race(folder, outcome, trial)] += 1
    assert sum(seen.values()) == 200
    print(f"second writer: {dict(seen)}")


def _race_processes(root, seed, k, start, queue, trials) -> None:
    """One of two writer processes: in each trial, wait for the other at ``start``, then write ``plan(seed)``
    into ``root/t<trial>``."""
    p = plan(seed=seed)
    for trial in range(trials):
        outcome = [None, None]
        _race(Path(root) / f"t{trial}", p, outcome, k, start)
        queue.put((trial, k, outcome[k]))


def test_two_writer_processes_started_together_never_mix(tmp_path, no_fsync):
    """200 trials with two processes (the lock between processes, as two sweeps started together): in each,
    both are released by one barrier and open one new folder for two different experiments."""
    trials = 200
    plans = [plan(seed=1), plan(seed=2)]
    for k, p in enumerate(plans):
        fill(tmp_path / f"reference-{k}", p)
    ctx = multiprocessing.get_context("fork")
    start, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_race_processes, args=(str(tmp_path), k + 1, k, start, queue, trials))
             for k in (0, 1)]
    for proc in procs:
        proc.start()
    outcomes = {trial: [None, None] for trial in range(trials)}
    for _ in range(2 * trials):
        trial, k, result = queue.get(timeout=120)
        outcomes[trial][k] = result
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    seen = Counter(_check_race(tmp_path / f"t{trial}", outcome, trial) for trial, outcome in outcomes.items())
    assert sum(seen.values()) == trials
    print(f"second writer process: {dict(seen)}")


def test_a_second_writer_waits_when_asked_and_the_owner_is_named(tmp_path):
    p = plan()
    opened, release = threading.Event(), threading.Event()

    def hold() -> None:  # another writer, in another thread
        with Store.for_plan(tmp_path, p):
            opened.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    opened.wait(10)
    with pytest.raises(StoreLocked, match=rf"being written by process {os.getpid()} on host \S+, since .*--wait"):
        Store.for_plan(tmp_path, p)
    started = time.monotonic()
    with pytest.raises(StoreLocked):
        Store.for_plan(tmp_path, p, wait=0.2)  # waits 0.2 s, then gives up
    assert time.monotonic() - started >= 0.2
    threading.Timer(0.3, release.set).start()
    with Store.for_plan(tmp_path, p, wait=True) as store:  # waits until the holder closes
        assert not holder.is_alive() or release.is_set()
        store.require_writer()
        with pytest.raises(StoreLocked, match="this thread is already writing"):
            Store.for_plan(tmp_path, p, wait=True)
    holder.join()
    with pytest.raises(StoreError, match="opened for reading"):
        execute(p, Store(tmp_path), 1, progress=False)


def test_a_store_belongs_to_one_experiment_and_a_damaged_manifest_is_refused(tmp_path):
    fill(tmp_path / "s", plan(seed=1))
    with pytest.raises(StoreError, match="holds another experiment .*its hash [0-9a-f]{12}, this one [0-9a-f]{12}"):
        Store.for_plan(tmp_path / "s", plan(seed=2))
    manifest = tmp_path / "s" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"seed": 1', '"seed": 2', 1))
    with pytest.raises(StoreError, match="damaged .*checksum or experiment hash does not match"):
        Store(tmp_path / "s")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="holds other files .*notes.txt"):
        Store.for_plan(tmp_path / "other", plan())


# ------------------------------------------------------------------ checksums
def damage(path: Path, rng: np.random.Generator, flip: bool) -> str:
    data = bytearray(path.read_bytes())
    if flip:
        bit = int(rng.integers(len(data) * 8))
        data[bit // 8] ^= 1 << (bit % 8)
        what = f"bit {bit} flipped"
    else:
        data = data[:int(rng.integers(len(data)))]
        what = f"truncated to {len(data)} bytes"
    path.write_bytes(bytes(data))
    return what


def test_every_bit_flip_and_truncation_is_found_and_resuming_restores_the_store(tmp_path, no_fsync):
    """400 trials (half single-bit flips anywhere in a batch file, half truncations to a random length): each
    is reported as damaged on open, and a resume gives a store identical to the undamaged one."""
    p = plan(replications=2)  # 2 batches
    reference = tmp_path / "reference"
    undamaged = fill(reference, p)
    expected = contents(undamaged)
    rng = np.random.default_rng(19)
    for trial in range(400):
        folder = tmp_path / "trial"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(reference, folder)
        batch = int(rng.integers(len(p.batches)))
        what = damage(folder / "batches" / f"batch-{batch:06d}.parquet", rng, flip=trial % 2 == 0)
        with pytest.warns(StoreWarning, match=f"batch {batch}: "):
            damaged = Store(folder)
        assert set(damaged.verification.damaged) == {batch}, what
        assert batch not in damaged.finished_batches()
        with pytest.warns(StoreWarning, match="moved to quarantine"), Store.for_plan(folder, p) as store:
            report = execute(p, store, 1, progress=False)
        assert report.done == len(p.batches[batch]), what
        resumed = Store(folder)
        assert fingerprint(resumed) == fingerprint(undamaged), what
        if trial % 25 == 0:
            for mine, theirs in zip(contents(resumed), expected):
                pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
        assert len(list((folder / "quarantine").iterdir())) == 1


def test_a_lost_file_a_lost_record_and_a_torn_journal_line_are_found(tmp_path):
    p = plan(replications=4)  # 4 batches
    expected = contents(fill(tmp_path / "s", p))
    batches, journal = tmp_path / "s" / "batches", tmp_path / "s" / "batches.jsonl"
    (batches / "batch-000001.parquet").unlink()
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:2] + lines[3:]) + "\n" + lines[3][:20])  # batch 2 unrecorded, a torn tail
    with pytest.warns(StoreWarning) as caught:
        store = Store(tmp_path / "s")
    assert store.verification.damaged == {1: "file missing", 2: "no checksum recorded (its writer died before "
                                          "recording it)"}
    assert "2 damaged batch(es)" in str(caught[0].message)
    assert store.runs["status"].value_counts().to_dict() == {"ok": 4, "missing": 4}
    with pytest.warns(StoreWarning), Store.for_plan(tmp_path / "s", p) as writer:
        assert execute(p, writer, 1, progress=False).done == 4
    for mine, theirs in zip(contents(Store(tmp_path / "s")), expected):
        pd.testing.assert_frame_equal(mine, theirs, check_exact=True)


def test_cli_store_verify_and_repair(tmp_path, capsys):
    p = plan(replications=4)
    expected = contents(fill(tmp_path / "out" / "store", p))
    assert main(["store", "verify", str(tmp_path / "out")]) == 0
    assert "4 of 4 batches stored and verified (size, sha256, rows); 0 damaged" in capsys.readouterr().out
    damage(tmp_path / "out" / "store" / "batches" / "batch-000003.parquet", np.random.default_rng(1), flip=True)
    assert main(["store", "verify", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    assert "batch 3: checksum mismatch" in out and "qsim store repair" in err
    assert main(["store", "repair", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "moved aside: batch 3: checksum mismatch" in out and "4 of 4 batches stored and verified" in out
    assert main(["store", "verify", str(tmp_path / "out" / "store")]) == 0
    for mine, theirs in zip(contents(Store(tmp_path / "out" / "store")), expected):
        pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    holder = Store.for_plan(tmp_path / "out" / "store", p)
    assert main(["store", "repair", str(tmp_path / "out")]) == 2
    assert "being written by process" in capsys.readouterr().err
    holder.close()


# ------------------------------------------------------------------ other store formats
def as_written_before_checksums(folder: Path) -> None:
    """Turn a store into one as qsim wrote it before checksums (format 1, 5b7ab50): no batch journal, no
    experiment hash and no checksum in the manifest; the batch files as they are."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("experiment", "checksum"):
        del manifest[key]
    manifest["format"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "batches.jsonl").unlink()


def test_a_store_of_an_older_format_is_refused_saying_what_to_do_and_a_newer_one_asks_for_an_update(tmp_path, capsys):
    p = plan()
    fill(tmp_path / "out" / "store", p)
    old = tmp_path / "out" / "store"
    as_written_before_checksums(old)
    before = sorted(f.relative_to(old) for f in old.rglob("*"))
    older = r"store format 1 \(written by qsim .*\) is older than this qsim reads \(format 2\): its batch files " \
            r"have no recorded checksums.*Run the experiment again into a new folder"
    with pytest.raises(StoreError, match=older):
        Store(old)
    with pytest.raises(StoreError, match=older):  # resuming into it
        Store.for_plan(old, p)
    for command in (["store", "verify", str(tmp_path / "out")], ["store", "repair", str(tmp_path / "out")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "is older than this qsim reads" in err and "Traceback" not in err
    assert sorted(f.relative_to(old) for f in old.rglob("*")) == before  # nothing was changed or deleted

    manifest = json.loads((old / "manifest.json").read_text())
    for found, expected in [(2, "is older than this qsim reads"),  # format 2 before the manifest's checksum
                            (3, r"store format 3 \(written by qsim .*\) is newer than this qsim reads \(format 2\); "
                                "update qsim"),
                            ("2", "damaged \\(store format '2', expected 2\\)")]:
        (old / "manifest.json").write_text(json.dumps(manifest | {"format": found}))
        with pytest.raises(StoreError, match=expected):
            Store(old)
