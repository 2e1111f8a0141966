"""qsim's compiled functions index arrays without numba's wrap-around of negative indices (qsim.kernels.indexing).

Checked here: the switch is in place; it applies to functions of the qsim package only (a notebook's own
numba code keeps Python's negative indices); and no qsim kernel relies on wrap-around: whole runs of the
shipped scenarios, compiled with bounds checking, never index with a negative number (a negative index
would now raise IndexError instead of wrapping).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from numba import njit

from qsim.kernels import indexing

ROOT = Path(__file__).resolve().parents[1]


def _compiled_in(module: str):
    """``a[i]`` compiled with bounds checking as a function of ``module``."""
    namespace = {"__name__": module, "njit": njit}
    exec("@njit(boundscheck=True)\ndef read(a, i):\n    return a[i]\n", namespace)
    return namespace["read"]


def test_switch_is_installed():
    assert indexing.INSTALLED
    assert indexing.install()  # idempotent


def test_functions_outside_qsim_keep_wraparound():
    a = np.arange(5)
    assert _compiled_in("notebook_kernels")(a, -1) == 4
    assert _compiled_in("qsimulation")(a, -2) == 3  # a name that merely starts with "qsim"


def test_qsim_functions_do_not_wrap():
    a = np.arange(5)
    read = _compiled_in("qsim.probe")
    assert read(a, 4) == 4
    try:
        read(a, -1)
    except IndexError:
        pass
    else:
        raise AssertionError("a negative index in a qsim function was wrapped around")


def test_no_kernel_indexes_with_a_negative_number(tmp_path):
    """Shipped scenarios (every process and measure, and Schelling) run in a child compiled with NUMBA_BOUNDSCHECK=1.

    A fresh numba cache: bounds-checked code is compiled for this run only (about a minute).
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
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
