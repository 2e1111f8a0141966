"""qsim in Mesa: the engine as a ``mesa.Model`` (see :mod:`qsim.mesa.model`).

The browser dashboard (``qsim dashboard``) lives in :mod:`qsim.mesa.dashboard`; it is not imported here because
it loads solara and Mesa's visualisation.
"""

from .model import HouseholdAgent, QsimModel

__all__ = ["QsimModel", "HouseholdAgent"]
