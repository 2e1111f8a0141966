"""Comparison of intervention options with common random numbers.

Replicate r of every scenario runs with the same (seed, r), so a household
meets the same luck under every option and the paired difference
option - baseline isolates the effect of the option. All statistics are
over replications of yearly values (stocks at December, flows summed,
rates per year; see :meth:`qsim.Result.yearly`).
"""

from __future__ import annotations

import json
import tempfile
from contextlib import nullcontext
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .. import indicators as registry
from ..atomic import write_text
from ..errors import QsimError
from ..measures.runner import measure_periods
from ..result import write_tables
from ..scenario import Scenario, scenario_from_dict
from .decomposition import (PARTS, cohort_column, composition_share, mostly_composition, paired_parts, recorded,
                            residents_values, wide_by_scenario)
from ..threads import checked as checked_threads
from .executors import execute, executor_workers
from .plan import as_scenario, replications_plan
from .store import Store

BOOTSTRAP_DRAWS = 2000
"""Resamples of the replications for the intervals of cost-effectiveness."""
BOOTSTRAP_SEED = 20240601
"""The fixed seed of those resamples: the same comparison gives the same intervals."""
GOAL_FILE = "goal.json"
"""The file :meth:`Comparison.save` writes the goal to, so that a report made later decides for the same goal."""
MIN_REPLICATIONS = 10
"""Fewer replications than this are always too few: a percentile bootstrap over fewer has too few distinct
resamples to bound its tails."""


BASES = ("residents", "area")
"""What a ranking judges: the original residents' outcomes (wherever they live now) or the area's values."""


class BasisError(QsimError):
    """A basis that is not one of :data:`BASES`, or residents asked of results recorded without cohorts."""


class GoalError(QsimError):
    """A goal that cannot be used: an unknown indicator, one without a better direction, or a bad weight."""


def checked_goal(goal: str | Mapping[str, float] | None, available: Sequence[str] | None = None) -> dict[str, float]:
    """The goal as {indicator: weight}: ``goal`` given as a mapping or as text ``"unemployment_rate=2,
    out_group_trust=1"`` (a name without ``=w`` weighs 1). None: the default goal, every key indicator with a
    better direction and a minimum important difference, weighted 1. Each indicator needs a better direction, a minimum important difference
    (``Indicator.important``: the goal score's unit) and a positive weight; else a GoalError."""
    if goal is None:
        return {n: 1.0 for n in registry.key_names() if registry.better(n) != 0 and registry.get(n).important
                and (available is None or n in available)}
    if isinstance(goal, str):
        parsed: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in goal.split(","))):
            name, _, weight = part.partition("=")
            try:
                parsed[name.strip()] = float(weight) if weight.strip() else 1.0
            except ValueError:
                raise GoalError(f"goal {goal!r}: the weight of {name.strip()!r} is {weight.strip()!r}; expected a "
                                f"number, e.g. unemployment_rate=2,out_group_trust=1") from None
        goal = parsed
    if not isinstance(goal, Mapping) or not goal:
        raise GoalError(f"goal {goal!r}: expected indicator=weight pairs, e.g. unemployment_rate=2,out_group_trust=1")
    try:
        registry.checked_names(list(goal), available)
    except registry.IndicatorError as e:
        raise GoalError(f"goal: {e}") from None
    out = {}
    for name, weight in goal.items():
        if registry.better(name) == 0:
            raise GoalError(f"goal: {name!r} has no better direction (neither more nor less is better); choose "
                            f"indicators such as {', '.join(registry.key_names()[:3])}")
        if not registry.get(name).important:
            raise GoalError(f"goal: {name!r} has no minimum important difference (Indicator.important), which the "
                            f"goal score is measured in; give it one when registering it")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            raise GoalError(f"goal: the weight of {name!r} is {weight!r}; expected a positive number")
        out[name] = float(weight)
    return out


def practical_significance(mean, ci_low, ci_high, important) -> np.ndarray:
    """Per difference: 'unclear' where its interval includes zero, else 'important' where ``|mean|`` reaches the
    minimum important difference (NaN: none defined, every clear effect counts), else 'tiny'."""
    mean, low, high = (np.asarray(x, dtype=float) for x in (mean, ci_low, ci_high))
    important = np.asarray(important, dtype=float)
    clear = (low > 0) | (high < 0)
    large = np.isnan(important) | (np.abs(mean) >= important)
    return np.where(~clear, "unclear", np.where(large, "important", "tiny"))


