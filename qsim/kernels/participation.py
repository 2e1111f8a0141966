"""Participation: thresholds, social influence, outreach, efficacy and attachment.

Submodel (docs/model.md, "Participation"). Granovetter (1978) thresholds:
a household takes part when the share of others it sees taking part
reaches its effective threshold

    observed  = tie_influence * (strength-weighted share of ties taking part)
                + (1 - tie_influence) * (area's participating share last month)
    effective = threshold - efficacy_weight * efficacy - attachment_weight * attachment
                - OUTREACH + max(0, cost - PARTICIPATION_COST)

Participants stop when ``observed`` falls below ``effective`` or by burnout.
Taking part needs an opportunity (a seat at an event, a place in an
initiative): at most ``opportunities`` plus the OPPORTUNITIES lever of the
area's households take part in a month, so a cascade saturates at the
offer; outreach and cheaper formats fill it, more offers raise it.
A participant's efficacy moves towards the area's responsiveness (the share
of residents' priorities acted on): it rises when priorities are acted on
and falls when they are ignored; others' efficacy relaxes slowly to 0.3.
Attachment moves to a target of tenure, ties and satisfaction.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import levers as L
from ..rng import STREAM_PARTICIPATION, household_key, step_key, uniform
from .common import F0, F1, clip01, clip01_32, lever, unsigned


@njit(cache=True)
def area_responsiveness(responsiveness_base, area_levers):
    """Share of residents' priorities acted on, per area (0-1)."""
    n = area_levers.shape[0]
    out = np.empty(n)
    for a in range(n):
        out[a] = clip01(responsiveness_base + area_levers[a, L.RESPONSIVENESS])
    return out


# a household's participation decision (participation_choice)
NOTHING = 0   # does not take part this month (below its threshold, stopped or burnt out)
STAYS = 1     # took part last month and keeps its place
WANTS = 2     # wants to take part and waits for a place


@njit(cache=True)
def choice_tables(p, area_share, levers):
    """The parts of the decision that are the same for all households of an area and programme (flat: row
    ``a * levers.shape[1] + programme + 1``, as the lever table ``kernels.common.lever_table``): the area's
    pull ``(1 - tie_influence) * area_share + OUTREACH - max(0, cost - PARTICIPATION_COST)``.
    """
    n_areas, n_cols = levers.shape[0], levers.shape[1]
    pull = np.empty(n_areas * n_cols, np.float32)
    for a in range(n_areas):
        for prog in range(-1, n_cols - 1):  # -1: no programme
            pull[a * n_cols + prog + 1] = ((1.0 - p.tie_influence) * area_share[a] + lever(levers, a, prog, L.OUTREACH)
                                           - max(0.0, p.cost - lever(levers, a, prog, L.PARTICIPATION_COST)))
    return pull


@njit(cache=True, inline="always")
def tie_sums(tie_strength, tie_target, participating, i, K):
    """Household i's summed tie strength and the part of it to households taking part (float32; empty slots
    hold strength 0 and read household 0, without a branch per slot). ``K`` is the number of tie slots:
    a constant ``K`` lets the compiler unroll the loop."""
    ties = np.float32(0.0)
    active = np.float32(0.0)
    for k in range(K):
        w = tie_strength[i, k]
        ties += w
        active += w * np.float32(participating[max(tie_target[i, k], 0)])
    return ties, active


@njit(cache=True, inline="always")
def participation_choice(skey, p, i, rng_key, ties, active, pull, participating, threshold, efficacy, attachment):
    """Household i's decision: NOTHING, STAYS or WANTS; clears ``participating[i]`` if it stops.

    ``ties``: the summed strength of its ties, ``active``: the part of it to households taking part;
    ``pull``: its area's and programme's part of the decision (:func:`choice_tables`).
    ``observed >= effective`` (docs/model.md 7.5) with the household's own terms on the left, in float32
    (the state's precision).
    """
    tie_share = active / ties if ties > 0 else F0
    if (np.float32(p.tie_influence) * tie_share + np.float32(p.efficacy_weight) * efficacy[i]
            + np.float32(p.attachment_weight) * attachment[i] + pull >= threshold[i]):
        if participating[i]:
            if uniform(household_key(skey, rng_key[i]), 0) >= p.burnout:
                return STAYS
            participating[i] = 0  # burnt out this month
            return NOTHING
        return WANTS
    participating[i] = 0
    return NOTHING


@njit(cache=True)
def efficacy_table(p, area_responsiveness):
    """Rate (1/month) and target of efficacy (float32), row ``2 * area + taking part``: a participant's
    efficacy moves to the area's responsiveness at ``efficacy_learning``, another's relaxes to 0.3 at
    ``efficacy_relax``."""
    n_areas = area_responsiveness.shape[0]
    out = np.empty((2 * n_areas, 2), np.float32)
    for a in range(n_areas):
        out[2 * a, 0] = p.efficacy_relax
        out[2 * a, 1] = 0.3
        out[2 * a + 1, 0] = p.efficacy_learning
        out[2 * a + 1, 1] = area_responsiveness[a]
    return out


@njit(cache=True, inline="always")
def efficacy_update(table, area, taking_part, efficacy):
    """New efficacy of a household of ``area`` that takes part this month (1) or not (0) (float32)."""
    row = unsigned(2 * area + taking_part)
    return efficacy + table[row, 0] * (table[row, 1] - efficacy)


