"""Indicators by cohort: original residents, stayers, leavers and newcomers (issue 14).

For an area, with ``households.origin_area`` (the area a household lived in at month 0, NO_ONE for those
who came from outside the city since; ``qsim.state``):

* *original*: every household that lived in the area at month 0, wherever it lives now: the stayers and
  the leavers;
* *stayers*: original residents living in the area now (one that left and came back counts as a stayer);
* *leavers*: original residents living elsewhere now: in another simulated area (in the household arrays)
  or outside the city (followed in ``state.leavers``, ``qsim.kernels.leavers``);
* *newcomers*: households living in the area now that did not live there at month 0 (from outside the
  city or from another simulated area).

For the city (area 'all') the place is the city: stayers are the original residents still in the city
(in any area), leavers those who left the city, newcomers those who came from outside it. So in every
row ``original = stayers + leavers`` and ``households present = stayers + newcomers``: the sums of the
cohorts add up.

At the end of every year (and of a run) the engine records, for every area and the city and for each
cohort, the registered stock indicators that are shares, means or counts of the household sums
(:mod:`qsim.kernels.indicators`), from the same sums over the cohort's households. ``households`` (the
cohort's count) comes first. Without mobility everyone is a stayer: original and stayers equal the area
exactly, leavers and newcomers are empty. A share or mean of an empty cohort is NaN. For leavers outside
the city only the labour-market state, income, skill, transfer receipt and children in poverty are known
(``kernels.indicators.OUTSIDE_SUMS``): every other indicator (trust, ties, participation, efficacy,
satisfaction, rent, rent burden) is NaN for a cohort that has members outside the city (the leavers and
the original residents of an area or the city with any leaver outside). Indicators of the household's
block (collective efficacy, disorder), of flows and of the area are not split by cohort.
"""

from __future__ import annotations

import numpy as np

from ..kernels.indicators import S_CE, S_DISORDER, S_N, SUMS, household_sums, leaver_sums
from ..state import NO_ONE
from . import registry
from .registry import Count, Mean, Share

COHORTS = ("original", "stayers", "leavers", "newcomers")
"""The cohorts, in record order (see the module's docstring)."""
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
    """The registered indicators recorded by cohort: ``households`` first, then the others in registry order."""
    split = [ind.name for ind in registry.indicators() if _sums_of(ind) is not None]
    return sorted(split, key=lambda name: name != "households")  # stable: the rest keep their order


def cohort_sums(state, params, sums: np.ndarray) -> np.ndarray:
    """The household sums of each cohort: (n_areas + 1 rows, len(COHORTS), N_SUMS); row n_areas is the
    city. ``sums``: the month's household sums of all households present (``registry.compute(...,
    sums_out=)``), (n_areas + 1, 3 groups, N_SUMS).

    Three more passes of the household-sums kernel over the few households concerned (it adds households
    scattered over the slots one by one): those from outside the city by their area, those from another
    simulated area by their area and by their origin area; and the leavers outside the city
    (``leaver_sums``). The stayers are the rest of the households present: without mobility, exactly the
    area's sums.
    """
    h, dw = state.households, state.dwellings
    n_areas = len(state.areas)
    lp, limit = params.labour, params.environment.housing_cost_limit
    where = np.where(h.alive, h.dwelling, 0)
    area_now = dw.area[where]
    from_outside = h.alive & (h.origin_area == NO_ONE)
    elsewhere = h.alive & (h.origin_area != NO_ONE) & (h.origin_area != area_now)
    by_origin = np.full_like(dw.area, NO_ONE)  # a dwelling's "area": the origin area of its occupant
    by_origin[h.dwelling[elsewhere]] = h.origin_area[elsewhere]

    def sums_of(mask, dwellings):
        return household_sums(lp, h.view()._replace(alive=mask), dwellings, state.blocks.area[:0], _NO_BLOCKS,
                              np.zeros(0), state.blocks.disorder[:0], limit, n_areas)[:, 2, :]

    outside = sums_of(from_outside, dw.view())
    moved_here = sums_of(elsewhere, dw.view())
    moved_away = sums_of(elsewhere, dw.view()._replace(area=by_origin))
    gone = leaver_sums(lp, state.leavers.view(), state.n_leavers, limit, n_areas)
    present = sums[:, 2, :]
    newcomers = outside + moved_here
    leavers = moved_away + gone
    city = n_areas  # the city: moves between its areas are no moves
    newcomers[city] = outside[city]
    leavers[city] = gone[city]
    stayers = present - newcomers
    return np.stack([stayers + leavers, stayers, leavers, newcomers], axis=1)


_NO_BLOCKS = np.zeros((0, 2), np.int32)  # block sums are not split by cohort (nor needed here)


def compute(state, params, sums: np.ndarray) -> np.ndarray:
    """The cohort indicators of this month: (n_areas + 1 rows, len(COHORTS), len(names())); row n_areas is
    the city. ``sums``: as for :func:`cohort_sums`. A share or mean over nobody is NaN."""
    s = cohort_sums(state, params, sums)
    by_name = {ind.name: ind for ind in registry.indicators()}
    out = np.full(s.shape[:2] + (len(names()),), np.nan)
    for c, name in enumerate(names()):
        num, den = _columns(by_name[name])
        if den is None:
            out[:, :, c] = s[:, :, num]
        else:
            np.divide(s[:, :, num], s[:, :, den], out=out[:, :, c], where=s[:, :, den] > 0)
    return out


def _columns(ind: registry.Indicator) -> tuple[int, int | None]:
    num, den = _sums_of(ind)
    return SUMS.index(num), None if den is None else SUMS.index(den)
