"""Model parameters: one registry, with unit, default and source for each.

Parameters are grouped by process; every process gets its own immutable
named tuple (``LabourParams``, ...) that its numba kernel reads by name.
The registry is the single source of truth for defaults, units and the
parameter tables in ``docs/model.md``.

Rates are stored per month. A scenario file may state a rate per year or
per month explicitly; :func:`to_monthly` is the one place that converts.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import Any, Iterable

from .errors import QsimError

ASSUMPTION = "assumption"


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    ``unit`` uses ``1/month`` for monthly probabilities (rates), ``EUR/month``
    for money, ``months`` for durations and ``-`` for dimensionless numbers.
    ``low`` and ``high`` are the physical bounds a scenario's override must lie in
    (inclusive, finite): every value within them runs without NaN or inf.
    """

    process: str
    name: str
    default: float
    unit: str
    source: str
    description: str
    low: float = -math.inf
    high: float = math.inf

    @property
    def dotted(self) -> str:
        return f"{self.process}.{self.name}"

    @property
    def range(self) -> str:
        """The accepted values, ``[low, high]`` in the parameter's unit (validation refuses others)."""
        return f"[{self.low:g}, {self.high:g}]"

    @property
    def is_rate(self) -> bool:
        return self.unit == "1/month"


def _p(process, name, default, unit, source, description, low, high):
    return Parameter(process, name, float(default), unit, source, description, float(low), float(high))


D3 = "docs/sources.md §3 (German labour-market and housing statistics)"
D4 = "docs/sources.md §4"
CALIBRATED = "calibrated (experiments/calibrate_baseline.toml, docs/calibration.md)"

