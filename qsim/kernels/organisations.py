"""Networking of local actors: the organisations' cooperation network.

Submodel (docs/model.md, "Organisations"). Organisations of one area
(municipality, housing companies, social institutions, associations,
businesses and, where there is one, the QM office) hold symmetric
cooperation ties of strength 0-1. Each month every tie loses
``tie_decay`` of its strength; each pair forms or reinforces a tie (+0.2)
with probability ``tie_formation * cap_i * cap_j * (1 + NETWORKING)``, and
twice as likely when one of them is the QM office (its job is to connect).
Capacity relaxes towards the base capacity plus the ORG_CAPACITY lever.

Per area: ``density`` is the mean tie strength over all pairs and
``coordination = density * mean capacity``; measures delivered through the
network are scaled by coordination (next layer).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import levers as L
from ..rng import STREAM_ORGANISATIONS, agent_key, step_key, uniform
from ..state import QM_OFFICE
from .common import clip01


@njit(cache=True)
def partners_end(org_area):
    """For each organisation i, an end j_max such that every partner j > i of i's area is below j_max.

    Organisations are stored area by area, so this is the end of i's area and the pair loops take
    O(organisations x organisations per area) rather than O(organisations^2) in a city of many areas;
    if they are not sorted by area it is n (every pair is checked).
    """
    n = org_area.shape[0]
    stop = np.full(n, n, np.int64)
    for i in range(1, n):
        if org_area[i] < org_area[i - 1]:
            return stop  # not sorted by area
    for i in range(n - 2, -1, -1):
        stop[i] = i + 1 if org_area[i + 1] != org_area[i] else stop[i + 1]
    return stop


@njit(cache=True)
def organisations_step(key, step, p, o, ar, area_levers):
    """One month of the cooperation network (in place): docs/model.md 7.8.

    ``p``: the organisations parameters; ``o``, ``ar``: the views of the organisations and the areas
    (``State.<group>.view()``); ``area_levers``: (n_areas, N_LEVERS). Writes the capacities and cooperation
    ties, and each area's ``coordination`` and ``network_density``.
    """
    org_area, org_kind, capacity, base_capacity, ties = o.area, o.kind, o.capacity, o.base_capacity, o.tie_strength
    coordination, density = ar.coordination, ar.network_density
    skey = step_key(key, STREAM_ORGANISATIONS, step)
    n = org_area.shape[0]
    stop = partners_end(org_area)
    for i in range(n):
        a = org_area[i]
        target = clip01(base_capacity[i] + area_levers[a, L.ORG_CAPACITY])
        capacity[i] += p.capacity_relax * (target - capacity[i])
    for i in range(n):
        akey = agent_key(skey, i)
        for j in range(i + 1, stop[i]):
            if org_area[i] != org_area[j]:
                continue
            s = ties[i, j] * (1.0 - p.tie_decay)
            chance = p.tie_formation * capacity[i] * capacity[j] * (1.0 + area_levers[org_area[i], L.NETWORKING])
            if org_kind[i] == QM_OFFICE or org_kind[j] == QM_OFFICE:
                chance *= 2.0
            if uniform(akey, j) < chance:
                s = min(1.0, s + 0.2)
            ties[i, j] = s
            ties[j, i] = s
    n_areas = coordination.shape[0]
    strength = np.zeros(n_areas)
    pairs = np.zeros(n_areas)
    cap = np.zeros(n_areas)
    members = np.zeros(n_areas)
    for i in range(n):
        a = org_area[i]
        cap[a] += capacity[i]
        members[a] += 1.0
        for j in range(i + 1, stop[i]):
            if org_area[j] == a:
                strength[a] += ties[i, j]
                pairs[a] += 1.0
    for a in range(n_areas):
        density[a] = strength[a] / pairs[a] if pairs[a] > 0 else 0.0
        coordination[a] = density[a] * (cap[a] / members[a] if members[a] > 0 else 0.0)
