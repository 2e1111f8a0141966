"""Fused passes: several processes' per-household steps in one loop over the households.

Each pass over the households re-reads ``alive``, ``dwelling``, the dwelling's block and area and the tie
rows; one loop for two processes reads them once. The per-household logic stays in each process's kernel
module (``trust.trust_update``, ``participation.participation_choice``), so this module only schedules.

Trust + participation decisions (schedule steps 4a, 4b and the first half of 5; used when both processes
run). The results are the same as ``trust_step`` followed by ``participation_step`` (up to rounding in the
last bits: the pass is compiled with the floating-point freedoms ``FAST``): trust reads no participation
state and the decisions read no trust (nor the block disorder updated after trust), both visit the
households in slot order, and a decision reads its tie partners' participation as updated earlier in the
same loop, as before. The summed tie strength is computed once for both. The pass also
sums the residents' incomes per area for mobility's reference income (incomes change only in the labour
market, before; the same sums in the same order as mobility's own pass).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import levers as L
from ..rng import STREAM_PARTICIPATION, step_key
from .common import lever, prefetch
from .participation import STAYS, WANTS, participation_choice
from .trust import N_BLOCK_COLUMNS, add_to_block, trust_tables, trust_update


# Floating-point freedoms for the pass (no NaN or infinity assumptions): reassociation, contraction to fused
# multiply-adds, reciprocals, signed zeros. The same equations, rounded differently in the last bits; LLVM
# then schedules the pass's sums and updates better (paired in the running simulation at 1e5 households,
# with the outcomes: 32-33 -> 28-31 ns per household-step).
FAST = {"reassoc", "contract", "arcp", "nsz"}
PREFETCH_AHEAD = 64  # households ahead whose arrays are prefetched


@njit(cache=True, fastmath=FAST)
def trust_and_participation_choices(key, step, tp, pp, alive, rng_key, dwelling, dw_block, dw_area, dw_building, programme,
                                    friendly_contacts, conflicts, trust_in, trust_out, trust_inst, tie_target,
                                    tie_strength, labour, income, efficacy, tenure, participating, threshold,
                                    attachment, blk_disorder, blk_group_count, bld_quality, area_share,
                                    area_responsiveness, levers):
    """Trust, block aggregates and participation decisions of every household in one pass (in place).

    Returns the block aggregates (``kernels.trust.B_*``), and for ``participation.participation_outcomes``
    the residents, staying participants and households wanting to take part per area, who wants to and
    the summed tie strength (float32) per household, and the summed income of each area's residents
    (EUR/month; for ``mobility.mobility_step``).
    """
    skey = step_key(key, STREAM_PARTICIPATION, step)
    K = tie_target.shape[1]
    n = alive.shape[0]
    n_areas = area_share.shape[0]
    agg = np.zeros((blk_disorder.shape[0], N_BLOCK_COLUMNS))
    diversity, contact_keep, conflict_keep = trust_tables(tp, blk_group_count)
    residents = np.zeros(n_areas)
    staying = np.zeros(n_areas)
    wanting = np.zeros(n_areas)
    income_sum = np.zeros(n_areas)
    wants = np.zeros(n, np.bool_)
    tie_sum = np.zeros(n, np.float32)
    for i in range(n):
        # more streams than the hardware prefetcher follows: ask for a household's data further on (this pays
        # at 1e6 households, at 1e5 it makes no difference)
        f = i + PREFETCH_AHEAD
        prefetch(tie_target, f * K)
        prefetch(tie_strength, f * K)
        prefetch(trust_in, f)
        prefetch(trust_out, f)
        prefetch(trust_inst, f)
        prefetch(efficacy, f)
        prefetch(threshold, f)
        prefetch(attachment, f)
        prefetch(income, f)
        prefetch(dwelling, f)
        prefetch(tie_sum, f)
        if not alive[i]:
            continue
        d = dwelling[i]
        b = dw_block[d]
        a = dw_area[d]
        prog = programme[i]
        ties = 0.0
        active = 0.0
        for k in range(K):  # without a branch per slot: an empty slot has strength 0 (and reads household 0)
            w = tie_strength[i, k]
            ties += w
            active += w * participating[max(tie_target[i, k], 0)]
        # trust (4a) and the block aggregates (4b)
        c = friendly_contacts[i]
        x = conflicts[i]
        trust_in[i], trust_out[i], trust_inst[i] = trust_update(
            tp, ties, blk_disorder[b], diversity[b], trust_in[i], trust_out[i], c, contact_keep[c], x,
            conflict_keep[x], trust_inst[i], area_responsiveness[a], lever(levers, a, prog, L.INSTITUTIONAL))
        add_to_block(agg, b, labour[i], trust_in[i], efficacy[i], bld_quality[dw_building[d]], tenure[i])
        # participation decision (5)
        residents[a] += 1.0
        income_sum[a] += income[i]
        tie_sum[i] = ties
        choice = participation_choice(skey, pp, i, rng_key, ties, active, area_share[a], participating, threshold,
                                      efficacy, attachment, lever(levers, a, prog, L.PARTICIPATION_COST),
                                      lever(levers, a, prog, L.OUTREACH))
        staying[a] += 1.0 if choice == STAYS else 0.0
        wanting[a] += 1.0 if choice == WANTS else 0.0
        wants[i] = choice == WANTS
    return agg, residents, staying, wanting, wants, tie_sum, income_sum
