#!/usr/bin/env python
"""Write the three notebooks of docs/notebooks/ from the cells below, executed, with their outputs.

    python docs/notebooks/make_notebooks.py              # write and execute (a few minutes)
    python docs/notebooks/make_notebooks.py --no-execute # write the cells only (outputs dropped)

The notebooks are stored with the outputs of one execution at the small sizes (``QUICK = True``, from the
repository root, progress bars off): the documentation site shows them as they are (mkdocs-jupyter,
``execute: false``, so that ``mkdocs build`` stays fast) and tests/test_notebooks.py checks that the stored cells
are the ones below, that every code cell has run, and executes them again. Edit the cells here, not in the
.ipynb files, and rerun this script.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

FIND_ROOT = '''\
from pathlib import Path

# the repository root: where scenarios/ is (the notebook may be opened from docs/notebooks/)
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios" / "baseline.toml").is_file())
SCENARIOS = ROOT / "scenarios"

import pandas as pd

pd.set_option("display.float_format", lambda x: f"{x:.4g}")  # tables with four significant digits'''

# ----------------------------------------------------------------------------------------------- engine tour
ENGINE_TOUR = [
    ("md", """\
# A tour of the engine

This notebook opens the engine up: the state of the simulated city as
plain numpy arrays, one monthly step, the history of one household over
the months, and a measure type of your own.

`QUICK = True` keeps it to a few seconds (the tests run it that way); set
`QUICK = False` for the full 20 years and more replications."""),
    ("code", "QUICK = True\nYEARS = 6 if QUICK else 20          # horizon of the runs below\n"
             "REPLICATIONS = 3 if QUICK else 20   # paired replications of the custom measure"),
    ("code", FIND_ROOT + '''

import numpy as np
import pandas as pd

import qsim
from qsim.state import LABOUR_STATES'''),
    ("md", """\
## The state

`qsim.Simulation` builds the city from a scenario: areas of blocks on a
grid, buildings, dwellings, places, organisations and households, and a
spin-up of encounters that forms the initial ties. The state is a
*structure of arrays*: one flat numpy array per variable, indexed by slot.
Households are never deleted: a household that leaves the city vacates its
slot (`alive` becomes false) and a later in-mover fills it with a new
`uid`."""),
    ("code", '''\
scenario = qsim.load_scenario(SCENARIOS / "baseline.toml")
sim = qsim.Simulation(scenario, seed=1)
state = sim.state
households = state.households
print(f"{len(households):,} household slots, {households.alive.sum():,} occupied, month {state.month}")
print(f"{len(state.dwellings):,} dwellings in {len(state.buildings):,} buildings, {len(state.blocks)} blocks, "
      f"{len(state.places)} places, {len(state.organisations)} organisations")
print(f"household memory: {households.nbytes / households.alive.sum():.0f} bytes per household")'''),
    ("code", '''\
alive = households.alive
pd.DataFrame({
    "labour": pd.Categorical.from_codes(households.labour[alive], LABOUR_STATES),
    "group": pd.Categorical.from_codes(households.group[alive], ["majority", "minority"]),
    "skill": households.skill[alive],
    "income": households.income[alive],
    "trust_out": households.trust_out[alive],
    "ties": (households.tie_target[alive] >= 0).sum(axis=1),
}).describe(include="all").T'''),
    ("md", """\
## One step

`sim.step()` advances the city by one month: the measure hooks (none in
the baseline), then the environment, the labour market, encounters and
ties, trust, participation, the organisations and residential mobility,
and finally the indicators of the month are recorded
(see the model description, `docs/model.md`)."""),
    ("code", '''\
employed_before = (households.labour[alive] == 0).sum()
sim.step()
print(f"month {state.month}: employed heads {employed_before:,} -> {(households.labour[households.alive] == 0).sum():,}")
sim.result().indicators[["month", "year", "area", "unemployment_rate", "out_group_trust", "households"]]'''),
    ("md", """\
## One household's history

