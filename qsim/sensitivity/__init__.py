"""Global sensitivity analysis (SALib), decision robustness and calibration, on top of the experiment layer.

* :func:`sensitivity` (``analysis.py``): Sobol, Morris, eFAST and given-data methods over an uncertainty
  specification, with replications, bootstrap intervals and convergence; decision robustness. What it
  returns, :class:`SensitivityResult`, is in ``result.py``.
* :func:`calibrate` (``calibration.py``): fit parameters to target indicators.

``from qsim.sensitivity import sensitivity, calibrate`` imports the functions; ``qsim.sensitivity(...)`` calls
the function too (``qsim``'s lazy attribute). The modules load on first use (a module ``__getattr__``, PEP 562):
SALib and scipy are not needed to run a scenario.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "sensitivity": ".analysis", "SensitivityResult": ".result",
    "calibrate": ".calibration", "CalibrationResult": ".calibration",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'qsim.sensitivity' has no attribute {name!r}")


__all__ = list(_LAZY)
