"""Residential mobility and reputation (ODD 7.7; kernel ``qsim/kernels/mobility.py``).

Decide (every household on the same state): satisfaction; displacement by
rent burden; Schelling's unhappiness with too few similar neighbours in
the Moore neighbourhood of blocks; otherwise a move hazard rising with
dissatisfaction, within the area or out of it (those earning more leave
more). Act: movers one by one in a random order (Mesa's shuffled
activation); a mover within the area takes the best of ``candidates``
random vacancies; leavers vacate their dwelling and leave the model. Then
vacancies are let to households from outside, and the area's reputation
follows its condition.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .agents import Household
from .common import below, housing_covered, rent_burden
from .environment import market_rent
from .households import draw_attitudes, in_mover

if TYPE_CHECKING:
    from .model import ReferenceModel
    from .space import Block, Dwelling
    from .trust import BlockSummary

STAY, MOVE_WITHIN, MOVE_OUT, DISPLACE = range(4)
# flow counters per area (all groups): model.flows[area][...]
OUT, DISPLACED, IN, INTERNAL, BETWEEN = range(5)


def satisfaction_of(p, quality: float, place_quality: float, trust_in: float, disorder: float,
                    burden: float) -> float:
    """Residential satisfaction, 0-1: weighted mean of building, places, cohesion, safety, affordability."""
    afford = max(0.0, 1.0 - 2.0 * max(0.0, burden - p.burden_threshold))
    wsum = p.weight_building + p.weight_environment + p.weight_cohesion + p.weight_safety + p.weight_affordability
    if wsum <= 0.0:
        return 0.5
    return (p.weight_building * quality + p.weight_environment * place_quality + p.weight_cohesion * trust_in
            + p.weight_safety * (1.0 - disorder) + p.weight_affordability * afford) / wsum


def similar_share(block: "Block", group: int, home: "Block") -> float:
    """Share of ``group`` among the households in the Moore neighbourhood of ``block``, not counting the asker
    (who lives in ``home``)."""
    same = total = 0
    for b in block.neighbourhood:
        same += b.group_count[group]
        total += b.group_count[0] + b.group_count[1]
        if b is home:
            same -= 1
            total -= 1
    return same / total if total > 0 else 0.0


class Vacancies:
    """The vacant dwellings of the city: a list with O(1) removal, for random draws."""

    def __init__(self, dwellings: list["Dwelling"]):
        self.items = [d for d in dwellings if d.occupant is None]
        self.position = {d: k for k, d in enumerate(self.items)}

    def add(self, dwelling: "Dwelling") -> None:
        self.position[dwelling] = len(self.items)
        self.items.append(dwelling)

    def remove(self, dwelling: "Dwelling") -> None:
        k = self.position.pop(dwelling)
        last = self.items.pop()
        if last is not dwelling:
            self.items[k] = last
            self.position[last] = k


def choose_vacancy(model: "ReferenceModel", hh: Household, vacancies: Vacancies, same_area: bool,
                   rent_pressure: float) -> "Dwelling | None":
    """Best of up to ``candidates`` random vacancies in (``same_area``) or outside the household's area."""
    p, lp, ep = model.params.mobility, model.params.labour, model.params.environment
    random = model.random
    candidates = int(p.candidates)
    area = hh.cell.area
    best, best_u, found = None, -math.inf, 0
    for _ in range(4 * candidates + 8):
        if not vacancies.items or found >= candidates:
            break
        v = vacancies.items[below(random, len(vacancies.items))]
        if (v.area is area) != same_area:
            continue
        found += 1
        if candidates == 1:
            return v
        rent = market_rent(ep, v.area, rent_pressure, v.building.quality)
        supported = housing_covered(lp, hh.labour, hh.income, hh.adults, hh.children, rent, ep.housing_cost_limit)
        burden = rent_burden(rent, hh.income, supported, ep.housing_cost_limit)
        utility = satisfaction_of(p, v.building.quality, v.area.place_quality, hh.trust_in, v.block.disorder, burden)
        if similar_share(v.block, hh.group, hh.cell) >= p.similarity_threshold:
            utility += 0.2
        if utility > best_u:
            best_u, best = utility, v
    return best


