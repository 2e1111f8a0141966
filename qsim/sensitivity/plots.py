"""Plots of a sensitivity analysis: indices with intervals, convergence, Morris mu*-sigma, decision robustness."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..result import finish_figure, small_multiples

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
