"""Shared rules of the reference model: levers, income, SGB II support, rent burden, draws.

Plain-Python twins of ``qsim/kernels/common.py`` (same names, same formulas).
"""

from __future__ import annotations

import math
from random import Random

from ...state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER


def clip01(x: float) -> float:
    """x clipped to [0, 1]."""
    return min(1.0, max(0.0, x))


def basic_need(p, adults: int, children: int) -> float:
    """SGB II need of a household, EUR/month (a second adult counts 80%); ``p`` are the labour parameters."""
    return p.need_adult * (1.0 + 0.8 * (adults - 1)) + p.need_child * children


def basic_support(p, labour: int, income: float, adults: int, children: int, rent: float,
                  housing_cost_limit: float) -> bool:
    """True if the household receives SGB II (long-term unemployed, transfer, or income short of need + rent)."""
    if labour == LONG_TERM_UNEMPLOYED or labour == TRANSFER:
        return True
    if labour == INACTIVE:
        return False
    return income < basic_need(p, adults, children) + min(rent, housing_cost_limit)


def housing_covered(p, labour: int, income: float, adults: int, children: int, rent: float,
                    housing_cost_limit: float) -> bool:
    """True if the state pays the rent up to the limit: SGB II households and inactive households."""
    return labour == INACTIVE or basic_support(p, labour, income, adults, children, rent, housing_cost_limit)


def rent_burden(rent: float, income: float, supported: bool, housing_cost_limit: float) -> float:
    """Share of income spent on rent after housing support."""
    own = rent - min(rent, housing_cost_limit) if supported else rent
    return own / max(income, 1.0)


def household_income(p, labour: int, unemployed_months: int, wage: float, adults: int, children: int) -> float:
    """Net household income excluding housing support, EUR/month."""
    if labour == EMPLOYED:
        return wage + p.child_benefit * children
    need = basic_need(p, adults, children)
    if labour == SHORT_TERM_UNEMPLOYED and unemployed_months < p.insurance_months:
        return max(p.insurance_replacement * wage + p.child_benefit * children, need)
    return need


def logit_normal(random: Random, mean: float, concentration: float) -> float:
    """A draw in (0, 1): logit-normal with about the mean and variance of a Beta(mean c, (1 - mean) c)."""
    m = min(max(mean, 1e-3), 1.0 - 1e-3)
    sd = 1.0 / math.sqrt(m * (1.0 - m) * (concentration + 1.0))
    x = math.log(m / (1.0 - m)) + sd * random.gauss(0.0, 1.0)
    return 1.0 / (1.0 + math.exp(-x))


def below(random: Random, n: int) -> int:
    """A uniform integer in 0 .. n-1 (as ``rng.below``: min(floor(U n), n - 1))."""
    return min(int(random.random() * n), n - 1)