def mobility_step(model: "ReferenceModel", rent_pressure: float) -> None:
    p, lp, ep = model.params.mobility, model.params.labour, model.params.environment
    random = model.random
    model.flows = {area: [0, 0, 0, 0, 0] for area in model.areas}
    households = list(model.agents)
    for area in model.areas:
        incomes = [hh.income for hh in households if hh.cell.area is area]
        area.reference_income = sum(incomes) / len(incomes) if incomes else 0.0
    city = sum(hh.income for hh in households) / max(len(households), 1)
    for area in model.areas:
        area.city_income = city  # the simulated city's mean income: in-movers sort by the area's relative income

    # -- decide, every household on the same state
    around = {}
    if p.unhappy_move_probability > 0.0:
        for block in model.blocks:
            around[block] = (sum(b.group_count[0] for b in block.neighbourhood),
                             sum(b.group_count[1] for b in block.neighbourhood))
    intent = {}
    for hh in households:
        d, block, area = hh.dwelling, hh.cell, hh.cell.area
        supported = housing_covered(lp, hh.labour, hh.income, hh.adults, hh.children, d.rent, ep.housing_cost_limit)
        burden = rent_burden(d.rent, hh.income, supported, ep.housing_cost_limit)
        sat = satisfaction_of(p, d.building.quality, area.place_quality, hh.trust_in, block.disorder, burden)
        hh.satisfaction = sat
        hh.tenure = min(hh.tenure + 1, 32000)
        if burden > p.displacement_burden and random.random() < p.displacement_rate:
            intent[hh] = DISPLACE
            continue
        u = random.random()
        if p.unhappy_move_probability > 0.0 and random.random() < p.unhappy_move_probability:
            counts = around[block]
            total = counts[0] + counts[1] - 1
            similar = (counts[hh.group] - 1) / total if total > 0 else 0.0
            if similar < p.similarity_threshold:
                intent[hh] = MOVE_WITHIN if u < p.share_within_area else MOVE_OUT
                continue
        if p.base_move_rate <= 0.0:
            continue
        hazard = p.base_move_rate * math.exp(p.dissatisfaction_sensitivity * (0.5 - sat))
        within = hazard * p.share_within_area
        ref = area.reference_income
        afford = max(0.2, 1.0 + p.selectivity * (hh.income / ref - 1.0)) if ref > 0 else 1.0
        if u < within:
            intent[hh] = MOVE_WITHIN
        elif u < within + hazard * (1.0 - p.share_within_area) * afford:
            intent[hh] = MOVE_OUT

    # -- act, one by one in a random order
    vacancies = Vacancies(model.dwellings)
    movers = list(intent)
    random.shuffle(movers)
    several_areas = len(model.areas) > 1
    for hh in movers:
        what = intent[hh]
        old = hh.dwelling
        area = old.area
        target = None
        if what == MOVE_WITHIN:
            target = choose_vacancy(model, hh, vacancies, True, rent_pressure)
        elif what == MOVE_OUT and several_areas and random.random() < p.city_share_of_out_moves:
            target = choose_vacancy(model, hh, vacancies, False, rent_pressure)
        if target is not None:
            vacancies.remove(target)
            vacancies.add(old)
            hh.move_to(target)
            target.rent = market_rent(ep, target.area, rent_pressure, target.building.quality)
            hh.tenure = 0
            if target.area is area:
                model.flows[area][INTERNAL] += 1
            else:
                model.flows[area][OUT] += 1
                model.flows[target.area][IN] += 1
                model.flows[target.area][BETWEEN] += 1
        elif what in (MOVE_OUT, DISPLACE):
            model.flows[area][OUT] += 1
            if what == DISPLACE:
                model.flows[area][DISPLACED] += 1
            vacancies.add(old)
            hh.leave_city()

    # -- vacancies let to households from outside, in dwelling order
    if p.vacancy_fill_rate > 0.0:
        let_vacancies(model, sorted(vacancies.items, key=lambda d: d.index), rent_pressure)


def let_vacancies(model: "ReferenceModel", vacancies: list["Dwelling"], rent_pressure: float) -> None:
    """Let vacant dwellings to outside households who can afford the market rent."""
    p, lp, tp, pp, ep = (model.params.mobility, model.params.labour, model.params.trust, model.params.participation,
                         model.params.environment)
    random = model.random
    for v in vacancies:
        area = v.area
        if random.random() >= p.vacancy_fill_rate * (0.5 + area.reputation):
            continue
        attributes = in_mover(random, p, lp, area)
        rent = market_rent(ep, area, rent_pressure, v.building.quality)
        supported = housing_covered(lp, attributes["labour"], attributes["income"], attributes["adults"],
                                    attributes["children"], rent, ep.housing_cost_limit)
        if rent_burden(rent, attributes["income"], supported, ep.housing_cost_limit) > p.displacement_burden:
            continue  # nobody who wants it can afford it this month
        attributes.update(draw_attitudes(random, tp, pp, 0.2))
        v.rent = rent
        model.add_household(v, **attributes)
        model.flows[area][IN] += 1


def reputation_step(model: "ReferenceModel", summaries: dict[object, "BlockSummary"], initialise: bool = False) -> None:
    """Each area's reputation moves towards its condition (employment, order, building quality) with lag
    ``reputation_lag``; ``summaries`` are this month's block sums before the moves."""
    for area in model.areas:
        blocks = area.blocks
        residents = sum(summaries[b].count for b in blocks)
        if residents == 0:
            continue
        unemployed = sum(summaries[b].unemployed for b in blocks)
        quality = sum(summaries[b].quality for b in blocks)
        disorder = sum(b.disorder for b in blocks)
        condition = (0.4 * (1.0 - min(1.0, unemployed / residents / 0.3))
                     + 0.3 * (1.0 - disorder / max(len(blocks), 1)) + 0.3 * quality / residents)
        if initialise:
            area.reputation = condition
        else:
            area.reputation += (condition - area.reputation) / model.params.mobility.reputation_lag
