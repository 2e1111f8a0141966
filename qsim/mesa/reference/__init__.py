"""The reference Mesa model: the qsim model written the usual Mesa way (one agent per household).

See :mod:`qsim.mesa.reference.model` and ``docs/reference-model.md``.
"""

from .agents import Household
from .model import ReferenceModel

__all__ = ["ReferenceModel", "Household"]