A household keeps its slot and its `uid` while it lives in the city, also
when it moves to another dwelling. Follow a long-term unemployed
household month by month; when its `uid` is no longer in its slot, it has
left the city."""),
    ("code", '''\
slot = int(np.flatnonzero(households.alive & (households.labour == 2))[0])   # 2: long-term unemployed
uid = int(households.uid[slot])
history = []
for _ in range(12 * YEARS):
    sim.step()
    if households.uid[slot] != uid:
        history.append({"month": state.month, "event": "left the city"})
        break
    history.append({"month": state.month, "dwelling": int(households.dwelling[slot]),
                    "labour": LABOUR_STATES[households.labour[slot]],
                    "unemployed_months": int(households.unemployed_months[slot]),
                    "skill": float(households.skill[slot]), "income": float(households.income[slot]),
                    "trust_out": float(households.trust_out[slot]),
                    "ties": int((households.tie_target[slot] >= 0).sum())})
history = pd.DataFrame(history).set_index("month")
history.iloc[::6]'''),
    ("code", '''\
changes = history["labour"].ne(history["labour"].shift())
print(f"household {uid}: {changes.sum() - 1} change(s) of labour-market state in {len(history)} months; "
      f"moves: {history['dwelling'].nunique() - 1 if 'dwelling' in history else 0}")
history[["income", "trust_out"]].plot(subplots=True, figsize=(7, 4), title=f"household {uid}");'''),
    ("md", """\
## A measure of your own

Measures never edit a kernel. A measure type is one entry of the catalogue
(`qsim/measures/catalogue.py`): what it does to the *levers*
(`qsim/levers.py`, named channels the kernels read), what it costs, its
ramp-up and what remains after it ends. Here is a new type, street
festivals: more encounters at places, more of them across groups. To ship
it, add the entry to `ENTRIES` in the catalogue (and regenerate
`docs/measures.md`); here it is registered for this session only
(`qsim.measures.register` checks the entry and says what is wrong)."""),
    ("code", '''\
from qsim import levers
from qsim.measures import MeasureType, register

print("levers:", ", ".join(levers.NAMES))
register(MeasureType(
    name="street_festival", title="Street festivals", delivery="area", domain="cohesion",
    unit="festivals a year", default_capacity=4, cost_per_unit=5_000.0,          # EUR per festival
    effects={"encounters": 0.3, "mixing": 0.2},   # +30% encounters at places, 20% of them arranged across groups
    mechanism="Street festivals: more encounters at places, more of them across groups.",
    evidence="Illustration for the engine tour; the effect sizes are an assumption.",
    reference=0.7,               # festivals per 1,000 households for the full effect
    ramp_months=2, half_life_months=3.0, network_dependence=0.2))'''),
    ("md", """\
A scenario uses it like any other type. Scenario files are TOML; from
Python, a dict works the same way (`qsim.scenario_from_dict`). This one
extends the baseline with a small action fund that pays four festivals a
year for five years:"""),
    ("code", '''\
festivals = qsim.scenario_from_dict({
    "extends": "baseline.toml",
    "scenario": {"name": "festivals", "description": "Four street festivals a year for five years"},
    "funding": {"action_fund": {"kind": "public_programme", "amount_per_year": 30_000, "end": 5}},
    "measures": [{"type": "street_festival", "capacity": 4, "end": 5, "funding": "action_fund"}],
}, source="festivals (engine tour)", base_dir=SCENARIOS)

# executor=1 runs in this process: worker processes would not know the new catalogue entry
comparison = qsim.compare([scenario, festivals], replications=REPLICATIONS, seed=1, years=YEARS,
                          executor=1, progress=False)
d = comparison.differences()
d[d["indicator"].isin(["inter_group_tie_share", "out_group_trust"])][
    ["indicator", "year", "mean", "ci_low", "ci_high", "significant"]]'''),
    ("code", 'comparison.plot(["inter_group_tie_share", "out_group_trust", "tie_density"], kind="differences");'),
    ("md", """\
The replications share their random numbers with the baseline (common
random numbers), so even three pairs show the festivals' effect on
inter-group ties while they run, and how it fades after year 5.

## Hooks: the lowest level

Every month starts with the *hooks*: the budget ledger and the measures
are hooks, and `Simulation(..., hooks=[...])` adds your own. A hook is any
callable `hook(context, month)`: `context.state` is the city, whose levers
and arrays it may change, and `context.set_parameters({...})` changes
parameters from then on (`qsim.hooks`). This one raises local labour demand (the `job_demand` lever)
by 10% in years 2 to 4, in a scenario without measures:"""),
    ("code", '''\
def demand_boost(context, month):
    context.state.area_levers[:, levers.JOB_DEMAND] = 0.1 if 12 <= month < 48 else 0.0

boosted = qsim.Simulation(scenario, seed=1, hooks=[demand_boost]).run(years=YEARS)
plain = qsim.Simulation(scenario, seed=1).run(years=YEARS)
pd.DataFrame({"plain": plain.yearly().query("area == 'all'").set_index("year")["unemployment_rate"],
              "boosted": boosted.yearly().query("area == 'all'").set_index("year")["unemployment_rate"]})'''),
]

# ----------------------------------------------------------------------------------------------- planner
PLANNER = [
    ("md", """\
