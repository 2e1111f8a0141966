"""Levers: the named channels through which measures act on the model.

A measure never edits a kernel. It sets lever values, per area
(``State.area_levers[area, lever]``) or per programme for the households
enrolled in it (``State.programme_levers[programme, lever]`` with
``households.programme``), and the kernels read them. All levers are
additive and 0 when nothing acts; their unit is given below.
"""

from __future__ import annotations

JOB_FINDING = 0          # relative rise of the job-finding hazard (-)
SKILL_GAIN = 1           # skill gained per month, share of the distance to 1 (1/month)
JOB_DEMAND = 2           # relative rise of local labour demand: finding up, loss down (-)
CHILD_EDUCATION = 3      # rise of the children's education target (0-1 scale)
ENCOUNTERS = 4           # relative rise of encounters at places (-)
MIXING = 5               # share of place encounters arranged across groups (0-1)
CONFLICT_REDUCTION = 6   # relative fall of the conflict probability (0-1)
OUTREACH = 7             # lowering of participation thresholds (0-1 scale)
RESPONSIVENESS = 8       # rise of the share of residents' priorities acted on (0-1)
INSTITUTIONAL = 9        # rise of the institutional-trust target (0-1 scale)
NETWORKING = 10          # relative rise of cooperation-tie formation between organisations (-)
MAINTENANCE = 11         # extra monthly probability of building maintenance (1/month)
SAFETY = 12              # lowering of the disorder target (0-1 scale)
PARTICIPATION_COST = 13  # lowering of the cost of taking part (0-1 scale)
ORG_CAPACITY = 14        # rise of organisations' capacity (0-1 scale)
OPPORTUNITIES = 15       # extra chances to take part a month, as a share of households (0-1)

NAMES = (
    "job_finding", "skill_gain", "job_demand", "child_education", "encounters", "mixing",
    "conflict_reduction", "outreach", "responsiveness", "institutional", "networking",
    "maintenance", "safety", "participation_cost", "org_capacity", "opportunities",
)
N_LEVERS = len(NAMES)
INDEX = {name: i for i, name in enumerate(NAMES)}
N_PROGRAMMES = 16  # programme slots households can be enrolled in (households.programme)
