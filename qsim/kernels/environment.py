"""Built environment: building and place quality, market rents, sitting-tenant rents.

Submodel (docs/model.md, "Built environment"). Building quality falls by
``building_decay`` a month; owners maintain a building with monthly
probability ``maintenance_rate + MAINTENANCE lever`` (restoring
``maintenance_gain``). Place quality falls by ``place_decay`` and is
maintained in the same way. The market
rent of a dwelling is

    rent_level(area) * rent_pressure(t) * (0.75 + rent_quality_weight * quality)
                     * (1 + rent_reputation_weight * (reputation - 0.5))

New tenancies pay the market rent (mobility); sitting tenants' rents rise
towards it once a year by at most ``rent_increase_cap`` (Kappungsgrenze).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .. import levers as L
from ..rng import STREAM_ENVIRONMENT, agent_key, step_key, uniform
from ..threads import explicit_prange
from .common import clip01, unsigned

RENT_CHUNK = 1024  # households whose due rents are found at a time; buildings decayed at a time (threads.py)


@njit(cache=True, inline="always")
def market_rent(p, rent_level, rent_pressure, quality, reputation):
    """Market rent of a dwelling, EUR/month."""
    return (rent_level * rent_pressure * (0.75 + p.rent_quality_weight * quality)
            * max(0.2, 1.0 + p.rent_reputation_weight * (reputation - 0.5)))


@njit(cache=True, parallel=explicit_prange())
def environment_step(key, step, p, rent_pressure, h, dw, bld, blk, ar, pl, area_levers, area_place_quality):
    """Decay, maintenance, place quality and sitting-tenant rents (in place): docs/model.md 7.6; fills
    ``area_place_quality``.

    ``p``: the environment parameters; ``rent_pressure``: pi(t); ``h``, ``dw``, ``bld``, ``blk``, ``ar``,
    ``pl``: the views of the households, dwellings, buildings, blocks, areas and places
    (``State.<group>.view()``); ``area_levers``: (n_areas, N_LEVERS). Writes building and place quality and
    the rents of sitting tenants.
    """
    # the arrays are read from their tuples once, here (a field read in the loop costs reference counts)
    bld_block, bld_quality, blk_area, place_area, place_quality = bld.block, bld.quality, blk.area, pl.area, pl.quality
    alive, dwelling, tenure = h.alive, h.dwelling, h.tenure
    dw_building, dw_area, dw_rent = dw.building, dw.area, dw.rent
    area_rent_level, reputation = ar.rent_level, ar.reputation
    skey = step_key(key, STREAM_ENVIRONMENT, step)
    n_buildings = bld_quality.shape[0]
    for chunk in prange((n_buildings + RENT_CHUNK - 1) // RENT_CHUNK):  # buildings independent (threads.py)
        for bld in range(chunk * RENT_CHUNK, min(chunk * RENT_CHUNK + RENT_CHUNK, n_buildings)):
            a = unsigned(blk_area[unsigned(bld_block[bld])])  # indices without wrap-around (common.unsigned)
            q = bld_quality[bld] - p.building_decay
            if uniform(agent_key(skey, bld), 0) < p.maintenance_rate + area_levers[a, L.MAINTENANCE]:
                q += p.maintenance_gain
            bld_quality[bld] = clip01(q)
    n_areas = area_place_quality.shape[0]
    count = np.zeros(n_areas)
    total = np.zeros(n_areas)
    for k in range(place_quality.shape[0]):
        q = place_quality[k] - p.place_decay
        if uniform(agent_key(skey, bld_quality.shape[0] + k), 0) < p.maintenance_rate:
            q += p.maintenance_gain
        place_quality[k] = clip01(q)
        count[unsigned(place_area[k])] += 1.0
        total[unsigned(place_area[k])] += place_quality[k]
    for a in range(n_areas):
        area_place_quality[a] = total[a] / count[a] if count[a] > 0 else 0.0
    cap = 1.0 + p.rent_increase_cap
    # sitting tenants whose rent is due (about one household in twelve, unpredictably), chunk by chunk: the
    # due flags in a vectorised loop, the due slots collected without a branch, then only those visited
    n = alive.shape[0]
    for chunk in prange((n + RENT_CHUNK - 1) // RENT_CHUNK):  # each chunk its own dwellings (threads.py)
        start = chunk * RENT_CHUNK
        end = min(start + RENT_CHUNK, n)
        flag = np.empty(RENT_CHUNK, np.uint8)
        due = np.empty(RENT_CHUNK, np.int32)
        for k in range(end - start):
            i = unsigned(start + k)  # (common.unsigned)
            t = tenure[i]
            flag[k] = alive[i] & (t > 0) & (t % 12 == 0)
        m = 0
        for k in range(end - start):
            due[unsigned(m)] = start + k
            m += flag[k]
        for k in range(m):
            d = unsigned(dwelling[unsigned(due[k])])
            a = unsigned(dw_area[d])
            target = market_rent(p, area_rent_level[a], rent_pressure, bld_quality[unsigned(dw_building[d])],
                                 reputation[a])
            if target > dw_rent[d]:
                dw_rent[d] = min(target, dw_rent[d] * cap)
