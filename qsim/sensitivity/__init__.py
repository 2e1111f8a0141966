"""Global sensitivity analysis (SALib), decision robustness and calibration, on top of the experiment layer.

* :func:`sensitivity` (``analysis.py``): Sobol, Morris, eFAST and given-data methods over an uncertainty
  specification, with replications, bootstrap intervals and convergence; decision robustness.
* :func:`calibrate` (``calibration.py``): fit parameters to target indicators.

The modules load on first use (SALib and scipy are not needed to run a scenario).
"""

from __future__ import annotations

import importlib
import sys
import types

_LAZY = {
    "sensitivity": ".analysis", "SensitivityResult": ".analysis",
    "calibrate": ".calibration", "CalibrationResult": ".calibration",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'qsim.sensitivity' has no attribute {name!r}")


__all__ = list(_LAZY)


class _CallableModule(types.ModuleType):
    """Once imported, this package is the attribute ``qsim.sensitivity``, where the public API promises the
    function ``qsim.sensitivity(...)``: calling the package calls that function."""

    def __call__(self, *args, **kwargs):
        return __getattr__("sensitivity")(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
