"""qsim: agent-based simulation of neighbourhood intervention scenarios (Quartiersmanagement).

>>> import qsim
>>> scenario = qsim.load_scenario("scenarios/baseline.toml")      # doctest: +SKIP
>>> result = qsim.Simulation(scenario, seed=1).run()                # doctest: +SKIP
>>> result.yearly()                                                 # doctest: +SKIP
"""

from .engine import Simulation
from .indicators import INDICATORS, NAMES as INDICATOR_NAMES
from .parameters import PARAMETERS, ModelParameters
from .result import Result
from .scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict

__version__ = "0.1.0"

_EXPERIMENT = ("compare", "Comparison", "sweep", "SweepResult", "open_store")
_SENSITIVITY = ("sensitivity", "SensitivityResult", "calibrate", "CalibrationResult")


def __getattr__(name: str):
    """The experiment and sensitivity layers (scipy, pyarrow, SALib) load on first use: `qsim run` starts fast."""
    if name in _EXPERIMENT:
        from . import experiment

        return getattr(experiment, name)
    if name in _SENSITIVITY:
        import importlib  # not `from . import sensitivity`: that looks up qsim.sensitivity, i.e. this function again

        return getattr(importlib.import_module(".sensitivity", __name__), name)
    raise AttributeError(f"module 'qsim' has no attribute {name!r}")

__all__ = ["Simulation", "Result", "Scenario", "ScenarioError", "load_scenario", "scenario_from_dict",
           "ModelParameters", "PARAMETERS", "INDICATORS", "INDICATOR_NAMES", "compare",
           "Comparison", "sweep", "SweepResult", "open_store", "sensitivity", "SensitivityResult", "calibrate",
           "CalibrationResult", "__version__"]