PARAMETERS: tuple[Parameter, ...] = (
    # ---------------------------------------------------------------- labour
    _p("labour", "job_loss", 0.0068, "1/month", CALIBRATED + "; produces 0.8-0.9% per month, " + D3 + ": 0.7-0.9%",
       "Monthly hazard of an employed head losing the job (at skill 0.5, demand 1).", 0, 1),
    _p("labour", "demand_elasticity_finding", 3.0, "-", ASSUMPTION + " (matching: finding ~ tightness ** 0.5, Petrongolo & "
       "Pissarides 2001; tightness moves several times as much as employment), calibrated to Berlin 2006-2016: "
       "docs/calibration.md",
       "Elasticity of job finding and of the exit from transfer receipt with respect to labour demand D.", 0, 10),
    _p("labour", "demand_elasticity_loss", 1.5, "-", ASSUMPTION + " (separations fall in upturns), calibrated with "
       "demand_elasticity_finding: docs/calibration.md",
       "Elasticity of job loss with respect to 1 / D (D floored at 0.05).", 0, 10),
    _p("labour", "job_loss_skill_gradient", 1.0, "-", ASSUMPTION,
       "Job loss scales with 1 + gradient * (0.5 - skill).", 0, 2),
    _p("labour", "job_finding_max", 0.7578, "1/month", CALIBRATED + ": the produced hazards match " + D3
       + " (12-16% short-term, 1.5-4% long-term); calibrated as 0.8328 with address stigma 0.2, then multiplied by "
       "the stigma factor 0.910 at the baseline's reputation 0.549 when the stigma channel was switched off",
       "Job-finding hazard of an unemployed head with skill 1, no referrals, demand 1, no stigma.", 0, 1),
    _p("labour", "job_finding_skill_exponent", 2.0, "-", ASSUMPTION + ", calibrated as job_finding_max",
       "Finding hazard scales with skill ** exponent: heterogeneity from which duration dependence emerges.", 0, 10),
    _p("labour", "referral_strength", 2.0, "-", D4 + " (Calvo-Armengol & Jackson 2004); size " + ASSUMPTION
       + ", set so that employment correlates along ties (docs/calibration.md)",
       "Relative rise of the finding hazard with the referral share sum(w e) / (1 + sum(w)) of employed ties (below 1).", 0, 5),
    _p("labour", "referral_same_block_bonus", 0.35, "-", D4 + ": Bayer, Ross & Topa 2008, 'over a third'",
       "Extra weight of an employed tie who lives in the same block.", 0, 5),
    _p("labour", "referral_same_group_bonus", 0.3, "-", D4 + " (Bayer et al. 2008: stronger between similar people); size "
       + ASSUMPTION, "Extra weight of an employed tie of the same group.", 0, 5),
    _p("labour", "stigma_strength", 0.0, "-", "off: field experiments find no general address discrimination in "
       "hiring (Tunstall et al. 2014; Carlsson, Abrar Reshid & Rooth 2018); a size above 0 is an " + ASSUMPTION,
       "Address stigma (a measure channel, docs/measures.md): relative fall of the finding hazard at area "
       "reputation 0 (none at reputation 1).", 0, 1),
    _p("labour", "care_penalty", 0.8879, "-", ASSUMPTION + " (single parents: care duties; the group with the highest SGB II rate); "
       + CALIBRATED + ": keeps child poverty (S4) at its level",
       "Relative fall of the job-finding hazard of a single adult with children under 15.", 0, 1),
    _p("labour", "skill_depreciation", 0.012, "1/month", ASSUMPTION + " (human-capital depreciation and loss of work habits, about 13% a year); " + CALIBRATED,
       "Skill lost per month of unemployment, as a share of current skill.", 0, 1),
    _p("labour", "skill_gain_employed", 0.002, "1/month", ASSUMPTION,
       "Skill gained per month of employment, as a share of the distance to 1.", 0, 1),
    _p("labour", "long_term_after", 12, "months", "docs/sources.md §1 (S2: unemployed over one year)",
       "Months of unemployment after which a head counts as long-term unemployed.", 1, 120),
    _p("labour", "insurance_months", 12, "months", "SGB III §147 (ALG I for 12 months under age 50)",
       "Months of unemployment insurance benefit before SGB II.", 0, 36),
    _p("labour", "transfer_entry_employed", 0.0004, "1/month", ASSUMPTION + " (working poor entering SGB II top-up)",
       "Hazard of an employed low-skill head entering transfer receipt, times 2 * (1 - skill).", 0, 1),
    _p("labour", "transfer_entry_unemployed", 0.01491, "1/month", ASSUMPTION + " (illness, care duties); " + CALIBRATED,
       "Hazard of a long-term unemployed head moving to transfer receipt without unemployment.", 0, 1),
    _p("labour", "transfer_exit", 0.03, "1/month", CALIBRATED + "; produces about 1.7% a month into work, " + D3
       + ": 1.5-2%, 70% in receipt 21 of 24 months", "Hazard of leaving transfer receipt into employment (times skill/0.5).", 0, 1),
    _p("labour", "inactive_entry", 0.006, "1/month", ASSUMPTION + "; " + CALIBRATED, "Hazard of a head becoming inactive.", 0, 1),
    _p("labour", "inactive_exit", 0.05672, "1/month", ASSUMPTION + " (most entries into unemployment do not come from "
       "employment: training, care, illness, first entry); " + CALIBRATED, "Hazard of an inactive head becoming unemployed (searching).", 0, 1),
    _p("labour", "wage_base", 1300.0, "EUR/month", ASSUMPTION + " (net household earnings, low end of Berlin range)",
       "Net monthly earnings of an employed head with skill 0.", 0, 1e5),
    _p("labour", "wage_skill", 1800.0, "EUR/month", ASSUMPTION, "Extra net monthly earnings at skill 1.", 0, 1e5),
    _p("labour", "insurance_replacement", 0.6, "-", "SGB III §149 (60% of net pay, 67% with children)",
       "Unemployment insurance benefit as a share of the last wage.", 0, 1),
    _p("labour", "need_adult", 563.0, "EUR/month", "SGB II standard need for a single adult, 2024",
       "Basic income need of the first adult.", 0, 1e4),
    _p("labour", "need_child", 390.0, "EUR/month", "SGB II standard need for a child, 2024 (middle age band)",
       "Basic income need per child.", 0, 1e4),
    _p("labour", "child_benefit", 250.0, "EUR/month", "Kindergeld 2024: 250 EUR per child",
       "Child benefit per child, added to earned income (counted against the need in SGB II).", 0, 1e4),
    _p("labour", "generation_turnover", 1.0 / 360.0, "1/month", ASSUMPTION + " (a generation of about 30 years)",
       "Hazard that a household's head is succeeded by a grown child whose skill is the child's education.", 0, 1),
    _p("labour", "child_education_rate", 1.0 / 60.0, "1/month", ASSUMPTION + "; long exposure effects after Chetty, Hendren & Katz 2016",
       "Rate at which children's education moves towards its neighbourhood target.", 0, 1),
    _p("labour", "child_education_parent_weight", 0.5, "-", ASSUMPTION,
       "Weight of the parent's skill in the children's education target (the rest: school, places, efficacy).", 0, 1),
    _p("labour", "child_education_place_effect", 0.0, "-", "off: no evaluation links parks or playgrounds to "
       "children's later skills; a size above 0 is an " + ASSUMPTION,
       "Place quality on children's education (a measure channel, docs/measures.md): share of the area's place "
       "quality above or below 0.5 passed on to the children's education target (1: the place term is the "
       "area's place quality).", 0, 1),
    # ------------------------------------------------------------ encounters
    _p("encounters", "encounters_per_month", 2, "1/month", ASSUMPTION,
       "Encounter attempts a household starts per month (it also meets those who approach it); at least 0.01 "
       "(switch encounters off with processes.encounters = false).", 0.01, 30),
    _p("encounters", "share_building", 0.45, "-", ASSUMPTION, "Share of encounters in the own building.", 0, 1),
    _p("encounters", "share_block", 0.35, "-", ASSUMPTION,
       "Share of encounters in the own block (the rest at places, scaled by place quality).", 0, 1),
    _p("encounters", "homophily", 0.5, "-", D4 + " (homophily); size " + ASSUMPTION,
       "Probability that an encounter with another group does not lead to a tie.", 0, 1),
    _p("encounters", "tie_formation", 0.1, "-", ASSUMPTION, "Probability that an accepted encounter forms a new tie.", 0, 1),
    _p("encounters", "tie_initial_strength", 0.2, "-", ASSUMPTION, "Strength of a new tie (0-1).", 0, 1),
    _p("encounters", "tie_reinforcement", 0.15, "-", ASSUMPTION, "Strength added when tied households meet again.", 0, 1),
    _p("encounters", "tie_decay", 0.08, "1/month", ASSUMPTION, "Relative loss of tie strength per month; ties are kept up only by meeting again.", 0, 1),
    _p("encounters", "tie_min_strength", 0.05, "-", ASSUMPTION, "Ties weaker than this are dropped.", 0, 1),
    _p("encounters", "conflict_probability", 0.04, "-", D4 + " (bounded confidence, inter-group conflict); size " + ASSUMPTION,
       "Probability that an inter-group encounter becomes a conflict, times (1 - out-group trust).", 0, 1),
    # ----------------------------------------------------------------- trust
    _p("trust", "adjustment", 0.05, "1/month", ASSUMPTION, "Rate at which trust moves towards its target.", 0, 1),
    _p("trust", "in_group_base", 0.45, "-", ASSUMPTION, "In-group (neighbour) trust target with no ties and no disorder.", 0, 1),
    _p("trust", "in_group_tie_weight", 0.35, "-", ASSUMPTION, "Rise of in-group trust target with tie strength (sum, capped at 1).", 0, 1),
    _p("trust", "disorder_weight", 0.3, "-", D4 + " (Sampson et al. 1997); size " + ASSUMPTION,
       "Fall of the in-group trust target with block disorder.", 0, 1),
    _p("trust", "diversity_penalty", 0.15, "-", D4 + " (Putnam 2007; van der Meer & Tolsma 2014); size " + ASSUMPTION,
       "Fall of trust in neighbours with the block's diversity (Gini-Simpson of groups, scaled to 0-1).", 0, 1),
    _p("trust", "out_group_base", 0.35, "-", ASSUMPTION, "Out-group trust that an unexposed household relaxes to.", 0, 1),
    _p("trust", "out_group_relax", 0.01, "1/month", ASSUMPTION, "Rate of relaxation of out-group trust to its base.", 0, 1),
    _p("trust", "contact_effect", 0.002, "-", D4 + " (Pettigrew & Tropp 2006, mean r = -0.21); size " + ASSUMPTION,
       "Out-group trust gained per friendly inter-group encounter, times (1 - trust).", 0, 1),
    _p("trust", "conflict_trust_loss", 0.03, "-", ASSUMPTION, "Relative out-group trust lost per conflict.", 0, 1),
    _p("trust", "institutional_base", 0.35, "-", ASSUMPTION, "Institutional trust with no visible results.", 0, 1),
    _p("trust", "institutional_results_weight", 0.4, "-", ASSUMPTION,
       "Rise of institutional trust target with the area's responsiveness (priorities acted on).", 0, 1),
    _p("trust", "efficacy_lag", 12, "months", D4 + " (Sampson et al.; Hipp 2016: disorder and efficacy feed each other with a lag)",
       "Time constant of the lagged collective efficacy that disorder responds to.", 1, 120),
    _p("trust", "disorder_rate", 1.0 / 12.0, "1/month", ASSUMPTION, "Rate at which block disorder moves to its target.", 0, 1),
    _p("trust", "disorder_base", 0.1, "-", ASSUMPTION, "Disorder of a block with full efficacy, quality and employment.", 0, 1),
    _p("trust", "disorder_efficacy_weight", 0.4, "-", ASSUMPTION, "Rise of disorder target with missing (lagged) collective efficacy.", 0, 1),
    _p("trust", "disorder_quality_weight", 0.25, "-", ASSUMPTION, "Rise of disorder target with poor building quality.", 0, 1),
    _p("trust", "disorder_disadvantage_weight", 0.5, "-", D4 + " (Sampson et al. 1997)", "Rise of disorder target with the block's unemployment share.", 0, 2),
    # --------------------------------------------------------- participation
    _p("participation", "threshold_mean", 0.5, "-", D4 + " (Granovetter 1978); size " + ASSUMPTION,
       "Median participation threshold (logit-normal across households, spread as a Beta of this concentration).", 0, 1),
    _p("participation", "threshold_concentration", 3.0, "-", ASSUMPTION, "Concentration of thresholds: the logit-normal has about the variance of a Beta with a + b = concentration.", 0.1, 1000),
    _p("participation", "tie_influence", 0.6, "-", ASSUMPTION,
       "Weight of the participating share of own ties (the rest: the area's share last month).", 0, 1),
    _p("participation", "efficacy_weight", 0.25, "-", ASSUMPTION, "Lowering of the effective threshold per unit efficacy.", 0, 1),
    _p("participation", "attachment_weight", 0.15, "-", ASSUMPTION, "Lowering of the effective threshold per unit attachment.", 0, 1),
    _p("participation", "cost", 0.08, "-", ASSUMPTION + " (time, language, access)", "Raising of the effective threshold by the cost of taking part.", 0, 1),
    _p("participation", "opportunities", 0.06, "-", ASSUMPTION + " (resident initiatives, parents' councils, "
       "open events; QM adds district conferences, councils, action-fund juries)",
       "Households that can take part in a month, as a share of the area's households (seats at events, "
       "places in initiatives), without measures.", 0, 1),
    _p("participation", "burnout", 0.04, "1/month", D4 + " (volunteers burn out); size " + ASSUMPTION,
       "Monthly probability that a participant stops.", 0, 1),
    _p("participation", "responsiveness_base", 0.25, "-", ASSUMPTION,
       "Share of residents' priorities acted on without Quartiersmanagement.", 0, 1),
    _p("participation", "efficacy_learning", 0.05, "1/month", ASSUMPTION,
       "Rate at which a participant's efficacy moves to the responsiveness experienced.", 0, 1),
    _p("participation", "efficacy_relax", 0.005, "1/month", ASSUMPTION, "Rate at which a non-participant's efficacy relaxes to 0.3.", 0, 1),
    _p("participation", "attachment_rate", 0.02, "1/month", ASSUMPTION, "Rate at which attachment moves to its target (tenure, ties, satisfaction).", 0, 1),
    # ----------------------------------------------------------- environment
    _p("environment", "building_decay", 0.0015, "1/month", ASSUMPTION + " (about 0.18 quality points a decade)",
       "Loss of building quality (0-1) per month.", 0, 1),
    _p("environment", "maintenance_rate", 0.008, "1/month", ASSUMPTION, "Monthly probability that an owner maintains a building, or the municipality a place.", 0, 1),
    _p("environment", "maintenance_gain", 0.15, "-", ASSUMPTION, "Quality restored by maintenance (capped at 1).", 0, 1),
    _p("environment", "place_decay", 0.0012, "1/month", ASSUMPTION, "Loss of place quality per month.", 0, 1),
    _p("environment", "rent_quality_weight", 0.5, "-", ASSUMPTION, "Market rent factor is 0.75 + weight * quality.", 0, 2),
    _p("environment", "rent_reputation_weight", 0.3, "-", D4 + " (rent-gap models); size " + ASSUMPTION,
       "Market rent factor rises by weight * (reputation - 0.5).", 0, 2),
    _p("environment", "rent_increase_cap", 0.05, "share/year", "BGB §558 Kappungsgrenze: 15% in 3 years (Berlin)",
       "Yearly cap on rent increases for sitting tenants (applied every 12 months; unit: share per year).", 0, 1),
    _p("environment", "housing_cost_limit", 600.0, "EUR/month", ASSUMPTION + " (Berlin AV-Wohnen order of magnitude)",
       "Rent covered for households in SGB II receipt.", 0, 1e5),
    # -------------------------------------------------------------- mobility
    _p("mobility", "base_move_rate", 0.008, "1/month", D3 + ": 5-10% of tenant households move per year",
       "Monthly move hazard of a household at reference satisfaction.", 0, 1),
    _p("mobility", "dissatisfaction_sensitivity", 4.0, "-", ASSUMPTION,
       "Move hazard is multiplied by exp(sensitivity * (0.5 - satisfaction)).", 0, 50),
    _p("mobility", "weight_building", 0.25, "-", ASSUMPTION, "Weight of building quality in satisfaction.", 0, 1),
    _p("mobility", "weight_environment", 0.15, "-", ASSUMPTION, "Weight of place quality in satisfaction.", 0, 1),
    _p("mobility", "weight_cohesion", 0.25, "-", ASSUMPTION, "Weight of in-group trust in satisfaction.", 0, 1),
    _p("mobility", "weight_safety", 0.2, "-", ASSUMPTION, "Weight of (1 - block disorder) in satisfaction.", 0, 1),
    _p("mobility", "weight_affordability", 0.15, "-", ASSUMPTION, "Weight of affordability (1 - excess rent burden) in satisfaction.", 0, 1),
    _p("mobility", "burden_threshold", 0.3, "-", "common affordability norm: rent above 30% of income",
       "Rent burden above which affordability falls.", 0, 1),
    _p("mobility", "displacement_burden", 0.45, "-", ASSUMPTION, "Rent burden above which a household risks displacement.", 0, 5),
    _p("mobility", "displacement_rate", 0.03, "1/month", ASSUMPTION, "Monthly displacement hazard above that burden.", 0, 1),
    _p("mobility", "selectivity", 1.5, "-", D4 + " (selective out-migration, filtering); size " + ASSUMPTION,
       "Move-out hazard multiplier rises by selectivity * (income / area reference income - 1), floored at 0.2.", 0, 10),
    _p("mobility", "share_within_area", 0.4, "-", D3 + ": about 40% of moves stay within the district",
       "Share of voluntary moves that look for a dwelling in the own area.", 0, 1),
    _p("mobility", "similarity_threshold", 0.2, "-", D4 + " (Schelling 1971); QM value " + ASSUMPTION,
       "Share of similar neighbours below which a household is unhappy.", 0, 1),
    _p("mobility", "unhappy_move_probability", 0.01, "1/month", ASSUMPTION + " (1 in the classic Schelling model)",
       "Monthly probability that an unhappy household moves.", 0, 1),
    _p("mobility", "radius", 1, "blocks", "Schelling (1971): Moore neighbourhood of radius 1",
       "Radius of the block neighbourhood for the similar-neighbour share.", 0, 10),
    _p("mobility", "candidates", 3, "-", ASSUMPTION + " (1 = a random vacant dwelling, as in Schelling)",
       "Vacant dwellings a mover compares.", 1, 50),
    _p("mobility", "vacancy_fill_rate", 0.25, "1/month", ASSUMPTION + " (tight Berlin market)",
       "Monthly probability that a vacant dwelling is let to an outside household, at reputation 0.5.", 0, 1),
    _p("mobility", "reputation_lag", 24, "months", "docs/sources.md §5 (ranks persist); " + ASSUMPTION,
       "Time constant with which reputation follows the area's condition.", 1, 600),
    _p("mobility", "in_mover_skill_mean", 0.45, "-", ASSUMPTION, "Median skill of in-movers at reputation 0.5 (logit-normal).", 0, 1),
    _p("mobility", "in_mover_skill_reputation", 0.3, "-", D4 + " (filtering); size " + ASSUMPTION,
       "Rise of the in-mover median skill per unit of reputation above 0.5.", 0, 2),
    _p("mobility", "in_mover_skill_income", 1.0, "-", "Hedman, van Ham & Manley 2011 (households choose "
       "neighbourhoods whose population matches their own; income drives the sorting most); size " + ASSUMPTION
       + ", bounded by the persistence patterns (docs/sources.md §5 pattern 2: at 1 the spread of area "
       "unemployment holds within about +10% over 15 years in scenarios/city_persistence.toml, at 2 it grows by "
       "60%)",
       "Rise of the in-mover median skill per unit of the area's mean income relative to the simulated city's "
       "(area / city - 1; 0 in a city of one area).", 0, 5),
    _p("mobility", "in_mover_unemployed", 0.1, "-", ASSUMPTION, "Share of in-movers unemployed on arrival (at reputation 0.5).", 0, 1),
    _p("mobility", "in_mover_transfer", 0.10, "-", ASSUMPTION, "Share of in-movers in transfer receipt without unemployment.", 0, 1),
    _p("mobility", "in_mover_inactive", 0.08, "-", ASSUMPTION, "Share of in-movers inactive.", 0, 1),
    _p("mobility", "in_mover_children", 0.6, "-", ASSUMPTION + " (Berlin households: 1.8 persons, docs/sources.md §3)",
       "Mean number of children under 15 in an in-moving household, times 2 (1 - skill): poorer families have fewer choices.", 0, 4),
    _p("mobility", "in_mover_two_adults", 0.35, "-", ASSUMPTION + " (Berlin households: 1.8 persons)",
       "Share of in-moving households with two adults.", 0, 1),
    _p("mobility", "city_share_of_out_moves", 0.5, "-", ASSUMPTION,
       "In a scenario of several areas: share of out-of-area moves that go to another simulated area.", 0, 1),
    _p("mobility", "in_mover_minority_share", 0.45, "-", ASSUMPTION + " (Berlin QM areas)", "Share of group 1 among in-movers.", 0, 1),
    # ---------------------------------------------------------- organisations
    _p("organisations", "tie_formation", 0.08, "1/month", "docs/sources.md §5 pattern 1 (networks respond within 1-3 "
       "years): equal to tie_decay, so that the baseline network keeps its density; " + ASSUMPTION + " otherwise",
       "Monthly probability of a cooperation tie between two organisations, times both capacities.", 0, 1),
    _p("organisations", "tie_decay", 0.08, "1/month", "docs/sources.md §5 pattern 1: a time constant of 12.5 "
       "months, so that half of a change in tie formation shows in the network within a year (validation row "
       "'Networks of organisations respond within 1-3 years')",
       "Relative loss of cooperation tie strength per month.", 0, 1),
    _p("organisations", "capacity_relax", 0.1, "1/month", "docs/sources.md §5 pattern 1: a time constant of 10 "
       "months, so that organisations supported by measures gain capacity within 1-3 years",
       "Rate at which organisation capacity relaxes to its base (plus the org_capacity lever).", 0, 1),
)

