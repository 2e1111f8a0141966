"""What the report shows besides the comparison's own tables: measures and planned budgets of each scenario,
and the indices of a sensitivity analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import QsimError
from ..measures.catalogue import CATALOGUE
from ..measures.timing import Timing
from ..scenario import Scenario

SENSITIVITY_FILE = "sensitivity_indices.csv"
SENSITIVITY_COLUMNS = ("method", "output", "parameter", "index", "value", "ci_low", "ci_high")


class ReportError(QsimError):
    """A results folder or input that the report cannot be made from."""


def measure_table(scenario: Scenario, horizon: int, lang: str = "en") -> pd.DataFrame:
    """One row per measure (the QM office first): label (its name for readers in ``lang``), type, domain, start and end in years from 0 (as in the
    plots: 0-1 is the first year; construction: its planned building time), cost in EUR (per year, or in total for
    one-off construction), one_off, and the funding shares as text (sources named in ``lang``)."""
    rows = []
    for m in scenario.all_measures():
        entry = CATALOGUE[m.type]
        start, end = Timing.of(m, entry).period(horizon * 12)
        rows.append({"label": m.title(lang), "type": m.type, "domain": entry.domain, "start": start / 12.0,
                     "end": end / 12.0, "cost_eur": float(m.cost), "one_off": entry.one_off,
                     "funding": ", ".join(scenario.funding_title(s, lang) + (f" {v:.0%}" if v < 1 else "")
                                         for s, v in m.funding_shares.items())})
    return pd.DataFrame(rows, columns=["label", "type", "domain", "start", "end", "cost_eur", "one_off", "funding"])


def planned_inflows(scenario: Scenario, horizon: int, lang: str = "en") -> pd.DataFrame:
    """EUR each funding source plans to pay in every year 1..``horizon``: ``amount_per_year x (1 - degression)
    ** (year - start)`` times the scheduled cuts so far (random cuts are left out: they differ between
    replications). Columns: source (named in ``lang``), kind, year, eur."""
    rows = []
    for name, spec in scenario.funding.items():
        factor = 1.0
        for year in range(1, horizon + 1):
            for cut in spec.cuts:
                if cut.year == year:
                    factor *= 1.0 - cut.share
            within = spec.start <= year and (spec.end is None or year <= spec.end)
            eur = spec.amount_per_year * (1.0 - spec.degression) ** (year - spec.start) * factor if within else 0.0
            rows.append({"source": scenario.funding_title(name, lang), "kind": spec.kind, "year": year, "eur": eur})
    return pd.DataFrame(rows, columns=["source", "kind", "year", "eur"])


def spent_per_year(yearly: pd.DataFrame, area: str = "all") -> pd.DataFrame:
    """Mean over replications of the EUR spent on measures per scenario and year (the ledger's payments)."""
    column = "spent_eur" if "spent_eur" in yearly.columns else "budget_spent"
    rows = yearly[yearly["area"] == area]
    return rows.groupby(["scenario", "year"], sort=False)[column].mean().rename("eur").reset_index()


def load_sensitivity(folder: str | Path | None) -> pd.DataFrame | None:
    """The indices in ``folder/sensitivity_indices.csv`` (None if ``folder`` is None or has no such file when
    it was not asked for explicitly)."""
    if folder is None:
        return None
    path = Path(folder)
    path = path if path.suffix == ".csv" else path / SENSITIVITY_FILE
    if not path.exists():
        raise ReportError(f"{path}: no sensitivity indices (expected {SENSITIVITY_FILE} as written by "
                          "`qsim sensitivity`)")
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise ReportError(f"{path}: cannot be read ({e})") from None
    missing = [c for c in SENSITIVITY_COLUMNS if c not in table.columns]
    if missing:
        raise ReportError(f"{path}: missing column(s) {', '.join(missing)}; expected at least "
                          f"{', '.join(SENSITIVITY_COLUMNS)}")
    return table
