"""No qsim kernel indexes an array out of range, and ``kernels.common.unsigned`` keeps such an index an error.

The kernels index with ``unsigned(i)`` where ``i`` is read from another array or computed, so that numba
leaves out its wrap-around of negative indices (``qsim/kernels/common.py``). That is right only if such an
``i`` is never negative. Checked here: whole runs of the shipped scenarios, compiled with bounds checking
(``NUMBA_BOUNDSCHECK=1``) in a child process, raise no IndexError; and under bounds checking a negative
value passed through ``unsigned`` is an IndexError, not a read of another element.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from qsim.kernels.common import unsigned

ROOT = Path(__file__).resolve().parents[1]


@njit(boundscheck=True)
def _read_checked(a, i):
    return a[unsigned(i)]


@njit
def _read(a, i):
    return a[unsigned(i)]


def test_unsigned_reads_the_same_element():
    a = np.arange(5) * 10
    assert [_read(a, i) for i in range(5)] == [0, 10, 20, 30, 40]
    assert _read(a, np.int32(3)) == 30


def test_a_negative_index_is_an_error_under_bounds_checking():
    a = np.arange(5)
    assert _read_checked(a, 4) == 4
    with pytest.raises(IndexError):
        _read_checked(a, -1)  # not a[4], as a[-1] would be


def test_no_kernel_indexes_out_of_range():
    """Shipped scenarios (every process and measure, and Schelling) run in a child compiled with NUMBA_BOUNDSCHECK=1.

    A fresh numba cache (a temporary folder): bounds-checked code is compiled for this run only (about a minute).
    """
    script = textwrap.dedent(f"""
        import qsim, qsim.engine
        qsim.engine.SORT_MIN_SLOTS = 0  # the yearly re-sort of household slots runs too
        heavy_mobility = {{"mobility.base_move_rate": 0.2, "mobility.unhappy_move_probability": 1.0,
                          "mobility.vacancy_fill_rate": 0.3}}  # many moves and empty household slots
        for name, years, overrides in [("integrated", 3, {{}}), ("baseline", 2, heavy_mobility), ("schelling", 1, {{}})]:
            sim = qsim.Simulation(qsim.load_scenario({str(ROOT / "scenarios")!r} + "/" + name + ".toml"), seed=3)
            sim.set_parameters(overrides)
            sim.run(years=years)
        print("ok")
    """)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": cache}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
