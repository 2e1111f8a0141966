"""qsim in Mesa: the engine as a ``mesa.Model`` (see :mod:`qsim.mesa.model`)."""

from .model import HouseholdAgent, QsimModel

__all__ = ["QsimModel", "HouseholdAgent"]
