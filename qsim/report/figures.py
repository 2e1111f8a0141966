"""The report's figures: matplotlib figures (no pyplot state) encoded as PNG data URIs.

Every scenario keeps one colour in every figure (the baseline black). Years
on the x axis run from 0 (the start) to the horizon; yearly values sit at the
end of their year (December), measure periods and budget years span their
months.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from .. import indicators as registry
from ..experiment.compare import Comparison
from ..measures.catalogue import DOMAINS
from ..measures.runner import union_of_periods
from ..plots import finish_figure, label_panel
from .labels import DOMAIN_TEXT, indicator_label, indicator_unit, text

DPI = 96
GOOD, BAD, NEUTRAL = "#1a7f37", "#c62828", "0.55"


def colours(scenarios: Sequence[str]) -> dict[str, str]:
    """A colour per scenario: the baseline (first) black, the options tab10 (tab20 beyond ten)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if len(scenarios) <= 11 else "tab20"]
    out = {scenarios[0]: "black"}
    for k, name in enumerate(scenarios[1:]):
        out[name] = matplotlib.colors.to_hex(cmap(k % cmap.N))
    return out


class _DecimalComma(ScalarFormatter):
    """Tick labels with a decimal comma (German)."""

    def __call__(self, x, pos=None):
        return super().__call__(x, pos).replace(".", ",")


def data_uri(fig: Figure, lang: str = "en") -> str:
    """The figure as a PNG data URI (for an <img> in a self-contained page); German tick labels get a decimal
    comma."""
    if lang == "de":
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                if type(axis.get_major_formatter()) is ScalarFormatter:
                    axis.set_major_formatter(_DecimalComma())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def display_unit(name: str, lang: str) -> tuple[float, str]:
    """How differences of an indicator are shown: shares in percentage points (factor 100), others in their
    unit: (factor, unit label)."""
    if registry.get(name).unit == "share":
        return 100.0, text(lang)["pp"]
    return 1.0, indicator_unit(name, lang)


def _grid(n: int, panel: tuple[float, float], cols: int = 3):
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig = Figure(figsize=(panel[0] * cols, max(1.8, panel[1]) * rows))  # at least 1.8 in a row: room for labels
    return fig, fig.subplots(rows, cols, squeeze=False)


