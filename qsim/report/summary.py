"""The report's first page: the decision for the comparison's goal, computed from its tables.

Every statement is a :class:`Statement` with the section that holds its evidence (an anchor of
:data:`qsim.report.html.SECTIONS`). The words are in :data:`qsim.report.labels.TEXT` (``sum_*`` keys).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from .. import indicators as registry
from ..experiment.compare import Comparison
from .labels import fixed, indicator_label, number, percent, text

COST_ITEMS = 3
"""At most this many goal indicators (the heaviest weights first, then those with a meaningful cost per unit) are
priced on the first page; the cost section prices all."""


@dataclass
class Statement:
    """One statement of the summary: its key (``data-summary``), HTML text and the section with the evidence."""

    key: str
    html: str
    section: str


@dataclass
class Summary:
    """The first page: the goal, the statements, the caveats, and the warning about too few replications
    (None if there are enough)."""

    goal: str
    statements: list[Statement]
    caveats: list[str]
    replications_warning: str | None


def _b(value: str) -> str:
    return f"<b>{html.escape(value)}</b>"


def _names(options: list[str], lang: str) -> str:
    quoted = [_b(o) for o in options]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + text(lang)["sum_and"] + quoted[-1]


def _eur(x: float, lang: str) -> str:
    return number(x, lang, thousands=True) + " EUR"


def summarise(c: Comparison, lang: str, cost: pd.DataFrame, sensitivity: pd.DataFrame | None,
              titles: Mapping[str, str] | None = None, goal_parts: pd.DataFrame | None = None) -> Summary:
    """The summary of comparison ``c`` in ``lang``; ``cost``: its cost-effectiveness table (on the comparison's
    basis), ``sensitivity``: sensitivity indices, if any; ``titles``: each option's name for readers in ``lang``
    (default: its id); ``goal_parts``: :meth:`Comparison.goal_parts` (computed if None and ``c`` has cohorts)."""
    t = text(lang)
    titles = titles or {}

    def named(option: str) -> str:
        return _b(titles.get(option, option))

    decision = c.decision()
    year = int(decision["year"].iloc[0])
    replications = int(c.differences()["n"].max())
    goal = ", ".join(f"{indicator_label(n, lang)} ×{number(w, lang)}" for n, w in c.goal.items())
    recommended = list(decision.loc[decision["recommended"], "option"])
    best = decision.iloc[0]
    chosen = recommended[0] if recommended else best["option"]
    score = (number(best["score"], lang, 2), number(best["ci_low"], lang, 2), number(best["ci_high"], lang, 2))
    if goal_parts is None and c.by_cohort:
        goal_parts = c.goal_parts()
    statements = []
    if recommended:
        line = t["sum_recommend"].format(options=_names([titles.get(o, o) for o in recommended], lang), best=named(chosen), year=year,
                                         score=score[0], low=score[1], high=score[2])
        if len(recommended) > 1:
            line += " " + t["sum_recommend_tie"]
        if len(recommended) < len(decision):
            line += " " + t["sum_recommend_rest"]
        statements.append(Statement("recommendation", line, "differences"))
    else:
        statements.append(Statement("recommendation", t["sum_recommend_none"].format(
            option=named(best["option"]), year=year, score=score[0], low=score[1], high=score[2]), "differences"))
    if goal_parts is not None:  # flagged where the ranking is shown: area effects that are mostly composition
        flagged = [o for o in decision["option"]
                   if goal_parts[(goal_parts["option"] == o) & goal_parts["mostly_composition"]].shape[0]]
        if flagged:
            statements[-1].html += " " + t["sum_composition_flag"].format(options=_names(
                [titles.get(o, o) for o in flagged], lang))
    statements.append(Statement("basis", t["sum_basis" if c.basis == "residents" else "sum_basis_area"],
                                "residents"))
    wins = decision.set_index("option")["share_wins"]
    statements.append(Statement("certainty", t["sum_certainty"].format(
        option=named(chosen), share=percent(wins[chosen], lang), n=replications), "ranking"))
    statements.append(_across_parameters(c, sensitivity, lang))
    statements.append(_timing(c, chosen, named(chosen), lang))
    statements.append(_persistence(c, chosen, named(chosen), lang))
    statements.append(_cost(c, chosen, named(chosen), cost, lang))
    statements.append(_who_gains(goal_parts, chosen, named(chosen), lang))
    needed = c.replications_needed()
    warning = (t["sum_few_replications"].format(n=replications, needed=needed) if replications < needed else None)
    return Summary(goal, statements, _caveats(c, lang, warning is not None), warning)


def _who_gains(parts: pd.DataFrame | None, option: str, title: str, lang: str) -> Statement:
    """How much of the chosen option's change of the area's goal score is the original residents' own gain and
    how much composition (who moved in and out)."""
    t = text(lang)
    if parts is None:
        return Statement("who_gains", t["sum_who_gains_none"], "residents")
    mine = parts[parts["option"] == option].set_index("part")
    return Statement("who_gains", t["sum_who_gains"].format(
        option=title, total=fixed(mine.loc["total", "mean"], 2, lang, sign=True),
        residents=fixed(mine.loc["residents", "mean"], 2, lang, sign=True),
        composition=fixed(mine.loc["composition", "mean"], 2, lang, sign=True),
        rest=fixed(mine.loc["not_split", "mean"], 2, lang, sign=True),
        share=percent(mine.loc["composition", "share_of_total"], lang)), "residents")


def _across_parameters(c: Comparison, sensitivity: pd.DataFrame | None, lang: str) -> Statement:
    """Which uncertain parameters drive the goal's indicators (where a sensitivity analysis exists)."""
    t = text(lang)
    if sensitivity is None or not len(sensitivity):
        return Statement("parameters", t["sum_parameters_none"], "sensitivity")
    from .figures import main_index

    rows = sensitivity[(sensitivity["index"] == main_index(sensitivity)) & sensitivity["output"].isin(c.goal)]
    if not len(rows):
        return Statement("parameters", t["sum_parameters_other"], "sensitivity")
    top = rows.groupby("parameter")["value"].max().sort_values(ascending=False).head(3)
    return Statement("parameters", t["sum_parameters"].format(
        parameters=", ".join(_b(str(p)) for p in top.index)), "sensitivity")


