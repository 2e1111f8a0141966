"""The planner's report: one self-contained HTML page (figures as PNG data URIs, CSS inline), and a PDF of it
printed by headless Chromium where one is installed."""

from __future__ import annotations

import html
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from ..version import __version__
from ..atomic import write_text
from .. import indicators as registry
from ..city import CityAreas
from ..city_effects import ZONE_INDICATORS, ZONES, chosen_areas, effects_figure, load_city, zone_effects
from ..experiment.compare import BASES, GOAL_FILE, Comparison
from ..experiment.decomposition import flagged
from ..progress import stages
from ..scenario import Scenario
from . import figures
from .data import ReportError, load_sensitivity, measure_table, planned_inflows, spent_per_year
from .summary import cost_per_unit, summarise
from .labels import (FUNDING_KIND_TEXT, LANGUAGES, fixed, indicator_explanation, indicator_label, indicator_unit,
                     measure_title, number, percent, text)

SECTIONS = ("summary", "overview", "measures", "budget", "trajectories", "differences", "city", "residents", "timing",
            "cost", "ranking", "sensitivity", "limits", "indicators")
"""The ids (and ``data-section`` attributes) of the report's sections, in order; "city" only in a comparison of
city scenarios with maps (:func:`report_sections`)."""

FIGURES = ("measures", "budget", "trajectories", "differences", "city", "residents", "persistence", "cost", "ranking",
           "sensitivity")
"""The report's figures, in order; residents only with indicators by cohort, "city" only for a city with maps,
sensitivity only with sensitivity indices."""

RESIDENTS_INDICATORS = 6
"""At most this many indicators (the goal's first) in the figure and table of "Residents or newcomers?"."""

LEAVERS_INDICATORS = ("unemployment_rate", "transfer_rate", "child_poverty_rate", "mean_income")
"""What the report shows of the households that left: their labour state, transfer receipt, children in poverty
and income."""

REPORT_STAGES = 4
"""The stages of writing a report besides one per figure (and the PDF): summary, tables, rendering, writing."""

TRAJECTORY_INDICATORS = 4
"""At most this many goal indicators (the heaviest weights first) in the trajectory figure."""

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--no-pdf-header-footer")


@dataclass
class Table:
    """A table of the report: header cells and rows of (text, css class) cells; ``key`` names it for tests."""

    key: str
    header: list[str]
    rows: list[list[tuple[str, str]]]


@dataclass
class Picture:
    key: str
    caption: str
    src: str


def write_report(comparison: Comparison, path: str | Path, lang: str = "en", sensitivity: str | Path | None = None,
                 pdf: bool = False, meta: dict | None = None, progress: bool = False,
                 city: CityAreas | None = None) -> list[Path]:
    """Write the report of ``comparison`` to ``path`` (HTML) in ``lang`` ('en' or 'de'); with ``pdf`` also a
    PDF next to it (needs Chromium). ``sensitivity``: a folder (or CSV) of sensitivity indices to include.
    ``meta``: what the store knows (created, versions). ``progress``: a bar on stderr over the stages (summary,
    each figure, tables, rendering, writing, PDF). ``city``: the city of the scenarios, for the section "Where
    in the city" with maps (default: the baseline's, if it was made from a city table with polygons). Returns
    the files written."""
    if lang not in LANGUAGES:
        raise ReportError(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    if not comparison.definitions:
        raise ReportError("the comparison holds no scenario definitions; make it with qsim.compare or "
                          "Comparison.from_store")
    path = Path(path)
    sensitivity = load_sensitivity(sensitivity)
    city = city if city is not None else comparison.definitions[0].city
    city = city if city is not None and city.polygons is not None else None
    count = REPORT_STAGES + len(figure_keys(sensitivity, bool(comparison.by_cohort), city is not None)) + pdf
    with stages(f"report {path.name}", count, enabled=progress) as begin:
        page = render(comparison, lang, sensitivity, meta or {}, begin, city)
        begin("writing")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, page)
        written = [path]
        if pdf:
            begin("PDF (Chromium)")
            written.append(print_pdf(path, path.with_suffix(".pdf")))
    return written


def figure_keys(sensitivity: pd.DataFrame | None, cohorts: bool = True, city: bool = False) -> tuple[str, ...]:
    """The report's figures (:data:`FIGURES`): the sensitivity figure only with sensitivity indices, the
    residents' figure only with indicators by cohort (``cohorts``), the maps only for a ``city``."""
    return tuple(k for k in FIGURES if (k != "sensitivity" or (sensitivity is not None and len(sensitivity)))
                 and (k != "residents" or cohorts) and (k != "city" or city))


