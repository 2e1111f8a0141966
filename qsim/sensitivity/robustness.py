"""Decision robustness: over the parameter samples, how often each option beats the baseline and the others, and
which parameters decide the ranking.

The input is one value per sample point, scenario and outcome (the mean over
replications; replicates are paired across scenarios by common random
numbers). "Better" follows the indicator's direction
(:func:`qsim.experiment.compare.better`); an indicator without one counts
"higher" as better and says so in the ``direction`` column.

Which parameters decide: for every pair (option, versus), the sample is
split into the points where the option wins and those where it does not;
a parameter decides the ranking when its distribution differs between the
two groups (two-sample Kolmogorov-Smirnov distance, Monte Carlo filtering
or regional sensitivity analysis); the Spearman correlation of the parameter
with the option's advantage gives the direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..indicators import better


def _direction(indicator: str) -> int:
    return better(indicator) or 1


def _pairs(scenarios: list[str]) -> list[tuple[str, str]]:
    baseline = scenarios[0]
    pairs = [(option, baseline) for option in scenarios[1:]]
    pairs += [(a, b) for a in scenarios[1:] for b in scenarios[1:] if a != b]
    return pairs


def _advantage(values: pd.DataFrame, outcome: str, option: str, versus: str) -> tuple[np.ndarray, int]:
    """Per point: how much better ``option`` is than ``versus`` on ``outcome`` (indicator units, signed so that
    positive is better), and the direction used."""
    table = values[values["outcome"] == outcome].pivot(index="point", columns="scenario", values="value")
    indicator = values.loc[values["outcome"] == outcome, "indicator"].iloc[0]
    sign = _direction(indicator)
    return (sign * (table[option] - table[versus])).to_numpy(), sign


def win_rates(values: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """Per outcome and pair (option, versus): points, share where the option is better / worse / tied, the mean
    and 10-90% range of its advantage, and the share of points where the option is the best of all scenarios.

    ``values``: columns point, scenario, outcome, indicator, value.
    """
    records = []
    for outcome, rows in values.groupby("outcome", sort=False):
        indicator = rows["indicator"].iloc[0]
        sign = _direction(indicator)
        table = rows.pivot(index="point", columns="scenario", values="value")[scenarios]
        best = (sign * table).idxmax(axis=1)
        for option, versus in _pairs(scenarios):
            adv = sign * (table[option] - table[versus]).to_numpy()
            records.append({
                "outcome": outcome, "indicator": indicator,
                "direction": "lower is better" if sign < 0 else ("higher is better" if better(indicator) else
                                                                 "higher counted as better"),
                "option": option, "versus": versus, "points": len(adv),
                "share_better": float(np.mean(adv > 0)), "share_worse": float(np.mean(adv < 0)),
                "share_tied": float(np.mean(adv == 0)), "mean_advantage": float(np.mean(adv)),
                "advantage_q10": float(np.quantile(adv, 0.1)), "advantage_q90": float(np.quantile(adv, 0.9)),
                "share_best": float(np.mean(best == option)),
            })
    return pd.DataFrame(records)


def deciders(values: pd.DataFrame, samples: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """Per outcome, pair and parameter: the KS distance between the parameter's values where the option wins and
    where it does not (with its p-value, and ``p_adjusted`` for the false discovery rate over all tests of the
    table, Benjamini-Hochberg), and the Spearman correlation of the parameter with the option's advantage. NaN
    where the option always or never wins (no parameter can flip the ranking).

    ``samples``: one row per point (index ``point``), one column per parameter.
    """
    records = []
    for outcome in values["outcome"].unique():
        for option, versus in _pairs(scenarios):
            adv, _ = _advantage(values, outcome, option, versus)
            wins = adv > 0
            for parameter in samples.columns:
                x = samples[parameter].to_numpy()
                if wins.all() or not wins.any():
                    ks, p = np.nan, np.nan
                else:
                    res = stats.ks_2samp(x[wins], x[~wins])
                    ks, p = float(res.statistic), float(res.pvalue)
                rho = (float(stats.spearmanr(x, adv).statistic)
                       if np.ptp(adv) > 0 and np.ptp(x) > 0 else np.nan)
                records.append({"outcome": outcome, "option": option, "versus": versus, "parameter": parameter,
                                "ks_distance": ks, "p_value": p, "spearman": rho,
                                "share_better": float(np.mean(wins))})
    table = pd.DataFrame(records)
    tested = table["p_value"].notna()
    table["p_adjusted"] = np.nan
    if tested.any():  # Benjamini-Hochberg over every test of the table: many parameters, pairs and outcomes
        table.loc[tested, "p_adjusted"] = stats.false_discovery_control(table.loc[tested, "p_value"].to_numpy())
    return table
