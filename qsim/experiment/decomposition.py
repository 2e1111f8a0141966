"""Residents or newcomers: the split of an area's change into what happened to its original residents and
what changed in who lives there (issue 14; the formula is in docs/model.md, 4.11 "Decomposition").

A run's yearly rows carry, besides the area's indicators, each cohort's value of every indicator recorded by
cohort (:mod:`qsim.indicators.cohorts`) in columns named ``"<cohort>:<indicator>"`` (:func:`cohort_column`).
For an area (or the city) in a year, with ``Y`` the area's value, ``O`` the original residents' (everyone
who lived there at month 0, wherever they live now) and ``S`` the stayers' (original residents still there),

    Y = O + (S - O) + (Y - S)

holds for every value, so for the paired difference option - baseline (``d``) of one replication

    dY = dO + d(S - O) + d(Y - S)
       = residents + departures + arrivals,   composition = departures + arrivals = dY - dO.

``residents``: the effect on the people who lived there. ``departures``: how the option changes the gap
between those who stayed and all original residents, ``S - O = v_L (S - L)`` for a share or mean whose
denominator is split between stayers and leavers in proportions ``v_S, v_L`` (who left). ``arrivals``: how it
changes the gap between the present population and the stayers, ``Y - S = w_N (N - S)`` with ``w_N`` the
newcomers' part of the denominator (who came). The parts add up to the total exactly (up to the rounding of
three subtractions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COHORT_SEPARATOR = ":"
PARTS = ("total", "residents", "composition", "departures", "arrivals")
"""The parts of a change, in table order: total = residents + composition, composition = departures +
arrivals."""
KEYS = ["scenario", "replicate", "year", "area"]


def cohort_column(cohort: str, indicator: str) -> str:
    """The yearly column of ``indicator`` for ``cohort`` (e.g. ``"original:unemployment_rate"``)."""
    return f"{cohort}{COHORT_SEPARATOR}{indicator}"


def cohort_columns(cohorts: pd.DataFrame) -> pd.DataFrame:
    """:meth:`qsim.Result.cohorts` as one row per year and area: each cohort's value at the year's last record
    (December, as the yearly stocks) in a column per cohort and indicator (:func:`cohort_column`)."""
    names = [c for c in cohorts.columns if c not in ("month", "year", "area", "cohort")]
    last = cohorts.sort_values("month", kind="stable").groupby(["year", "area", "cohort"], sort=False)[names].last()
    wide = last.unstack("cohort")
    wide.columns = [cohort_column(cohort, name) for name, cohort in wide.columns]
    return wide.reset_index()


def recorded(yearly: pd.DataFrame, names: list[str]) -> list[str]:
    """The indicators of ``names`` whose original residents' and stayers' values ``yearly`` holds, known in
    every row (an indicator not followed outside the city, such as trust, is NaN for the original residents
    once some have left it: it is not split, and judged on the area's values)."""
    return [n for n in names if cohort_column("original", n) in yearly.columns
            and cohort_column("stayers", n) in yearly.columns and yearly[cohort_column("original", n)].notna().all()]


def residents_values(yearly: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``yearly`` with each indicator of ``names`` recorded by cohort replaced by its original residents'
    value: the outcomes of the people who lived in the area at the start, wherever they live now."""
    swapped = recorded(yearly, names)
    return yearly.assign(**{n: yearly[cohort_column("original", n)] for n in swapped})


def levels(yearly: pd.DataFrame, names: list[str]) -> dict[str, pd.DataFrame]:
    """Per part (but composition), its level in each run: rows (scenario, replicate, year, area), a column per
    indicator of ``names`` (all recorded by cohort): total Y, residents O, departures S - O, arrivals Y - S."""
    rows = yearly.set_index(KEYS)
    area = rows[names]
    original = rows[[cohort_column("original", n) for n in names]].set_axis(names, axis=1)
    stayers = rows[[cohort_column("stayers", n) for n in names]].set_axis(names, axis=1)
    return {"total": area, "residents": original, "departures": stayers - original, "arrivals": area - stayers}


def wide_by_scenario(frame: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """``frame`` (rows :data:`KEYS`, a column per indicator) as rows (replicate, year, area, indicator) and a
    column per scenario in ``scenarios`` order, only the rows every scenario has (paired replicates)."""
    long = frame.rename_axis(columns="indicator").stack().rename("value")
    return long.unstack("scenario").reindex(columns=scenarios).dropna()


def paired_parts(yearly: pd.DataFrame, names: list[str], scenarios: list[str]) -> pd.DataFrame:
    """The paired differences option - baseline (``scenarios[0]``) of every part, one row per option,
    replicate, area, indicator and year (replicates that every scenario finished), a column per part of
    :data:`PARTS`. composition = departures + arrivals; total = residents + composition up to rounding."""
    out = {}
    for part, frame in levels(yearly, names).items():
        wide = wide_by_scenario(frame, scenarios)
        diff = wide[scenarios[1:]].sub(wide[scenarios[0]], axis=0)
        out[part] = diff.rename_axis(columns="option").stack()
    frame = pd.DataFrame(out)
    frame["composition"] = frame["departures"] + frame["arrivals"]
    frame = frame.reorder_levels(["option", "area", "indicator", "year", "replicate"]).reset_index()
    return frame[["option", "area", "indicator", "year", "replicate", *PARTS]]


def composition_share(total: float, composition: float) -> float:
    """The share of a mean change that is composition (NaN where the total is zero)."""
    return composition / total if total != 0 else float("nan")


def mostly_composition(total: float, low: float, high: float, composition: float, threshold: float = 0.5) -> bool:
    """Whether a change whose interval [low, high] excludes zero is mostly composition: the composition part
    goes the same way as the total and exceeds ``threshold`` of it."""
    clear = low > 0 or high < 0
    return bool(clear and np.sign(composition) == np.sign(total) and abs(composition) > threshold * abs(total))


def flagged(decomposition: pd.DataFrame, area: str, year: int) -> set[tuple[str, str]]:
    """The (option, indicator) pairs of a :meth:`qsim.Comparison.decomposition` table whose clear change of
    ``area`` in ``year`` is mostly composition (:func:`mostly_composition`)."""
    d = decomposition[(decomposition["area"] == area) & (decomposition["year"] == year)]
    d = d.set_index(["option", "indicator", "part"])
    return {(o, n) for o, n, part in d.index if part == "total" and mostly_composition(
        d.loc[(o, n, "total"), "mean"], d.loc[(o, n, "total"), "ci_low"], d.loc[(o, n, "total"), "ci_high"],
        d.loc[(o, n, "composition"), "mean"])}
