"""Results are bit-identical for any number of kernel threads (qsim/threads.py).

The runs are made in a child process started with NUMBA_NUM_THREADS=4, so that 4 threads can be asked for on a
machine of 2 cores (numba allows at most NUMBA_NUM_THREADS). The child runs every case with 1, 2 and 4 threads
and prints a digest (SHA-256) of each part of the result: the indicator table, the flows, the ledger, the
cohort records and every array of the final state. The test compares the digests: any difference in any bit
fails it, naming the part. The cases are big enough for several chunks of every parallel loop (the largest
chunk is 4,096 households), short, and cover the baseline, a city of three areas with moves between them, and
every shipped option.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import Executor, Future

import numpy as np
import pytest

from conftest import ROOT

THREADS = (1, 2, 4)
OPTIONS = ("social_cohesion", "participation", "employment", "education", "environment", "renovation", "networking",
           "integrated", "funding_cut", "granovetter", "schelling", "city_persistence")
MONTHS = 14  # past the first yearly re-sort of the household slots (cities of 20,000 slots or more)


def _city() -> dict:
    """Three areas (about 21,000 households in 22,560 slots) with moves between them, re-sorted once a year."""
    def area(name, nx, ny, shares, unemployment, rent):
        return {"name": name, "households": nx * ny * 4 * 20 * 94 // 100, "grid": [nx, ny],
                "buildings_per_block": 4, "dwellings_per_building": 20, "group_shares": shares,
                "unemployment_rate": unemployment, "long_term_unemployment_rate": unemployment / 2,
                "rent_level": rent}
    return {"scenario": {"name": "three areas", "years": 2, "seed": 3}, "spinup_months": 6,
            "areas": [area("north", 12, 10, [0.7, 0.3], 0.08, 650.0), area("centre", 10, 9, [0.5, 0.5], 0.12, 560.0),
                      area("south", 9, 8, [0.3, 0.7], 0.16, 480.0)]}


def _digest(a) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha256(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes()).hexdigest()[:16]


def _frame_digest(frame) -> str:
    return hashlib.sha256(frame.to_csv(index=False, float_format="%.17g").encode()).hexdigest()[:16]


def digests(sim) -> dict[str, str]:
    """A digest of each part of a run's result and final state."""
    result = sim.result()
    out = {"indicators": _frame_digest(result.indicators), "ledger": _frame_digest(result.ledger),
           "flows": _digest(np.array(sim._flow_records)), "next_uid": str(sim.state.next_uid)}
    cohorts = getattr(result, "cohorts", None)
    if callable(cohorts):
        out["cohorts"] = _frame_digest(cohorts())
    s = sim.state
    for group in ("households", "dwellings", "buildings", "blocks", "areas", "places", "organisations"):
        for name, value in getattr(s, group).view()._asdict().items():
            out[f"state.{group}.{name}"] = _digest(value)
    out["state.area_levers"] = _digest(s.area_levers)
    return out


def child(cases: list[str]) -> dict[str, dict[int, dict[str, str]]]:
    """Run each case with every thread count (in this process); their digests by case and threads."""
    import numba

    import qsim

    found: dict[str, dict[int, dict[str, str]]] = {}
    for case in cases:
        if case == "three areas":
            scenario = qsim.scenario_from_dict(_city(), source="test_threads")
        else:
            scenario = qsim.load_scenario(ROOT / "scenarios" / f"{case}.toml")
        found[case] = {}
        for threads in THREADS:
            sim = qsim.Simulation(scenario, threads=threads)
            seen = set()
            sim.run(years=MONTHS / 12, callback=lambda _: seen.add(numba.get_num_threads()))
            found[case][threads] = digests(sim) | {"threads seen": sorted(seen)}
    return found


CASES = ("baseline", "three areas") + OPTIONS


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, dict[str, str]]]:
    env = dict(os.environ, NUMBA_NUM_THREADS="4", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, __file__, *CASES], env=env, capture_output=True, text=True, cwd=ROOT,
                          timeout=3600)
    assert done.returncode == 0, f"the child process failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("case", CASES)
def test_results_are_bit_identical_for_1_2_and_4_threads(runs, case):
    by_threads = runs[case]
    for threads in THREADS:  # each run used the threads it asked for
        assert by_threads[str(threads)].pop("threads seen") == [threads]
    one = by_threads["1"]
    assert len(one) > 40  # indicators, ledger, flows and the state's arrays
    for threads in ("2", "4"):
        differ = sorted(k for k in one if by_threads[threads].get(k) != one[k])
        assert not differ, f"{case}: {threads} threads differ from 1 thread in {differ}"


def test_the_city_moves_households_between_areas_and_uses_several_chunks(runs):
    """The multi-area case is what it claims: households move between areas (the flows record such moves) and
    there are more households than the largest chunk of a parallel loop."""
    import qsim
    from qsim.kernels.encounters import CHUNK
    from qsim.kernels.mobility import F_BETWEEN

    sim = qsim.Simulation(qsim.scenario_from_dict(_city(), source="test_threads"), threads=1)
    sim.run(years=6 / 12)
    assert sum(r[:, :, F_BETWEEN].sum() for r in sim._flow_records) > 0
    assert sim.state.households.alive.sum() > 4 * CHUNK


class _Recording(Executor):
    """Runs each task at once in this process and records its arguments."""

    def __init__(self):
        self.calls = []

    def submit(self, fn, /, *args, **kwargs):
        self.calls.append(args)
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_threads_given_to_execute_reach_every_run(tmp_path):
    from qsim.experiment import execute
    from qsim.experiment.plan import replications_plan
    from qsim.experiment.store import Store
    from qsim.threads import available
    import qsim

    plan = replications_plan([qsim.load_scenario(ROOT / "scenarios" / "baseline.toml")], 2, 1, 1 / 12, 1)
    recording = _Recording()
    threads = min(2, available())
    with Store.for_plan(tmp_path / "store", plan) as store:
        execute(plan, store, recording, progress=False, threads=threads)
    assert len(recording.calls) == 2 and all(args[-1] == threads for args in recording.calls)


def test_local_worker_processes_default_to_one_thread():
    """A worker of a local pool gives even a run of 10 million households one thread (the workers are the
    parallelism); this process would give it all (here 2 or more, as NUMBA_NUM_THREADS allows)."""
    from qsim.experiment.executors import local_executor
    from qsim.threads import available, for_size

    with local_executor(1) as pool:
        assert pool.submit(for_size, 10_000_000).result(timeout=300) == 1
    assert for_size(10_000_000) == min(available(), 200)


def test_a_bad_number_of_threads_is_a_clear_error():
    import qsim
    from qsim.threads import ThreadsError, available

    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ThreadsError, match="positive whole number"):
            qsim.Simulation(ROOT / "scenarios" / "baseline.toml", threads=bad)
    with pytest.raises(ThreadsError, match="NUMBA_NUM_THREADS"):
        qsim.Simulation(ROOT / "scenarios" / "baseline.toml", threads=available() + 1)


if __name__ == "__main__":  # the child process of the `runs` fixture
    print(json.dumps(child(sys.argv[1:])))
