"""Write tests/regression/baseline.json: fixed-seed summary values of a small fixed scenario.

tests/test_regression.py recomputes the same values and compares them with a
tight tolerance, so that any change of model behaviour is noticed. When a
change of the model (code or default parameters) is intended, regenerate the
baseline ON PURPOSE, review the diff and commit it with the change:

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python tests/regression/update_baseline.py

The scenario: two small areas (so that moves between areas happen), all
processes on, default parameters, seed 7, three years. Recorded: the yearly
indicators of each area and the city for years 1-3, yearly flow totals, and
a few sums over the final state; every value rounded to 10 significant
digits.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "baseline.json"
os.environ.setdefault("NUMBA_CACHE_DIR", str(HERE.parents[1] / ".numba_cache"))

SEED = 7
REPLICATE = 0
YEARS = 3
DIGITS = 10
SCENARIO = {
    "scenario": {"name": "regression", "years": YEARS, "seed": SEED},
    "spinup_months": 12,
    "areas": [
        {"name": "west", "households": 420, "grid": [4, 3], "buildings_per_block": 3, "dwellings_per_building": 12,
         "group_shares": [0.6, 0.4], "unemployment_rate": 0.13, "long_term_unemployment_rate": 0.05},
        {"name": "east", "households": 300, "grid": [3, 3], "buildings_per_block": 3, "dwellings_per_building": 12,
         "group_shares": [0.4, 0.6], "unemployment_rate": 0.08, "long_term_unemployment_rate": 0.03,
         "skill_mean": 0.55, "rent_level": 600.0},
    ],
}


def round_sig(x: float, digits: int = DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits (0, NaN and infinities unchanged)."""
    x = float(x)
    if x == 0.0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def compute() -> dict[str, float]:
    """The summary values, keyed 'kind/area/year/name', rounded to DIGITS significant digits."""
    import numpy as np

    import qsim

    sim = qsim.Simulation(qsim.scenario_from_dict(SCENARIO, source="regression scenario"), seed=SEED,
                          replicate=REPLICATE)
    result = sim.run(years=YEARS)
    values: dict[str, float] = {}
    yearly = result.yearly()
    for _, row in yearly.iterrows():
        for name in qsim.INDICATOR_NAMES:
            values[f"yearly/{row['area']}/{int(row['year'])}/{name}"] = row[name]
    flows = result.flows.groupby(["area", "year"]).sum(numeric_only=True)
    for (area, year), row in flows.iterrows():
        for name in ("out_moves", "displaced", "in_moves", "internal_moves", "out_mover_income", "in_mover_income"):
            values[f"flows/{area}/{int(year)}/{name}"] = row[name]
    h = sim.state.households
    alive = h.alive
    final = {
        "alive": alive.sum(), "next_uid": sim.state.next_uid,
        "skill_sum": h.skill[alive].astype(np.float64).sum(),
        "income_sum": h.income[alive].astype(np.float64).sum(),
        "trust_out_sum": h.trust_out[alive].astype(np.float64).sum(),
        "tie_count": (h.tie_target[alive] >= 0).sum(),
        "tie_strength_sum": h.tie_strength[alive].astype(np.float64).sum(),
        "dwelling_checksum": (h.dwelling[alive].astype(np.int64) * np.arange(1, alive.sum() + 1)).sum(),
        "building_quality_sum": sim.state.buildings.quality.astype(np.float64).sum(),
        "rent_sum": sim.state.dwellings.rent.astype(np.float64).sum(),
    }
    for name, v in final.items():
        values[f"final/all/{YEARS}/{name}"] = v
    return {k: round_sig(v) for k, v in values.items()}


def main() -> int:
    import numba
    import numpy as np

    import qsim

    data = {
        "about": "Fixed-seed regression baseline for tests/test_regression.py; regenerate ON PURPOSE with "
                 "tests/regression/update_baseline.py when a model change is intended.",
        "generated_with": {"qsim": qsim.__version__, "python": sys.version.split()[0], "numpy": np.__version__,
                           "numba": numba.__version__},
        "seed": SEED, "replicate": REPLICATE, "years": YEARS, "digits": DIGITS, "scenario": SCENARIO,
        "values": compute(),
    }
    BASELINE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE} ({len(data['values'])} values)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
