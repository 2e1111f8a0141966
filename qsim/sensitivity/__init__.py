"""Global sensitivity analysis (SALib), decision robustness and calibration, on top of the experiment layer.

* :func:`sensitivity` (``analysis.py``): Sobol, Morris, eFAST and given-data methods over an uncertainty
  specification, with replications, bootstrap intervals and convergence; decision robustness.
* :func:`calibrate` (``calibration.py``): fit parameters to target indicators.
"""

from __future__ import annotations

_LAZY = {
    "sensitivity": ".analysis", "SensitivityResult": ".analysis",
    "calibrate": ".calibration", "CalibrationResult": ".calibration",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'qsim.sensitivity' has no attribute {name!r}")


__all__ = list(_LAZY)


class _CallableModule(__import__("types").ModuleType):
    """Once imported, this package shadows ``qsim.sensitivity`` (the function): calling the package calls it."""

    def __call__(self, *args, **kwargs):
        from .analysis import sensitivity

        return sensitivity(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
