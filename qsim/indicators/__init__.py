"""Indicators: the public outputs of a run, one registry entry each.

>>> import qsim.indicators as ind
>>> ind.get("unemployment_rate").better                  # doctest: +SKIP
-1
>>> ind.register(ind.Indicator(name="green_share", ...))  # doctest: +SKIP

Every month the engine records one value per registered indicator for each area and for the whole city
("all"), for each group and for all households ("all"). :mod:`.registry` defines the entry and the
computation, :mod:`.catalogue` qsim's own indicators; docs/contributing.md ("Adding an indicator") shows how to add one.
"""

from . import registry as _registry
from .catalogue import CATALOGUE
from .registry import (KINDS, LANGUAGES, LEVELS, UNIT_TEXT, AreaValue, Count, FlowCount, FlowRate, Indicator,
                       IndicatorError, Mean, Share, Text, better, checked_names, compute, get, indicators, key_names,
                       names, register, unregister)

for _entry in CATALOGUE:
    register(_entry)
_registry._freeze()

__all__ = ["Indicator", "Text", "Share", "Mean", "Count", "FlowRate", "FlowCount", "AreaValue", "IndicatorError",
           "register", "unregister", "get", "indicators", "names", "key_names", "better", "checked_names",
           "compute", "CATALOGUE", "KINDS", "LEVELS", "LANGUAGES", "UNIT_TEXT"]


def __getattr__(name: str):
    """The registry as it is now under its former constant names (``INDICATORS``, ``NAMES``, ``BY_NAME``,
    ``INDEX``), and the sums of :mod:`qsim.kernels.indicators` under their former home."""
    current = {"INDICATORS": indicators, "NAMES": names, "BY_NAME": lambda: dict(zip(names(), indicators())),
               "INDEX": lambda: {n: k for k, n in enumerate(names())}}
    if name in current:
        return current[name]()
    from ..kernels import indicators as kernel

    if name.startswith("S_") or name in ("N_SUMS", "SUMS", "household_sums"):
        return getattr(kernel, name)
    raise AttributeError(f"module 'qsim.indicators' has no attribute {name!r}")