def _finish(fig: Figure, axes, used: int, legend: list | None = None) -> Figure:
    """Hide unused panels and lay out (the report's caption is the title); a legend above the panels."""
    finish_figure(fig, axes, used, "", None)
    if legend:
        handles, labels = zip(*legend)
        fig.legend(handles, labels, loc="upper center", ncol=min(6, len(labels)), fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 1.0))
        height = fig.get_size_inches()[1]
        rows = -(-len(labels) // 6)
        fig.subplots_adjust(top=1.0 - (0.35 + 0.2 * rows) / height)
    return fig


def _year_axis(ax, lang: str, horizon: int) -> None:
    ax.set_xlim(0, horizon)
    ax.set_xlabel(text(lang)["year"], fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(8, integer=True))


def measures_timeline(tables: dict[str, pd.DataFrame], horizon: int, lang: str) -> Figure:
    """One panel per scenario with measures: a bar per measure over its period, coloured by domain."""
    t = text(lang)
    shown = {name: rows for name, rows in tables.items() if len(rows)}
    most = max((len(rows) for rows in shown.values()), default=1)
    fig, axes = _grid(max(1, len(shown)), (4.6, max(1.9, 0.9 + 0.28 * most)))
    import matplotlib

    palette = matplotlib.colormaps["Set2"]
    domain_colour = {d: palette(k % palette.N) for k, d in enumerate(DOMAINS)}
    used = set()
    for ax, (name, rows) in zip(axes.flat, shown.items()):
        y = most - 1 - np.arange(len(rows))  # first measure at the top of every panel
        for yk, (_, m) in zip(y, rows.iterrows()):
            ax.barh(yk, m["end"] - m["start"], left=m["start"], height=0.6, color=domain_colour[m["domain"]],
                    hatch="//" if m["one_off"] else None, edgecolor="0.3", lw=0.4)
            used.add(m["domain"])
        ax.set_yticks(y, [str(lbl).replace("_", " ") for lbl in rows["label"]], fontsize=8)
        ax.set_ylim(-0.7, most - 0.3)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.set_axisbelow(True)
        _year_axis(ax, lang, horizon)
    if not shown:
        axes.flat[0].text(0.5, 0.5, t["no_measures"], ha="center", va="center", transform=axes.flat[0].transAxes)
    legend = [(matplotlib.patches.Patch(color=domain_colour[d]), DOMAIN_TEXT[d][lang]) for d in DOMAINS if d in used]
    if any(rows["one_off"].any() for rows in shown.values()):
        legend.append((matplotlib.patches.Patch(facecolor="white", edgecolor="0.3", hatch="//"), t["construction"]))
    return _finish(fig, axes, max(1, len(shown)), legend)


def budget_by_source(planned: dict[str, pd.DataFrame], spent: pd.DataFrame, horizon: int, lang: str) -> Figure:
    """One panel per scenario with funding: planned inflows stacked by source per year, the mean money spent as
    a line (million EUR)."""
    import matplotlib

    t = text(lang)
    shown = {name: rows for name, rows in planned.items() if len(rows)}
    sources = sorted({s for rows in shown.values() for s in rows["source"]})
    palette = matplotlib.colormaps["Pastel1" if len(sources) <= 9 else "tab20"]
    source_colour = {s: palette(k % palette.N) for k, s in enumerate(sources)}
    fig, axes = _grid(max(1, len(shown)), (4.4, 2.6))
    top = max((rows.groupby("year")["eur"].sum().max() for rows in shown.values()), default=1.0)
    top = max(top, spent["eur"].max() if len(spent) else 0.0) / 1e6 * 1.1 or 1.0
    for ax, (name, rows) in zip(axes.flat, shown.items()):
        bottom = np.zeros(horizon)
        for source, part in rows.groupby("source", sort=False):
            values = part.set_index("year")["eur"].reindex(range(1, horizon + 1), fill_value=0.0).to_numpy() / 1e6
            ax.bar(np.arange(1, horizon + 1) - 0.5, values, width=0.85, bottom=bottom, color=source_colour[source],
                   edgecolor="0.5", lw=0.3)
            bottom += values
        mine = spent[spent["scenario"] == name]
        ax.plot(mine["year"] - 0.5, mine["eur"] / 1e6, color="black", lw=1.3, marker="o", ms=2.5)
        ax.set_ylim(0, top)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel(t["eur_million"], fontsize=8)
        ax.tick_params(labelsize=8)
        _year_axis(ax, lang, horizon)
    if not shown:
        axes.flat[0].text(0.5, 0.5, t["no_funding"], ha="center", va="center", transform=axes.flat[0].transAxes)
    legend = [(matplotlib.patches.Patch(facecolor=source_colour[s], edgecolor="0.5"), s) for s in sources]
    legend.append((matplotlib.lines.Line2D([], [], color="black", marker="o", ms=3), t["spent_mean"]))
    return _finish(fig, axes, max(1, len(shown)), legend)


def _periods(comparison: Comparison, horizon: int, scenarios: Sequence[str]):
    """The union of the measure periods of ``scenarios``, cut at the horizon."""
    return union_of_periods([(start, min(end, horizon), label) for s in scenarios
                             for start, end, label in comparison.periods.get(s, []) if start < horizon])


def y_limits(values: np.ndarray, important: float | None, spans: int = 4) -> tuple[float, float]:
    """The y range of a trajectory panel: the data's range, widened symmetrically to at least ``spans`` minimum
    important differences, so that a difference of one fills at most 1/``spans`` of the height and noise
    smaller than that never looks like an effect."""
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    need = spans * important if important else 0.0
    if high - low < need:
        middle = (high + low) / 2
        low, high = middle - need / 2, middle + need / 2
    pad = 0.05 * (high - low) or 1.0
    return low - pad, high + pad


def trajectories(comparison: Comparison, names: Sequence[str], options: Sequence[str], lang: str) -> Figure:
    """Small multiples: a row per option in ``options``, a column per indicator; each panel the baseline (black)
    against that one option (colour), means with 10-90% bands over years, the option's measure periods shaded.
    Every panel of an indicator shares its y range (:func:`y_limits`)."""
    import matplotlib

    bands = comparison.bands()
    horizon = int(comparison.yearly["year"].max())
    colour = colours(comparison.scenarios)
    base = comparison.baseline
    fig = Figure(figsize=(3.1 * len(names) + 0.4, 2.2 * len(options) + 0.6))
    axes = fig.subplots(len(options), len(names), squeeze=False, sharex=True)
    for col, name in enumerate(names):
        mine = bands[(bands["indicator"] == name) & bands["scenario"].isin([base, *options])]
        limits = y_limits(mine[["q10", "q90", "mean"]].to_numpy(), registry.get(name).important)
        factor = display_unit(name, lang)[0] if registry.get(name).unit == "share" else 1.0
        for row, option in enumerate(options):
            ax = axes[row, col]
            for scenario in (base, option):
                rows = mine[mine["scenario"] == scenario]
                ax.plot(rows["year"], factor * rows["mean"], color=colour[scenario],
                        lw=1.8 if scenario == base else 1.5)
                ax.fill_between(rows["year"], factor * rows["q10"], factor * rows["q90"], color=colour[scenario],
                                alpha=0.15, lw=0)
            for start, end, _ in _periods(comparison, horizon, [option]):
                ax.axvspan(start, end, color="tab:orange", alpha=0.08, lw=0)
            ax.set_ylim(factor * limits[0], factor * limits[1])
            ax.set_xlim(1, horizon)
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.tick_params(labelsize=8)
            ax.grid(color="0.92", lw=0.6)
            ax.set_axisbelow(True)
            if row == 0:
                unit = text(lang)["percent_unit"] if factor != 1.0 else indicator_unit(name, lang)
                ax.set_title(f"{indicator_label(name, lang)}\n({unit})", fontsize=9)
            if col == 0:
                ax.set_ylabel(option, fontsize=9, color=colour[option], fontweight="bold")
            if row == len(options) - 1:
                ax.set_xlabel(text(lang)["year"], fontsize=8)
    legend = [(matplotlib.lines.Line2D([], [], color="black", lw=2), f"{text(lang)['baseline']} ({base})"),
              (matplotlib.patches.Patch(color="tab:orange", alpha=0.25), text(lang)["measures_running"])]
    _finish(fig, axes, axes.size, legend)
    fig.subplots_adjust(top=1.0 - 0.95 / fig.get_size_inches()[1])  # room for the legend and two-line titles
    return fig


def _panel(ax, name: str, lang: str, ylabel: str) -> None:
    label_panel(ax, name, ylabel)
    ax.set_title(indicator_label(name, lang), fontsize=9)
    ax.set_xlabel(text(lang)["year"], fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(8, integer=True))
    ax.grid(color="0.92", lw=0.6)
    ax.set_axisbelow(True)


def differences_forest(comparison: Comparison, names: Sequence[str], year: int, lang: str) -> Figure:
    """Per indicator: the options' paired differences to the baseline in ``year`` with their intervals, green
    where clearly better, red where clearly worse; the grey band spans plus and minus the minimum important
    difference."""
    diff = comparison.differences()
    diff = diff[diff["year"] == year]
    options = comparison.scenarios[1:]
    fig, axes = _grid(len(names), (4.4, 0.9 + 0.24 * len(options)))
    y = np.arange(len(options))[::-1]
    for ax, name in zip(axes.flat, names):
        rows = diff[diff["indicator"] == name].set_index("option").reindex(options)
        factor, unit = display_unit(name, lang)
        for yk, (option, r) in zip(y, rows.iterrows()):
            direction = registry.better(name) * np.sign(r["mean"]) if r["significant"] else 0
            c = GOOD if direction > 0 else BAD if direction < 0 else NEUTRAL
            ax.plot([factor * r["ci_low"], factor * r["ci_high"]], [yk, yk], color=c, lw=2.2, solid_capstyle="butt")
            ax.plot([factor * r["mean"]], [yk], "o", color=c, ms=4)
        important = registry.get(name).important
        if important:  # differences inside the grey band are too small to matter
            ax.axvspan(-factor * important, factor * important, color="0.9", lw=0, zorder=0)
        _options_axis(ax, options, y, name, unit, lang)
    return _finish(fig, axes, len(names))


def _options_axis(ax, options: Sequence[str], y: np.ndarray, name: str, unit: str, lang: str) -> None:
    """A panel of differences of indicator ``name``: the options at heights ``y``, zero marked, the difference
    in ``unit`` along x."""
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_yticks(y, list(options), fontsize=8)
    ax.set_ylim(-0.6, len(options) - 0.4)
    ax.set_title(indicator_label(name, lang), fontsize=9)
    ax.set_xlabel(f"{text(lang)['difference']} ({unit})", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", color="0.92", lw=0.6)
    ax.set_axisbelow(True)


def differences_over_time(comparison: Comparison, names: Sequence[str], lang: str) -> Figure:
    """Paired differences to the baseline over years with their intervals; the end of each option's funding
    marked with a dotted line in its colour."""
    import matplotlib

    diff = comparison.differences()
    horizon = int(comparison.yearly["year"].max())
    colour = colours(comparison.scenarios)
    fig, axes = _grid(len(names), (4.4, 2.8))
    for ax, name in zip(axes.flat, names):
        factor, unit = display_unit(name, lang)
        for option, rows in diff[diff["indicator"] == name].groupby("option", sort=False):
            ax.plot(rows["year"], factor * rows["mean"], color=colour[option], lw=1.2)
            ax.fill_between(rows["year"], factor * rows["ci_low"], factor * rows["ci_high"], color=colour[option],
                            alpha=0.13, lw=0)
        for option in comparison.scenarios[1:]:
            ends = [end for _, end, _ in comparison.periods.get(option, [])]
            if ends and max(ends) < horizon:
                ax.axvline(max(ends), color=colour[option], ls=":", lw=1.0)
        ax.axhline(0.0, color="0.3", lw=0.8)
        _panel(ax, name, lang, f"{text(lang)['difference']} ({unit})")
        ax.set_xlim(1, horizon)
    legend = [(matplotlib.lines.Line2D([], [], color=colour[s], lw=2), s) for s in comparison.scenarios[1:]]
    legend.append((matplotlib.lines.Line2D([], [], color="0.3", ls=":"), text(lang)["end_of_funding"]))
    return _finish(fig, axes, len(names), legend)


def extra_cost(cost: pd.DataFrame, scenarios: Sequence[str], lang: str) -> Figure:
    """The extra cost of each option against the baseline (million EUR), horizontal bars."""
    per_option = cost.groupby("option", sort=False)["extra_cost_eur"].first()
    colour = colours(scenarios)
    fig = Figure(figsize=(7.5, max(1.8, 0.8 + 0.3 * len(per_option))))
    ax = fig.subplots()
    y = np.arange(len(per_option))[::-1]
    ax.barh(y, per_option.to_numpy() / 1e6, color=[colour[o] for o in per_option.index], height=0.6)
    ax.set_yticks(y, list(per_option.index), fontsize=8)
    ax.set_xlabel(text(lang)["eur_million"], fontsize=8)
    ax.tick_params(labelsize=8)
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.grid(axis="x", color="0.92", lw=0.6)
    ax.set_axisbelow(True)
    fig.tight_layout()
    return fig


def ranking_heatmap(ranking: pd.DataFrame, scenarios: Sequence[str], names: Sequence[str], lang: str) -> Figure:
    """Scenarios x indicators: the share of replications in which the scenario is best, annotated."""
    names = [n for n in names if n in set(ranking["indicator"])]
    grid = ranking.pivot(index="scenario", columns="indicator", values="share_best").reindex(
        index=list(scenarios), columns=names)
    fig = Figure(figsize=(1.0 + 0.75 * len(names) + 1.6, 1.6 + 0.32 * len(scenarios)))
    ax = fig.subplots()
    ax.imshow(grid.to_numpy(dtype=float), cmap="Greens", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        if v > 0:  # blank: never best
            ax.text(j, i, f"{v:.0%}" if lang == "en" else f"{v * 100:.0f}%", ha="center", va="center", fontsize=8,
                    color="white" if v > 0.6 else "black")
    ax.set_yticks(range(len(scenarios)), list(scenarios), fontsize=8)
    ax.set_xticks(range(len(names)), [indicator_label(n, lang) for n in names], fontsize=8, rotation=35,
                  ha="right", rotation_mode="anchor")
    fig.tight_layout()
    return fig


def main_index(indices: pd.DataFrame) -> str:
    """The index shown: total order (ST) if there is one, else Morris mu*, first order, delta, or the first."""
    kinds = list(indices["index"].drop_duplicates())
    return next((k for k in ("ST", "mu_star", "S1", "delta") if k in kinds), kinds[0])


def sensitivity_bars(indices: pd.DataFrame, lang: str, top: int = 10, outputs: int = 6) -> Figure:
    """Per output (at most ``outputs``): the ``top`` parameters by their main index with intervals."""
    main = main_index(indices)
    rows = indices[indices["index"] == main]
    names = list(rows["output"].drop_duplicates())[:outputs]
    fig, axes = _grid(len(names), (4.4, 0.9 + 0.25 * min(top, rows["parameter"].nunique())), cols=2)
    for ax, output in zip(axes.flat, names):
        part = rows[rows["output"] == output].sort_values("value", ascending=False).head(top)
        y = np.arange(len(part))[::-1]
        err = np.vstack([(part["value"] - part["ci_low"]).clip(lower=0),
                         (part["ci_high"] - part["value"]).clip(lower=0)])
        ax.barh(y, part["value"], xerr=np.nan_to_num(err), color="tab:blue", alpha=0.75, height=0.6,
                error_kw={"lw": 0.8, "ecolor": "0.3"})
        ax.set_yticks(y, [str(p) for p in part["parameter"]], fontsize=8)
        ax.set_title(f"{indicator_label(output, lang)} ({part['method'].iloc[0]}, {main})", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="0.92", lw=0.6)
        ax.set_axisbelow(True)
    return _finish(fig, axes, len(names))


RESIDENTS_COLOURS = {"residents": "#1f5fa8", "departures": "#e08a1e", "arrivals": "#8e4fb5"}
"""The colours of the parts of a change: the residents' own change, who left, who came."""


def residents_split(decomposition: pd.DataFrame, options: Sequence[str], names: Sequence[str], year: int,
                    area: str, lang: str) -> Figure:
    """Per indicator: each option's change of the area in ``year`` (dot and 95% interval) split into the
    original residents' own change, who left and who came (:meth:`qsim.Comparison.decomposition`), stacked
    from zero (positive parts to the right, negative to the left)."""
    import matplotlib

    t = text(lang)
    d = decomposition[(decomposition["year"] == year) & (decomposition["area"] == area)]
    d = d.set_index(["option", "indicator", "part"])
    fig, axes = _grid(len(names), (4.4, 0.9 + 0.3 * len(options)))
    y = np.arange(len(options))[::-1]
    for ax, name in zip(axes.flat, names):
        factor, unit = display_unit(name, lang)
        for yk, option in zip(y, options):
            right = left = 0.0
            for part, colour in RESIDENTS_COLOURS.items():
                value = factor * float(d.loc[(option, name, part), "mean"]) if (option, name, part) in d.index else 0.0
                start = right if value >= 0 else left
                ax.barh(yk, value, left=start, height=0.55, color=colour, lw=0)
                right, left = (right + value, left) if value >= 0 else (right, left + value)
            if (option, name, "total") in d.index:
                total = d.loc[(option, name, "total")]
                ax.plot([factor * total["ci_low"], factor * total["ci_high"]], [yk, yk], color="black", lw=1.2)
                ax.plot([factor * total["mean"]], [yk], "o", color="black", ms=4)
        _options_axis(ax, options, y, name, unit, lang)
    legend = [(matplotlib.patches.Patch(color=c), t[f"part_{p}"]) for p, c in RESIDENTS_COLOURS.items()]
    legend.append((matplotlib.lines.Line2D([], [], color="black", marker="o", ms=4, lw=1.2), t["part_total"]))
    return _finish(fig, axes, len(names), legend)