def _timing(c: Comparison, option: str, title: str, lang: str) -> Statement:
    """The first year with a clear effect on each goal indicator."""
    t = text(lang)
    first = c.time_to_effect().set_index(["option", "indicator"])
    shown, never = [], []
    for name in c.goal:
        year = first["first_year"].get((option, name), pd.NA)
        if pd.isna(year):
            never.append(indicator_label(name, lang))
        else:
            shown.append((int(year), indicator_label(name, lang)))
    if not shown:
        return Statement("timing", t["sum_timing_none"].format(option=title), "timing")
    year, label = min(shown)
    line = t["sum_timing"].format(option=title, year=year, indicator=html.escape(label))
    if never:
        line += " " + t["sum_timing_never"].format(indicators=html.escape(", ".join(never)))
    return Statement("timing", line, "timing")


def _persistence(c: Comparison, option: str, title: str, lang: str) -> Statement:
    """What remains of the chosen option's clear goal effects the latest year after its funding ends."""
    t = text(lang)
    p = c.persistence()
    p = p[(p["option"] == option) & p["indicator"].isin(c.goal)]
    if not len(p):
        return Statement("persistence", t["sum_persistence_none"].format(option=title), "timing")
    at_end = p[p["years_after"] == 0]
    clear = at_end[(at_end["ci_low"] > 0) | (at_end["ci_high"] < 0)]["indicator"]
    later = p[p["indicator"].isin(clear) & (p["years_after"] > 0)]
    end_year = int(p["end_year"].iloc[0])
    if not len(later):
        return Statement("persistence", t["sum_persistence_short"].format(option=title, end=end_year),
                         "timing")
    k = int(later["years_after"].max())
    parts = [f"{html.escape(indicator_label(r['indicator'], lang))} {percent(r['share_of_end_effect'], lang)}"
             for _, r in later[later["years_after"] == k].iterrows() if not math.isnan(r["share_of_end_effect"])]
    return Statement("persistence", t["sum_persistence"].format(option=title, end=end_year, k=k,
                                                                parts="; ".join(parts)), "timing")


def _cost(c: Comparison, option: str, title: str, cost: pd.DataFrame, lang: str) -> Statement:
    """The extra cost of the chosen option and its cost per unit of improvement of each goal indicator, with
    intervals, or 'not meaningful' where the gain's interval includes zero."""
    t = text(lang)
    rows = cost[(cost["option"] == option) & cost["indicator"].isin(c.goal)].set_index("indicator")
    if not len(rows):
        return Statement("cost", t["sum_cost_none"], "cost")
    parts = []
    # the heaviest first; among equal weights, those with a meaningful cost per unit
    priced = sorted((n for n in c.goal if n in rows.index), key=lambda n: (-c.goal[n], not rows.loc[n, "meaningful"]))
    for name in priced[:COST_ITEMS]:
        r = rows.loc[name]
        label = html.escape(indicator_label(name, lang))
        if not r["meaningful"]:
            parts.append(t["sum_cost_not_meaningful"].format(indicator=label))
            continue
        value, low, high, unit = cost_per_unit(r, name, lang)
        parts.append(t["sum_cost_item"].format(indicator=label, value=value, low=low, high=high, unit=unit))
    if len(priced) > COST_ITEMS:
        parts.append(t["sum_cost_more"].format(k=len(priced) - COST_ITEMS))
    return Statement("cost", t["sum_cost"].format(option=title, extra=_eur(rows["extra_cost_eur"].iloc[0], lang),
                                                  year=int(rows["year"].iloc[0]), parts="; ".join(parts)), "cost")


def cost_per_unit(row: pd.Series, name: str, lang: str) -> tuple[str, str, str, str]:
    """A cost-effectiveness row as text: value, interval ends and the unit bought (a household-year avoided
    for shares of households, else one minimum important difference)."""
    t = text(lang)
    if registry.get(name).per_household:
        values = row[["eur_per_household_year", "eur_per_household_year_low", "eur_per_household_year_high"]]
        unit = t["unit_household_year"]
    else:
        values = row[["eur_per_unit", "eur_per_unit_low", "eur_per_unit_high"]] * registry.get(name).important
        unit = t["unit_important_difference"]
    value, low, high = (_eur(v, lang) if math.isfinite(v) else "–" if math.isnan(v) else "∞" for v in values)
    return value, low, high, unit


def _caveats(c: Comparison, lang: str, few: bool) -> list[str]:
    t = text(lang)
    diff = c.differences()
    last = diff[diff["year"] == diff["year"].max()]
    tiny = int((last["practical"] == "tiny").sum())
    out = []
    if few:
        out.append(t["caveat_few"])
    if tiny:
        out.append(t["caveat_tiny"].format(k=tiny))
    out += [t["caveat_important"], t["caveat_chance"], t["caveat_synthetic"]]
    return out
