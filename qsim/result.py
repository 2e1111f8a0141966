"""Results of a run: tidy tables of indicators and flows, yearly summaries (the figures are in ``plots.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .atomic import atomic_write
from .budget import empty_ledger
from .errors import QsimError
from . import indicators as registry
from .indicators import cohorts as cohort_indicators
from .kernels.mobility import N_FLOWS

GROUPS = ("majority", "minority", "all")
FLOW_NAMES = ("out_moves", "displaced", "in_moves", "internal_moves", "out_mover_income", "in_mover_income",
              "arrived_from_other_areas")


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
    by_cohort: pd.DataFrame | None = None  # indicators by cohort (Result.cohorts()); None: not recorded

    @classmethod
    def from_records(cls, scenario: str, area_names: Sequence[str], records: list[np.ndarray],
                     flow_records: list[np.ndarray], seed: int = 0, replicate: int = 0,
                     ledger: pd.DataFrame | None = None,
                     cohort_records: list[tuple[int, np.ndarray]] | None = None) -> "Result":
        areas = list(area_names) + ["all"]
        months = len(records)
        names = _registered_columns(records)
        data = np.stack(records) if records else np.zeros((0, len(areas), 3, len(names)))
        idx = pd.MultiIndex.from_product([range(months), areas, GROUPS], names=["month", "area", "group"])
        frame = pd.DataFrame(data.reshape(-1, len(names)), index=idx, columns=names).reset_index()
        frame.insert(1, "year", frame["month"] // 12 + 1)
        frows = np.stack(flow_records) if flow_records else np.zeros((0, len(area_names), 2, N_FLOWS))
        fidx = pd.MultiIndex.from_product([range(months), list(area_names), GROUPS[:2]],
                                          names=["month", "area", "group"])
        flows = pd.DataFrame(frows.reshape(-1, N_FLOWS), index=fidx, columns=list(FLOW_NAMES)).reset_index()
        flows.insert(1, "year", flows["month"] // 12 + 1)
        by_cohort = None if cohort_records is None else _cohort_frame(area_names, cohort_records)
        return cls(scenario, frame, flows, seed, replicate, ledger=empty_ledger() if ledger is None else ledger,
                   by_cohort=by_cohort)

    @property
    def indicator_names(self) -> list[str]:
        """The indicator columns of this result, in registry order."""
        return [n for n in registry.names() if n in self.indicators_by_group.columns]

    @property
    def indicators(self) -> pd.DataFrame:
        """Monthly indicators for all households: columns month, year, area and one per indicator."""
        df = self.indicators_by_group
        return df[df["group"] == "all"].drop(columns="group").reset_index(drop=True)

    def cohorts(self) -> pd.DataFrame:
        """Indicators by cohort (``qsim.indicators.cohorts``) at the end of every year and of the run, tidy:
        columns month, year, area ('all' = the city), cohort (original: everyone who lived in the area at
        month 0, wherever they live now; stayers: original residents still there; leavers: original residents
        who moved out, followed in other areas and outside the city; newcomers: moved in since month 0),
        households (the cohort's count) and one column per stock indicator that splits by cohort. A share or
        mean of an empty cohort is NaN, and so is every indicator that is not known outside the city (trust,
        participation, satisfaction, rent, ...) for a cohort with members outside it."""
        if self.by_cohort is None:
            raise QsimError(f"result {self.scenario!r} has no indicators by cohort (it was not recorded by "
                            "qsim.Simulation, or comes from an older version)")
        return self.by_cohort

    def yearly(self, by_group: bool = False) -> pd.DataFrame:
        """One row per year and area: stocks at December, flows summed, rates per year (12 x monthly mean)."""
        df = self.indicators_by_group if by_group else self.indicators
        keys = ["year", "area"] + (["group"] if by_group else [])
        grouped = df.groupby(keys, sort=False)
        names = self.indicator_names
        by_kind = {kind: [n for n in names if registry.get(n).kind == kind] for kind in registry.KINDS}
        parts = [grouped[by_kind["stock"]].last(), grouped[by_kind["flow"]].sum(),
                 grouped[by_kind["rate"]].mean() * 12.0]
        return pd.concat(parts, axis=1)[names].reset_index()

    def at(self, year: int, area: str = "all") -> pd.Series:
        """The yearly values of one year and area."""
        y = self.yearly()
        row = y[(y["year"] == year) & (y["area"] == area)]
        if row.empty:
            raise KeyError(f"no year {year} for area {area!r} (years 1..{y['year'].max()})")
        return row.iloc[0].drop(["year", "area"])

    def _checked(self, names: str | Sequence[str], area: str) -> list[str]:
        """``names`` as a list (one indicator may be given as a string), after checking them and ``area``."""
        present = self.indicator_names
        names = [n for n in registry.key_names() if n in present] if names is None else \
            registry.checked_names(names, present)
        areas = list(self.indicators_by_group["area"].unique())
        if area not in areas:
            raise QsimError(f"no area {area!r} in this result; its areas are {', '.join(map(repr, areas))}")
        return names

    def summary(self, names: str | Sequence[str] | None = None, area: str = "all") -> pd.DataFrame:
        """Indicators (default: the key indicators) in the first and the last year, and the change."""
        names = self._checked(names, area)
        y = self.yearly()
        y = y[y["area"] == area].set_index("year")
        first, last = y.index.min(), y.index.max()
        return pd.DataFrame({f"year {first}": y.loc[first, list(names)], f"year {last}": y.loc[last, list(names)],
                             "change": y.loc[last, list(names)] - y.loc[first, list(names)]})

    def __repr__(self) -> str:
        years = int(self.indicators_by_group["year"].max()) if len(self.indicators_by_group) else 0
        areas = self.indicators_by_group["area"].nunique() - 1 if len(self.indicators_by_group) else 0
        return f"Result({self.scenario!r}, seed {self.seed}, replicate {self.replicate}, {years} years, {areas} area(s))"

    def _repr_html_(self) -> str:
        """A notebook's display: the key indicators in the first and last year, the change, the unit and the
        yearly trend (whole city)."""
        from .display import sparkline, svg, table

        names = self._checked(None, "all")
        y = self.yearly()
        y = y[y["area"] == "all"].set_index("year")
        first, last = y.index.min(), y.index.max()
        rows = [[registry.get(n).label("en"), y.loc[first, n], y.loc[last, n], y.loc[last, n] - y.loc[first, n],
                 registry.get(n).unit, svg(sparkline(y[n].to_numpy()))] for n in names]
        return table(repr(self), ["indicator", f"year {first}", f"year {last}", "change", "unit", "trend"], rows)

    def mss(self, year: int | None = None) -> pd.DataFrame:
        """The city's monitoring (MSS) of one year, one row per area: z-values of S1, S3, S4, status index and
        class, dynamics over two years and its class, areas of special attention (:func:`qsim.mss.mss_indices`)."""
        from .mss import mss_indices

        return mss_indices(self.indicators, year)

    def plot_map(self, indicator: str, year: int | None = None, path: str | Path | None = None, **city):
        """A choropleth by forecast area of a city run (December of ``year``, default the last): an indicator,
        or status_index, status_class or dynamics_index of the MSS (:func:`qsim.maps.result_map`; ``city``:
        ``table``, ``polygons`` and ``attribution`` of another city than Berlin)."""
        from .maps import result_map

        return result_map(self, indicator, year, path, **city)

    def plot(self, names: str | Sequence[str] | None = None, area: str = "all", path: str | Path | None = None,
             marks: Sequence[tuple[float, float, str]] = ()):
        """Small multiples of indicators (default: the first six key indicators) over time; ``marks`` are
        (start, end, label) periods in years."""
        from .plots import plot_result  # matplotlib loads when a figure is drawn

        checked = self._checked(names, area)
        return plot_result(self, checked[:6] if names is None else checked, area, path, marks)

    def save(self, folder: str | Path) -> list[Path]:
        """Write indicators (all groups), flows, the budget ledger and the indicators by cohort as Parquet and
        CSV; returns the files."""
        tables = {"indicators": self.indicators_by_group, "flows": self.flows, "ledger": self.ledger}
        if self.by_cohort is not None:
            tables["cohorts"] = self.by_cohort
        return write_tables(folder, tables)


def _cohort_frame(area_names: Sequence[str], months_and_records: list[tuple[int, np.ndarray]]) -> pd.DataFrame:
    """The tidy frame of the cohort records: (month, array (n_areas + 1, cohorts, indicators)) pairs."""
    months = [m for m, _ in months_and_records]
    records = [r for _, r in months_and_records]
    names = cohort_indicators.names()
    widths = {r.shape[-1] for r in records}
    if widths and widths != {len(names)}:
        raise QsimError(f"the months of this run have {' or '.join(map(str, sorted(widths)))} cohort indicator "
                        f"columns, but {len(names)} indicators split by cohort are registered now: register or "
                        "unregister indicators (qsim.indicators) before building a Simulation, not during its run")
    areas = list(area_names) + ["all"]
    data = np.stack(records) if records else np.zeros((0, len(areas), len(cohort_indicators.COHORTS), len(names)))
    idx = pd.MultiIndex.from_product([months, areas, cohort_indicators.COHORTS],
                                     names=["month", "area", "cohort"])
    frame = pd.DataFrame(data.reshape(-1, len(names)), index=idx, columns=names).reset_index()
    frame.insert(1, "year", frame["month"] // 12 + 1)
    return frame


def _registered_columns(records: list[np.ndarray]) -> list[str]:
    """The registered indicators, which must be the columns of every month's record; else a QsimError (an
    indicator registered or unregistered after the run started)."""
    names = list(registry.names())
    widths = sorted({r.shape[-1] for r in records})
    if widths and widths != [len(names)]:
        late = f" ({', '.join(names[widths[0]:])} registered since)" if widths[0] < len(names) else ""
        raise QsimError(f"the months of this run have {' or '.join(map(str, widths))} indicator columns, but "
                        f"{len(names)} indicators are registered now{late}: register or unregister indicators "
                        f"(qsim.indicators) before building a Simulation, not during its run")
    return names


def write_tables(folder: str | Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write each table as ``name.parquet`` and ``name.csv`` in ``folder``, each file atomically
    (a temporary file renamed into place, so a crash never leaves half a file); returns the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        for ext in ("parquet", "csv"):
            path = folder / f"{name}.{ext}"
            atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False) if ext == "parquet"
                         else frame.to_csv(tmp, index=False))
            written.append(path)
    return written
