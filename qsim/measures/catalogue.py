"""The measure catalogue: one entry per measure type.

An entry says what a measure of that type does (its effects on levers and
state), what it costs, when its effect arrives (ramp-up, construction lag),
what remains after it ends, which targets it accepts and how strongly its
delivery depends on the local actor network; its ``delivery`` names the
delivery kind (``delivery.py``) that carries it out. ``docs/measures.md`` is
generated from the catalogue (``docs/generate_measures.py``).

Adding a measure type with an existing delivery kind is one entry in
``ENTRIES`` here (shipped types), or one call of :func:`register` (a
session's own types, e.g. in a notebook): scenario validation, ``qsim
measures``, the generated docs and the report read :data:`CATALOGUE`, and
:func:`register` checks the entry first (:class:`CatalogueError`).

How effect sizes are read:

* ``area`` measures: the lever values are delivered at the *reference
  intensity* (``reference`` units of capacity per 1,000 households of the
  target area). Intensity ``x`` (relative to the reference) saturates as
  ``2x / (1 + x)``: half the reference gives 2/3 of the effect, twice the
  reference 4/3, never more than twice.
* ``programme`` measures: the lever values act on each enrolled household
  (``State.programme_levers``); capacity is the number of places.
* ``construction`` measures: the state changes (``place_quality``,
  ``building_quality``, ``rent_levy``) apply once, when the measure is
  built; lever values (if any) act from then on at the reference intensity.
* ``office`` (the QM office): ``office_capacity`` per full-time staff sets
  the office's capacity in the actor network; its levers act as for area
  measures.

Every delivered lever value is multiplied by the funded share, the ramp-up
and the *delivery factor* ``1 - w + w * min(1, coordination / 0.1)``, where
``w`` is the entry's ``network_dependence`` and ``coordination`` is the
area's actor-network density x mean capacity (organisations submodel);
0.1 stands for a well-networked area (assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import levers
from ..errors import QsimError
from .delivery import DELIVERIES, Delivery

AREA = "area"
PROGRAMME = "programme"
CONSTRUCTION = "construction"
OFFICE = "office"

# residents' priority domains (participatory allocation weighs measures by them)
DOMAINS = ("cohesion", "participation", "employment", "education", "environment", "housing", "safety", "structure")
TARGET_KEYS = ("blocks", "groups", "employment", "children")
ASSUMPTION = "Effect size is an assumption, to be calibrated against evaluations."


@dataclass(frozen=True)
class MeasureType:
    """One catalogue entry. Money is in EUR, durations in months."""

    name: str
    title: str                    # in English; title_de in German (the report's language option)
    delivery: str                 # delivery kind (delivery.DELIVERIES): AREA, PROGRAMME, CONSTRUCTION or OFFICE
    domain: str                   # residents' priority domain (DOMAINS)
    unit: str                     # unit of capacity
    default_capacity: float
    cost_per_unit: float          # EUR per unit and year (recurring) or per unit one-off (construction)
    effects: dict[str, float]     # lever names (levers.NAMES) and state effects of its kind (Delivery.state_effects)
    mechanism: str
    evidence: str
    reference: float = 1.0        # area/office/construction levers: units per 1,000 households for the full effect
    fixed_cost: float = 0.0       # EUR per year (recurring) or one-off (construction), on top of cost_per_unit
    lag_months: int = 0           # construction: months to completion at full funding
    ramp_months: int = 0          # months from the start to the full effect
    half_life_months: float | None = 0.0  # after the end: None = persists, 0 = stops at once, > 0 fades
    network_dependence: float = 0.0       # 0-1, share of the effect delivered through the actor network
    targets: tuple[str, ...] = ()         # accepted target keys besides ``area`` (TARGET_KEYS)
    default_target: dict = field(default_factory=dict)  # programme: who is eligible unless the scenario says
    course_months: int = 0        # programme: months a participant stays enrolled
    place_kind: str | None = None  # construction on places: the kind of place improved
    title_de: str = ""            # the title in German (the report in German)

    @property
    def kind(self) -> type[Delivery]:
        """The delivery class that carries out measures of this type."""
        return DELIVERIES[self.delivery]

    @property
    def one_off(self) -> bool:
        """Paid once (construction, over the construction lag); everything else per year."""
        return self.kind.one_off

    @property
    def lever_effects(self) -> dict[str, float]:
        return {k: v for k, v in self.effects.items() if k in levers.INDEX}

    @property
    def state_effects(self) -> dict[str, float]:
        return {k: v for k, v in self.effects.items() if k not in levers.INDEX}

    def default_cost(self, capacity: float) -> float:
        """Cost in EUR (per year, or one-off for construction) of ``capacity`` units."""
        return self.fixed_cost + self.cost_per_unit * capacity

    @property
    def after_end(self) -> str:
        if self.half_life_months is None:
            return "persists"
        if self.half_life_months == 0:
            return "stops at once (what it changed in households stays)"
        return f"fades with a half-life of {self.half_life_months:g} months"


EMPLOYMENT_SEEKERS = {"employment": ["short_term_unemployed", "long_term_unemployed", "transfer"]}

ENTRIES: tuple[MeasureType, ...] = (
    MeasureType(
        "neighbourhood_projects", "Neighbourhood projects and festivals", AREA, "cohesion", "events per year", 24,
        8_000.0, {"encounters": 0.15, "mixing": 0.10, "institutional": 0.01, "opportunities": 0.01},
        "Street festivals, intercultural and neighbourhood projects (Projektfonds) bring residents of both groups "
        "to the same places: more encounters at places and a share of them arranged across groups, so ties and "
        "out-group trust grow through contact.",
        "Contact reduces prejudice, mean r about -0.21 (Pettigrew & Tropp 2006, docs/sources.md §4); evaluations of "
        "Soziale Stadt report better neighbourly contacts within 1-3 years (docs/sources.md §5). " + ASSUMPTION,
        reference=4.0, ramp_months=3, half_life_months=12.0, network_dependence=0.5,
        title_de="Nachbarschaftsprojekte und Feste"),
    MeasureType(
        "meeting_place", "Meeting place / neighbourhood centre", AREA, "cohesion", "centres", 1,
        90_000.0, {"encounters": 0.25, "mixing": 0.05, "participation_cost": 0.05, "opportunities": 0.02},
        "A staffed neighbourhood centre (Nachbarschaftstreff, Stadtteilzentrum) open most days: more encounters "
        "at places, a low-threshold place to take part.",
        "Meeting places are the main site of weak ties in dense neighbourhoods; Berlin QM areas typically run one "
        "or two (docs/sources.md §2). Running cost about 60,000-120,000 EUR a year. " + ASSUMPTION,
        reference=0.17, ramp_months=6, half_life_months=6.0, network_dependence=0.3,
        title_de="Treffpunkt / Nachbarschaftszentrum"),
    MeasureType(
        "association_support", "Support for associations", AREA, "cohesion", "associations supported", 6,
        10_000.0, {"org_capacity": 0.15, "outreach": 0.01, "encounters": 0.05},
        "Small grants, rooms and advice for local associations and migrant organisations: the organisations gain "
        "capacity, reach more residents and host more activities.",
        "Associations are key actors of QM networks (docs/sources.md §2, Netzwerkfonds); capacity of civil-society "
        "organisations raises cooperation (organisations submodel). " + ASSUMPTION,
        reference=1.0, ramp_months=6, half_life_months=24.0, network_dependence=0.3, title_de="Förderung von Vereinen"),
    MeasureType(
        "district_conference", "District conference and workshops", AREA, "participation", "events per year", 6,
        5_000.0, {"outreach": 0.03, "institutional": 0.02, "responsiveness": 0.03, "opportunities": 0.03},
        "Stadtteilkonferenz, planning workshops and open forums: formal channels that invite residents, lower "
        "participation thresholds and carry their priorities to the institutions.",
        "Formal communication channels raise participation (Granovetter 1978 thresholds; docs/sources.md §4); "
        "participation responds within 1-3 years (docs/sources.md §5). " + ASSUMPTION,
        reference=1.0, ramp_months=1, half_life_months=12.0, network_dependence=0.5,
        title_de="Stadtteilkonferenz und Workshops"),
    MeasureType(
        "resident_survey", "Resident surveys", AREA, "participation", "surveys per year", 1,
        15_000.0, {"responsiveness": 0.04, "outreach": 0.01},
        "Activating surveys (door to door, multilingual): residents are asked, priorities become known, and the "
        "measures that follow are more often the ones residents wanted.",
        "Activating surveys are a standard QM instrument; knowing priorities raises the share acted on, which "
        "raises efficacy (participation submodel). " + ASSUMPTION,
        reference=0.17, ramp_months=1, half_life_months=12.0, network_dependence=0.3, title_de="Bewohnerbefragungen"),
    MeasureType(
        "action_fund", "Action fund (resident jury)", AREA, "participation", "funds of 10,000 EUR a year", 1,
        12_000.0, {"responsiveness": 0.06, "participation_cost": 0.05, "encounters": 0.03, "opportunities": 0.02},
        "Aktionsfonds: a resident jury gives up to 1,500 EUR per action to short resident initiatives. "
        "Residents see their own priorities acted on at once, which raises efficacy; taking part is cheap.",
        "Aktionsfonds 10,000 EUR per area and year, at most 1,500 EUR per action, decided by a resident jury "
        "(docs/sources.md §2); visible results raise efficacy (docs/sources.md §4). Cost includes 2,000 EUR of "
        "administration. " + ASSUMPTION,
        reference=0.17, ramp_months=3, half_life_months=12.0, network_dependence=0.2,
        title_de="Aktionsfonds (Vergabejury)"),
    MeasureType(
        "resident_council", "Resident council (Quartiersrat)", AREA, "participation", "councils", 1,
        8_000.0, {"responsiveness": 0.05, "institutional": 0.04, "outreach": 0.01, "opportunities": 0.005},
        "An elected council of 15-25 members, at least 51% residents, co-decides the Projektfonds: residents' "
        "priorities steer part of the budget, which raises efficacy and trust in institutions.",
        "Quartiersrat of 15-25 members, >= 51% residents, elected about every 2 years (docs/sources.md §2). " + ASSUMPTION,
        reference=0.17, ramp_months=6, half_life_months=18.0, network_dependence=0.3, title_de="Quartiersrat"),
    MeasureType(
        "network_coordination", "Network coordination between organisations", AREA, "structure", "coordinator FTE",
        1, 70_000.0, {"networking": 1.0, "org_capacity": 0.10},
        "A coordinator convenes the municipality, housing companies, social institutions, associations and "
        "businesses: cooperation ties form twice as fast and the organisations gain capacity. Coordination in turn "
        "multiplies every measure delivered through the network.",
        "Networking of actors improved clearly in QM areas (docs/sources.md §5); networks are an exit criterion "
        "(Verstetigung, docs/sources.md §2). " + ASSUMPTION,
        reference=0.17, ramp_months=6, half_life_months=24.0, network_dependence=0.0,
        title_de="Netzwerkkoordination der Akteure"),
    MeasureType(
        "job_coaching", "Job coaching", PROGRAMME, "employment", "places", 40,
        3_000.0, {"job_finding": 0.1, "skill_gain": 0.002},
        "Individual coaching and placement for unemployed residents and those in transfer receipt: the "
        "job-finding hazard of each participant rises by 10% while enrolled; participants leave when they find "
        "work or after the course.",
        "Job-search assistance has small positive effects on employment in the short run (Card, Kluve & Weber "
        "2010, 2018: average impacts of active labour-market programmes close to zero in the first year, more "
        "positive after 2-3 years); a 10% higher monthly exit rate for a year (about 4.0% -> 4.4% for SGB II "
        "recipients) is about 3 percentage points more participants in work after the year, within that range. "
        "Cost about 3,000 EUR per place and year.",
        ramp_months=3, network_dependence=0.5, targets=("blocks", "groups", "employment"),
        default_target=EMPLOYMENT_SEEKERS, course_months=12, title_de="Jobcoaching"),
    MeasureType(
        "qualification", "Qualification and training", PROGRAMME, "employment", "places", 30,
        6_000.0, {"skill_gain": 0.004, "job_finding": 0.0},
        "Vocational training and language courses for adults: participants gain skill (0.4% of the distance to 1 "
        "a month, about 3.5% over a 9-month course: a participant at skill 0.3 reaches 0.325, a job-finding hazard "
        "about a sixth higher), which raises their job-finding chances for as long as the skill lasts (it "
        "depreciates in unemployment). While enrolled, their job finding does not rise (lock-in: course participants "
        "search less; job_finding 0).",
        "Training raises participants' employment in the medium run, more than in the first year (Card, Kluve & "
        "Weber 2018: larger gains 2-3 years after programmes that build human capital; Lechner, Miquel & Wunsch "
        "2011 for German further training): a job-finding hazard a sixth higher is some 4-5 percentage points "
        "more participants in work two years on, within that range. The size is bounded by the evidence, not "
        "calibrated.",
        ramp_months=3, network_dependence=0.3, targets=("blocks", "groups", "employment"),
        default_target=EMPLOYMENT_SEEKERS, course_months=9, title_de="Qualifizierung und Weiterbildung"),
    MeasureType(
        "startup_support", "Start-up support", PROGRAMME, "employment", "places", 15,
        4_000.0, {"job_finding": 0.15, "skill_gain": 0.005},
        "Advice and micro-loans for residents who start a business: participants leave unemployment more often "
        "(self-employment counts as employment).",
        "Start-up subsidies for the unemployed have lasting employment effects for participants (Caliendo & "
        "Kuenn 2011); the size here (15% higher job finding while enrolled) is about the level of job-search "
        "assistance (Card, Kluve & Weber 2018), below the effects reported for the subsidies.",
        ramp_months=6, network_dependence=0.3, targets=("blocks", "groups", "employment"),
        default_target={"employment": ["short_term_unemployed", "long_term_unemployed"]}, course_months=12,
        title_de="Gründungsförderung"),
    MeasureType(
        "homework_help", "Homework help and language courses for children", PROGRAMME, "education",
        "places (households with children)", 60, 1_500.0, {"child_education": 0.15},
        "Homework help, reading and language support for children: the education target of participating "
        "households' children rises by 0.15 while enrolled; the gain stays with the children and pays off when "
        "they take over as heads of household, decades later.",
        "Childhood exposure effects grow with years of exposure (Chetty, Hendren & Katz 2016, docs/sources.md §4); "
        "education measures pay off with long lags. " + ASSUMPTION,
        ramp_months=3, network_dependence=0.5, targets=("blocks", "groups", "children"),
        default_target={"children": True}, course_months=12, title_de="Hausaufgabenhilfe und Sprachkurse für Kinder"),
    MeasureType(
        "mediation", "Mediation and conflict management", AREA, "safety", "mediator FTE", 1,
        65_000.0, {"conflict_reduction": 0.3, "safety": 0.0},
        "Neighbourhood mediators and conflict management: fewer encounters turn into conflicts. That disorder "
        "falls as well is an assumed channel, off by default (effect safety = 0; `effect = { safety = 0.03 }` "
        "switches it on).",
        "Inter-group conflict is one of the challenges QM names (docs/sources.md §2); neighbourhood mediation "
        "settles 70-75% of the disputes it takes on (Dutch Buurtbemiddeling, Interreg Europe good-practice "
        "record), so 30% fewer conflicts area-wide is within reach. No evaluation measures an effect on "
        "disorder.",
        reference=0.17, ramp_months=3, half_life_months=6.0, network_dependence=0.3,
        title_de="Mediation und Konfliktmanagement"),
    MeasureType(
        "green_space", "Green space", CONSTRUCTION, "environment", "parks redesigned", 1,
        250_000.0, {"place_quality": 0.35},
        "Redesign of parks and green courtyards (Baufonds): when built, the quality of the target parks rises by "
        "0.35 (and then decays as places do). Underfunding slows construction.",
        "Baufonds projects from 50,000 EUR, with multi-year lags to completion (docs/sources.md §2, §5). " + ASSUMPTION,
        lag_months=24, half_life_months=None, targets=("blocks",), place_kind="park", title_de="Grünflächen"),
    MeasureType(
        "playground", "Playground / public space", CONSTRUCTION, "environment", "playgrounds", 2,
        120_000.0, {"place_quality": 0.4},
        "New or renewed playgrounds and squares: when built, the quality of the target playgrounds rises by 0.4, "
        "which raises encounters at places and children's education targets.",
        "Baufonds: schools, playgrounds, parks, youth centres (docs/sources.md §2); multi-year lags (§5). " + ASSUMPTION,
        lag_months=18, half_life_months=None, targets=("blocks",), place_kind="playground",
        title_de="Spielplatz / öffentlicher Raum"),
    MeasureType(
        "building_renovation", "Building renovation (with modernisation levy)", CONSTRUCTION, "housing",
        "buildings", 10, 300_000.0, {"building_quality": 0.35, "rent_levy": 60.0},
        "Energy and structural renovation of the worst buildings in the target: quality rises by 0.35 when done, "
        "and sitting tenants' rents rise by the modernisation levy (EUR/month per dwelling); new tenancies pay the "
        "higher market rent of a better building. Raises attractiveness and the risk of displacement.",
        "Modernisation levy: 8% of the landlord's cost a year (section 559 BGB), e.g. 8% of about 9,000 EUR per "
        "dwelling = 60 EUR/month. Upgrading raises rents and displacement (Eckerd et al. 2019, docs/sources.md §4). "
        "Cost 300,000 EUR per building of about 20 dwellings (public share). " + ASSUMPTION,
        lag_months=24, half_life_months=None, targets=("blocks",),
        title_de="Gebäudesanierung (mit Modernisierungsumlage)"),
    MeasureType(
        "infrastructure", "Infrastructure (lighting, transport)", CONSTRUCTION, "safety", "projects", 3,
        150_000.0, {"safety": 0.05, "job_finding": 0.0},
        "Street lighting, safer paths, better public transport links: when built, disorder falls (lighting); the "
        "lighting wears and its effect fades with a half-life of five years unless renewed. Easier access to jobs "
        "(transport) is an assumed channel, off by default (effect job_finding = 0; set `effect = { job_finding "
        "= 0.03 }` in a measure to switch it on).",
        "Street lighting reduces crime and disorder (Welsh & Farrington 2008). No evaluation of neighbourhood-scale "
        "projects measures an effect on residents' job finding: that channel is off by default. " + ASSUMPTION,
        reference=0.5, lag_months=18, half_life_months=60.0, title_de="Infrastruktur (Beleuchtung, Verkehr)"),
    MeasureType(
        "qm_office", "The QM office", OFFICE, "structure", "staff FTE", 3,
        75_000.0, {"office_capacity": 0.25, "outreach": 0.02, "responsiveness": 0.03, "institutional": 0.02,
                   "networking": 0.5},
        "The Quartiersmanagement team (carrier: municipality, non-profit or private firm): an organisation in the "
        "actor network whose capacity is 0.25 per full-time staff (at most 1), which connects the other actors "
        "(ties to the office form twice as fast), reaches out to residents and carries their priorities. It is "
        "set up in the [qm_office] table. When funding ends the office closes: its capacity falls to 0 and its "
        "levers fade.",
        "QM teams of about 2-4 staff run by a carrier (docs/sources.md §2); professional support is a success factor "
        "(DESIGN.md). Cost about 75,000 EUR per FTE and year plus 30,000 EUR for the office. " + ASSUMPTION,
        reference=0.5, fixed_cost=30_000.0, ramp_months=6, half_life_months=12.0, network_dependence=0.0,
        title_de="Das QM-Büro"),
)

CARRIERS: dict[str, float] = {"municipality": 0.9, "non_profit": 1.0, "private": 0.95}  # delivery factor (assumption)


class CatalogueError(QsimError):
    """A measure type that cannot be added to the catalogue."""


def problems(entry: MeasureType) -> list[str]:
    """What is wrong with a catalogue entry (empty: nothing): names, kind, domain, effects, targets, costs."""
    if not isinstance(entry, MeasureType):
        return [f"expected a qsim.measures.MeasureType, got {type(entry).__name__}"]
    out = []
    if not entry.name.isidentifier() or entry.name != entry.name.lower():
        out.append("name must be lower-case letters, digits and underscores (like job_coaching)")
    if entry.delivery not in DELIVERIES:
        return out + [f"delivery {entry.delivery!r}: expected one of {', '.join(DELIVERIES)}"]
    if entry.domain not in DOMAINS:
        out.append(f"domain {entry.domain!r}: expected one of {', '.join(DOMAINS)}")
    if not entry.effects:
        out.append("effects: give at least one lever or state effect")
    for key, value in entry.effects.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            out.append(f"effect {key!r}: expected a finite number >= 0, got {value!r}")
    unknown = [k for k in entry.targets if k not in TARGET_KEYS]
    if unknown:
        out.append(f"targets {', '.join(map(repr, unknown))}: expected some of {', '.join(TARGET_KEYS)}")
    for name in ("default_capacity", "cost_per_unit", "fixed_cost"):
        value = getattr(entry, name)
        if not (math.isfinite(value) and value >= 0):
            out.append(f"{name}: expected a finite number >= 0, got {value!r}")
    if not (math.isfinite(entry.reference) and entry.reference > 0):
        out.append(f"reference: expected a number > 0 (units per 1,000 households), got {entry.reference!r}")
    if entry.half_life_months is not None and not entry.half_life_months >= 0:
        out.append(f"half_life_months: expected None (persists) or a number >= 0, got {entry.half_life_months!r}")
    if not 0.0 <= entry.network_dependence <= 1.0:
        out.append(f"network_dependence: expected 0-1, got {entry.network_dependence!r}")
    return out + entry.kind.check(entry)


def register(entry: MeasureType) -> MeasureType:
    """Add a measure type to the catalogue, after checking it; returns it.

    Scenario validation, ``qsim measures``, docs/measures.md and the report
    then know it. A session's own type lives as long as the process: worker
    processes of an experiment do not see it (use ``executor=1``), unless it
    is registered in a module they import."""
    found = problems(entry)
    name = getattr(entry, "name", "?")
    if not found and name in CATALOGUE:
        found = [f"a measure type {name!r} exists already (unregister it first)"]
    if found:
        raise CatalogueError(f"measure type {name!r}: " + "; ".join(found))
    CATALOGUE[name] = entry
    return entry


def unregister(name: str) -> MeasureType:
    """Remove a measure type from the catalogue (e.g. one a test registered); returns its entry."""
    if name not in CATALOGUE:
        raise CatalogueError(f"no measure type {name!r} in the catalogue")
    return CATALOGUE.pop(name)


CATALOGUE: dict[str, MeasureType] = {}
for _entry in ENTRIES:
    register(_entry)
