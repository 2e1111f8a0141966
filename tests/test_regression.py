"""Fixed-seed regression test against tests/regression/baseline.json.

Any change of model behaviour (code or default parameters) shows up here. If
the change is intended, regenerate the baseline on purpose:

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python tests/regression/update_baseline.py

and review and commit the new baseline.json together with the model change.
"""

from __future__ import annotations

import importlib.util
import json
import math

from conftest import ROOT

SCRIPT = ROOT / "tests" / "regression" / "update_baseline.py"
REL_TOL = 1e-9    # values are stored with 10 significant digits
ABS_TOL = 1e-12
HOW_TO_UPDATE = ("If this change of model behaviour is intended, regenerate the baseline ON PURPOSE with\n"
                 "    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python tests/regression/update_baseline.py\n"
                 "then review the diff of tests/regression/baseline.json and commit it with the model change.")


def _script():
    spec = importlib.util.spec_from_file_location("qsim_update_baseline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regression_baseline_is_reproduced():
    script = _script()
    assert script.BASELINE.is_file(), f"no baseline at {script.BASELINE}.\n{HOW_TO_UPDATE}"
    stored = json.loads(script.BASELINE.read_text(encoding="utf-8"))
    assert stored["scenario"] == json.loads(json.dumps(script.SCENARIO)) and stored["seed"] == script.SEED, (
        f"the regression scenario in update_baseline.py differs from the one in baseline.json.\n{HOW_TO_UPDATE}")
    expected = stored["values"]
    actual = script.compute()
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    diffs = []
    for key in sorted(set(expected) & set(actual)):
        e, a = expected[key], actual[key]
        same = (math.isnan(e) and math.isnan(a)) if isinstance(e, float) and math.isnan(e) else \
            math.isclose(a, e, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        if not same:
            diffs.append(f"  {key}: baseline {e!r}, now {a!r}")
    problems = []
    if missing:
        problems.append(f"{len(missing)} values no longer computed, e.g. {missing[:5]}")
    if extra:
        problems.append(f"{len(extra)} new values, e.g. {extra[:5]}")
    if diffs:
        problems.append(f"{len(diffs)} of {len(expected)} values differ:\n" + "\n".join(diffs[:25])
                        + ("\n  ..." if len(diffs) > 25 else ""))
    assert not problems, "model output differs from the regression baseline:\n" + "\n".join(problems) + "\n\n" \
        + HOW_TO_UPDATE


def test_round_sig_keeps_ten_significant_digits():
    round_sig = _script().round_sig
    assert round_sig(1234.56789012345) == 1234.567890
    assert round_sig(0.000123456789012345) == 0.0001234567890
    assert round_sig(-98765432109876.0) == -98765432110000.0
    assert round_sig(0.0) == 0.0