# A planner's comparison of options for one area

A QM office has about 0.76 million EUR a year for ten years and three
options on the table: a programme focused on employment, one on social
cohesion, and an integrated one. Which does what, when, at what cost, and
how sure can we be?

`QUICK = True` runs 3 replications over 12 years (the ten years of
measures and two after; seconds, the tests run it that way). For decisions set `QUICK = False`: 30 replications over the
scenarios' 20 years, on all cores (a few minutes)."""),
    ("code", '''\
QUICK = True
REPLICATIONS = 3 if QUICK else 30
YEARS = 12 if QUICK else None       # None: each scenario's horizon (20 years)
EXECUTOR = 1 if QUICK else None     # 1: in this process; None: all cores'''),
    ("code", FIND_ROOT + '''
OUT = ROOT / "out" / "planner-notebook"

import pandas as pd

import qsim'''),
    ("md", """\
## The options

Each option is a scenario file that extends the baseline (a typical Berlin
QM area of about 6,000 households without measures) with funding sources,
the QM office and measures. `qsim measures` and the
measure catalogue (`docs/measures.md`) say what each measure type does."""),
    ("code", '''\
files = ["baseline", "employment", "social_cohesion", "integrated"]
scenarios = [qsim.load_scenario(SCENARIOS / f"{name}.toml") for name in files]
pd.DataFrame([{"option": s.name, "measure": m.label, "type": m.type, "capacity": m.units,
               "EUR per year (or one-off)": m.cost, "years": f"{m.start:g}-{m.end if m.end else s.years:g}"}
              for s in scenarios for m in s.all_measures()]).set_index(["option", "measure"])'''),
    ("md", """\
## Compare them

`qsim.compare` runs every scenario `REPLICATIONS` times. Replicate `r` of
every scenario uses the same random numbers, so the differences to the
baseline are *paired*: the effect of the option, not luck. The runs are
kept in a store folder: run the cell again and it resumes instead of
starting over (other sizes need another folder, hence `store-quick`)."""),
    ("code", '''\
comparison = qsim.compare(scenarios, replications=REPLICATIONS, seed=1, years=YEARS, executor=EXECUTOR,
                          store=OUT / ("store-quick" if QUICK else "store"), progress=not QUICK)
comparison.summary()'''),
    ("md", """\
`mean` and the 10-90% band (`q10`, `q90`) are over replications;
`difference` is the mean paired difference to the baseline with its 95%
interval (`ci_low`, `ci_high`) and Cohen's `d`; `share_best` says how
often the scenario was the best. Over time:"""),
    ("code", 'comparison.plot(["unemployment_rate", "transfer_rate", "out_group_trust", "participation_rate"], '
             'kind="differences");'),
    ("md", """\
## When do effects appear, and do they last?

`time_to_effect` gives the first year whose 95% interval excludes 0;
`persistence` the difference in the last year of the option's measures and
2, 5 and 10 years later (within the horizon), and its share of that end
effect: what is left once the money stops (*Verstetigung*)."""),
    ("code", '''\
KEY = ["unemployment_rate", "transfer_rate", "out_group_trust", "participation_rate", "collective_efficacy"]
tte = comparison.time_to_effect()
tte[tte["indicator"].isin(KEY)].pivot(index="indicator", columns="option", values="first_year")'''),
    ("code", '''\
persistence = comparison.persistence()
persistence[persistence["indicator"].isin(KEY)]'''),
    ("md", """\
## Cost-effectiveness

The extra money each option spends against the baseline and, for shares
of households (unemployment, transfer receipt, ...), what one
household-year of improvement costs."""),
    ("code", '''\
ce = comparison.cost_effectiveness()
ce[ce["indicator"].isin(["unemployment_rate", "transfer_rate", "participation_rate"])]'''),
    ("md", """\
## What if the programme money is halved?

A variant needs no new file: extend the option and change the amount.
Tables merge key by key, so only `amount_per_year` changes. (As a file,
`my-scenarios/employment_small.toml` with the same content works the same
way, see `docs/getting-started.md`.)"""),
    ("code", '''\
employment_small = qsim.scenario_from_dict({
    "extends": "employment.toml",
    "scenario": {"name": "employment_small"},
    "funding": {"soziale_stadt": {"amount_per_year": 320_000}},   # EUR a year; employment.toml has 640,000
}, source="employment_small", base_dir=SCENARIOS)

budget = qsim.compare([scenarios[1], employment_small], replications=REPLICATIONS, seed=1, years=YEARS,
                      executor=EXECUTOR, progress=not QUICK)
budget.summary().loc[["transfer_rate", "mean_income"]]'''),
    ("code", '''\
run = qsim.Simulation(employment_small, seed=1).run(years=YEARS or employment_small.years)
paid = run.ledger[run.ledger["entry"] == "payment"]
(paid.groupby(["measure", "status"])["amount_cents"].sum() / 100).unstack(fill_value=0)'''),
    ("md", """\
With half the money some measures go short (`status` other than
`funded`). The ledger (`Result.ledger`) has every flow by year, source and
measure.

## Save and report

`save` writes every table as Parquet and CSV and the plots;
`qsim.report.write_report` writes the planner's report as one HTML file (see
`docs/report.md`); `qsim compare ... --out DIR` does the same
from the command line."""),
    ("code", '''\
files = comparison.save(OUT)
from qsim.report import write_report

report = write_report(comparison, OUT / "report.html")
print(f"{len(files)} files in {OUT}; report: {', '.join(str(p) for p in report)}")'''),
]

