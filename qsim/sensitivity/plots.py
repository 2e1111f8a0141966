"""Plots of a sensitivity analysis (indices with intervals, convergence, Morris mu*-sigma, decision robustness)
and of a calibration (posterior pairs, fit to the targets, the draws' distances)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import indicators as registry
from ..atomic import save_figure
from ..parameters import BY_NAME as PARAMETERS
from ..plots import finish_figure, label_panel, small_multiples

if TYPE_CHECKING:
    from .calibration import CalibrationResult

MAIN_INDICES = {"sobol": ("S1", "ST"), "fast": ("S1", "ST"), "morris": ("mu_star",), "rbd_fast": ("S1",),
                "delta": ("delta", "S1"), "pawn": ("pawn_median",)}
"""Indices shown per method (the first is the one whose convergence is drawn; ST where there is one)."""
MORRIS_LABELS = 6
"""Parameters labelled in a Morris panel (those with the largest mu*); the table has them all."""
COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def _short(name: str) -> str:
    return name if len(name) <= 46 else name[:45] + "~"


def plot_indices(indices: pd.DataFrame, method: str, title: str, path=None):
    """One panel per output: horizontal bars of the method's main indices with their intervals."""
    shown = MAIN_INDICES[method]
    frame = indices[(indices["method"] == method) & indices["index"].isin(shown)]
    outputs = list(dict.fromkeys(frame["output"]))
    parameters = list(dict.fromkeys(frame["parameter"]))
    fig, axes = small_multiples(len(outputs), path, panel=(4.6, 0.5 + 0.32 * len(parameters) * len(shown) ** 0.5))
    for ax, output in zip(axes.flat, outputs):
        rows = frame[frame["output"] == output]
        height = 0.8 / len(shown)
        y = np.arange(len(parameters))
        for k, index in enumerate(shown):
            part = rows[rows["index"] == index].set_index("parameter").reindex(parameters)
            err = np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]])
            err = np.where(np.isfinite(err), np.abs(err), 0.0)
            ax.barh(y + (k - (len(shown) - 1) / 2) * height, part["value"], height, xerr=err, label=index,
                    color=COLOURS[k], error_kw={"lw": 0.8, "capsize": 1.5})
        ax.set_yticks(y, [_short(p) for p in parameters], fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_title(output, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(fontsize=6, loc="lower right")
    return finish_figure(fig, axes, len(outputs), title, path)


def plot_convergence(convergence: pd.DataFrame, method: str, title: str, path=None):
    """One panel per output: the main total index (ST, else the first shown) against the base sample size, with
    intervals as bands, one line per parameter."""
    index = "ST" if "ST" in MAIN_INDICES[method] else MAIN_INDICES[method][0]
    frame = convergence[(convergence["method"] == method) & (convergence["index"] == index)]
    outputs = list(dict.fromkeys(frame["output"]))
    fig, axes = small_multiples(len(outputs), path, panel=(4.2, 2.9))
    for ax, output in zip(axes.flat, outputs):
        rows = frame[frame["output"] == output]
        for k, (parameter, line) in enumerate(rows.groupby("parameter", sort=False)):
            line = line.sort_values("n")
            colour = f"C{k % 10}"
            ax.plot(line["n"], line["value"], marker="o", ms=2.5, lw=1, color=colour, label=_short(parameter))
            ax.fill_between(line["n"], line["ci_low"], line["ci_high"], color=colour, alpha=0.12)
        ax.set_xscale("log", base=2)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(output, fontsize=8)
        ax.set_xlabel("base sample size", fontsize=7)
        ax.set_ylabel(index, fontsize=7)
        ax.tick_params(labelsize=7)
    if outputs:
        axes.flat[0].legend(fontsize=5.5, loc="best")
    return finish_figure(fig, axes, len(outputs), title, path)


def plot_morris(indices: pd.DataFrame, title: str, path=None):
    """One panel per output: sigma against mu* (Morris), the parameters with the largest mu* labelled; the line
    sigma = mu* marks where interactions or non-linearity match the mean effect."""
    frame = indices[indices["method"] == "morris"]
    outputs = list(dict.fromkeys(frame["output"]))
    fig, axes = small_multiples(len(outputs), path, panel=(4.2, 3.4))
    for ax, output in zip(axes.flat, outputs):
        rows = frame[frame["output"] == output].pivot(index="parameter", columns="index", values="value")
        ci = frame[(frame["output"] == output) & (frame["index"] == "mu_star")].set_index("parameter")
        ax.errorbar(rows["mu_star"], rows["sigma"], xerr=np.abs(np.vstack([
            rows["mu_star"] - ci["ci_low"].reindex(rows.index), ci["ci_high"].reindex(rows.index) - rows["mu_star"]])),
            fmt="o", ms=3, lw=0.7, color="tab:blue")
        top = float(np.nanmax([rows["mu_star"].max(), rows["sigma"].max(), 1e-12]))
        ax.plot([0, top], [0, top], color="grey", lw=0.6, ls="--")
        for parameter, row in rows.nlargest(MORRIS_LABELS, "mu_star").iterrows():
            ax.annotate(_short(parameter), (row["mu_star"], row["sigma"]), fontsize=5.5, xytext=(2, 2),
                        textcoords="offset points")
        ax.set_title(output, fontsize=8)
        ax.set_xlabel("mu*", fontsize=7)
        ax.set_ylabel("sigma", fontsize=7)
        ax.tick_params(labelsize=7)
    return finish_figure(fig, axes, len(outputs), title, path)


def plot_robustness(win_rates: pd.DataFrame, title: str, path=None):
    """One panel per outcome: share of sample points where each option beats the baseline and each other option
    (stacked better / tied / worse; each pair of options once)."""
    seen: set = set()
    keep = []  # each pair once: "b vs a" mirrors "a vs b"
    for outcome, option, versus in zip(win_rates["outcome"], win_rates["option"], win_rates["versus"]):
        key = frozenset((outcome, frozenset((option, versus))))
        keep.append(key not in seen)
        seen.add(key)
    win_rates = win_rates[keep]
    outcomes = list(dict.fromkeys(win_rates["outcome"]))
    fig, axes = small_multiples(len(outcomes), path, panel=(4.4, 1.3 + 0.35 * win_rates.groupby("outcome").size().max()))
    for k, (ax, outcome) in enumerate(zip(axes.flat, outcomes)):
        rows = win_rates[win_rates["outcome"] == outcome]
        labels = [f"{o} vs {v}" for o, v in zip(rows["option"], rows["versus"])]
        y = np.arange(len(rows))
        left = np.zeros(len(rows))
        for column, colour in (("share_better", "tab:green"), ("share_tied", "lightgrey"),
                               ("share_worse", "tab:red")):
            ax.barh(y, rows[column], left=left, color=colour, label=column.removeprefix("share_"))
            left += rows[column].to_numpy()
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(f"{outcome} ({rows['direction'].iloc[0]})", fontsize=8)
        ax.set_xlabel("share of parameter samples", fontsize=7)
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, frameon=False)
    return finish_figure(fig, axes, len(outcomes), title, path)


# ------------------------------------------------------------------ calibration
def plot_posterior(result: "CalibrationResult", path=None):
    """Pairs plot: the prior draws (grey), the accepted draws (light) and the adjusted posterior (weighted)."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [p.name for p in result.priors]
    n = len(names)
    size = max(1.9, 9.0 / n) if n > 1 else 3.5
    fig, axes = plt.subplots(n, n, figsize=(size * n, size * n), squeeze=False)
    post, trials, est = result.posterior, result.trials, result.estimates
    w = post["weight"].to_numpy()
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i, j]
            pi, pj = result.priors[i], result.priors[j]
            ax.tick_params(labelsize=6)
            if i == j:
                ax.hist(post[xj], bins=15, range=(pj.low, pj.high), weights=w, color="tab:blue", alpha=0.7)
                ax.axvspan(est.loc[xj, "lower"], est.loc[xj, "upper"], color="tab:blue", alpha=0.12)
                ax.axvline(est.loc[xj, "estimate"], color="tab:blue", lw=1.2)
                ax.axvline(est.loc[xj, "default"], color="black", lw=0.8, ls="--")
                ax.set_xlim(pj.low, pj.high)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(trials[xj], trials[yi], s=3, color="0.8", lw=0)
                ax.scatter(post[f"{xj} (draw)"], post[f"{yi} (draw)"], s=6, color="tab:orange", alpha=0.6, lw=0)
                ax.scatter(post[xj], post[yi], s=4 + 400 * w, color="tab:blue", alpha=0.7, lw=0)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
            else:
                ax.set_visible(False)
            if i == n - 1:
                ax.set_xlabel(xj, fontsize=7)
            if j == 0 and i != j:
                ax.set_ylabel(yi, fontsize=7)
    fig.suptitle(f"{result.name}: posterior (blue: regression-adjusted, size = weight; orange: accepted draws; "
                 f"grey: prior draws;\ndiagonal: {100 * result.settings['interval']:g}% interval shaded, median "
                 "solid, scenario value dashed)", fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (size * n)))
    if path is not None:
        save_figure(fig, path, dpi=110)
        plt.close(fig)
    return fig


def plot_fit(result: "CalibrationResult", path=None):
    """Per target indicator: median and 10-90% band of the original and calibrated runs, and the targets."""
    indicators = list(dict.fromkeys(s.indicator for s in result.statistics))
    fig, axes = small_multiples(len(indicators), path, panel=(4.2, 2.8))
    names = [result.scenario.name, result.calibrated.name]
    for ax, name in zip(axes.flat, indicators):
        areas = {s.area for s in result.statistics if s.indicator == name}
        area = "all" if "all" in areas else sorted(areas)[0]
        df = result.trajectories[result.trajectories["area"] == area]
        for scenario, colour in zip(names, ("0.45", "tab:blue")):
            g = df[df["scenario"] == scenario].groupby("year")[name]
            q = g.quantile([0.1, 0.5, 0.9]).unstack()
            ax.fill_between(q.index, q[0.1], q[0.9], color=colour, alpha=0.18, lw=0)
            ax.plot(q.index, q[0.5], color=colour, lw=1.3, label=scenario)
        for s, row in zip(result.statistics, result.fit.itertuples()):
            if s.indicator != name or s.area != area:
                continue
            if s.first == s.last:
                ax.errorbar([s.first], [s.value], yerr=[row.tolerance], fmt="o", color="tab:red", ms=4, capsize=2)
            else:
                ax.fill_between([s.first, s.last], s.value - row.tolerance, s.value + row.tolerance,
                                color="tab:red", alpha=0.12, lw=0)
                ax.plot([s.first, s.last], [s.value, s.value], color="tab:red", lw=1.5)
        unit = "1/year" if registry.get(name).kind == "rate" else registry.get(name).unit  # yearly: 12 x monthly
        label_panel(ax, name + ("" if area == "all" else f" ({area})"), unit)
    if len(indicators):
        axes.flat[0].legend(fontsize=7)
    return finish_figure(fig, axes, len(indicators), f"{result.name}: runs of the original and calibrated scenario "
                         "(median, 10-90% band) against the targets (red: value +- tolerance)", path)


def plot_trials(result: "CalibrationResult", path=None):
    """Distance to the targets of every draw against each parameter; accepted draws in colour."""
    names = [p.name for p in result.priors]
    fig, axes = small_multiples(len(names), path, panel=(3.6, 2.6))
    t = result.trials
    for ax, name in zip(axes.flat, names):
        ax.scatter(t[name], t["distance"], s=4, color="0.6", lw=0)
        acc = t[t["accepted"]]
        ax.scatter(acc[name], acc["distance"], s=6, color="tab:orange", lw=0)
        ax.set_yscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(PARAMETERS[name].unit, fontsize=8)
        ax.set_ylabel("distance", fontsize=8)
        ax.tick_params(labelsize=7)
    return finish_figure(fig, axes, len(names), f"{result.name}: {len(t)} draws, distance to the targets "
                         "(orange: accepted)", path)
