"""Setting up one household: the attitudes every new household starts with.

Shared by the synthetic population (``qsim.population``) and by in-movers
(``kernels.mobility``), so both start from the same distributions.
"""

from __future__ import annotations

from numba import njit

from ..rng import normal, normal_pair
from .common import clip01, logit_normal


@njit(cache=True, inline="always")
def attitudes(akey, k, tp, pp):
    """Starting (trust_in, trust_out, trust_inst, efficacy, threshold) of a household, all 0-1.

    Uses draws k .. k+5 of ``akey`` (five standard normals: both of each Box-Muller pair, :func:`normal_pair`,
    and the first of the third); ``tp``/``pp`` are the trust and participation parameters.
    A function of scalars: a hot loop stores the values itself (no state arrays passed per household).
    """
    z_in, z_out = normal_pair(akey, k)
    z_inst, z_efficacy = normal_pair(akey, k + 2)
    return (clip01(tp.in_group_base + 0.1 * z_in),
            clip01(tp.out_group_base + 0.1 * z_out),
            clip01(tp.institutional_base + 0.1 * z_inst),
            clip01(0.3 + 0.1 * z_efficacy),
            logit_normal(normal(akey, k + 4), pp.threshold_mean, pp.threshold_concentration))


@njit(cache=True, inline="always")
def clear_household(i, participating, satisfaction, programme, friendly_contacts, conflicts, tie_target, tie_strength,
                    tie_back):
    """The rest of a new household's state in slot i: not participating, satisfaction 0.5, no programme, no
    contacts or conflicts this month, no ties (leavers drop theirs). Takes the arrays, not the households'
    tuple: a loop that refills many slots reads them from the tuple once."""
    participating[i] = 0
    satisfaction[i] = 0.5
    programme[i] = -1
    friendly_contacts[i] = 0
    conflicts[i] = 0
    for s in range(tie_target.shape[1]):
        tie_target[i, s] = -1
        tie_strength[i, s] = 0.0
        tie_back[i, s] = -1


@njit(cache=True)
def draw_attitudes(h, i, akey, k, tp, pp, attachment):
    """Trusts, efficacy, attachment and participation threshold of household i (:func:`attitudes`), and the
    rest of its state cleared (:func:`clear_household`).

    Uses draws k .. k+5 of ``akey``; ``tp``/``pp`` are the trust and
    participation parameters; ``attachment`` is the starting attachment.
    """
    h.trust_in[i], h.trust_out[i], h.trust_inst[i], h.efficacy[i], h.threshold[i] = attitudes(akey, k, tp, pp)
    h.attachment[i] = clip01(attachment)
    clear_household(i, h.participating, h.satisfaction, h.programme, h.friendly_contacts, h.conflicts, h.tie_target,
                    h.tie_strength, h.tie_back)
