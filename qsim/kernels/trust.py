"""Trust, conflict, collective efficacy and disorder.

Submodel (docs/model.md, "Trust and collective efficacy").

Household level, each month:

* in-group (neighbour) trust moves at rate ``adjustment`` to
  ``in_group_base + in_group_tie_weight * min(1, sum of tie strengths)
  - disorder_weight * block disorder - diversity_penalty * block diversity``
  (diversity lowers trust in neighbours: Putnam 2007);
* out-group trust gains ``contact_effect * (1 - trust)`` per friendly
  inter-group encounter (Pettigrew & Tropp 2006), loses
  ``conflict_trust_loss`` of itself per conflict and relaxes slowly to
  ``out_group_base``;
* institutional trust moves to ``institutional_base +
  institutional_results_weight * responsiveness + INSTITUTIONAL lever``.

Block level: collective efficacy = (mean in-group trust + mean efficacy) / 2,
lowered by residential instability (share of households with under a year
of tenure). Disorder follows a target raised by the *lagged* efficacy
deficit, poor buildings and unemployment (Sampson et al. 1997; Hipp 2016),
lowered by the SAFETY lever; efficacy in turn falls with disorder through
in-group trust, closing the lagged feedback loop.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import levers as L
from ..state import LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED
from .common import F1, clip01, clip01_32, lever

# columns of the block aggregate table
B_COUNT = 0
B_UNEMPLOYED = 1
B_TRUST_IN = 2
B_EFFICACY = 3
B_QUALITY = 4
B_NEWCOMERS = 5
N_BLOCK_COLUMNS = 6


NO_TERMS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # block terms of no household


@njit(cache=True, inline="always")
def block_terms(labour_state, trust_in, efficacy, quality, tenure):
    """One resident household's terms of its block's aggregates, in the order of the B_* columns (counts as
    0/1, without branches)."""
    unemployed = (labour_state == SHORT_TERM_UNEMPLOYED) | (labour_state == LONG_TERM_UNEMPLOYED)
    return (1.0, 1.0 if unemployed else 0.0, np.float64(trust_in), np.float64(efficacy), np.float64(quality),
            1.0 if tenure < 12 else 0.0)


@njit(cache=True, inline="always")
def add_terms(x, y):
    """The sum of two tuples of block terms (:func:`block_terms`)."""
    return x[0] + y[0], x[1] + y[1], x[2] + y[2], x[3] + y[3], x[4] + y[4], x[5] + y[5]


@njit(cache=True, inline="always")
def add_to_block(out, b, terms):
    """Add block terms (of one household or summed over several, :func:`block_terms`) to the aggregates of
    block b."""
    for k in range(N_BLOCK_COLUMNS):
        out[b, k] += terms[k]


@njit(cache=True)
def block_aggregates(alive, dwelling, dw_block, dw_building, bld_quality, labour, trust_in, efficacy, tenure,
                     n_blocks):
    """Per-block sums over resident households (see the B_* columns)."""
    out = np.zeros((n_blocks, N_BLOCK_COLUMNS))
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        d = dwelling[i]
        add_to_block(out, dw_block[d], block_terms(labour[i], trust_in[i], efficacy[i], bld_quality[dw_building[d]],
                                                   tenure[i]))
    return out


@njit(cache=True, inline="always")
def block_diversity(group_count, b):
    """Gini-Simpson diversity of the two groups in block b, scaled to 0-1 (4 p (1 - p))."""
    total = group_count[b, 0] + group_count[b, 1]
    if total == 0:
        return 0.0
    share = group_count[b, 1] / total
    return 4.0 * share * (1.0 - share)


@njit(cache=True)
def trust_tables(p, blk_group_count, blk_disorder, area_responsiveness, levers):
    """Tables for one month's trust updates, so that the loop over the households reads one value where it
    would compute it from several:

    * per block, the block's part of the in-group target,
      ``in_group_base - disorder_weight * disorder - diversity_penalty * diversity`` (:func:`block_diversity`);
    * the out-group trust factors ``(1 - contact_effect) ** c`` and ``(1 - conflict_trust_loss) ** c`` for
      every count c (int8), a lookup instead of a power and a branch;
    * per area and programme (flat: row ``a * levers.shape[1] + programme + 1``, as the lever table
      ``kernels.common.lever_table``), the institutional target
      ``[institutional_base + institutional_results_weight * responsiveness + INSTITUTIONAL]_0^1``.
    """
    block_base = np.empty(blk_group_count.shape[0], np.float32)
    for b in range(block_base.shape[0]):
        block_base[b] = (p.in_group_base - p.disorder_weight * blk_disorder[b]
                         - p.diversity_penalty * block_diversity(blk_group_count, b))
    contact_keep = np.empty(128, np.float32)
    conflict_keep = np.empty(128, np.float32)
    contact, conflict = 1.0, 1.0  # the powers by repeated multiplication (a power costs ~20 ns: 5 us a month)
    for c in range(128):
        contact_keep[c] = contact
        conflict_keep[c] = conflict
        contact *= 1.0 - p.contact_effect
        conflict *= 1.0 - p.conflict_trust_loss
    n_areas, n_cols = levers.shape[0], levers.shape[1]
    inst_target = np.empty(n_areas * n_cols, np.float32)
    for a in range(n_areas):
        for prog in range(-1, n_cols - 1):  # -1: no programme
            target = (p.institutional_base + p.institutional_results_weight * area_responsiveness[a]
                      + lever(levers, a, prog, L.INSTITUTIONAL))
            inst_target[a * n_cols + prog + 1] = clip01(target)
    return block_base, contact_keep, conflict_keep, inst_target


@njit(cache=True, inline="always")
def trust_update(p, ties, block_base, trust_in, trust_out, contacts, contact_keep, conflicts, conflict_keep,
                 trust_inst, inst_target):
    """New (in-group, out-group, institutional) trust of one household, in float32 (the state's precision).

    ``ties``: its summed tie strength; ``block_base``: its block's part of the in-group target,
    ``contacts``, ``conflicts``: this month's counts, ``contact_keep``, ``conflict_keep``: the factors for
    these counts, ``inst_target``: the institutional target of its area and programme (all float32, from
    :func:`trust_tables`). Scalars in and out: numba keeps it as fast as code written in the loop.
    """
    adjustment = np.float32(p.adjustment)
    target = clip01_32(block_base + np.float32(p.in_group_tie_weight) * min(F1, ties))
    trust_in += adjustment * (target - trust_in)

    t = trust_out
    t = F1 - (F1 - t) * contact_keep if contacts > 0 else t
    t = t * conflict_keep if conflicts > 0 else t
    t += np.float32(p.out_group_relax) * (np.float32(p.out_group_base) - t)

    trust_inst += adjustment * (inst_target - trust_inst)
    return trust_in, clip01_32(t), trust_inst


@njit(cache=True)
def trust_step(p, h, dw, bld, blk, area_responsiveness, levers):
    """Update the three trusts of every household (in place): docs/model.md 7.4.

    Returns the block aggregates after the update (:func:`block_aggregates`, gathered in the same pass).
    With participation on, the engine runs this pass fused with the participation decisions instead
    (``kernels.passes.trust_and_participation_choices``, the same results). ``p``: the trust parameters;
    ``h``, ``dw``, ``bld``, ``blk``: the views of the households, dwellings, buildings and blocks
    (``State.<group>.view()``); ``area_responsiveness``: per area; ``levers``: the month's lever table.
    """
    # the arrays are read from their tuples once, here (a field read in the loop costs reference counts)
    alive, dwelling, programme, friendly_contacts, conflicts = h.alive, h.dwelling, h.programme, \
        h.friendly_contacts, h.conflicts
    trust_in, trust_out, trust_inst, tie_target, tie_strength = h.trust_in, h.trust_out, h.trust_inst, \
        h.tie_target, h.tie_strength
    labour, efficacy, tenure = h.labour, h.efficacy, h.tenure
    dw_block, dw_area, dw_building = dw.block, dw.area, dw.building
    blk_disorder, blk_group_count, bld_quality = blk.disorder, blk.group_count, bld.quality
    K = tie_target.shape[1]
    n_cols = levers.shape[1]
    agg = np.zeros((blk_disorder.shape[0], N_BLOCK_COLUMNS))
    block_base, contact_keep, conflict_keep, inst_target = trust_tables(p, blk_group_count, blk_disorder,
                                                                        area_responsiveness, levers)
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        d = dwelling[i]
        b = dw_block[d]
        ties = np.float32(0.0)
        for k in range(K):  # empty slots hold strength 0
            ties += tie_strength[i, k]
        c = friendly_contacts[i]
        x = conflicts[i]
        t_in, trust_out[i], trust_inst[i] = trust_update(
            p, ties, block_base[b], trust_in[i], trust_out[i], c, contact_keep[c], x, conflict_keep[x],
            trust_inst[i], inst_target[dw_area[d] * n_cols + programme[i] + 1])
        trust_in[i] = t_in
        add_to_block(agg, b, block_terms(labour[i], t_in, efficacy[i], bld_quality[dw_building[d]], tenure[i]))
    return agg


@njit(cache=True)
def collective_efficacy(agg):
    """Current collective efficacy of every block from its aggregates (0 for empty blocks)."""
    n = agg.shape[0]
    out = np.zeros(n)
    for b in range(n):
        c = agg[b, B_COUNT]
        if c > 0:
            cohesion = agg[b, B_TRUST_IN] / c
            willingness = agg[b, B_EFFICACY] / c
            out[b] = 0.5 * (cohesion + willingness) * (1.0 - 0.5 * agg[b, B_NEWCOMERS] / c)
    return out


@njit(cache=True)
def disorder_step(p, agg, ce, blk_area, blk_disorder, blk_efficacy_lagged, area_levers):
    """Lagged efficacy and disorder of every block (in place); ``ce`` is the current collective efficacy."""
    for b in range(agg.shape[0]):
        c = agg[b, B_COUNT]
        if c == 0:
            continue
        blk_efficacy_lagged[b] += (ce[b] - blk_efficacy_lagged[b]) / p.efficacy_lag
        target = (p.disorder_base + p.disorder_efficacy_weight * (1.0 - blk_efficacy_lagged[b])
                  + p.disorder_quality_weight * (1.0 - agg[b, B_QUALITY] / c)
                  + p.disorder_disadvantage_weight * agg[b, B_UNEMPLOYED] / c
                  - area_levers[blk_area[b], L.SAFETY])
        blk_disorder[b] += p.disorder_rate * (clip01(target) - blk_disorder[b])


@njit(cache=True)
def settle_out_group_trust(p, alive, trust_out, tenure, months, contacts, conflicts):
    """Carry each household's out-group trust on through the part of its tenure before the spin-up (in place).

    ``months``, ``contacts``, ``conflicts``: per household slot, the months it was seen in the spin-up and its
    friendly inter-group contacts and conflicts in them. At its mean rates out-group trust follows, month by
    month, ``T += a (1 - T) - b T + r (base - T)`` (a = contact_effect x contacts a month, b =
    conflict_trust_loss x conflicts a month, r = out_group_relax: :func:`trust_update`, linearised), whose
    solution after n months is ``T* + (T - T*) (1 - a - b - r) ** n`` with ``T* = (a + r base) / (a + b + r)``;
    n is the household's tenure before the months seen. So a resident of long standing starts with the trust
    its contacts have built, not the trust of a newcomer (the stationary start, docs/model.md 3.2).
    """
    for i in range(alive.shape[0]):
        if not alive[i] or months[i] <= 0.0:
            continue
        a = p.contact_effect * contacts[i] / months[i]
        b = p.conflict_trust_loss * conflicts[i] / months[i]
        rate = a + b + p.out_group_relax
        if rate <= 0.0:  # no contact, conflict or relaxation: out-group trust never moves
            continue
        settled = (a + p.out_group_relax * p.out_group_base) / rate
        before = max(0.0, tenure[i] - months[i])
        trust_out[i] = clip01(settled + (trust_out[i] - settled) * (1.0 - min(rate, 1.0)) ** before)
