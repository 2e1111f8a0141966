"""Hooks: code run at the start of every month, before the processes (docs/model.md, 7.9).

A hook is any callable ``hook(context, month)``. The budget ledger and the
measure runner are hooks, and ``Simulation(..., hooks=[...])`` appends a
user's own. A hook receives a :class:`HookContext`, not the simulation: the
state (whose arrays it may change in place: levers, enrolment, qualities,
rents, ...), the month, the parameters to read, and one explicit way to
change parameters from now on (:meth:`HookContext.set_parameters`). A hook
that keeps arrays or indices per household slot also has a method
``households_reordered(new_slot)``, called after the engine re-orders the
slots (``new_slot[old]`` is the new slot).

Hooks written for the old signature ``hook(sim, month)`` keep working if they
use only ``sim.state``, ``sim.month``, ``sim.params`` and
``sim.set_parameters``; anything else of the simulation raises a
:class:`HookError` that says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

from .errors import QsimError

if TYPE_CHECKING:
    from .parameters import ModelParameters
    from .state import State


class HookError(QsimError, AttributeError):
    """A hook asked its context for something only the simulation has."""


class HookContext:
    """What a hook sees of a run: ``state``, ``month``, ``params`` and ``set_parameters(overrides)``."""

    __slots__ = ("state", "_params", "_set_parameters")

    def __init__(self, state: "State", params: Callable[[], "ModelParameters"],
                 set_parameters: Callable[[dict[str, float]], None]):
        self.state = state
        self._params = params
        self._set_parameters = set_parameters

    @property
    def month(self) -> int:
        """The month about to be simulated (0 = the first)."""
        return self.state.month

    @property
    def params(self) -> "ModelParameters":
        """The model parameters in force (read-only; change them with :meth:`set_parameters`)."""
        return self._params()

    def set_parameters(self, overrides: dict[str, float]) -> None:
        """Change model parameters from this month on (dotted names, e.g. ``{"labour.job_loss": 0.02}``)."""
        self._set_parameters(overrides)

    def __getattr__(self, name: str):
        raise HookError(f"a hook receives a HookContext (state, month, params, set_parameters), not the "
                        f"Simulation: it has no {name!r} (see qsim.hooks)")


class Hook(Protocol):
    """Anything called at the start of every month with the context and the month, before the processes."""

    def __call__(self, context: HookContext, month: int) -> None: ...


__all__ = ["Hook", "HookContext", "HookError"]
