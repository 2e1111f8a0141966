"""Figures of a comparison: trajectories with bands and paired differences to the baseline, over years."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .. import indicators as registry
from ..measures.runner import union_of_periods
from ..plots import finish_figure, label_panel, small_multiples

if TYPE_CHECKING:
    from .compare import Comparison


def plot_comparison(comparison: "Comparison", names: Sequence[str], kind: str = "trajectories",
                    path: str | Path | None = None):
    """Small multiples of ``names``: ``kind='trajectories'`` (means with 10-90% bands, the options' measure
    periods shaded) or ``'differences'`` (paired differences to the baseline with intervals). Saved to ``path``
    (and closed) if given."""
    fig, axes = small_multiples(len(names), path, panel=(4.4, 3.0))
    table = comparison.bands() if kind == "trajectories" else comparison.differences()
    key = "scenario" if kind == "trajectories" else "option"
    low, high = ("q10", "q90") if kind == "trajectories" else ("ci_low", "ci_high")
    last = float(comparison.yearly["year"].max())
    periods = union_of_periods([(start, min(end, last), label) for s in comparison.scenarios[1:]
                                for start, end, label in comparison.periods.get(s, []) if start < last])
    for ax, name in zip(axes.flat, names):
        for label, rows_ in table[table["indicator"] == name].groupby(key, sort=False):
            color = f"C{comparison.scenarios.index(label)}"
            ax.plot(rows_["year"], rows_["mean"], color=color, lw=1.3, label=label)
            ax.fill_between(rows_["year"], rows_[low], rows_[high], color=color, alpha=0.18, lw=0)
        if kind == "differences":
            ax.axhline(0.0, color="0.4", lw=0.8)
        for start, end, _ in periods:
            ax.axvspan(start, end, color="tab:orange", alpha=0.07)
        label_panel(ax, name, registry.get(name).unit if kind == "trajectories"
                    else f"difference ({registry.get(name).unit})")
    axes.flat[0].legend(fontsize=7)
    title = "means and 10-90% bands" if kind == "trajectories" else \
        f"paired differences to {comparison.baseline} ({comparison.level:.0%} intervals)"
    return finish_figure(fig, axes, len(names), f"{title} - {comparison.area}", path)
