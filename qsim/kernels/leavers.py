"""Original residents who left the city, followed: their record, their labour market, their sums.

Submodel (docs/model.md, 7.11 "Leavers followed outside the city"). An original resident
(``households.origin_area >= 0``) who leaves the city is written by the mobility kernel into a compact record
(:func:`departures_of`, ``state.Leavers``): its origin area, the month it left, whether it was displaced, its adults
and children, its labour state, spell, skill, wage and the rent of the dwelling it left (its income follows
from them: :func:`income_of`). From the next month on :func:`leavers_step` advances it by the residents'
labour equations (``labour.transition``, with the constants of ``labour.area_constants``) under the conditions
of a place outside the simulated city: the city's labour demand, no address stigma (reputation 1), no
measures, and no referrals (its ties were dropped when it left; a network outside is not modelled). It draws
on its own random-number stream (``rng.STREAM_LEAVERS``, keyed by its uid), so that following it changes no
draw of the city. Not modelled outside: the successor of the head (generation turnover), children's education,
trust, participation, satisfaction and the dwelling (the rent stays that of the dwelling it left).

``kernels.indicators.leaver_sums`` gives the household sums of the record by origin area for the indicators by
cohort (``qsim.indicators.cohorts``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import levers as L
from ..rng import STREAM_LEAVERS, household_key, id_key, key_halves, step_key
from ..state import departures
from .common import clip01, household_income
from .labour import area_constants, transition


@njit(cache=True)
def departures_of(h, movers, displaced, left, rent, step):
    """The leaver record (``state.LeaversView``) of the original residents among the households that left
    the city in month ``step``: ``movers[left[k]]`` are their slots (their rows of ``h`` still as they left),
    ``displaced[left[k]]`` whether they were displaced, ``rent[k]`` (EUR/month) the rent of the dwelling each
    left. Called by the mobility kernel before the vacated slots are let again."""
    n = 0
    for k in range(left.shape[0]):
        n += h.origin_area[movers[left[k]]] >= 0
    lv = departures(n)
    uid, origin_area, left_month, was_displaced = lv.uid, lv.origin_area, lv.left_month, lv.displaced
    adults, children, labour, months, skill, wage, lv_rent = lv.adults, lv.children, lv.labour, \
        lv.unemployed_months, lv.skill, lv.wage, lv.rent
    j = 0
    for k in range(left.shape[0]):
        i = movers[left[k]]
        if h.origin_area[i] < 0:  # a newcomer leaving again: not an original resident of any area
            continue
        uid[j] = h.uid[i]
        origin_area[j] = h.origin_area[i]
        left_month[j] = step
        was_displaced[j] = displaced[left[k]]
        adults[j] = h.adults[i]
        children[j] = h.children[i]
        labour[j] = h.labour[i]
        months[j] = h.unemployed_months[i]
        skill[j] = h.skill[i]
        wage[j] = h.wage[i]
        lv_rent[j] = rent[k]
        j += 1
    return lv


@njit(cache=True)
def outside_constants(p, demand):
    """The labour constants (``labour.area_constants``, one row) of a place outside the city: labour
    demand ``demand``, reputation 1 (no stigma), no measures."""
    return area_constants(p, demand, np.ones(1), np.zeros(1), np.zeros((1, 1, L.N_LEVERS)))


@njit(cache=True)
def leavers_step(key, step, p, demand, lv, n):
    """Advance the first ``n`` leavers of the record ``lv`` one month in the labour market (in place):
    labour state, spell, skill and wage (the income follows: :func:`income_of`). ``p``: the labour
    parameters; ``demand``: labour demand D(t) of the month."""
    skey = step_key(key, STREAM_LEAVERS, step)
    c = outside_constants(p, demand)
    labour, months, skill, wage = lv.labour, lv.unemployed_months, lv.skill, lv.wage
    adults, children = lv.adults, lv.children
    for k in range(n):
        u, _ = key_halves(household_key(skey, id_key(lv.uid[k])))
        state = labour[k]
        state, spell, s, w = transition(p, u, state, months[k], np.float64(skill[k]), wage[k], 0.0,
                                        (adults[k] == 1) & (children[k] > 0), c, 0)
        labour[k] = state
        months[k] = spell
        skill[k] = clip01(s)
        wage[k] = w


@njit(cache=True, inline="always")
def income_of(p, lv, k):
    """Net household income of leaver ``k``, EUR/month (7.1), for labour parameters ``p``."""
    return household_income(p, lv.labour[k], lv.unemployed_months[k], lv.wage[k], lv.adults[k], lv.children[k])
