"""qsim: agent-based simulation of neighbourhood intervention scenarios (Quartiersmanagement).

>>> import qsim
>>> scenario = qsim.load_scenario("scenarios/baseline.toml")      # doctest: +SKIP
>>> result = qsim.Simulation(scenario, seed=1).run()                # doctest: +SKIP
>>> result.yearly()                                                 # doctest: +SKIP
"""

from .engine import Simulation
from . import indicators
from .parameters import PARAMETERS, ModelParameters
from .result import Result
from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from .version import __version__

# The package qsim.sensitivity (its __init__ is small) is loaded now, and the name the import system binds to it
# here is removed: `qsim.sensitivity` is then the function (below, on first use), and a later import of
# qsim.sensitivity.<module> does not bind the name again (a package is bound in its parent once, when loaded).
# `from qsim.sensitivity import ...` and `from qsim.sensitivity.<module> import ...` work as for any package;
# the attribute path `qsim.sensitivity.<module>` does not (after `import qsim` the name is the function).
from . import sensitivity as _sensitivity_package
del sensitivity  # noqa: F821

_EXPERIMENT = ("compare", "Comparison", "sweep", "SweepResult", "open_store")
_SENSITIVITY = ("sensitivity", "SensitivityResult", "calibrate", "CalibrationResult")


def __getattr__(name: str):
    """The experiment and sensitivity layers (scipy, pyarrow, SALib) load on first use: `qsim run` starts fast."""
    if name in _EXPERIMENT:
        from . import experiment

        return getattr(experiment, name)
    if name == "INDICATORS":  # the registry as it is now (qsim.indicators.register may add to it)
        return indicators.indicators()
    if name == "INDICATOR_NAMES":
        return indicators.names()
    if name in _SENSITIVITY:
        return getattr(_sensitivity_package, name)
    raise AttributeError(f"module 'qsim' has no attribute {name!r}")


__all__ = ["Simulation", "Result", "Scenario", "ScenarioError", "load_scenario", "scenario_from_dict",
           "ModelParameters", "PARAMETERS", "INDICATORS", "INDICATOR_NAMES", "compare",
           "Comparison", "sweep", "SweepResult", "open_store", "sensitivity", "SensitivityResult", "calibrate",
           "CalibrationResult", "__version__"]
