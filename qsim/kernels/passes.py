"""Fused passes: several processes' per-household steps in one loop over the households.

Each pass over the households re-reads ``alive``, ``dwelling``, the dwelling's block and area and the tie
rows; one loop for two processes reads them once. The per-household logic stays in each process's kernel
module (``trust.trust_update``, ``participation.participation_choice``, ...), so this module only schedules.

Trust + participation (schedule steps 4a, 4b and 5; used when both processes run). The results are the same
as ``trust_step`` followed by ``participation_step`` (up to rounding in the last bits: the pass is compiled
with the floating-point freedoms ``FAST``): trust reads no participation state and the decisions read no
trust (nor the block disorder updated after trust), both visit the households in slot order, and a
decision reads its tie partners' participation as updated earlier in the same loop, as before. The summed
tie strength is computed once for both. The admissions follow the loop (they read nothing that the
disorder update of step 4c, run after the pass, changes). The pass also sums the residents' incomes per
area for mobility's reference income (incomes change only in the labour market, before; the same sums as
mobility's own pass).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..rng import STREAM_PARTICIPATION, step_key
from .common import prefetch, unsigned
from .participation import (STAYS, WANTS, attachment_update, choice_tables, efficacy_table, efficacy_update,
                            participation_choice, participation_outcomes, tie_sums)
from .trust import B_COUNT, N_BLOCK_COLUMNS, NO_TERMS, add_terms, add_to_block, block_terms, trust_tables, trust_update


# Floating-point freedoms for the pass (no NaN or infinity assumptions): reassociation, contraction to fused
# multiply-adds, reciprocals, signed zeros. The same equations, rounded differently in the last bits; LLVM
# then schedules the pass's sums and updates better (paired in the running simulation at 1e5 households,
# with the outcomes: 32-33 -> 28-31 ns per household-step).
FAST = {"reassoc", "contract", "arcp", "nsz"}
PREFETCH_AHEAD = 64  # households ahead whose arrays are prefetched (a multiple of LINE)
LINE = 16  # float32 values in a 64-byte cache line: the households' arrays are prefetched every LINE households
UNROLLED_TIE_SLOTS = 6  # the scenarios' default number of tie slots, for which the tie loop is unrolled


@njit(cache=True, fastmath=FAST)
def trust_and_participation_choices(key, step, tp, pp, h, dw, bld, blk, ar, area_responsiveness, levers):
    """Trust, block aggregates and participation decisions of every household in one pass (in place):
    docs/model.md 7.4 and 7.5.

    Then the rest of participation as ``participation.participation_step``: attachment and efficacy in
    the loop, the admissions (``participation.participation_outcomes``) after it. Returns the block
    aggregates (``kernels.trust.B_*``), the residents of each area and their summed income (EUR/month; for
    ``mobility.mobility_step``). ``tp``, ``pp``: the trust and participation parameters; ``h``, ``dw``,
    ``bld``, ``blk``, ``ar``: the views of the households, dwellings, buildings, blocks and areas
    (``State.<group>.view()``); ``area_responsiveness``: per area; ``levers``: the month's lever table.
    """
    # the arrays are read from their tuples once, here (a field read in the loop costs reference counts)
    alive, rng_key, dwelling, programme, labour, income = h.alive, h.rng_key, h.dwelling, h.programme, h.labour, \
        h.income
    friendly_contacts, conflicts, tie_target, tie_strength = h.friendly_contacts, h.conflicts, h.tie_target, \
        h.tie_strength
    trust_in, trust_out, trust_inst, efficacy, tenure = h.trust_in, h.trust_out, h.trust_inst, h.efficacy, h.tenure
    participating, threshold, attachment, satisfaction = h.participating, h.threshold, h.attachment, \
        h.satisfaction
    dw_block, dw_area, dw_building = dw.block, dw.area, dw.building
    blk_disorder, blk_group_count, bld_quality, area_share = blk.disorder, blk.group_count, bld.quality, \
        ar.participation_share
    skey = step_key(key, STREAM_PARTICIPATION, step)
    K = tie_target.shape[1]
    n = alive.shape[0]
    n_areas = area_share.shape[0]
    n_cols = levers.shape[1]  # (area, programme) tables: row a * n_cols + programme + 1
    agg = np.zeros((blk_disorder.shape[0], N_BLOCK_COLUMNS))
    block_base, contact_keep, conflict_keep, inst_target = trust_tables(tp, blk_group_count, blk_disorder,
                                                                        area_responsiveness, levers)
    pull = choice_tables(pp, area_share, levers)
    eff_table = efficacy_table(pp, area_responsiveness)
    residents = np.zeros(n_areas)
    staying = np.zeros(n_areas)
    wanting = np.zeros(n_areas)
    income_sum = np.zeros(n_areas)
    waiting = np.empty(n, np.int32)
    n_waiting = 0
    # sums over the current run of households in one block (slots are sorted by dwelling once a year, so runs
    # are long), added to the block's and area's totals when the block changes: in registers, not memory
    run_block, run_area = -1, 0  # the first run (none) adds zeros to block 0 and area 0
    run = NO_TERMS
    run_income = run_staying = run_wanting = 0.0
    for i in range(n):
        # more streams than the hardware prefetcher follows: ask for the households' data further on, one cache
        # line per array every LINE households (this pays at 1e6 households, at 1e5 it makes no difference)
        if i % LINE == 0:
            f = i + PREFETCH_AHEAD
            for r in range(K):  # LINE households' tie rows fill K lines
                prefetch(tie_target, f * K + r * LINE)
                prefetch(tie_strength, f * K + r * LINE)
            prefetch(trust_in, f)
            prefetch(trust_out, f)
            prefetch(trust_inst, f)
            prefetch(efficacy, f)
            prefetch(threshold, f)
            prefetch(attachment, f)
            prefetch(income, f)
            prefetch(dwelling, f)
            prefetch(satisfaction, f)
            prefetch(rng_key, f)  # 8 bytes a household: two lines (read by the few participants: sparse, not foreseen)
            prefetch(rng_key, f + LINE // 2)
            g = dwelling[unsigned(min(i + PREFETCH_AHEAD // 2, n - 1))]  # the dwelling arrays, where that household lives
            prefetch(dw_block, g)
            prefetch(dw_area, g)
            prefetch(dw_building, g)
        if not alive[i]:
            continue
        d = unsigned(dwelling[i])  # indices without wrap-around (common.unsigned)
        b = dw_block[d]
        a = dw_area[d]
        row = unsigned(a * n_cols + programme[i] + 1)
        if b != run_block:
            add_to_block(agg, max(run_block, 0), run)
            residents[unsigned(run_area)] += run[B_COUNT]
            income_sum[unsigned(run_area)] += run_income
            staying[unsigned(run_area)] += run_staying
            wanting[unsigned(run_area)] += run_wanting
            run_block, run_area = b, a
            run = NO_TERMS
            run_income = run_staying = run_wanting = 0.0
        if K == UNROLLED_TIE_SLOTS:
            ties, active = tie_sums(tie_strength, tie_target, participating, i, UNROLLED_TIE_SLOTS)
        else:
            ties, active = tie_sums(tie_strength, tie_target, participating, i, K)
        # trust (4a) and the block aggregates (4b)
        c = friendly_contacts[i]
        x = conflicts[i]
        t_in, trust_out[i], trust_inst[i] = trust_update(
            tp, ties, block_base[unsigned(b)], trust_in[i], trust_out[i], c, contact_keep[unsigned(c)], x,
            conflict_keep[unsigned(x)],
            trust_inst[i], inst_target[row])
        trust_in[i] = t_in
        eff = efficacy[i]  # last month's, in the block terms and the decision
        run = add_terms(run, block_terms(labour[i], t_in, eff, bld_quality[unsigned(dw_building[d])], tenure[i]))
        # participation decision (5), attachment, efficacy unless waiting for a place
        run_income += income[i]
        choice = participation_choice(skey, pp, i, rng_key, ties, active, pull[row], participating, threshold,
                                      efficacy, attachment)
        run_staying += 1.0 if choice == STAYS else 0.0
        run_wanting += 1.0 if choice == WANTS else 0.0
        attachment[i] = attachment_update(pp, attachment[i], tenure[i], ties, satisfaction[i])
        waiting[unsigned(n_waiting)] = i
        n_waiting += 1 if choice == WANTS else 0
        new_eff = efficacy_update(eff_table, a, 1 if choice == STAYS else 0, eff)
        efficacy[i] = eff if choice == WANTS else new_eff
    add_to_block(agg, max(run_block, 0), run)
    residents[run_area] += run[B_COUNT]
    income_sum[run_area] += run_income
    staying[run_area] += run_staying
    wanting[run_area] += run_wanting
    # the second half of participation (5): admissions, the admitted households' efficacy, the area shares
    participation_outcomes(key, step, pp, rng_key, dwelling, dw_area, participating, efficacy, area_share,
                           area_responsiveness, levers, residents, staying, wanting, waiting[:n_waiting])
    return agg, residents, income_sum