@njit(cache=True, inline="always")
def attachment_update(p, attachment, tenure, ties, satisfaction):
    """New attachment (float32) of a household of ``tenure`` months, summed tie strength ``ties`` and
    last month's ``satisfaction``: it moves at ``attachment_rate`` to
    ``[0.2 min(1, tenure / 120) + 0.4 min(1, ties) + 0.4 satisfaction]_0^1``."""
    target = (np.float32(0.2) * min(F1, np.float32(tenure) / np.float32(120.0)) + np.float32(0.4) * min(F1, ties)
              + np.float32(0.4) * satisfaction)
    return attachment + np.float32(p.attachment_rate) * (clip01_32(target) - attachment)


@njit(cache=True)
def participation_step(key, step, p, h, dw, ar, area_responsiveness, levers):
    """One month of participation decisions, efficacy and attachment; updates the areas' participation share
    (in place): docs/model.md 7.5.

    ``p``: the participation parameters; ``h``, ``dw``, ``ar``: the views of the households, dwellings and
    areas (``State.<group>.view()``); ``area_responsiveness``: per area; ``levers``: the month's lever table.

    Taking part needs an opportunity: at most ``opportunities + OPPORTUNITIES`` of an area's households
    take part in a month. Those who took part last month and still want to keep their place; the
    remaining places go to newcomers who want to, each admitted with the same chance.
    Efficacy and attachment depend only on the household's own state and, for efficacy, on whether it
    takes part after the admissions: they are updated in the decision pass, except the efficacy of the
    households waiting for a place (:func:`participation_outcomes`).
    With trust on, the engine runs the decisions fused with the trust pass instead
    (``kernels.passes.trust_and_participation_choices``, the same results), then
    :func:`participation_outcomes`.
    """
    # the arrays are read from their tuples once, here (a field read in the loop costs reference counts)
    alive, rng_key, dwelling, programme, participating = h.alive, h.rng_key, h.dwelling, h.programme, h.participating
    threshold, efficacy, attachment, satisfaction, tenure = h.threshold, h.efficacy, h.attachment, h.satisfaction, \
        h.tenure
    tie_target, tie_strength, dw_area, area_share = h.tie_target, h.tie_strength, dw.area, ar.participation_share
    skey = step_key(key, STREAM_PARTICIPATION, step)
    K = tie_target.shape[1]
    n = alive.shape[0]
    n_areas = area_share.shape[0]
    n_cols = levers.shape[1]
    pull = choice_tables(p, area_share, levers)
    eff_table = efficacy_table(p, area_responsiveness)
    residents = np.zeros(n_areas)
    staying = np.zeros(n_areas)
    wanting = np.zeros(n_areas)
    waiting = np.empty(n, np.int32)
    n_waiting = 0
    for i in range(n):
        if not alive[i]:
            continue
        a = dw_area[dwelling[i]]
        residents[a] += 1.0
        ties, active = tie_sums(tie_strength, tie_target, participating, i, K)
        choice = participation_choice(skey, p, i, rng_key, ties, active, pull[a * n_cols + programme[i] + 1],
                                      participating, threshold, efficacy, attachment)
        staying[a] += 1.0 if choice == STAYS else 0.0
        wanting[a] += 1.0 if choice == WANTS else 0.0
        attachment[i] = attachment_update(p, attachment[i], tenure[i], ties, satisfaction[i])
        waiting[n_waiting] = i
        n_waiting += 1 if choice == WANTS else 0
        eff = efficacy[i]
        new_eff = efficacy_update(eff_table, a, 1 if choice == STAYS else 0, eff)
        efficacy[i] = eff if choice == WANTS else new_eff
    participation_outcomes(key, step, p, rng_key, dwelling, dw_area, participating, efficacy, area_share,
                           area_responsiveness, levers, residents, staying, wanting, waiting[:n_waiting])


@njit(cache=True)
def participation_outcomes(key, step, p, rng_key, dwelling, dw_area, participating, efficacy, area_share,
                           area_responsiveness, levers, residents, staying, wanting, waiting):
    """After the decisions: admission to the places left, the efficacy of the households that waited for a
    place, and ``area_share`` (in place).

    ``residents``, ``staying``, ``wanting`` per area and ``waiting``, the slots of the households that want
    to take part (in slot order), come from the decisions (:func:`participation_step` or the fused trust
    pass), which also updated the efficacy of the others and everyone's attachment.
    """
    skey = step_key(key, STREAM_PARTICIPATION, step)
    n_areas = area_share.shape[0]
    admit = np.zeros(n_areas)
    for a in range(n_areas):
        places = (p.opportunities + levers[a, 0, L.OPPORTUNITIES]) * residents[a] - staying[a]
        admit[a] = min(1.0, max(0.0, places) / wanting[a]) if wanting[a] > 0 else 0.0
    eff_table = efficacy_table(p, area_responsiveness)
    taking_part = staying.copy()
    for k in range(waiting.shape[0]):
        i = waiting[k]
        a = dw_area[dwelling[i]]
        admitted = uniform(household_key(skey, rng_key[i]), 1) < admit[a]
        participating[i] = 1 if admitted else 0
        taking_part[a] += 1.0 if admitted else 0.0
        efficacy[i] = efficacy_update(eff_table, a, participating[i], efficacy[i])
    for a in range(n_areas):
        area_share[a] = taking_part[a] / residents[a] if residents[a] > 0 else 0.0
