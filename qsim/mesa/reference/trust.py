"""Trust, collective efficacy and disorder (ODD 7.4; kernel ``qsim/kernels/trust.py``).

Household level: in-group trust moves to a target raised by ties and
lowered by block disorder and diversity; out-group trust rises with
friendly inter-group contacts, falls with conflicts and relaxes to its
base; institutional trust follows the area's responsiveness. Block level:
collective efficacy = mean of in-group trust and efficacy, lowered by the
share of newcomers; disorder follows a target of the lagged efficacy
deficit, poor buildings and unemployment, lowered by the SAFETY lever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import levers as L
from ...state import LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED
from .common import clip01

if TYPE_CHECKING:
    from .model import ReferenceModel
    from .space import Block


def block_diversity(block: "Block") -> float:
    """Diversity of the two groups in a block, 4 p (1 - p) (0-1)."""
    total = block.group_count[0] + block.group_count[1]
    if total == 0:
        return 0.0
    share = block.group_count[1] / total
    return 4.0 * share * (1.0 - share)


def trust_step(model: "ReferenceModel") -> None:
    p = model.params.trust
    for hh in model.agents:
        block = hh.cell
        target = (p.in_group_base + p.in_group_tie_weight * min(1.0, sum(hh.ties.values()))
                  - p.disorder_weight * block.disorder - p.diversity_penalty * block_diversity(block))
        hh.trust_in += p.adjustment * (clip01(target) - hh.trust_in)

        t = hh.trust_out
        if hh.friendly_contacts > 0:
            t = 1.0 - (1.0 - t) * (1.0 - p.contact_effect) ** hh.friendly_contacts
        if hh.conflicts > 0:
            t *= (1.0 - p.conflict_trust_loss) ** hh.conflicts
        t += p.out_group_relax * (p.out_group_base - t)
        hh.trust_out = clip01(t)

        target = p.institutional_base + p.institutional_results_weight * block.area.responsiveness + hh.lever(
            L.INSTITUTIONAL)
        hh.trust_inst += p.adjustment * (clip01(target) - hh.trust_inst)


class BlockSummary:
    """Sums over a block's residents now: households, unemployed, in-group trust, efficacy, building quality,
    newcomers (under 12 months of tenure)."""

    __slots__ = ("count", "unemployed", "trust_in", "efficacy", "quality", "newcomers")

    def __init__(self, block: "Block"):
        residents = block.households
        self.count = len(residents)
        self.unemployed = sum(1 for h in residents if h.labour in (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED))
        self.trust_in = sum(h.trust_in for h in residents)
        self.efficacy = sum(h.efficacy for h in residents)
        self.quality = sum(h.dwelling.building.quality for h in residents)
        self.newcomers = sum(1 for h in residents if h.tenure < 12)


def collective_efficacy(summary: BlockSummary) -> float:
    """(cohesion + willingness) / 2, lowered by the newcomer share; 0 for an empty block."""
    if summary.count == 0:
        return 0.0
    c = summary.count
    return 0.5 * (summary.trust_in / c + summary.efficacy / c) * (1.0 - 0.5 * summary.newcomers / c)


def disorder_step(model: "ReferenceModel", summaries: dict, rate: float | None = None) -> None:
    """Lagged efficacy and disorder of every non-empty block; ``rate`` overrides ``disorder_rate``."""
    p = model.params.trust
    rate = p.disorder_rate if rate is None else rate
    for block in model.blocks:
        summary = summaries[block]
        c = summary.count
        if c == 0:
            continue
        block.efficacy_lagged += (block.efficacy - block.efficacy_lagged) / p.efficacy_lag
        target = (p.disorder_base + p.disorder_efficacy_weight * (1.0 - block.efficacy_lagged)
                  + p.disorder_quality_weight * (1.0 - summary.quality / c)
                  + p.disorder_disadvantage_weight * summary.unemployed / c
                  - block.area.levers[L.SAFETY])
        block.disorder += rate * (clip01(target) - block.disorder)
