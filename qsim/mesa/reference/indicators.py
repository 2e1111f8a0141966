"""Indicators of the reference model: the city row ("all" areas, all groups) of ``qsim.indicators``.

Same names, units and definitions as qsim's own indicators (``qsim.indicators.CATALOGUE``); one
value each per month, computed from the agents at the end of the month.
``collective_efficacy`` uses each block's efficacy of this month's trust
step (before the moves), as the core does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER
from .common import basic_support, rent_burden
from .mobility import BETWEEN, DISPLACED, IN, OUT

if TYPE_CHECKING:
    from .model import ReferenceModel


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _share(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0


def segregation_index(model: "ReferenceModel") -> float:
    """Dissimilarity index of the two groups over all blocks of the city."""
    t0 = sum(b.group_count[0] for b in model.blocks)
    t1 = sum(b.group_count[1] for b in model.blocks)
    if t0 == 0 or t1 == 0:
        return 0.0
    return min(1.0, 0.5 * sum(abs(b.group_count[0] / t0 - b.group_count[1] / t1) for b in model.blocks))


def compute(model: "ReferenceModel") -> dict[str, float]:
    """All indicators of the city for the current month."""
    lp = model.params.labour
    limit = model.params.environment.housing_cost_limit
    households = list(model.agents)
    n = len(households)
    poor = {hh: basic_support(lp, hh.labour, hh.income, hh.adults, hh.children, hh.dwelling.rent, limit)
            for hh in households}
    ties = sum(len(hh.ties) for hh in households)
    inter = sum(1 for hh in households for other in hh.ties if other.group != hh.group)
    children = sum(hh.children for hh in households)
    out = sum(f[OUT] for f in model.flows.values()) - sum(f[BETWEEN] for f in model.flows.values())
    into = sum(f[IN] for f in model.flows.values()) - sum(f[BETWEEN] for f in model.flows.values())
    start = n + out - into
    weights = [sum(len(b.households) for b in area.blocks) for area in model.areas]
    total = sum(weights)
    weights = [w / total if total > 0 else 1.0 / len(model.areas) for w in weights]
    dwellings = len(model.dwellings)
    return {
        "unemployment_rate": _share(sum(hh.labour in (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED)
                                        for hh in households), n),
        "long_term_unemployment_rate": _share(sum(hh.labour == LONG_TERM_UNEMPLOYED for hh in households), n),
        "transfer_rate": _share(sum(hh.labour == TRANSFER or (poor[hh] and hh.labour == EMPLOYED)
                                    for hh in households), n),
        "child_poverty_rate": _share(sum(hh.children for hh in households if poor[hh]), children),
        "mean_income": _mean([hh.income for hh in households]),
        "mean_skill": _mean([hh.skill for hh in households]),
        "in_group_trust": _mean([hh.trust_in for hh in households]),
        "out_group_trust": _mean([hh.trust_out for hh in households]),
        "institutional_trust": _mean([hh.trust_inst for hh in households]),
        "tie_density": _share(ties, n),
        "inter_group_tie_share": _share(inter, ties),
        "collective_efficacy": _mean([hh.cell.efficacy for hh in households]),
        "participation_rate": _mean([float(hh.participating) for hh in households]),
        "efficacy": _mean([hh.efficacy for hh in households]),
        "satisfaction": _mean([hh.satisfaction for hh in households]),
        "move_out_rate": _share(out, start),
        "in_move_rate": _share(into, start),
        "vacancy_rate": _share(dwellings - n, dwellings),
        "segregation_index": segregation_index(model),
        "building_quality": _mean([b.quality for b in model.buildings]),
        "place_quality": sum(w * area.place_quality for w, area in zip(weights, model.areas)),
        "disorder": _mean([hh.cell.disorder for hh in households]),
        "mean_rent": _mean([hh.dwelling.rent for hh in households]),
        "rent_burden": _mean([rent_burden(hh.dwelling.rent, hh.income, poor[hh] or hh.labour == INACTIVE, limit)
                              for hh in households]),
        "displacements": float(sum(f[DISPLACED] for f in model.flows.values())),
        "conflicts": sum(hh.conflicts for hh in households) / 2.0,
        "actor_network_density": sum(w * area.network_density for w, area in zip(weights, model.areas)),
        "reputation": sum(w * area.reputation for w, area in zip(weights, model.areas)),
        "budget_available": sum(area.budget_available for area in model.areas),
        "budget_spent": sum(area.budget_spent for area in model.areas),
        "cumulative_cost": sum(area.cumulative_cost for area in model.areas),
        "households": float(n),
    }
