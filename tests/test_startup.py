"""Start-up: the note on a cold numba cache, and what `qsim run` imports (qsim/kernel_cache.py, qsim/cli/run.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

SMALL = {"scenario": {"name": "startup", "years": 1, "seed": 1}, "spinup_months": 2,
         "areas": [{"name": "a", "households": 300, "grid": [3, 3], "buildings_per_block": 3,
                    "dwellings_per_building": 12}]}


def _python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_a_cold_cache_is_noted_once_on_stderr_without_compiling(tmp_path):
    done = _python("from qsim.kernel_cache import kernels_cached, note_if_cold\n"
                   "print(kernels_cached(), note_if_cold(), note_if_cold())", NUMBA_CACHE_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "False"]  # cold; said once
    assert done.stderr.count("qsim: compiling the model's kernels") == 1
    assert not list(tmp_path.rglob("*.nb[ic]"))  # detecting it compiled (and cached) nothing


def test_a_warm_cache_is_not_noted():
    import qsim
    from qsim.kernel_cache import kernels_cached, note_if_cold

    qsim.Simulation(qsim.scenario_from_dict(SMALL, source="test_startup")).run(years=1 / 12)  # fills the cache
    assert kernels_cached()
    assert note_if_cold() is False


def test_qsim_run_imports_no_plotting_or_statistics_unless_asked(tmp_path):
    out = tmp_path / "out"
    code = ("import sys\nfrom qsim.cli import main\n"
            f"code = main(['run', {str(ROOT / 'scenarios' / 'schelling.toml')!r}, '--years', '0.25', '--quiet', "
            f"'--out', {str(out)!r}EXTRA])\n"
            "print(code, 'matplotlib' in sys.modules, 'scipy.stats' in sys.modules)")
    plain = _python(code.replace("EXTRA", ""))
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split()[-3:] == ["0", "False", "False"]
    assert (out / "indicators.parquet").is_file() and not (out / "indicators.png").exists()
    plotted = _python(code.replace("EXTRA", ", '--plot'"))
    assert plotted.stdout.split()[-3:-1] == ["0", "True"], plotted.stderr
    assert (out / "indicators.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
