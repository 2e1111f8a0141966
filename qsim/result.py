"""Results of a run: tidy tables of indicators and flows, yearly summaries (the figures are in ``plots.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .budget import empty_ledger
from .errors import QsimError
from .indicators import BY_NAME, NAMES, checked_names
from .kernels.mobility import N_FLOWS

GROUPS = ("majority", "minority", "all")
FLOW_NAMES = ("out_moves", "displaced", "in_moves", "internal_moves", "out_mover_income", "in_mover_income",
              "arrived_from_other_areas")
KEY_INDICATORS = ("unemployment_rate", "long_term_unemployment_rate", "transfer_rate", "child_poverty_rate",
                  "mean_income", "out_group_trust", "participation_rate", "collective_efficacy", "move_out_rate",
                  "vacancy_rate", "segregation_index", "reputation")


@dataclass
class Result:
    """Indicators of one run.

    ``indicators``: one row per month and area ('all' = the whole city), for
    all households; ``indicators_by_group`` adds a ``group`` column
    (majority, minority, all). Month 0 is the first simulated month; ``year``
    counts from 1 (months 0-11 are year 1).
    """

    scenario: str
    indicators_by_group: pd.DataFrame
    flows: pd.DataFrame
    seed: int = 0
    replicate: int = 0
    meta: dict = field(default_factory=dict)
    ledger: pd.DataFrame = field(default_factory=empty_ledger)  # budget flows by month, source, measure (qsim.budget)

    @classmethod
    def from_records(cls, scenario: str, area_names: Sequence[str], records: list[np.ndarray],
                     flow_records: list[np.ndarray], seed: int = 0, replicate: int = 0,
                     ledger: pd.DataFrame | None = None) -> "Result":
        areas = list(area_names) + ["all"]
        months = len(records)
        data = np.stack(records) if records else np.zeros((0, len(areas), 3, len(NAMES)))
        idx = pd.MultiIndex.from_product([range(months), areas, GROUPS], names=["month", "area", "group"])
        frame = pd.DataFrame(data.reshape(-1, len(NAMES)), index=idx, columns=list(NAMES)).reset_index()
        frame.insert(1, "year", frame["month"] // 12 + 1)
        frows = np.stack(flow_records) if flow_records else np.zeros((0, len(area_names), 2, N_FLOWS))
        fidx = pd.MultiIndex.from_product([range(months), list(area_names), GROUPS[:2]],
                                          names=["month", "area", "group"])
        flows = pd.DataFrame(frows.reshape(-1, N_FLOWS), index=fidx, columns=list(FLOW_NAMES)).reset_index()
        flows.insert(1, "year", flows["month"] // 12 + 1)
        return cls(scenario, frame, flows, seed, replicate, ledger=empty_ledger() if ledger is None else ledger)

    @property
    def indicators(self) -> pd.DataFrame:
        """Monthly indicators for all households: columns month, year, area and one per indicator."""
        df = self.indicators_by_group
        return df[df["group"] == "all"].drop(columns="group").reset_index(drop=True)

    def yearly(self, by_group: bool = False) -> pd.DataFrame:
        """One row per year and area: stocks at December, flows summed, rates per year (12 x monthly mean)."""
        df = self.indicators_by_group if by_group else self.indicators
        keys = ["year", "area"] + (["group"] if by_group else [])
        grouped = df.groupby(keys, sort=False)
        by_kind = {kind: [n for n in NAMES if BY_NAME[n].kind == kind] for kind in ("stock", "flow", "rate")}
        parts = [grouped[by_kind["stock"]].last(), grouped[by_kind["flow"]].sum(),
                 grouped[by_kind["rate"]].mean() * 12.0]
        return pd.concat(parts, axis=1)[list(NAMES)].reset_index()

    def at(self, year: int, area: str = "all") -> pd.Series:
        """The yearly values of one year and area."""
        y = self.yearly()
        row = y[(y["year"] == year) & (y["area"] == area)]
        if row.empty:
            raise KeyError(f"no year {year} for area {area!r} (years 1..{y['year'].max()})")
        return row.iloc[0].drop(["year", "area"])

    def _checked(self, names: str | Sequence[str], area: str) -> list[str]:
        """``names`` as a list (one indicator may be given as a string), after checking them and ``area``."""
        names = checked_names(names)
        areas = list(self.indicators_by_group["area"].unique())
        if area not in areas:
            raise QsimError(f"no area {area!r} in this result; its areas are {', '.join(map(repr, areas))}")
        return names

    def summary(self, names: str | Sequence[str] = KEY_INDICATORS, area: str = "all") -> pd.DataFrame:
        """Key indicators in the first and the last year, and the change."""
        names = self._checked(names, area)
        y = self.yearly()
        y = y[y["area"] == area].set_index("year")
        first, last = y.index.min(), y.index.max()
        return pd.DataFrame({f"year {first}": y.loc[first, list(names)], f"year {last}": y.loc[last, list(names)],
                             "change": y.loc[last, list(names)] - y.loc[first, list(names)]})

    def plot(self, names: str | Sequence[str] = KEY_INDICATORS[:6], area: str = "all", path: str | Path | None = None,
             marks: Sequence[tuple[float, float, str]] = ()):
        """Small multiples of indicators over time; ``marks`` are (start, end, label) periods in years."""
        from .plots import plot_result  # matplotlib loads when a figure is drawn

        return plot_result(self, self._checked(names, area), area, path, marks)

    def save(self, folder: str | Path) -> list[Path]:
        """Write indicators (all groups), flows and the budget ledger as Parquet and CSV; returns the files."""
        return write_tables(folder, {"indicators": self.indicators_by_group, "flows": self.flows,
                                     "ledger": self.ledger})


def write_tables(folder: str | Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write each table as ``name.parquet`` and ``name.csv`` in ``folder``, each file atomically
    (a temporary file renamed into place, so a crash never leaves half a file); returns the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        for ext in ("parquet", "csv"):
            path = folder / f"{name}.{ext}"
            tmp = path.with_name(f".{path.name}.tmp")
            frame.to_parquet(tmp, index=False) if ext == "parquet" else frame.to_csv(tmp, index=False)
            tmp.replace(path)
            written.append(path)
    return written
