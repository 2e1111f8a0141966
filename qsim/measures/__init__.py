"""Measures: the catalogue of measure types, their delivery kinds, and the hook that applies a scenario's measures.

``CATALOGUE`` maps a type name to its :class:`MeasureType` entry;
:func:`register` adds a type (checked; :class:`CatalogueError` if it is
wrong). Each entry names a delivery kind (:mod:`qsim.measures.delivery`:
area, office, programme, construction; :func:`register_delivery` adds one).
:class:`~qsim.measures.timing.Timing` says when a measure acts;
:class:`~qsim.measures.runner.MeasureRunner` applies the measures of a
scenario month by month, funded by the budget ledger (:mod:`qsim.budget`).
This package sits below the engine: it never imports ``qsim.engine`` or
``qsim.result``.
"""

from .catalogue import CARRIERS, CATALOGUE, ENTRIES, CatalogueError, MeasureType, register, unregister
from .delivery import DELIVERIES, Delivered, Delivery, StateChange, register_delivery
from .timing import Timing

__all__ = ["CATALOGUE", "CARRIERS", "DELIVERIES", "ENTRIES", "CatalogueError", "Delivered", "Delivery",
           "MeasureType", "StateChange", "Timing", "register", "register_delivery", "unregister"]
