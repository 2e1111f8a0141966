"""Indicators by cohort: original residents still in their area (stayers) and newcomers (issue 14).

A household present in an area is a *stayer* if it lived there when the run began and never left
(``households.moved_in < 0``), else a *newcomer* (it came from outside the city or from another simulated
area since month 0; see :mod:`qsim.state`). At the end of every year (and of a run) the engine records, for
every area and the city and for each cohort, the registered stock indicators that are shares, means or counts
of the household sums
(:mod:`qsim.kernels.indicators`), from the same sums over the cohort's households: without mobility everyone
is a stayer and the stayers' values equal the area's exactly. Indicators of the
household's block (collective efficacy, disorder), of flows and of the area are not split by cohort.
"""

from __future__ import annotations

import numpy as np

from ..kernels.indicators import S_CE, S_DISORDER, S_N, SUMS, household_sums
from . import registry
from .registry import Count, Mean, Share

COHORTS = ("stayers", "newcomers")
"""The cohorts of the households present in an area, in record order."""
_BLOCK_SUMS = {SUMS[S_CE], SUMS[S_DISORDER]}  # summed per block, not per household: no cohort split


def _sums_of(ind: registry.Indicator) -> tuple[str, str | None] | None:
    """(numerator sum, denominator sum or None for a count) of an indicator that splits by cohort, else None."""
    c = ind.compute
    if ind.kind != "stock":  # recorded once a year: only stocks keep their yearly meaning
        return None
    if isinstance(c, Share):
        pair = (c.numerator, c.denominator)
    elif isinstance(c, Mean):
        pair = (c.total, SUMS[S_N])
    elif isinstance(c, Count) and not c.once_for_all:
        pair = (c.total, None)
    else:
        return None
    return None if _BLOCK_SUMS & set(pair) else pair


RECORD_EVERY = 12
"""Months between cohort records: the last month of every year (stocks: a year's value is December's, as the
MSS reads its indicators on 31 December), and the last month of a run. Monthly records cost about 10% of a
step at 1e5 households (the newcomers' sums: one more pass over the slots every month)."""


def recorded(month: int) -> bool:
    """Whether the engine records the cohorts at the end of ``month`` (besides a run's last month)."""
    return month % RECORD_EVERY == RECORD_EVERY - 1


def names() -> list[str]:
    """The registered indicators recorded by cohort, in registry order."""
    return [ind.name for ind in registry.indicators() if _sums_of(ind) is not None]


def compute(state, params, sums: np.ndarray) -> np.ndarray:
    """The cohort indicators of this month: (n_areas + 1 rows, len(COHORTS), len(names())); row n_areas is
    the city. ``sums``: the month's household sums of all households (``registry.compute(..., sums_out=)``).

    The newcomers' sums are gathered by the household-sums kernel over the newcomers only (a few, early in a
    run; the kernel adds households that are scattered over the slots one by one), the stayers' are the rest:
    without newcomers, exactly the area's sums.
    """
    h, dw, blk = state.households, state.dwellings, state.blocks
    newcomers = h.alive & (h.moved_in >= 0)
    no_blocks = np.zeros((0, 2), blk.group_count.dtype)  # block sums are not split (nor needed here)
    new = household_sums(params.labour, h.view()._replace(alive=newcomers), dw.view(), blk.area[:0], no_blocks,
                         np.zeros(0), blk.disorder[:0], params.environment.housing_cost_limit,
                         len(state.areas))[:, 2, :]
    columns = [_columns(ind) for ind in registry.indicators() if _sums_of(ind) is not None]
    out = np.zeros((len(state.areas) + 1, len(COHORTS), len(columns)))
    for k, s in enumerate((sums[:, 2, :] - new, new)):
        for c, (num, den) in enumerate(columns):
            if den is None:
                out[:, k, c] = s[:, num]
            else:
                np.divide(s[:, num], s[:, den], out=out[:, k, c], where=s[:, den] > 0)
    return out


def _columns(ind: registry.Indicator) -> tuple[int, int | None]:
    num, den = _sums_of(ind)
    return SUMS.index(num), None if den is None else SUMS.index(den)