# ----------------------------------------------------------------------------------------------- researcher
RESEARCHER = [
    ("md", """\
# A researcher's sweep and sensitivity analysis

How does the effect of job coaching depend on referral networks and the
demand for labour? And which uncertain parameters drive the outcomes at
all? This notebook runs a sweep over two factors with paired
replications, then a global sensitivity analysis.

`QUICK = True` uses tiny designs (the tests run it that way, in seconds);
the numbers are then only a demonstration. For results set
`QUICK = False`: the sizes of the experiment files, on all cores (or a
Dask cluster: pass `executor=qsim.experiment.dask_executor("tcp://host:8786")`,
see "How to run on a Dask cluster" in `docs/experiments.md`)."""),
    ("code", '''\
QUICK = True
EXECUTOR = 1 if QUICK else None     # 1: in this process; None: all cores'''),
    ("code", FIND_ROOT + '''
OUT = ROOT / "out" / "researcher-notebook"

import pandas as pd

import qsim'''),
    ("md", """\
## A sweep

`qsim.sweep` runs every scenario at every point of a design (grid, Latin
hypercube, Sobol sequence, or a table of points), `replications` times,
with common random numbers across scenarios. Factors are model parameters
(dotted names, `qsim parameters`), macro paths (`macro.labour_demand`) or
measure settings."""),
    ("code", '''\
result = qsim.sweep(
    [SCENARIOS / "baseline.toml", ROOT / "experiments" / "scenarios" / "coaching_only.toml"],
    factors={"labour.referral_strength": {"low": 0.2, "high": 1.2},
             "macro.labour_demand": {"low": 0.8, "high": 1.2}},
    design="lhs", size=4 if QUICK else 16, design_seed=3,
    replications=2 if QUICK else 10, seed=1, years=3 if QUICK else 10,
    executor=EXECUTOR, store=OUT / ("sweep-quick" if QUICK else "sweep"), progress=not QUICK)
result.points'''),
    ("md", """\
`effects()` has the paired difference coaching - baseline at every point,
with its interval; `summary()` the means and bands of every scenario."""),
    ("code", '''\
effects = result.effects()
unemployment = effects[effects["indicator"] == "unemployment_rate"]
unemployment[["point", *result.factors, "year", "mean", "ci_low", "ci_high"]]'''),
    ("code", '''\
ax = unemployment.plot.scatter(x="labour.referral_strength", y="mean", c="macro.labour_demand",
                               colormap="viridis", figsize=(6, 4))
ax.axhline(0, color="grey", lw=0.8)
ax.set_ylabel("effect of coaching on unemployment");'''),
    ("md", """\
The same sweep is an experiment file, `experiments/coaching_referrals_demand.toml`,
for the command line: `qsim sweep experiments/coaching_referrals_demand.toml --quick`.
A store folder keeps every finished run: calling the sweep again with the
same `store` resumes instead of starting over."""),
    ("code", '''\
from qsim.experiment import load_experiment

experiment = load_experiment(ROOT / "experiments" / "coaching_referrals_demand.toml")
print(experiment.experiment.description)
print("factors:", ", ".join(experiment.factors))'''),
]