PROCESSES = ("labour", "encounters", "trust", "participation", "environment", "mobility", "organisations")

BY_NAME: dict[str, Parameter] = {p.dotted: p for p in PARAMETERS}


def _make_tuple(process: str):
    names = [p.name for p in PARAMETERS if p.process == process]
    cls = namedtuple(process.title() + "Params", names, module=__name__)
    cls.__doc__ = f"Parameters of the {process} process (see qsim.parameters.PARAMETERS)."
    return cls


LabourParams = _make_tuple("labour")
EncountersParams = _make_tuple("encounters")
TrustParams = _make_tuple("trust")
ParticipationParams = _make_tuple("participation")
EnvironmentParams = _make_tuple("environment")
MobilityParams = _make_tuple("mobility")
OrganisationsParams = _make_tuple("organisations")
TUPLES = {
    "labour": LabourParams, "encounters": EncountersParams, "trust": TrustParams,
    "participation": ParticipationParams, "environment": EnvironmentParams,
    "mobility": MobilityParams, "organisations": OrganisationsParams,
}


class ParameterError(QsimError, ValueError):
    """A parameter name or value that the model cannot use; the message names the parameter and its range."""


def to_monthly(value: float, per: str) -> float:
    """Convert a probability per ``per`` ('month' or 'year') to a monthly probability.

    A yearly probability p becomes 1 - (1 - p) ** (1/12), so that twelve
    monthly trials give the same chance of at least one event.
    """
    if per == "month":
        return float(value)
    if per == "year":
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"a yearly probability must lie in [0, 1], got {value}")
        return 1.0 - (1.0 - float(value)) ** (1.0 / 12.0)
    raise ParameterError(f"a rate is stated 'per month' or 'per year', not per {per!r}")