def report_sections(city: bool) -> tuple[str, ...]:
    """The report's sections (:data:`SECTIONS`): "city" only for a ``city``."""
    return tuple(s for s in SECTIONS if s != "city" or city)


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def print_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = 120.0) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium; ReportError if there is none or it fails."""
    chromium = find_chromium()
    if chromium is None:
        raise ReportError(f"{pdf_path}: no PDF written: Chromium is not installed (apt-get install chromium); "
                          "the HTML report is complete without it")
    pdf_path = Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="qsim-pdf-") as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}",
                   Path(html_path).resolve().as_uri()]
        try:
            done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"{pdf_path}: Chromium did not finish printing within {timeout:.0f} s") from None
    if done.returncode != 0 or not pdf_path.exists():
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ReportError(f"{pdf_path}: Chromium could not print the report ({last})")
    return pdf_path


# ------------------------------------------------------------------ content
def render(comparison: Comparison, lang: str, sensitivity: pd.DataFrame | None, meta: dict,
           begin: Callable[[str], None] = lambda label: None, city: CityAreas | None = None) -> str:
    """The report page as HTML text; ``begin(label)`` is called as each stage starts (see :data:`REPORT_STAGES`);
    ``city``: the scenarios' city, for maps (see :func:`write_report`)."""
    begin("summary")
    t = text(lang)
    c = comparison
    horizon = int(c.yearly["year"].max())
    names = [n for n in registry.key_names() if n in c.indicators]
    definitions = {s.name: s for s in c.definitions}
    option = {name: definitions[name].title(lang) for name in c.scenarios}  # the options' names for readers
    measures = {name: measure_table(definitions[name], horizon, lang) for name in c.scenarios}
    planned = {name: planned_inflows(definitions[name], horizon, lang) for name in c.scenarios}
    spent = spent_per_year(c.yearly, c.area)
    cost = c.cost_effectiveness()
    ranking = c.ranking()
    ranked = [n for n in names if registry.better(n) != 0]
    goal = sorted(c.goal, key=lambda n: -c.goal[n])[:TRAJECTORY_INDICATORS]
    cohorts = bool(c.by_cohort)
    decomposition = c.decomposition() if cohorts else None
    goal_parts = c.goal_parts() if cohorts else None
    leavers = c.leavers() if c.follows_leavers else None
    flags = flagged(decomposition, c.area, horizon) if cohorts else set()
    split = list(dict.fromkeys(n for n in [*sorted(c.goal, key=lambda n: -c.goal[n]), *ranked]
                               if n in c.by_cohort))[:RESIDENTS_INDICATORS]
    summary = summarise(c, lang, cost, sensitivity, option, goal_parts)

    drawings = {  # key: (caption, the figure drawn when its stage comes)
        "measures": (t["fig_measures"], lambda: figures.measures_timeline(measures, horizon, lang)),
        "budget": (t["fig_budget"], lambda: figures.budget_by_source(planned, spent, horizon, lang)),
        "trajectories": (t["fig_trajectories"], lambda: figures.trajectories(c, goal, c.scenarios[1:], lang)),
        "differences": (t["fig_differences"].format(year=horizon),
                        lambda: figures.differences_forest(c, names, horizon, lang)),
        "residents": (t["fig_residents"].format(year=horizon),
                      lambda: figures.residents_split(decomposition, c.scenarios[1:], split, horizon, c.area, lang)),
        "persistence": (t["fig_persistence"], lambda: figures.differences_over_time(c, names, lang)),
        "cost": (t["fig_cost"], lambda: figures.extra_cost(cost, c.scenarios, lang)),
        "ranking": (t["fig_ranking"], lambda: figures.ranking_heatmap(ranking, c.scenarios, ranked, lang)),
    }
    if sensitivity is not None and len(sensitivity):
        drawings["sensitivity"] = (t["fig_sensitivity"], lambda: figures.sensitivity_bars(sensitivity, lang))
    if not cohorts:
        del drawings["residents"]
    if city is not None:
        drawings["city"] = (t["fig_city"].format(year=horizon), lambda: effects_figure(
            c.yearly, definitions[c.baseline], [definitions[o] for o in c.scenarios[1:]], city, horizon, lang))
    keys = figure_keys(sensitivity, cohorts, city is not None)
    assert set(drawings) == set(keys), "FIGURES must name every figure of the report"
    drawings = {k: drawings[k] for k in keys}
    figs = {}
    for key, (caption, draw) in drawings.items():
        begin(f"figure: {key}")
        figs[key] = Picture(key, caption, figures.data_uri(draw(), lang))
    begin("tables")
    tables = {
        "overview": _overview_table(c, definitions, planned, lang),
        "measures": _measures_table(measures, option, lang),
        "budget": _budget_table(planned, spent, option, lang),
        "differences": _differences_tables(c, names, horizon, option, lang),
        "timing": _timing_table(c, names, option, lang),
        "persistence": _persistence_table(c, names, option, lang),
        "cost": _cost_table(pd.concat([cost] + ([c.cost_effectiveness(basis="area")] if c.basis != "area" else []),
                                      ignore_index=True), list(c.goal), option, lang),
        "ranking": _ranking_table(ranking, ranked, option, lang, flags),
        "indicators": _indicator_table(c.indicators, lang),
    }
    if sensitivity is not None and len(sensitivity):
        tables["sensitivity"] = _sensitivity_table(sensitivity, lang)
    if cohorts:
        tables["residents"] = _residents_table(decomposition, split, horizon, c.area, option, flags, lang)
    if leavers is not None:
        tables["leavers"] = _leavers_table(leavers, horizon, c.area, option, c.baseline, lang)
    if city is not None:
        tables["city"] = _city_table(c, definitions, city, horizon, option, lang)
    runs = c.runs
    replications = int(runs["replicate"].nunique()) if len(runs) else 0
    seeds = ", ".join(str(s) for s in sorted(runs["seed"].unique())) if len(runs) else ""
    facts = [(t["baseline"], option[c.baseline]), (t["replications"], str(replications)),
             (t["horizon"], f"{horizon} {t['years']}"), (t["area"], t["whole_area"] if c.area == "all" else c.area),
             (t["runs_ok"], f"{int((runs['status'] == 'ok').sum()) if 'status' in runs else len(runs)} / {len(runs)}")]
    if meta.get("created"):
        facts.append((t["runs_made"], _when(meta["created"])))
    facts.append((t["generated"], _now()))
    begin("rendering the page")
    env = Environment(loader=PackageLoader("qsim.report", "templates"), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("report.html.j2")
    return template.render(
        t=t, lang=lang, sections=report_sections(city is not None), figs=figs, tables=tables, facts=facts,
        horizon=horizon, city=city is not None,
        intro=t["sec_overview_intro"].format(
            options=t["one_option"] if len(c.scenarios) == 2 else t["n_options"].format(n=len(c.scenarios) - 1),
            baseline=html.escape(option[c.baseline]), reps=replications),
        summary=summary, cohorts=cohorts, leavers=leavers is not None,
        residents_words=_residents_words(decomposition, split, horizon, c.area, option, lang) if cohorts else [],
        goal_label=t["sum_goal"].format(goal=html.escape(summary.goal)),
        year_intro={k: t[k].format(year=horizon) for k in ("sec_differences_intro", "sec_cost_intro",
                                                           "sec_ranking_intro", "sec_residents_intro",
                                                           "leavers_intro", "sec_city_intro")},
        sensitivity=sensitivity is not None and len(sensitivity) > 0,
        can=[t[f"can_{k}"] for k in range(1, 5)], cannot=[t[f"cannot_{k}"] for k in range(1, 5)],
        footer=t["footer"].format(version=__version__, seed=seeds),
        sources=t["data_sources"].format(attribution=city.attribution) if city is not None and city.attribution
        else "")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _when(iso: str) -> str:
    """An ISO time stamp as 'YYYY-MM-DD HH:MM UTC' (as given if it is not one)."""
    try:
        return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return str(iso)


def _cell(value: str, css: str = "", sub: str = "") -> tuple[str, str, str]:
    """A table cell: its text, css classes and a second, smaller line (e.g. an interval)."""
    return (value, css, sub)


def _decimals(spread: float) -> int:
    """Decimals that show two significant digits of ``spread`` (an interval's half-width), 0-5."""
    if not spread > 0:
        return 2
    return int(min(5, max(0, 1 - math.floor(math.log10(spread)))))


def _difference(name: str, mean: float, low: float, high: float, lang: str) -> tuple[str, str]:
    """A difference and its interval as text, in the indicator's display unit."""
    factor, _ = figures.display_unit(name, lang)
    k = _decimals((high - low) * factor / 2)
    return (fixed(mean * factor, k, lang, sign=True),
            f"[{fixed(low * factor, k, lang, sign=True)}; {fixed(high * factor, k, lang, sign=True)}]")


def _overview_table(c: Comparison, definitions: dict[str, Scenario], planned: dict[str, pd.DataFrame],
                    lang: str) -> Table:
    t = text(lang)
    rows = []
    for name in c.scenarios:
        s = definitions[name]
        rows.append([_cell(s.title(lang), "name" + (" baseline" if name == c.baseline else "")),
                     _cell(s.description_in(lang)), _cell(str(len(s.all_measures())), "num"),
                     _cell(number(planned[name]["eur"].sum(), lang, thousands=True), "num")])
    return Table("overview", [t["scenario"], t["description"], t["measures_count"], t["total_budget"]], rows)


def _measures_table(measures: dict[str, pd.DataFrame], option: dict[str, str], lang: str) -> Table:
    t = text(lang)
    rows = []
    for name, table in measures.items():
        for _, m in table.iterrows():
            cost = number(m["cost_eur"], lang, thousands=True) + (f" ({t['one_off']})" if m["one_off"] else "")
            rows.append([_cell(option[name], "name"), _cell(str(m["label"]).replace("_", " ")),
                         _cell(measure_title(m["type"], lang)),
                         _cell(number(m["start"] + 1, lang), "num"), _cell(number(m["end"], lang), "num"),
                         _cell(cost, "num"), _cell(m["funding"])])
    return Table("measures", [t["option"], t["measure"], t["type"], t["start"], t["end"], t["cost_per_year"],
                              t["funded_by"]], rows)


def _budget_table(planned: dict[str, pd.DataFrame], spent: pd.DataFrame, option: dict[str, str], lang: str) -> Table:
    t = text(lang)
    rows = []
    spent_total = spent.groupby("scenario")["eur"].sum()
    for name, table in planned.items():
        for source, part in table.groupby("source", sort=False):
            paying = part[part["eur"] > 0]
            years = f"{paying['year'].min()}-{paying['year'].max()}" if len(paying) else ""
            first = paying["eur"].iloc[0] if len(paying) else 0.0
            rows.append([_cell(option[name], "name"), _cell(source),
                         _cell(FUNDING_KIND_TEXT[part["kind"].iloc[0]][lang]),
                         _cell(number(first, lang, thousands=True), "num"), _cell(years, "num"),
                         _cell(number(part["eur"].sum(), lang, thousands=True), "num"), _cell("", "num")])
        # the ledger's payments are not split by source: what was spent stands on the scenario's total row
        rows.append([_cell(option[name], "name total"), _cell(t["all_sources"] if len(table) else t["no_funding"], "total"),
                     _cell(""), _cell(""), _cell(""),
                     _cell(number(table["eur"].sum(), lang, thousands=True), "num total"),
                     _cell(number(spent_total.get(name, 0.0), lang, thousands=True), "num total")])
    return Table("budget", [t["scenario"], t["source"], t["kind"], t["per_year"], t["period"], t["planned_total"],
                            t["spent_total"]], rows)


def _signed_class(name: str, mean: float, significant: bool) -> str:
    if not significant or registry.better(name) == 0:
        return "num"
    return "num good" if registry.better(name) * mean > 0 else "num bad"


def _practical_class(name: str, mean: float, practical: str) -> str:
    """Clear and important: coloured and bold; clear but tiny: coloured, light; unclear: grey."""
    if practical == "unclear":
        return "num muted"
    return _signed_class(name, mean, True) + (" strong" if practical == "important" else " tiny")


def _differences_tables(c: Comparison, names: list[str], year: int, option: dict[str, str], lang: str,
                        per_table: int = 5) -> list[Table]:
    """Indicators x options (at most ``per_table`` options a table, so that it fits a page): the paired
    difference in ``year`` and, below it, its interval."""
    t = text(lang)
    diff = c.differences()
    diff = diff[diff["year"] == year].set_index(["option", "indicator"])
    options = c.scenarios[1:]
    tables = []
    for first in range(0, len(options), per_table):
        chunk = options[first:first + per_table]
        rows = []
        for name in names:
            factor, unit = figures.display_unit(name, lang)
            important = fixed(factor * registry.get(name).important, _decimals(factor * registry.get(name).important),
                              lang)
            row = [_cell(indicator_label(name, lang), "name", t["important_short"].format(value=important, unit=unit))]
            for o in chunk:
                if (o, name) not in diff.index:
                    row.append(_cell(""))
                    continue
                d = diff.loc[(o, name)]
                value, interval = _difference(name, d["mean"], d["ci_low"], d["ci_high"], lang)
                size = fixed(d["effect_size"], 1, lang, sign=True) if pd.notna(d["effect_size"]) else "–"
                row.append(_cell(value + " " + t[f"mark_{d['practical']}"],
                                 _practical_class(name, d["mean"], d["practical"]) + f" {d['practical']}",
                                 f"{interval} · {t['effect_size_short']} {size}"))
            rows.append(row)
        tables.append(Table("differences", [t["indicator"], *[option[o] for o in chunk]], rows))
    return tables


def _city_table(c: Comparison, definitions: dict[str, Scenario], city: CityAreas, year: int,
                option: dict[str, str], lang: str) -> Table:
    """Per option and indicator of :data:`qsim.city_effects.ZONE_INDICATORS`: the paired difference in each
    zone (chosen areas, neighbours, rest, city) with its interval; the zones' sizes under the option's name."""
    t = text(lang)
    names = [n for n in ZONE_INDICATORS if n in c.yearly.columns]
    rows = []
    for o in c.scenarios[1:]:
        chosen = chosen_areas(definitions[o])
        effects = zone_effects(c.yearly, c.baseline, o, chosen, city.table, names, year)
        sizes = effects.drop_duplicates("zone").set_index("zone")["areas"]
        effects = effects.set_index(["indicator", "zone"])
        counts = ", ".join(f"{t['zone_' + z]} {int(sizes[z])}" for z in ZONES[:3])
        for k, name in enumerate(names):
            factor, unit = figures.display_unit(name, lang)
            row = [_cell(option[o] if k == 0 else "", "name", counts if k == 0 else ""),
                   _cell(indicator_label(name, lang), "", unit)]
            for zone in ZONES:
                e = effects.loc[(name, zone)]
                if pd.isna(e["difference"]):
                    row.append(_cell("–", "num muted"))
                    continue
                if pd.isna(e["ci_low"]):
                    row.append(_cell(fixed(e["difference"] * factor, 3, lang, sign=True), "num"))
                    continue
                value, interval = _difference(name, e["difference"], e["ci_low"], e["ci_high"], lang)
                clear = e["ci_low"] > 0 or e["ci_high"] < 0
                row.append(_cell(value, _signed_class(name, e["difference"], clear), interval))
            rows.append(row)
    return Table("city", [t["option"], t["indicator"], *[t["zone_" + z] for z in ZONES]], rows)


def _timing_table(c: Comparison, names: list[str], option: dict[str, str], lang: str) -> Table:
    t = text(lang)
    first = c.time_to_effect().set_index(["option", "indicator"])
    rows = []
    for name in names:
        row = [_cell(indicator_label(name, lang), "name")]
        for o in c.scenarios[1:]:
            if (o, name) not in first.index or pd.isna(first.loc[(o, name), "first_year"]):
                row.append(_cell("–", "num muted"))
                continue
            year = int(first.loc[(o, name), "first_year"])
            row.append(_cell(str(year), _signed_class(name, first.loc[(o, name), "difference"], True)))
        rows.append(row)
    return Table("timing", [t["indicator"], *[option[o] for o in c.scenarios[1:]]], rows)


def _persistence_table(c: Comparison, names: list[str], option: dict[str, str], lang: str) -> Table:
    """Option x indicator pairs with a clear effect in the last funded year: that effect, and the share of it
    kept 2, 5 and 10 years later."""
    t = text(lang)
    p = c.persistence()
    after = (2, 5, 10)
    rows = []
    if len(p):
        at_end = p[(p["years_after"] == 0) & p["indicator"].isin(names)]
        clear = at_end[(at_end["ci_low"] > 0) | (at_end["ci_high"] < 0)]
        later = p.set_index(["option", "indicator", "years_after"])
        for _, r in clear.iterrows():
            value, interval = _difference(r["indicator"], r["difference"], r["ci_low"], r["ci_high"], lang)
            row = [_cell(option[r["option"]], "name"), _cell(indicator_label(r["indicator"], lang), "",
                                                     figures.display_unit(r["indicator"], lang)[1]),
                   _cell(str(r["end_year"]), "num"),
                   _cell(value, _signed_class(r["indicator"], r["difference"], True), interval)]
            for k in after:
                key = (r["option"], r["indicator"], k)
                row.append(_cell(percent(later.loc[key, "share_of_end_effect"], lang) if key in later.index else "",
                                 "num"))
            rows.append(row)
    return Table("persistence", [t["option"], t["indicator"], t["end_of_funding"], t["at_end"],
                                 *[t["after"].format(k=k) for k in after]], rows)


def _cost_table(cost: pd.DataFrame, goal: list[str], option: dict[str, str], lang: str) -> Table:
    """Per option (and basis, where there are two: original residents first): the extra cost, and per goal
    indicator the cost per unit bought with its bootstrap interval, or 'not meaningful' where the gain's interval
    includes zero."""
    t = text(lang)
    names = [n for n in goal if n in set(cost["indicator"])]
    bases = list(dict.fromkeys(cost["basis"])) if "basis" in cost else ["area"]
    rows = []
    for name, part in cost.groupby("option", sort=False):
        for basis in bases:
            per = (part[part["basis"] == basis] if "basis" in part else part).set_index("indicator")
            extra = number(per["extra_cost_eur"].iloc[0], lang, thousands=True)
            row = [_cell(option[name], "name"), _cell(extra, "num")]
            if len(bases) > 1:
                row.insert(1, _cell(t[f"basis_{basis}"]))
            for indicator in names:
                r = per.loc[indicator]
                if not r["meaningful"]:
                    row.append(_cell(t["not_meaningful"], "num muted not-meaningful"))
                    continue
                value, low, high, _ = cost_per_unit(r, indicator, lang)
                row.append(_cell(value, "num", f"[{low}; {high}]"))
            rows.append(row)
    header = [t["option"], t["extra_cost"]]
    if len(bases) > 1:
        header.insert(1, t["basis"])
    for name in names:
        unit = t["unit_household_year"] if registry.get(name).per_household else t["unit_important_difference"]
        header.append(f"{indicator_label(name, lang)}: {t['eur_per'].format(unit=unit)}")
    return Table("cost", header, rows)


def _ranking_table(ranking: pd.DataFrame, names: list[str], option: dict[str, str], lang: str,
                   flags: set[tuple[str, str]] = frozenset()) -> Table:
    """Per indicator: the scenario most often best and its share, and the runner-up; a scenario whose change of
    the indicator is mostly composition (``flags``: (option, indicator) pairs) is marked."""
    t = text(lang)

    def named(scenario: str, indicator: str) -> tuple[str, str, str]:
        return _cell(option[scenario], "flagged" if (scenario, indicator) in flags else "",
                     t["residents_flag"] if (scenario, indicator) in flags else "")

    rows = []
    for name in names:
        part = ranking[ranking["indicator"] == name].sort_values("share_best", ascending=False, kind="stable")
        if part.empty:
            continue
        top = part.iloc[0]
        second = part.iloc[1] if len(part) > 1 and part.iloc[1]["share_best"] > 0 else None
        rows.append([_cell(indicator_label(name, lang), "name"), named(top["scenario"], name),
                     _cell(percent(top["share_best"], lang), "num"),
                     _cell("") if second is None else named(second["scenario"], name),
                     _cell("" if second is None else percent(second["share_best"], lang), "num")])
    first, runner = ("best", "second") if lang == "en" else ("am besten", "an zweiter Stelle")
    return Table("ranking", [t["indicator"], f"{t['scenario']} ({first})", "%", f"{t['scenario']} ({runner})", "%"],
                 rows)


def _part_cell(name: str, row: pd.Series, lang: str, css: str = "") -> tuple[str, str, str]:
    """A part of a change: its mean and, below, its interval (display unit of the indicator)."""
    value, interval = _difference(name, row["mean"], row["ci_low"], row["ci_high"], lang)
    return _cell(value, f"num {css}".strip(), interval)


def _residents_table(decomposition: pd.DataFrame, names: list[str], year: int, area: str, option: dict[str, str],
                     flags: set[tuple[str, str]], lang: str) -> Table:
    """Per option and indicator: the change of the area in ``year`` and its parts (residents' own change,
    composition, who left, who came) with intervals, and the composition's share of the change."""
    t = text(lang)
    d = decomposition[(decomposition["year"] == year) & (decomposition["area"] == area)]
    d = d.set_index(["option", "indicator", "part"])
    rows = []
    for o in dict.fromkeys(d.index.get_level_values("option")):
        for name in names:
            if (o, name, "total") not in d.index:
                continue
            total = d.loc[(o, name, "total")]
            clear = total["ci_low"] > 0 or total["ci_high"] < 0
            share = d.loc[(o, name, "composition"), "share_of_total"]
            flag = (o, name) in flags
            rows.append([_cell(option[o], "name"), _cell(indicator_label(name, lang), "",
                                                         figures.display_unit(name, lang)[1]),
                         _part_cell(name, total, lang, _signed_class(name, total["mean"], clear).replace("num", "")),
                         *[_part_cell(name, d.loc[(o, name, p)], lang) for p in ("residents", "composition",
                                                                                  "departures", "arrivals")],
                         _cell(percent(share, lang) if clear and pd.notna(share) else "–",
                               "num strong" if flag else "num", t["residents_flag"] if flag else "")])
    return Table("residents", [t["option"], t["indicator"], t["part_total"], t["part_residents"],
                               t["part_composition"], t["part_departures"], t["part_arrivals"],
                               t["composition_share"]], rows)


def _residents_words(decomposition: pd.DataFrame, names: list[str], year: int, area: str, option: dict[str, str],
                     lang: str) -> list[str]:
    """Per option, in plain words: how much of its change of the goal's first indicators in ``year`` is the
    residents' own change and how much composition."""
    t = text(lang)
    d = decomposition[(decomposition["year"] == year) & (decomposition["area"] == area)]
    d = d.set_index(["option", "indicator", "part"])
    words = []
    for o in dict.fromkeys(d.index.get_level_values("option")):
        for name in names[:2]:
            if (o, name, "total") not in d.index:
                continue
            total = d.loc[(o, name, "total")]
            label = html.escape(indicator_label(name, lang))
            if not (total["ci_low"] > 0 or total["ci_high"] < 0):
                words.append(t["residents_sentence_unclear"].format(option=_bold(option[o]), indicator=label))
                continue
            factor, unit = figures.display_unit(name, lang)
            k = _decimals(abs(total["mean"]) * factor / 10)
            value = {p: fixed(factor * d.loc[(o, name, p), "mean"], k, lang, sign=True)
                     for p in ("total", "residents", "composition")}
            words.append(t["residents_sentence"].format(
                option=_bold(option[o]), indicator=label, unit=html.escape(unit), total=value["total"],
                residents=value["residents"], composition=value["composition"],
                share=percent(d.loc[(o, name, "composition"), "share_of_total"], lang)))
    return words


def _bold(value: str) -> str:
    return f"<b>{html.escape(value)}</b>"


def _leavers_table(leavers: pd.DataFrame, year: int, area: str, option: dict[str, str], baseline: str,
                   lang: str) -> Table:
    """Per scenario: the households that had left the area by ``year`` and how they fare (their labour state,
    transfer receipt, children in poverty, income): each option's leavers against the baseline's, with the
    paired difference and its interval below."""
    t = text(lang)
    d = leavers[(leavers["year"] == year) & (leavers["area"] == area)].set_index(["option", "indicator"])
    names = ["households"] + [n for n in LEAVERS_INDICATORS if n in set(d.index.get_level_values("indicator"))]

    def level(name: str, value: float) -> str:
        return percent(value, lang) if registry.get(name).unit == "share" else number(value, lang, thousands=True)

    options = list(dict.fromkeys(d.index.get_level_values("option")))
    rows = [[_cell(option[baseline], "name baseline"),
             *[_cell(level(n, d.loc[(options[0], n), "baseline_value"]), "num") for n in names]]] if options else []
    for o in options:
        row = [_cell(option[o], "name")]
        for n in names:
            r = d.loc[(o, n)]
            value, interval = _difference(n, r["mean"], r["ci_low"], r["ci_high"], lang)
            clear = r["ci_low"] > 0 or r["ci_high"] < 0
            row.append(_cell(level(n, r["option_value"]), _signed_class(n, r["mean"], clear) if n != "households"
                             else "num", f"{value} {interval}"))
        rows.append(row)
    return Table("leavers", [t["scenario"], t["leavers_count"], *[indicator_label(n, lang) for n in names[1:]]], rows)


def _sensitivity_table(indices: pd.DataFrame, lang: str, top: int = 8) -> Table:
    """The ``top`` parameters of every output by the main index (see :func:`figures.main_index`)."""
    t = text(lang)
    main = figures.main_index(indices)
    rows = []
    chosen = indices[indices["index"] == main]
    for _, part in chosen.groupby("output", sort=False):
        for _, r in part.sort_values("value", ascending=False).head(top).iterrows():
            rows.append([_cell(indicator_label(str(r["output"]), lang), "name"), _cell(str(r["parameter"])),
                         _cell(str(r["method"])), _cell(str(r["index"])), _cell(number(r["value"], lang, 2), "num"),
                         _cell(f"{number(r['ci_low'], lang, 2)} – {number(r['ci_high'], lang, 2)}", "num")])
    return Table("sensitivity", [t["output"], t["parameter"], t["method"], t["index"], t["value"], t["interval"]],
                 rows)


def _indicator_table(names: list[str], lang: str) -> Table:
    t = text(lang)
    direction = {1: t["higher"], -1: t["lower"], 0: t["neither"]}
    rows = []
    for n in names:
        important = registry.get(n).important
        factor, unit = figures.display_unit(n, lang)
        threshold = (f"{fixed(factor * important, _decimals(factor * important), lang)} {unit}" if important else "")
        rows.append([_cell(indicator_label(n, lang), "name"), _cell(n, "code"), _cell(indicator_unit(n, lang)),
                     _cell(indicator_explanation(n, lang)), _cell(direction[registry.better(n)]),
                     _cell(threshold, "", registry.get(n).important_reason)])
    return Table("indicators", [t["indicator"], "", t["unit"], t["meaning"], t["better"], t["important_column"]],
                 rows)


def report_from_folder(results: str | Path, path: str | Path, lang: str = "en", sensitivity: str | Path | None = None,
                       pdf: bool = False, area: str = "all", goal: str | dict | None = None,
                       progress: bool = False, basis: str | None = None) -> list[Path]:
    """Write the report of the comparison in ``results`` (a folder written by ``qsim compare --out``, holding
    ``store/``, or the store itself). A ``sensitivity_indices.csv`` in ``results`` is included unless
    ``sensitivity`` names another folder; a ``city.json`` (written by ``qsim compare`` for city scenarios) adds
    the section "Where in the city" with maps. ``goal``: the decision's goal (see
    :func:`qsim.experiment.compare.checked_goal`; default: the one saved in ``results/goal.json`` by
    ``qsim compare``, else the default goal). ``basis``: what the ranking judges (see :class:`Comparison`;
    default: the one saved with the goal, else the original residents where recorded). ``progress``: see
    :func:`write_report`."""
    from ..experiment.store import Store

    results = Path(results)
    if not results.is_dir():
        raise ReportError(f"{results}: no such results folder (expected the --out folder of `qsim compare`)")
    store_path = results / "store" if (results / "store").is_dir() else results
    if not (store_path / "manifest.json").exists():
        raise ReportError(f"{results}: not a comparison results folder: missing store/manifest.json "
                          "(written by `qsim compare --out DIR`)")
    store = Store(store_path)
    if (results / GOAL_FILE).exists():  # the goal and basis the comparison was saved with
        saved_goal, saved_basis = _saved_goal(results / GOAL_FILE)
        goal = saved_goal if goal is None else goal
        basis = saved_basis if basis is None else basis
    comparison = Comparison.from_store(store_path, area=area, goal=goal, basis=basis)
    if comparison.yearly.empty:
        raise ReportError(f"{store_path}: the store holds no finished runs; run `qsim compare` again to finish it")
    if sensitivity is None and (results / "sensitivity_indices.csv").exists():
        sensitivity = results
    meta = {"created": store.manifest.get("created"), "versions": store.manifest.get("versions", {})}
    return write_report(comparison, path, lang, sensitivity, pdf, meta, progress, city=load_city(results))


def _saved_goal(path: Path) -> tuple[dict, str | None]:
    """The goal and the basis in ``path`` (written by :meth:`Comparison.save`; no basis in files of older
    versions); a ReportError if it cannot be read."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        goal = saved["goal"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ReportError(f"{path}: cannot be read as a saved goal ({e}); delete it or pass --goal") from None
    if not isinstance(goal, dict):
        raise ReportError(f"{path}: field goal is {goal!r}; expected indicator: weight pairs")
    basis = saved.get("basis")
    if basis is not None and basis not in BASES:
        raise ReportError(f"{path}: field basis is {basis!r}; expected one of {', '.join(BASES)}")
    return goal, basis
