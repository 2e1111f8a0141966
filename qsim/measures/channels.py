"""The channels by which measures reach outcomes, each with its source, size and default.

A channel is one causal link from what a measure changes to an outcome. There are two kinds:

* **effect channels**: a catalogue effect (a lever or a one-off state change, ``MeasureType.effects``)
  acting on its first outcome. Its size is the effect value of each measure type that uses it
  (docs/measures.md); a value of 0 means the channel is off for that type, and a scenario switches it on
  for one measure with ``effect = { name = size }``.
* **model channels**: links inside the model through which those first outcomes spread to others (the
  area's reputation to the skills of in-movers, place quality to children's later skills, ...). Their size is
  a model parameter (``qsim.parameters``); 0 means off, and ``[parameters]`` switches it on.

Every channel names the evidence for its direction and size, or starts its source with ``assumption``;
a channel whose size is an assumption is off by default (``tests/test_channels.py`` checks it, and that
every effect of the shipped catalogue belongs to exactly one channel). The tables in docs/measures.md and
docs/model.md (section 7.9) are generated from :data:`CHANNELS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..parameters import BY_NAME
from .catalogue import CATALOGUE, MeasureType

ASSUMPTION = "assumption"
REPUTATION_INPUTS = ("job_finding", "skill_gain", "safety", "building_quality")  # what moves unemployment,
# disorder or building quality, the inputs of an area's reputation (docs/model.md 7.7)


@dataclass(frozen=True)
class Channel:
    """One route from a measure to an outcome (see the module's docstring)."""

    name: str
    outcome: str                   # what it moves, in words
    unit: str                      # unit of its size
    source: str                    # evidence for direction and size, or "assumption: ..." (then off by default)
    after_end: str                 # what remains after the funding ends, and by which mechanism
    effects: tuple[str, ...] = ()  # effect channel: the catalogue effects that open it
    kinds: tuple[str, ...] = ()    # effect channel: the delivery kinds it is restricted to (empty: all)
    parameter: str | None = None   # model channel: the parameter that sets its size
    fed_by: tuple[str, ...] = ()   # model channel: the catalogue effects whose changes reach it

    @property
    def is_assumption(self) -> bool:
        return self.source.startswith(ASSUMPTION)

    def uses(self, catalogue: dict[str, MeasureType] | None = None) -> list[tuple[MeasureType, str, float]]:
        """(measure type, effect, size) of every catalogue effect that opens this effect channel."""
        entries = (CATALOGUE if catalogue is None else catalogue).values()
        return [(e, k, v) for e in entries for k, v in e.effects.items()
                if k in self.effects and (not self.kinds or e.delivery in self.kinds)]

    def measure_types(self) -> list[str]:
        """The measure types that reach the channel with a size above 0 (directly or, for a model channel,
        through an effect that feeds it)."""
        if self.parameter is None:
            return list(dict.fromkeys(e.name for e, _, v in self.uses() if v > 0))
        return [e.name for e in CATALOGUE.values() if any(e.effects.get(k, 0) > 0 for k in self.fed_by)]

    @property
    def size(self) -> float:
        """The largest default size (0: off by default)."""
        if self.parameter is not None:
            return BY_NAME[self.parameter].default
        return max((v for _, _, v in self.uses()), default=0.0)

    @property
    def default(self) -> str:
        """The default in words: the parameter's value, or each measure type's effect size; 'off' at 0."""
        if self.parameter is not None:
            value = BY_NAME[self.parameter].default
            return f"`{self.parameter}` = {value:g}" + (" (off)" if value == 0 else "")
        uses = self.uses()
        if not uses:
            return "off (no shipped measure type uses it)"
        text = ", ".join(f"{e.name} {k} = {v:g}" for e, k, v in uses)
        return text + (" (off)" if self.size == 0 else "")


def _p(name):  # the registry's unit of a parameter
    return BY_NAME[name].unit


CHANNELS: tuple[Channel, ...] = (
    # ------------------------------------------------------------------ effect channels: labour market
    Channel("job placement", "participants' job finding and exit from transfer receipt, while enrolled",
            "- (relative rise of the hazard)",
            "Card, Kluve & Weber 2010, 2018 (meta-analyses of active labour-market programmes: job-search "
            "assistance has small positive effects; impacts close to zero in the first year, larger after 2-3 "
            "years): a rise of 10-15% of the monthly exit rate is some 3-4 percentage points more participants "
            "in work after a year",
            "stops when the participant leaves; the jobs found stay (and end at the job-loss rate)",
            effects=("job_finding",), kinds=("programme",)),
    Channel("job access", "every resident's job finding (transport links, lighting)", "- (relative rise of the hazard)",
            "assumption: no evaluation of neighbourhood-scale transport or lighting projects measures an effect "
            "on residents' job finding",
            "fades with the measure's half-life", effects=("job_finding",), kinds=("area", "construction", "office")),
    Channel("training", "participants' skill, hence their job finding and wages", "1/month (share of the "
            "distance to skill 1)",
            "Card, Kluve & Weber 2018 (larger gains 2-3 years after programmes that build human capital); "
            "Lechner, Miquel & Wunsch 2011 (German further training): a job-finding hazard some 15-25% higher "
            "after the course",
            "the skill stays with the household: it grows on the job and depreciates in unemployment (docs/"
            "model.md 7.2), so it lasts while the participant works and fades otherwise",
            effects=("skill_gain",), kinds=("programme",)),
    Channel("local labour demand", "job finding up and job loss down in the area", "- (relative rise of demand)",
            "assumption: no QM measure creates local labour demand in the evaluations (docs/sources.md §5)",
            "fades with the measure's half-life", effects=("job_demand",)),
    Channel("children's learning", "the education target of participating households' children, hence the "
            "skill of the next head of household", "0-1 scale (rise of the target)",
            "Nickow, Oreopoulos & Quan 2020 (tutoring raises learning by about 0.37 standard deviations); "
            "Chetty, Hendren & Katz 2016 (docs/sources.md §4: effects grow with years of exposure): a year of "
            "enrolment moves education by about 0.15 x (1 - exp(-12/60)) = 0.03, some 0.15 s.d. of skill",
            "keeps growing for decades after funding ends, by a documented mechanism: the children carry the "
            "gain into adulthood and it shows when they succeed as heads (docs/model.md 7.2; docs/sources.md §4: "
            "education measures pay off with long lags)",
            effects=("child_education",)),
    # ------------------------------------------------------------------ effect channels: cohesion, participation
    Channel("contact", "encounters at places and the share across groups, hence ties and out-group trust",
            "- (relative rise of encounters); 0-1 (share across groups)",
            "Pettigrew & Tropp 2006 (contact reduces prejudice, mean r about -0.21; docs/sources.md §4); "
            "evaluations: neighbourly contacts improve within 1-3 years (docs/sources.md §5 pattern 1; "
            "validation row 'Contact raises out-group trust')",
            "fades with the measure's half-life; ties and trust formed stay and decay at their own rates",
            effects=("encounters", "mixing")),
    Channel("mediation", "the share of inter-group encounters that become conflicts, hence out-group trust",
            "0-1 (relative fall of the conflict probability)",
            "neighbourhood mediation settles 70-75% of the disputes it takes on (Dutch Buurtbemiddeling, Interreg "
            "Europe good-practice record); the size (30% fewer conflicts area-wide) is below that share",
            "fades with the measure's half-life", effects=("conflict_reduction",)),
    Channel("activation", "participation thresholds, its cost and the chances to take part, hence participation",
            "0-1 scale",
            "Granovetter 1978 (thresholds; docs/sources.md §4: low-cost offers and outreach tip participation); "
            "evaluations: participation responds within 1-3 years and improved clearly (docs/sources.md §5 "
            "patterns 1 and 5; validation row 'Participation respond within 1-3 years')",
            "fades with the measure's half-life; participants burn out at the burnout rate",
            effects=("outreach", "participation_cost", "opportunities")),
    Channel("responsiveness", "the share of residents' priorities acted on and the institutional-trust target, "
            "hence efficacy and institutional trust", "0-1",
            "evaluations: activation and responsibility improved clearly (docs/sources.md §5 pattern 5); visible "
            "results raise efficacy (Sampson et al. 1997, docs/sources.md §4)",
            "fades with the measure's half-life", effects=("responsiveness", "institutional")),
    Channel("actor network", "cooperation ties and capacity of local organisations, hence the delivery of "
            "measures that depend on the network", "- (relative rise of tie formation); 0-1 (capacity)",
            "evaluations: networks of actors improved clearly, within 1-3 years (docs/sources.md §5 patterns 1 "
            "and 5; validation row 'Networks of organisations respond within 1-3 years')",
            "ties decay with organisations.tie_decay (a time constant of about a year) once the lever fades",
            effects=("networking", "org_capacity", "office_capacity")),
    # ------------------------------------------------------------------ effect channels: built environment
    Channel("order and safety", "the disorder target of blocks, hence in-group trust, satisfaction and the "
            "area's reputation", "0-1 scale (lowering of the target)",
            "Welsh & Farrington 2008 (improved street lighting: about a fifth less crime); the size (0.05 off a "
            "disorder of about 0.3) is within that",
            "fades with the measure's half-life (lighting wears: 60 months)", effects=("safety",)),
    Channel("place quality", "the quality of parks and playgrounds, hence satisfaction (fewer moves) and "
            "encounters at places", "0-1 (rise of quality, once)",
            "Baufonds projects (docs/sources.md §2) arrive with multi-year lags (§5 pattern 3); residents' "
            "evaluation of their surroundings drives their wish to leave (Skifter Andersen 2008)",
            "decays as all places do (environment.place_decay) unless maintained",
            effects=("place_quality",)),
    Channel("housing quality and rents", "building quality and sitting tenants' rents, hence satisfaction, "
            "displacement, market rents and the area's reputation", "0-1 (rise of quality, once); EUR/month "
            "(levy)",
            "modernisation levy of 8% of the cost a year (BGB §559); upgrading raises rents and displacement "
            "(Eckerd et al. 2019, docs/sources.md §4)",
            "decays as all buildings do (environment.building_decay); the levy stays in the rent",
            effects=("building_quality", "rent_levy")),
    Channel("maintenance", "the monthly probability that owners maintain a building", "1/month",
            "assumption: no shipped measure type", "fades with the measure's half-life", effects=("maintenance",)),
    # ------------------------------------------------------------------ model channels
    Channel("address stigma", "job finding of all residents, lower where the area's reputation is poor",
            _p("labour.stigma_strength") + " (relative fall of the hazard at reputation 0)",
            "assumption: field experiments find no general address discrimination in hiring (Tunstall et al. "
            "2014; Carlsson, Abrar Reshid & Rooth 2018)",
            "would follow reputation, which lags the area's condition (mobility.reputation_lag)",
            parameter="labour.stigma_strength", fed_by=REPUTATION_INPUTS),
    Channel("place quality on children's skills", "the children's education target, from the area's place "
            "quality, hence the next generation's skill", _p("labour.child_education_place_effect")
            + " (share of a place-quality difference passed on)",
            "assumption: no evaluation links parks or playgrounds to children's later skills (the exposure "
            "effects of Chetty, Hendren & Katz 2016 are of whole neighbourhoods, in the model through the "
            "block's efficacy)",
            "would grow for decades, through succession", parameter="labour.child_education_place_effect",
            fed_by=("place_quality",)),
    Channel("in-movers by reputation", "the skill of households moving in from outside, higher where the "
            "area's reputation is better", _p("mobility.in_mover_skill_reputation")
            + " (rise of the in-mover median skill per unit of reputation)",
            "filtering and selective migration (docs/sources.md §4); Hedman, van Ham & Manley 2011 (households "
            "choose areas whose population matches their own); size bounded by the persistence patterns "
            "(docs/sources.md §5 pattern 2; validation rows on the ranks and spread of area unemployment)",
            "follows reputation, which lags the area's condition (mobility.reputation_lag): a change the "
            "measure made to unemployment, disorder or buildings keeps acting while it lasts",
            parameter="mobility.in_mover_skill_reputation", fed_by=REPUTATION_INPUTS),
    Channel("in-movers by income", "the skill of households moving in from outside, higher where the area's "
            "residents earn more than the simulated city's (0 in a one-area scenario)",
            _p("mobility.in_mover_skill_income") + " (rise of the in-mover median skill per unit of relative "
            "income)",
            "Hedman, van Ham & Manley 2011 (sorting into neighbourhoods is driven by income most); size bounded "
            "by the persistence patterns (docs/sources.md §5 pattern 2)",
            "acts while the area's relative income differs", parameter="mobility.in_mover_skill_income",
            fed_by=("job_finding", "skill_gain")),
    Channel("rents by reputation", "market rents, higher where the reputation is better (new tenancies, and "
            "sitting tenants within the cap)", _p("environment.rent_reputation_weight")
            + " (relative rise of the market rent per unit of reputation)",
            "rent-gap models and gentrification (Eckerd et al. 2019, docs/sources.md §4)",
            "follows reputation", parameter="environment.rent_reputation_weight", fed_by=REPUTATION_INPUTS),
    Channel("selective out-migration", "the move-out hazard, higher for households earning more than the "
            "area's mean: residents who gain leave", _p("mobility.selectivity")
            + " (rise of the hazard multiplier per unit of relative income)",
            "filtering (docs/sources.md §4); validation row 'Selective out-migration' (out-movers earn more)",
            "acts on whoever earns more, while they live in the area", parameter="mobility.selectivity",
            fed_by=("job_finding", "skill_gain")),
    Channel("referrals", "job finding of the ties of residents who found work", _p("labour.referral_strength")
            + " (relative rise of the hazard with the share of employed ties)",
            "Calvo-Armengol & Jackson 2004; Bayer, Ross & Topa 2008 (docs/sources.md §4)",
            "acts while the tie and the job last", parameter="labour.referral_strength",
            fed_by=("job_finding", "skill_gain")),
    Channel("satisfaction and moving", "the move hazard, lower where buildings, places and safety are better",
            _p("mobility.dissatisfaction_sensitivity") + " (exponent of the hazard per unit of dissatisfaction)",
            "residents' evaluation of their neighbourhood and its reputation drives their wish to leave "
            "(Skifter Andersen 2008); size bounded by residential turnover of 5-10% a year (docs/sources.md §3)",
            "follows the qualities, which decay", parameter="mobility.dissatisfaction_sensitivity",
            fed_by=("place_quality", "building_quality", "safety")),
)

BY_CHANNEL = {c.name: c for c in CHANNELS}


def problems(channels: tuple[Channel, ...] = CHANNELS, catalogue: dict[str, MeasureType] | None = None) -> list[str]:
    """What breaks the rules of the channel table (empty: nothing): every catalogue effect in exactly one
    channel, every parameter known, and no channel on by default whose size is an assumption."""
    out = []
    catalogue = CATALOGUE if catalogue is None else catalogue
    for entry in catalogue.values():
        for key in entry.effects:
            owners = [c.name for c in channels if c.parameter is None and any(e is entry and k == key
                                                                               for e, k, _ in c.uses(catalogue))]
            if len(owners) != 1:
                out.append(f"{entry.name}.{key}: in {len(owners)} channels ({', '.join(owners) or 'none'}), "
                           "expected exactly one")
    for c in channels:
        if c.parameter is not None and c.parameter not in BY_NAME:
            out.append(f"channel {c.name!r}: unknown parameter {c.parameter!r}")
            continue
        if c.is_assumption:
            on = ([f"{c.parameter} = {BY_NAME[c.parameter].default:g}"] if c.parameter is not None
                  and BY_NAME[c.parameter].default != 0 else
                  [f"{e.name}.{k} = {v:g}" for e, k, v in c.uses(catalogue) if v != 0] if c.parameter is None else [])
            if on:
                out.append(f"channel {c.name!r}: its size is an assumption, so it must be off by default; "
                           f"on: {', '.join(on)}")
    return out


def table_markdown() -> str:
    """The channel table (Markdown), for docs/measures.md and docs/model.md."""
    rows = ["| channel | measure types | outcome | default | source | unit | after the funding ends |",
            "|---|---|---|---|---|---|---|"]
    for c in CHANNELS:
        types = ", ".join(f"`{t}`" for t in c.measure_types()) or "-"
        kind = "" if c.parameter is not None else " (effect)"
        cells = [f"**{c.name}**{kind}", types, c.outcome, c.default, c.source, c.unit, c.after_end]
        rows.append("| " + " | ".join(" ".join(str(x).replace("|", "/").split()) for x in cells) + " |")
    return "\n".join(rows) + "\n"