class ModelParameters:
    """The full parameter set of a run: one named tuple per process.

    >>> mp = ModelParameters({"labour.job_loss": 0.01})
    >>> mp.labour.job_loss
    0.01
    """

    def __init__(self, overrides: dict[str, float] | None = None):
        values = {p.dotted: p.default for p in PARAMETERS}
        for name, value in (overrides or {}).items():
            values[name] = check_value(name, value)
        self._values = values
        for process, cls in TUPLES.items():
            setattr(self, process, cls(*(values[f"{process}.{n}"] for n in cls._fields)))

    def __getitem__(self, dotted: str) -> float:
        return self._values[dotted]

    def as_dict(self) -> dict[str, float]:
        return dict(self._values)

    def replace(self, overrides: dict[str, float]) -> "ModelParameters":
        merged = dict(self._values)
        merged.update(overrides)
        return ModelParameters(merged)


def check_value(name: str, value: Any) -> float:
    """Return ``value`` as float if ``name`` is a known parameter and the value is in range."""
    if name not in BY_NAME:
        close = [n for n in BY_NAME if n.split(".")[-1] == name.split(".")[-1]]
        hint = f"; did you mean {close[0]!r}?" if close else "; `qsim parameters` lists them"
        raise ParameterError(f"unknown parameter {name!r}{hint}")
    spec = BY_NAME[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"parameter {name!r} expects a number ({spec.unit}), got {value!r}")
    value = float(value)
    if not (spec.low <= value <= spec.high) or math.isnan(value):
        raise ParameterError(f"parameter {name!r} must lie in [{spec.low:g}, {spec.high:g}] {spec.unit}, got {value:g}")
    return value


def table(process: str | None = None) -> Iterable[Parameter]:
    """The registry, optionally for one process (for docs and `qsim parameters`)."""
    return [p for p in PARAMETERS if process is None or p.process == process]