def replications_for(sd: float, important: float, level: float = 0.95) -> int:
    """Replications needed so that the paired t-interval's half-width is at most half the minimum important
    difference, for paired differences of standard deviation ``sd`` (at least :data:`MIN_REPLICATIONS`)."""
    if not (sd > 0 and important > 0):
        return MIN_REPLICATIONS
    n = max(2, int(np.ceil((stats.norm.ppf(0.5 + level / 2) * sd / (important / 2)) ** 2)))
    while stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n) > important / 2:
        n += 1
    return max(MIN_REPLICATIONS, n)


def bootstrap_ratio(cost: np.ndarray, gain: np.ndarray, level: float = 0.95, draws: int = BOOTSTRAP_DRAWS,
                    seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile interval of mean(cost) / mean(gain) over ``draws`` resamples of the replications (the pairs
    (cost[r], gain[r]) are drawn together; fixed ``seed``). A resample without gain counts as an infinite cost
    per unit. NaN, NaN with fewer than two replications."""
    cost, gain = np.asarray(cost, dtype=float), np.asarray(gain, dtype=float)
    if len(cost) < 2:
        return float("nan"), float("nan")
    picks = np.random.default_rng(seed).integers(0, len(cost), size=(draws, len(cost)))
    c, g = cost[picks].mean(axis=1), gain[picks].mean(axis=1)
    ratio = np.where(g > 0, c / np.where(g > 0, g, 1.0), np.inf)
    low, high = np.quantile(ratio, [0.5 - level / 2, 0.5 + level / 2], method="inverted_cdf")  # no inf - inf
    return float(low), float(high)


@dataclass
class Comparison:
    """Replicated runs of a baseline (the first scenario) and options, with their statistics.

    ``yearly``: one row per run, year and area (as in :attr:`qsim.experiment.Store.yearly`);
    the statistics use the rows of ``area``. ``level`` is the confidence level of intervals. ``goal``: the
    indicators the decision weighs and their weights (see :func:`checked_goal`; None: the default goal).
    """

    scenarios: list[str]
    yearly: pd.DataFrame
    runs: pd.DataFrame
    periods: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)
    area: str = "all"
    level: float = 0.95
    definitions: list[Scenario] = field(default_factory=list, repr=False)  # the scenarios, for the report
    goal: dict[str, float] | None = None  # indicator -> weight; None: the default goal (see checked_goal)
    basis: str | None = None  # what the decision and costs judge (BASES); None: residents where recorded

    @classmethod
    def from_store(cls, path: str | Path, area: str = "all", level: float = 0.95,
                   goal: str | Mapping[str, float] | None = None, basis: str | None = None) -> "Comparison":
        """The comparison held in a result store written by :func:`compare`."""
        store = Store(path)
        definitions = [scenario_from_dict(s["definition"], s["source"]) for s in store.manifest["scenarios"]]
        return cls([s.name for s in definitions], store.yearly, store.runs,
                   {s.name: measure_periods(s) for s in definitions}, area, level, definitions, goal, basis)

    def __post_init__(self) -> None:
        self.goal = checked_goal(self.goal, self.indicators)
        if self.basis is None:
            self.basis = "residents" if self.by_cohort else "area"
        if self.basis not in BASES:
            raise BasisError(f"basis {self.basis!r}: expected one of {', '.join(BASES)}")
        if self.basis == "residents" and not self.by_cohort:
            raise BasisError("basis 'residents': these results hold no indicators by cohort (made by an older qsim?)"
                             "; rerun the comparison, or use basis 'area'")

    def __repr__(self) -> str:
        replications = int(self.runs["replicate"].nunique()) if len(self.runs) else 0
        years = int(self.yearly["year"].max()) if len(self.yearly) else 0
        return (f"Comparison({self.baseline!r} and {len(self.scenarios) - 1} option(s), {replications} replications, "
                f"{years} years, area {self.area!r})")

    def _repr_html_(self) -> str:
        """A notebook's display: each option's paired difference to the baseline in the last year with its
        interval (green: clearly better, red: clearly worse) for the key indicators, and their units."""
        from ..display import signed, table

        year = self._last_year(None)
        diff = self.differences()
        diff = diff[diff["year"] == year].set_index(["option", "indicator"])
        names = [n for n in registry.key_names() if n in self.indicators]
        rows = [[registry.get(n).label("en"), registry.get(n).unit,
                 *[signed(*diff.loc[(o, n), ["mean", "ci_low", "ci_high"]], registry.better(n))
                   if (o, n) in diff.index else "" for o in self.scenarios[1:]]] for n in names]
        return table(repr(self), ["indicator", "unit", *[f"{o} - {self.baseline}" for o in self.scenarios[1:]]],
                     rows, f"year {year}: mean paired difference [{self.level:.0%} interval]")

    # ------------------------------------------------------------ tables
    @property
    def baseline(self) -> str:
        return self.scenarios[0]

    @property
    def indicators(self) -> list[str]:
        """Indicator columns present in the results."""
        return [n for n in registry.names() if n in self.yearly.columns]

    @property
    def by_cohort(self) -> list[str]:
        """Indicators whose original residents' and stayers' values the results hold (the decomposition's)."""
        return recorded(self.yearly, self.indicators)

    @property
    def follows_leavers(self) -> bool:
        """Whether the results hold the values of the households that left their area (:meth:`leavers`)."""
        return bool(self.by_cohort) and cohort_column("leavers", self.by_cohort[0]) in self.yearly.columns

    def _yearly_for(self, basis: str | None) -> pd.DataFrame:
        """The yearly rows, with the original residents' values in place of the area's where ``basis`` is
        'residents' (None: the comparison's basis)."""
        basis = self.basis if basis is None else basis
        if basis not in BASES:
            raise BasisError(f"basis {basis!r}: expected one of {', '.join(BASES)}")
        return residents_values(self.yearly, self.indicators) if basis == "residents" else self.yearly

    def _long(self, basis: str = "area") -> pd.DataFrame:
        df = self._yearly_for(basis)
        df = df[df["area"] == self.area]
        return df.melt(id_vars=["scenario", "replicate", "year"], value_vars=self.indicators, var_name="indicator")

    def _paired(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """Values by (indicator, year, replicate) x scenario, only replicates that every scenario finished."""
        long = self._long() if frame is None else frame
        wide = long.pivot_table(index=["indicator", "year", "replicate"], columns="scenario", values="value",
                                aggfunc="first", dropna=False)
        return wide.reindex(columns=self.scenarios).dropna()

    def bands(self) -> pd.DataFrame:
        """Per scenario, indicator and year: n, mean, median and the 10-90% band (q10, q90) over replications."""
        g = self._long().groupby(["scenario", "indicator", "year"], sort=False)["value"]
        out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "median": g.median(), "q10": g.quantile(0.1),
                            "q90": g.quantile(0.9)}).reset_index()
        return self._order(out, "scenario")

    def differences(self) -> pd.DataFrame:
        """Paired differences option - baseline per option, indicator and year.

        Columns: n (paired replicates), mean, sd, ci_low, ci_high (t-interval at ``level``: the precision of the
        mean), cohen_d (mean / sd of the paired differences, d_z: not comparable between studies), significant
        (the interval excludes zero), natural_sd (the standard deviation of the baseline between replications:
        the natural spread), effect_size (mean / natural_sd), important (the indicator's minimum important
        difference), practical ('important', 'tiny' or 'unclear', see :func:`practical_significance`).
        """
        wide = self._paired()
        out = pd.concat([paired_statistics((wide[option] - wide[self.baseline]).groupby(
            level=["indicator", "year"], sort=False), self.level).assign(option=option)
            for option in self.scenarios[1:]]).reset_index()
        out["cohen_d"] = np.where(out["sd"] > 0, out["mean"] / out["sd"].where(out["sd"] > 0), np.nan)
        out["significant"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
        spread = wide[self.baseline].groupby(level=["indicator", "year"], sort=False).std(ddof=1)
        out["natural_sd"] = spread.reindex(pd.MultiIndex.from_frame(out[["indicator", "year"]])).to_numpy()
        out["effect_size"] = out["mean"] / out["natural_sd"].where(out["natural_sd"] > 0)
        out["important"] = out["indicator"].map(lambda n: registry.get(n).important).astype(float)
        out["practical"] = practical_significance(out["mean"], out["ci_low"], out["ci_high"], out["important"])
        cols = ["option", "indicator", "year", "n", "mean", "sd", "ci_low", "ci_high", "cohen_d", "significant",
                "natural_sd", "effect_size", "important", "practical"]
        return self._order(out[cols], "option")

    def time_to_effect(self) -> pd.DataFrame:
        """Per option and indicator: the first year whose paired interval excludes zero (NA: never), and the mean
        difference in that year."""
        diff = self.differences()
        first = diff[diff["significant"]].groupby(["option", "indicator"], sort=False).first()
        out = diff[["option", "indicator"]].drop_duplicates().set_index(["option", "indicator"])
        out["first_year"] = first["year"].astype("Int64")
        out["difference"] = first["mean"]
        return out.reset_index()

    def persistence(self, after: Sequence[int] = (2, 5, 10)) -> pd.DataFrame:
        """What remains of each effect ``after`` years after an option's measures end (its last measure, in whole
        years; options without measures have no rows). Columns: option, indicator, end_year, years_after (0 =
        the last funded year), year, difference, ci_low, ci_high, share_of_end_effect (difference / difference in
        end_year). Years beyond the horizon are left out."""
        diff = self.differences().set_index(["option", "indicator", "year"])
        last = int(self.yearly["year"].max())
        parts = []
        for option in self.scenarios[1:]:
            ends = [end for _, end, _ in self.periods.get(option, [])]
            if not ends:
                continue
            end_year = int(np.ceil(max(ends) - 1e-9))
            for k in (0, *after):
                if end_year + k > last or end_year + k < 1:
                    continue
                rows = diff.xs((option, end_year + k), level=["option", "year"])
                at_end = diff.xs((option, end_year), level=["option", "year"])["mean"]
                parts.append(pd.DataFrame({
                    "option": option, "indicator": rows.index, "end_year": end_year, "years_after": k,
                    "year": end_year + k, "difference": rows["mean"].to_numpy(), "ci_low": rows["ci_low"].to_numpy(),
                    "ci_high": rows["ci_high"].to_numpy(),
                    "share_of_end_effect": (rows["mean"] / at_end.where(at_end != 0)).to_numpy()}))
        columns = ["option", "indicator", "end_year", "years_after", "year", "difference", "ci_low", "ci_high",
                   "share_of_end_effect"]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

    def _last_year(self, year: int | None) -> int:
        return int(self.yearly["year"].max()) if year is None else int(year)

    def cost_effectiveness(self, year: int | None = None, basis: str | None = None) -> pd.DataFrame:
        """Cost per unit of improvement by ``year`` (default: the last), per option and indicator with a better
        direction, with intervals. ``basis`` (column basis; default the comparison's): 'residents' counts the
        improvement among the original residents (everyone who lived in the area at the start, wherever they
        live now: their values and their number of households, for the indicators recorded by cohort), 'area'
        the area's values and resident households.

        extra_cost_eur: mean paired difference of the cumulative cost (EUR); gain: the mean paired change in the
        better direction (indicator units), gain_low, gain_high its t-interval; eur_per_unit = extra_cost_eur /
        gain. For shares of households (``per_household`` in the registry, e.g. unemployment_rate):
        household_years = the summed yearly change in households (December stocks, so an unemployed head
        avoided for a year counts one), eur_per_household_year = extra_cost_eur / household_years. The ratios'
        intervals (``_low``, ``_high``) are percentile intervals of a bootstrap over replications
        (:func:`bootstrap_ratio`, fixed seed). meaningful: the gain's interval lies above zero; elsewhere a cost
        per unit means nothing (the option may buy no improvement at all). Ratios are NaN where there is no
        gain or no extra cost.
        """
        year = self._last_year(year)
        basis = self.basis if basis is None else basis
        df = self._yearly_for(basis)
        df = df[(df["area"] == self.area) & (df["year"] <= year)]
        cost = self._paired(df.melt(id_vars=["scenario", "replicate", "year"], value_vars=["cumulative_cost"],
                                    var_name="indicator"))
        cost = cost.xs(year, level="year").droplevel("indicator")
        names = [n for n in self.indicators if registry.better(n) != 0]
        shares = [n for n in names if registry.get(n).per_household]
        counts = df.assign(**{n: df[n] * df["households"] for n in shares})
        counted = self._paired(counts.melt(id_vars=["scenario", "replicate", "year"], value_vars=shares,
                                           var_name="indicator"))
        level = self._paired(df[df["year"] == year].melt(id_vars=["scenario", "replicate", "year"],
                                                         value_vars=names, var_name="indicator"))
        rows = []
        for option in self.scenarios[1:]:
            extra = cost[option] - cost[self.baseline]
            change = (level[option] - level[self.baseline]).droplevel("year")
            summed = (counted[option] - counted[self.baseline]).groupby(level=["indicator", "replicate"]).sum()
            for name in names:
                sign = registry.better(name)
                gain = sign * change.xs(name, level="indicator")
                low, high = _t_interval(gain.to_numpy(), self.level)
                pair = extra.reindex(gain.index).to_numpy()
                row = {"option": option, "indicator": name, "year": year, "basis": basis,
                       "extra_cost_eur": float(extra.mean()), "gain": float(gain.mean()), "gain_low": low,
                       "gain_high": high, "meaningful": bool(low > 0),
                       "unit": registry.get(name).unit, "eur_per_unit": _ratio(extra.mean(), gain.mean())}
                row["eur_per_unit_low"], row["eur_per_unit_high"] = bootstrap_ratio(pair, gain.to_numpy(),
                                                                                    self.level)
                hh = sign * summed.xs(name, level="indicator") if name in shares else None
                row["household_years"] = float(hh.mean()) if hh is not None else np.nan
                row["eur_per_household_year"] = _ratio(extra.mean(), row["household_years"])
                row["eur_per_household_year_low"], row["eur_per_household_year_high"] = (
                    bootstrap_ratio(extra.reindex(hh.index).to_numpy(), hh.to_numpy(), self.level)
                    if hh is not None else (np.nan, np.nan))
                rows.append(row)
        return pd.DataFrame(rows)

    # ------------------------------------------------------------ residents or newcomers
    def decomposition_pairs(self) -> pd.DataFrame:
        """The parts of every paired difference (option - baseline) of the indicators recorded by cohort, per
        option, area (every area and 'all'), indicator, year and replicate: total, residents, composition,
        departures, arrivals (:mod:`qsim.experiment.decomposition`; total = residents + departures + arrivals up
        to rounding)."""
        return paired_parts(self.yearly, self._recorded(), self.scenarios)

    def decomposition(self) -> pd.DataFrame:
        """Residents or newcomers: each area's paired change split into the original residents' own change and
        the change of who lives there, per option, area (every area and 'all'), indicator recorded by cohort,
        year and part (:data:`qsim.experiment.decomposition.PARTS`: total, residents, composition = departures
        + arrivals). Columns: n (paired replicates), mean, sd, ci_low, ci_high (t-interval at ``level``) and
        share_of_total (mean / the total's mean; NaN where that is 0). The formula: docs/model.md 4.11."""
        pairs = self.decomposition_pairs()
        keys = ["option", "area", "indicator", "year"]
        out = pd.concat([paired_statistics(pairs.groupby(keys, sort=False)[part], self.level).assign(part=part)
                         for part in PARTS]).reset_index()
        total = out[out["part"] == "total"].set_index(keys)["mean"]
        at = total.reindex(pd.MultiIndex.from_frame(out[keys])).to_numpy()
        out["share_of_total"] = out["mean"] / np.where(at != 0, at, np.nan)
        out = out[[*keys, "part", "n", "mean", "sd", "ci_low", "ci_high", "share_of_total"]]
        return self._order_by(out, keys + ["part"])

    def leavers(self) -> pd.DataFrame:
        """What happened to those who left: per option, area, indicator recorded by cohort and year, the mean
        value among the households that had left the area by then (followed wherever they live now) under the
        baseline and under the option, and the paired difference with its interval (n, mean, sd, ci_low,
        ci_high). ``households`` counts the leavers (not a share: how many left)."""
        names = self._recorded()
        if not self.follows_leavers:
            raise BasisError("these results do not follow the households that left (no leavers' columns)")
        rows = self.yearly.set_index(["scenario", "replicate", "year", "area"])
        rows = rows[[cohort_column("leavers", n) for n in names]].set_axis(names, axis=1)
        wide = wide_by_scenario(rows, self.scenarios)
        keys = ["area", "indicator", "year"]
        means = wide.groupby(level=keys, sort=False).mean()
        parts = []
        for option in self.scenarios[1:]:
            stats_ = paired_statistics((wide[option] - wide[self.baseline]).groupby(level=keys, sort=False),
                                       self.level)
            parts.append(stats_.assign(option=option, baseline_value=means[self.baseline],
                                       option_value=means[option]))
        out = pd.concat(parts).reset_index()
        out = out[["option", *keys, "baseline_value", "option_value", "n", "mean", "sd", "ci_low", "ci_high"]]
        return self._order_by(out, ["option", "area", "indicator", "year"])

    def goal_parts(self, year: int | None = None) -> pd.DataFrame:
        """The area's goal score (:meth:`goal_scores` on basis 'area') in ``year`` (default: the last) split
        like its indicators: per option and part (total, residents, composition, not_split: the goal's
        indicators not recorded by cohort), n, mean, ci_low, ci_high over replications, share_of_total, and
        mostly_composition (on the total's rows: its interval excludes zero and composition, going the same
        way, exceeds half of it)."""
        year = self._last_year(year)
        scores = self.goal_scores("area")
        scores = scores[scores["year"] == year].set_index(["option", "replicate"])["score"]
        split = [n for n in self.goal if n in self._recorded()]
        weights = pd.Series({n: self.goal[n] * registry.better(n) / registry.get(n).important for n in split},
                            dtype=float) / sum(self.goal.values())
        pairs = self.decomposition_pairs() if split else pd.DataFrame(columns=["option", "area", "indicator",
                                                                                "year", "replicate", *PARTS])
        pairs = pairs[(pairs["area"] == self.area) & (pairs["year"] == year) & pairs["indicator"].isin(split)]
        pairs = pairs.assign(w=pairs["indicator"].map(weights))
        per = {part: (pairs[part] * pairs["w"]).groupby([pairs["option"], pairs["replicate"]]).sum()
               .reindex(scores.index, fill_value=0.0) for part in ("residents", "composition")}
        values = pd.DataFrame({"total": scores, **per})
        values["not_split"] = values["total"] - values["residents"] - values["composition"]
        rows = []
        for option in self.scenarios[1:]:
            mine = values.xs(option, level="option")
            total = float(mine["total"].mean())
            low, high = _t_interval(mine["total"].to_numpy(), self.level)
            for part in ("total", "residents", "composition", "not_split"):
                p_low, p_high = _t_interval(mine[part].to_numpy(), self.level)
                mean = float(mine[part].mean())
                rows.append({"option": option, "year": year, "part": part, "n": len(mine), "mean": mean,
                             "ci_low": p_low, "ci_high": p_high, "share_of_total": composition_share(total, mean),
                             "mostly_composition": part == "total" and mostly_composition(
                                 total, low, high, float(mine["composition"].mean()))})
        return pd.DataFrame(rows)

    def _recorded(self) -> list[str]:
        """The indicators recorded by cohort; a BasisError if there are none."""
        names = self.by_cohort
        if not names:
            raise BasisError("these results hold no indicators by cohort (made by an older qsim?): rerun the "
                             "comparison to split its effects into residents and newcomers")
        return names

    # ------------------------------------------------------------ the decision
    def goal_scores(self, basis: str | None = None) -> pd.DataFrame:
        """Per option, replicate and year: the goal score, the weighted mean over the goal's indicators of the
        paired difference in the better direction in units of each indicator's minimum important difference
        (1 = one minimum important difference better than the baseline; the baseline scores 0). ``basis``
        (default the comparison's): 'residents' scores the original residents' outcomes wherever they live now
        (for the indicators recorded by cohort; the area's values for the others), 'area' the area's values."""
        wide = self._paired(self._long(self.basis if basis is None else basis))
        weights = pd.Series(self.goal)
        scores = {}
        for option in self.scenarios[1:]:
            d = (wide[option] - wide[self.baseline]).unstack("indicator")[list(self.goal)]
            scaled = d * [registry.better(n) / registry.get(n).important for n in self.goal]
            scores[option] = scaled.mul(weights, axis=1).sum(axis=1) / weights.sum()
        out = pd.DataFrame(scores).rename_axis(columns="option").stack().rename("score").reset_index()
        rank = {n: k for k, n in enumerate(self.scenarios)}
        out = out.sort_values(["option", "year", "replicate"], key=lambda c: c.map(rank) if c.name == "option" else c)
        return out[["option", "year", "replicate", "score"]].reset_index(drop=True)

    def decision(self, year: int | None = None) -> pd.DataFrame:
        """The options judged by the goal in ``year`` (default: the last) on the comparison's ``basis`` (the
        original residents' outcomes where recorded, see :meth:`goal_scores`), best first. Columns: option, score
        (mean goal score, see :meth:`goal_scores`), ci_low, ci_high (t-interval), share_wins (share of
        replications in which the option scores highest of all scenarios, the baseline scoring 0; ties share),
        recommended. Recommended are the options whose score is clearly above zero and cannot be told apart
        from the best one (the paired interval of the difference to the best includes zero)."""
        year = self._last_year(year)
        scores = self.goal_scores()
        wide = scores[scores["year"] == year].pivot(index="replicate", columns="option", values="score")
        wide = wide.reindex(columns=self.scenarios[1:])
        everyone = wide.assign(**{self.baseline: 0.0})
        best_here = everyone.eq(everyone.max(axis=1), axis=0)
        wins = best_here.div(best_here.sum(axis=1), axis=0).mean()
        rows = []
        for option in wide.columns:
            low, high = _t_interval(wide[option].to_numpy(), self.level)
            rows.append({"option": option, "year": year, "score": float(wide[option].mean()), "ci_low": low,
                         "ci_high": high, "share_wins": float(wins[option])})
        out = pd.DataFrame(rows).sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
        best = out["option"].iloc[0]
        out["recommended"] = [bool(r["ci_low"] > 0 and (r["option"] == best or _t_interval(
            (wide[best] - wide[r["option"]]).to_numpy(), self.level)[0] <= 0)) for _, r in out.iterrows()]
        return out

    def replications_needed(self, year: int | None = None) -> int:
        """Replications needed for the goal's intervals in ``year`` (default: the last): the most, over options
        and goal indicators, of :func:`replications_for` with the paired differences' standard deviation."""
        diff = self.differences()
        diff = diff[(diff["year"] == self._last_year(year)) & diff["indicator"].isin(self.goal)]
        return max([replications_for(r["sd"], r["important"], self.level) for _, r in diff.iterrows()],
                   default=MIN_REPLICATIONS)

    def ranking(self, year: int | None = None) -> pd.DataFrame:
        """Robustness of the ranking in ``year`` (default: the last): per indicator with a better direction, the
        share of replications in which each scenario is best (ties share the replication)."""
        year = self._last_year(year)
        long = self._long()
        long = long[(long["year"] == year) & long["indicator"].map(registry.better).ne(0)]
        wide = self._paired(long)
        score = wide.mul(wide.index.get_level_values("indicator").map(registry.better).to_numpy(), axis=0)
        best = score.eq(score.max(axis=1), axis=0)
        share = best.div(best.sum(axis=1), axis=0).groupby(level="indicator").mean()
        out = share.reset_index().melt(id_vars="indicator", var_name="scenario", value_name="share_best")
        out.insert(2, "year", year)
        return self._order(out[["scenario", "indicator", "year", "share_best"]], "scenario")

    def _names(self, indicators: str | Sequence[str] | None, default: int | None = None) -> list[str]:
        """The indicators asked for (checked: a misspelled one is an error, not a missing panel or row), or
        the first ``default`` (None: all) key indicators the results have."""
        if indicators is None:
            return [n for n in registry.key_names() if n in self.indicators][:default]
        return registry.checked_names(indicators, self.indicators)

    def summary(self, year: int | None = None, indicators: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Key indicators in ``year`` (default: the last) per indicator and scenario: mean and 10-90% band, the
        paired difference to the baseline with its interval, effect sizes (cohen_d, paired; effect_size, against
        the natural spread) and practical significance, and the share of replications in which the scenario is
        best. ``indicators``: default the key indicators."""
        year = self._last_year(year)
        names = self._names(indicators)
        b = self.bands()
        b = b[(b["year"] == year) & b["indicator"].isin(names)].set_index(["indicator", "scenario"])
        d = self.differences()
        d = d[(d["year"] == year)].rename(columns={"option": "scenario", "mean": "difference"})
        d = d.set_index(["indicator", "scenario"])[["difference", "ci_low", "ci_high", "cohen_d", "effect_size",
                                                     "practical"]]
        r = self.ranking(year).set_index(["indicator", "scenario"])["share_best"]
        out = b[["mean", "q10", "q90"]].join(d).join(r)
        order = pd.MultiIndex.from_product([names, self.scenarios], names=["indicator", "scenario"])
        return out.reindex(order)

    def _order_by(self, frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """Rows in the order of ``keys``: options and scenarios as compared, areas as run ('all' last),
        indicators as registered, parts as in PARTS, years ascending."""
        areas = list(dict.fromkeys(self.yearly["area"]))
        ranks = {"option": self.scenarios, "scenario": self.scenarios, "area": sorted(areas, key=lambda a: a == "all"),
                 "indicator": registry.names(), "part": PARTS}
        columns = [frame[k].map({n: i for i, n in enumerate(ranks[k])}) if k in ranks else frame[k] for k in keys]
        order = np.lexsort(tuple(np.asarray(c) for c in reversed(columns)))
        return frame.iloc[order].reset_index(drop=True)

    def _order(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        """Rows in scenario order, then indicator order, then year."""
        rank = {n: k for k, n in enumerate(self.scenarios)}
        ind = {n: k for k, n in enumerate(registry.names())}
        keys = [frame[column].map(rank), frame["indicator"].map(ind)] + ([frame["year"]] if "year" in frame else [])
        order = np.lexsort(tuple(np.asarray(k) for k in reversed(keys)))
        return frame.iloc[order].reset_index(drop=True)

    # ------------------------------------------------------------ plots and files
    def plot(self, indicators: str | Sequence[str] | None = None, kind: str = "trajectories",
             path: str | Path | None = None):
        """Small multiples over years: ``kind='trajectories'`` (means with 10-90% bands, measure periods of the
        options shaded) or ``'differences'`` (paired differences to the baseline with intervals).
        ``indicators``: default the first six key indicators."""
        if kind not in ("trajectories", "differences"):
            raise ValueError(f"kind must be 'trajectories' or 'differences', got {kind!r}")
        from .plots import plot_comparison  # matplotlib loads when a figure is drawn

        return plot_comparison(self, self._names(indicators, default=6), kind, path)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name: bands, differences, time_to_effect, persistence, decision, cost_effectiveness
        (on both bases where the results hold cohorts), ranking, summary, runs; with cohorts also decomposition,
        goal_parts and leavers."""
        bases = [self.basis] + [b for b in BASES if b != self.basis and (b == "area" or self.by_cohort)]
        tables = {"bands": self.bands(), "differences": self.differences(), "time_to_effect": self.time_to_effect(),
                  "persistence": self.persistence(), "decision": self.decision(),
                  "cost_effectiveness": pd.concat([self.cost_effectiveness(basis=b) for b in bases],
                                                  ignore_index=True),
                  "ranking": self.ranking(), "summary": self.summary().reset_index(), "runs": self.runs}
        if self.by_cohort:
            tables |= {"decomposition": self.decomposition(), "goal_parts": self.goal_parts()}
            if self.follows_leavers:
                tables["leavers"] = self.leavers()
        return tables

    def save(self, folder: str | Path) -> list[Path]:
        """Write every table as Parquet and CSV, both plots as PNG and the goal and basis (``GOAL_FILE``, read by
        :func:`qsim.report.report_from_folder`) into ``folder``; returns the files."""
        folder = Path(folder)
        written = write_tables(folder, self.tables())
        goal = folder / GOAL_FILE
        write_text(goal, json.dumps({"goal": self.goal, "basis": self.basis}, indent=1) + "\n")
        written.append(goal)
        for kind in ("trajectories", "differences"):
            path = folder / f"{kind}.png"
            self.plot(kind=kind, path=path)
            written.append(path)
        return written


def paired_statistics(differences: "pd.core.groupby.SeriesGroupBy", level: float) -> pd.DataFrame:
    """Per group of paired differences (option - baseline, one per replicate): n, mean, sd and the t-interval of
    the mean at ``level`` (ci_low, ci_high)."""
    out = pd.DataFrame({"n": differences.size(), "mean": differences.mean(), "sd": differences.std(ddof=1)})
    half = stats.t.ppf(0.5 + level / 2, out["n"] - 1) * out["sd"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    return out


def _t_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """The t-interval of the mean of ``values`` at ``level`` (NaN, NaN with fewer than two)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def _ratio(cost: float, gain: float) -> float:
    return cost / gain if gain > 0 and cost > 0 else float("nan")


def compare(scenarios: Sequence[Scenario | str | Path], replications: int = 10, seed: int = 1,
            executor: Executor | int | None = None, years: float | None = None, store: str | Path | None = None,
            area: str = "all", batch_size: int | None = None, progress: bool = True, wait: bool | float = False,
            retry_failed: bool = False, goal: str | Mapping[str, float] | None = None,
            threads: int | None = None) -> Comparison:
    """Run ``replications`` of the baseline (first) and every option with common random numbers and compare them.

    ``executor``: an Executor (e.g. :func:`qsim.experiment.dask_executor`), a number of local processes
    (1: serial), or None (all cores). ``years``: the horizon (default: each scenario's). ``store``: a result
    folder (resumed if it holds this comparison; default: a temporary one). ``batch_size``: runs per task
    (default: about four tasks per worker). ``wait``: if another process writes to ``store``, wait for it (True,
    or seconds) instead of raising :class:`qsim.experiment.StoreLocked`. ``retry_failed``: rerun the runs that
    failed before (a resume otherwise keeps them as failed). Failed runs are in ``runs`` (status 'failed', the
    error); :func:`qsim.experiment.failure_summary` says what failed and why.
    ``goal``: the indicators the decision weighs, as
    ``{"unemployment_rate": 2, "out_group_trust": 1}`` or ``"unemployment_rate=2,out_group_trust=1"`` (default:
    every key indicator with a better direction, weight 1; see :func:`checked_goal`).
    ``threads``: the kernels' threads per run (default: all cores in a serial run, one per worker process;
    results do not depend on it, see :mod:`qsim.threads`).
    """
    goal = checked_goal(goal)  # a bad goal fails before the runs
    checked_threads(threads)  # and so does a bad number of threads
    loaded = [as_scenario(s) for s in scenarios]
    if len(loaded) < 2:
        raise ValueError("compare needs a baseline and at least one option")
    if batch_size is None:
        batch_size = max(1, min(16, len(loaded) * replications // (4 * executor_workers(executor))))
    plan = replications_plan(loaded, replications, seed, years, batch_size)
    periods = {s.name: measure_periods(s) for s in loaded}
    folder = tempfile.TemporaryDirectory(prefix="qsim-compare-") if store is None else nullcontext(store)
    with folder as path:
        with Store.for_plan(path, plan, wait=wait) as target:
            execute(plan, target, executor, progress, retry_failed=retry_failed, threads=threads)
            _check_columns(target.yearly)
            return Comparison([s.name for s in loaded], target.yearly, target.runs, periods, area,
                              definitions=list(loaded), goal=goal)


def _check_columns(yearly: pd.DataFrame) -> None:
    """Every registered indicator is a column of the runs' results; else a QsimError (an indicator registered
    in this process but not in the worker processes, which import qsim afresh)."""
    missing = [n for n in registry.names() if n not in yearly.columns]
    if missing and len(yearly):
        raise QsimError(f"the runs have no column for the registered indicator(s) {', '.join(missing)}: the worker "
                        f"processes did not register them (or the store holds runs made before). Register indicators in a module that is imported at "
                        f"start-up (at the top of your script, not under `if __name__ == '__main__'`), or run with "
                        f"executor=1")