SENSITIVITY = [
    ("md", """\
## Which parameters matter? A global sensitivity analysis

A sweep asks how a chosen effect depends on two factors. A global
sensitivity analysis asks which of many uncertain parameters the outcomes
depend on at all. `experiments/morris_core.toml` screens twelve core
parameters of the labour market, the social network, trust and mobility,
and the macro labour demand, each over a plausible range, with the Morris
method (elementary effects), in a small area of 2,000 households over 20
years. It also varies a *dummy* parameter that the model never reads: its
index is the noise floor, and a parameter whose index is not clearly
above it does not matter at this sample size.

`qsim.sensitivity` runs the sample through the same experiment layer as the
sweep (executors, Dask, the resumable store) and analyses it with SALib.
The sizes of the file's `[quick]` table (`quick=True`) are a demonstration
only: two trajectories, one replication."""),
    ("code", '''\
MORRIS = OUT / "morris"
screening = qsim.sensitivity(ROOT / "experiments" / "morris_core.toml", quick=QUICK, executor=EXECUTOR,
                             store=MORRIS / ("store-quick" if QUICK else "store"), progress=not QUICK)
screening.info()'''),
    ("md", """\
`indices` is a tidy table: one row per method, output, parameter and index
(`mu_star`, the mean absolute elementary effect; `mu`; `sigma`, its spread
over the trajectories, a sign of interactions or non-linearity), with
bootstrap intervals `ci_low` and `ci_high`."""),
    ("code", '''\
indices = screening.indices
mu_star = indices[indices["index"] == "mu_star"].pivot(index="parameter", columns="output", values="value")
mu_star.sort_values(mu_star.columns[0], ascending=False)'''),
    ("code", 'screening.plot("morris");'),
    ("md", """\
`save` writes the tables (CSV and Parquet) and every plot; the planner's
report shows the indices when it finds `sensitivity_indices.csv` in the
comparison's folder or is pointed at this one
(`qsim report out/compare --sensitivity out/researcher-notebook/morris`). For variance-based
indices (first-order and total Sobol indices with convergence plots) set
`method = "sobol"` in the file's `[sensitivity]` table; a `[robustness]`
table asks how often each option stays the best across the parameter
uncertainty. `docs/sensitivity.md` describes the file format, the methods
and how to read them. From the command line the same analysis is
`qsim sensitivity experiments/morris_core.toml --quick --out out/morris_core`."""),
    ("code", '''\
files = screening.save(MORRIS)
print("\\n".join(str(f.relative_to(ROOT)) for f in files))'''),
]


def notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
                for kind, text in cells]
    for i, cell in enumerate(nb.cells):  # stable ids: the files do not change when nothing changed
        cell["id"] = f"cell-{i:02d}"
    nbformat.validate(nb)
    return nb


# Links between pages are written as file names (`docs/model.md`), not Markdown links: the site renders a notebook
# at notebooks/NAME/ and Jupyter opens it from docs/notebooks/, so no relative link works in both.


NOTEBOOKS = {
    "engine-tour.ipynb": ENGINE_TOUR,
    "planner-comparison.ipynb": PLANNER,
    "researcher-sweep-sensitivity.ipynb": RESEARCHER + SENSITIVITY,
}


def execute(nb: nbformat.NotebookNode, timeout: int = 600) -> nbformat.NotebookNode:
    """``nb`` run from top to bottom in a fresh kernel from the repository root, without progress bars."""
    from nbclient import NotebookClient

    root = HERE.parents[1]
    os.environ["TQDM_DISABLE"] = "1"  # the kernel inherits it: no progress widgets in the stored outputs
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)  # timestamps: the files change only when outputs do
    return nb


def main(argv: list[str] | None = None) -> int:
    run = "--no-execute" not in (sys.argv[1:] if argv is None else argv)
    for name, cells in NOTEBOOKS.items():
        nb = notebook(cells)
        nbformat.write(execute(nb) if run else nb, HERE / name)
        print(f"wrote {HERE / name}{' (executed)' if run else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
