"""Measures: the catalogue of measure types and the hook that applies a scenario's measures.

``CATALOGUE`` maps a type name to its :class:`MeasureType` entry;
:class:`MeasureRunner` applies the measures of a scenario month by month
(levers, enrolment in person programmes, construction), funded by the
budget ledger (:mod:`qsim.budget`).
"""

from .catalogue import CARRIERS, CATALOGUE, ENTRIES, MeasureType

__all__ = ["CATALOGUE", "CARRIERS", "ENTRIES", "MeasureType"]
