"""Figures of a run, and the small multiples every figure of qsim is drawn in (panels over years, three to a
row). Computation modules return tables; their figures are drawn here and in the ``plots.py`` of their layer
(``qsim/experiment/plots.py``, ``qsim/sensitivity/plots.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from . import indicators as registry
from .atomic import save_figure

if TYPE_CHECKING:
    from .result import Result


def plot_result(result: "Result", names: Sequence[str], area: str, path: str | Path | None = None,
                marks: Sequence[tuple[float, float, str]] = ()):
    """Small multiples of the monthly indicators ``names`` of ``area`` over years; ``marks`` are (start, end,
    label) periods in years, shaded. Saved to ``path`` (and closed) if given."""
    fig, axes = small_multiples(len(names), path, panel=(4.2, 2.8))
    df = result.indicators
    df = df[df["area"] == area]
    t = (df["month"] + 1) / 12.0
    for ax, name in zip(axes.flat, names):
        ax.plot(t, df[name], lw=1.2)
        for start, end, label in marks:
            ax.axvspan(start, end, color="tab:orange", alpha=0.12, label=label)
        label_panel(ax, name, registry.get(name).unit)
    return finish_figure(fig, axes, len(names), f"{result.scenario} - {area}", path)


def small_multiples(n: int, path, panel: tuple[float, float]):
    """A figure of ``n`` panels, three to a row (``panel``: width, height in inches). A figure for a file is
    drawn by Agg without pyplot (faster to start, no window); otherwise pyplot's, for notebooks."""
    cols = min(3, n)
    rows = -(-n // cols)
    size = (panel[0] * cols, panel[1] * rows)
    if path is None:
        import matplotlib.pyplot as plt

        return plt.subplots(rows, cols, figsize=size, squeeze=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    return fig, fig.subplots(rows, cols, squeeze=False)


def label_panel(ax, name: str, unit: str) -> None:
    """Title, axis labels and tick size of one indicator panel over years."""
    ax.set_title(name.replace("_", " "), fontsize=9)
    ax.set_xlabel("year", fontsize=8)
    ax.set_ylabel(unit, fontsize=8)
    ax.tick_params(labelsize=7)


def finish_figure(fig, axes, used: int, title: str, path):
    """Hide unused panels, add the title and lay out; save to ``path`` (and close) if given."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi=110)
        if fig.canvas.manager is not None:  # a pyplot figure: release it
            import matplotlib.pyplot as plt

            plt.close(fig)
    return fig
