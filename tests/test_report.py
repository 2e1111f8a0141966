"""The planner's report: built from a real small comparison, rendered in headless Chromium in both languages.

World: the small city of tests/conftest.py (700 households), 3 years, 3 paired replications of a baseline and
two options with measures and funding: job coaching funded for two years (so that persistence after the end of
funding exists) and a playground built with a source that is cut in year 2. Serial runs in this process.
Screenshots of the whole page go to test-artifacts/report-en.png and report-de.png.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import qsim
from browser import ARTIFACTS, chromium_page
from conftest import ROOT, scenario_dict
from qsim.cli import build_parser, main
from qsim.indicators import NAMES
from qsim.report import SECTIONS, ReportError, report_from_folder, write_report
from qsim.report.html import report_sections
from qsim.report.data import planned_inflows
from qsim.measures import CATALOGUE
from qsim import indicators as registry
from qsim.report.labels import LANGUAGES, TEXT, fixed, number, percent

YEARS = 3
REPLICATIONS = 3
FIGURES = ("measures", "budget", "trajectories", "differences", "residents", "persistence", "cost", "ranking")
TABLES = ("overview", "measures", "budget", "differences", "residents", "leavers", "timing", "cost", "ranking",
          "indicators")


def scenario(name: str, funding: dict | None = None, measures: list | None = None) -> qsim.Scenario:
    data = scenario_dict(name=name, years=YEARS, description=f"{name} (report test)")
    data["funding"] = funding or {}
    data["measures"] = measures or []
    return qsim.scenario_from_dict(data, source=f"<test_report {name}>")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A comparison results folder as `qsim compare --out` writes it (tables, plots, store), and its Comparison."""
    folder = tmp_path_factory.mktemp("report")
    scenarios = [
        scenario("baseline"),
        scenario("coaching", {"jobcentre": {"kind": "public_programme", "amount_per_year": 250_000, "end": 2}},
                 [{"type": "job_coaching", "capacity": 60, "end": 2, "funding": "jobcentre"}]),
        scenario("playground", {"city": {"kind": "public_programme", "amount_per_year": 200_000,
                                         "cuts": [{"year": 2, "share": 0.5}]}},
                 [{"type": "playground", "start": 1, "funding": "city"}]),
    ]
    comparison = qsim.compare(scenarios, replications=REPLICATIONS, seed=5, executor=1, store=folder / "store",
                              progress=False)
    comparison.save(folder)
    return folder, comparison


def test_planned_inflows_apply_degression_and_scheduled_cuts():
    s = scenario("s", {"fund": {"kind": "donation", "amount_per_year": 100_000, "degression": 0.1, "end": 3,
                                "cuts": [{"year": 3, "share": 0.5}]}})
    plan = planned_inflows(s, horizon=YEARS + 1).set_index("year")["eur"]
    assert plan.to_dict() == pytest.approx({1: 100_000, 2: 90_000, 3: 81_000 * 0.5, 4: 0.0})


def test_every_language_has_every_text_and_every_indicator_is_explained():
    for lang in LANGUAGES:
        assert set(TEXT[lang]) == set(TEXT["en"]), f"{lang}: keys differ from English"
        for name in NAMES:
            label, explanation = registry.get(name).label(lang), registry.get(name).explanation(lang)
            assert label and len(explanation) > 20, f"{name} ({lang}) needs a name and an explanation"
    assert all(f"sec_{s}" in TEXT["en"] for s in SECTIONS)
    assert all(e.title and e.title_de for e in CATALOGUE.values()), "every measure type needs both titles"


def test_numbers_use_the_language_conventions():
    assert fixed(-1234.5, 1, "en", sign=True) == "\u22121,234.5"
    assert fixed(-1234.5, 1, "de", sign=True) == "\u22121.234,5"
    assert fixed(0.0004, 2, "en", sign=True) == "0.00"  # no sign on a value that rounds to zero
    assert fixed(-0.0004, 2, "de", sign=True) == "0,00"
    assert number(1234567.8, "de", thousands=True) == "1.234.568"
    assert number(1234567.8, "en", thousands=True) == "1,234,568"
    assert number(0.04567, "de", 2) == "0,046" and number(12345.0, "en") == "12300"  # significant digits
    assert percent(0.5, "en") == "50%" and percent(0.5, "de") == "50\u00a0%"  # German: a no-break space


def _report_page(page, path, lang: str, screenshot: str) -> dict:
    """Open the report in Chromium; fail on any request leaving the file (the page must be self-contained)."""
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    info = page.evaluate("""() => ({
        lang: document.documentElement.lang,
        sections: Array.from(document.querySelectorAll('section[data-section]')).map(s => ({
            id: s.id, key: s.dataset.section, title: s.querySelector('h2').textContent.trim(),
            height: s.getBoundingClientRect().height, text: s.innerText.length})),
        figures: Array.from(document.querySelectorAll('figure[data-figure]')).map(f => {
            const img = f.querySelector('img');
            return {key: f.dataset.figure, complete: img.complete, width: img.naturalWidth,
                    height: img.naturalHeight, shown: img.getBoundingClientRect().width};
        }),
        tables: Array.from(document.querySelectorAll('table[data-table]')).map(t => ({
            key: t.dataset.table, rows: t.querySelectorAll('tbody tr').length,
            cells: Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.cells).map(c => c.innerText))})),
        empty: Array.from(document.querySelectorAll('[data-empty]')).map(e => e.dataset.empty),
        summary: Array.from(document.querySelectorAll('#summary [data-summary]')).map(e => ({
            key: e.dataset.summary, text: e.innerText,
            links: Array.from(e.querySelectorAll('a.evidence')).map(a => a.getAttribute('href'))})),
        warning: (document.querySelector('#summary [data-warning="replications"]') || {}).innerText || null,
        first: document.querySelector('main section').id,
    })""")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / screenshot, full_page=True)
    assert not outside, f"the report loads resources from outside the file: {outside[:3]}"
    return info


def _check_parts(info: dict, lang: str, figures: tuple[str, ...]) -> None:
    t = TEXT[lang]
    assert info["lang"] == lang
    sections = {s["key"]: s for s in info["sections"]}
    assert list(sections) == list(report_sections(city=False)), "sections missing or out of order"
    for key, s in sections.items():
        assert s["title"].endswith(t[f"sec_{key}"]), f"section {key}: title {s['title']!r} is not in {lang}"
        assert s["height"] > 50 and s["text"] > 100, f"section {key} is empty"
    shown = {f["key"]: f for f in info["figures"]}
    assert set(shown) == set(figures), f"figures: {sorted(shown)}, expected {sorted(figures)}"
    for key, f in shown.items():
        assert f["complete"] and f["width"] > 300 and f["height"] > 150 and f["shown"] > 300, f"figure {key}: {f}"
    tables = {}
    for table in info["tables"]:
        tables.setdefault(table["key"], []).append(table)
    for key in TABLES:
        assert key in tables and all(t_["rows"] > 0 for t_ in tables[key]), f"table {key} missing or empty"


SUMMARY = ("goal", "recommendation", "basis", "certainty", "parameters", "timing", "persistence", "cost", "who_gains",
           "caveats")
"""The parts of the first page, in order."""


def _check_summary(info: dict, lang: str, comparison) -> None:
    """The report opens with the summary; every part is there, says something, and links to the section with its
    evidence; the few-replications warning names the replications needed."""
    t = TEXT[lang]
    assert info["first"] == "summary", "the report must open with the summary"
    parts = {p["key"]: p for p in info["summary"]}
    assert list(parts) == list(SUMMARY), f"summary parts: {list(parts)}"
    sections = {s["id"] for s in info["sections"]}
    for key, part in parts.items():
        assert len(part["text"]) > 20, f"summary part {key} says nothing: {part['text']!r}"
        assert part["links"], f"summary part {key} does not link to its evidence"
        for link in part["links"]:
            assert link[1:] in sections - {"summary"}, f"{key}: link {link} leads to no evidence section"
    needed = comparison.replications_needed()
    assert REPLICATIONS < needed, "the test world is meant to have too few replications"
    assert info["warning"] and info["warning"].startswith(t["sum_few_replications"].split(":")[0]), info["warning"]
    assert f"{needed}" in info["warning"] and f"-r {needed}" in info["warning"]
    recommendation = parts["recommendation"]["text"]
    decision = comparison.decision()
    for option in decision.loc[decision["recommended"], "option"]:  # by its name for readers of ``lang``
        assert {s.name: s for s in comparison.definitions}[option].title(lang) in recommendation


def _check_cost_cells(info: dict, lang: str, comparison) -> None:
    """A cost per unit where the gain's interval lies above zero (with its interval), 'not meaningful' where it
    includes zero."""
    cost = comparison.cost_effectiveness()  # on the comparison's basis: the original residents, listed first
    assert comparison.basis == "residents"
    goal = [n for n in comparison.goal if n in set(cost["indicator"])]
    table = next(t_["cells"] for t_ in info["tables"] if t_["key"] == "cost")
    rows = {row[0]: row for row in table if row[1] == TEXT[lang]["basis_residents"]}
    assert len(rows) == len(comparison.scenarios) - 1 and len(table) == 2 * len(rows), "one row per option and basis"
    checked = {True: 0, False: 0}
    for _, r in cost[cost["indicator"].isin(goal)].iterrows():
        cell = rows[r["option"]][3 + goal.index(r["indicator"])]
        if r["meaningful"]:
            assert "EUR" in cell and "[" in cell, (r["option"], r["indicator"], cell)
        else:
            assert cell == TEXT[lang]["not_meaningful"], (r["option"], r["indicator"], cell)
        checked[bool(r["meaningful"])] += 1
    assert checked[False] > 0, "the test world should have an effect whose interval includes zero"


def test_report_in_english_with_sensitivity_and_pdf(results):
    folder, comparison = results
    indices = pd.DataFrame({"method": "sobol", "output": ["unemployment_rate", "unemployment_rate"],
                            "parameter": ["labour.a", "labour.b"], "index": "ST", "value": [0.6, 0.1],
                            "ci_low": [0.5, 0.0], "ci_high": [0.7, 0.2]})
    indices.to_csv(folder / "sensitivity_indices.csv", index=False)
    out = folder / "report-en.html"
    assert main(["report", str(folder), "-o", str(out), "--lang", "en", "--pdf"]) == 0
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?:""", html), "external resources in the page"
    assert out.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    with chromium_page() as page:
        info = _report_page(page, out, "en", "report-en.png")
    _check_parts(info, "en", FIGURES + ("sensitivity",))
    _check_summary(info, "en", comparison)
    _check_cost_cells(info, "en", comparison)
    assert "labour.a" in next(p["text"] for p in info["summary"] if p["key"] == "parameters")
    assert info["empty"] == []
    tables = {t["key"]: t["cells"] for t in info["tables"]}
    # the options' measures and planned funding (coaching: 250,000 EUR in years 1-2)
    measures = {(row[0], row[1]) for row in tables["measures"]}
    # an unnamed measure is shown under its catalogue title (Measure.title)
    assert {("coaching", CATALOGUE["job_coaching"].title), ("playground", CATALOGUE["playground"].title)} <= measures
    budget = {row[1]: row for row in tables["budget"] if row[1] in ("jobcentre", "city")}
    assert budget["jobcentre"][4] == "1-2" and budget["jobcentre"][5] == "500,000"
    assert budget["city"][5] == f"{200_000 + 2 * 100_000:,}"  # halved from year 2
    # the paired difference of unemployment in the last year, in percentage points, as computed by Comparison
    d = comparison.differences().set_index(["option", "indicator", "year"]).loc[("coaching", "unemployment_rate",
                                                                                 YEARS)]
    row = next(r for r in tables["differences"] if r[0].startswith(registry.get("unemployment_rate").label("en")))
    shown = float(row[1].split("\n")[0].split()[0].replace("\u2212", "-"))  # the value, without its mark
    assert math.isclose(shown, 100 * d["mean"], abs_tol=0.5 * 10 ** -_decimals(row[1])), (row[1], d["mean"])
    # the sensitivity table shows the larger index first
    assert [r[1] for r in tables["sensitivity"]] == ["labour.a", "labour.b"]


def _decimals(cell: str) -> int:
    first = cell.split("\n")[0].split()[0]
    return len(first.split(".")[1]) if "." in first else 0


def test_report_in_german_from_the_comparison(results):
    folder, comparison = results
    out = folder / "report-de.html"
    assert write_report(comparison, out, lang="de") == [out]
    with chromium_page() as page:
        info = _report_page(page, out, "de", "report-de.png")
    _check_parts(info, "de", FIGURES)
    _check_summary(info, "de", comparison)
    _check_cost_cells(info, "de", comparison)
    assert info["empty"] == ["sensitivity"], "without an analysis the report says so"
    html = out.read_text(encoding="utf-8")
    for word in ("Kosten-Wirksamkeit", "Was das Modell aussagen kann und was nicht", "Prozentpunkte"):
        assert word in html
    indicators = {row[1]: row for t in info["tables"] if t["key"] == "indicators" for row in t["cells"]}
    assert indicators["unemployment_rate"][0] == "Arbeitslosigkeit (S1)"
    assert indicators["unemployment_rate"][4] == "niedriger"
    measures = {(row[0], row[2]) for t in info["tables"] if t["key"] == "measures" for row in t["cells"]}
    assert ("coaching", "Jobcoaching") in measures, "measure types are named in German"


def test_bad_folders_give_one_line_errors(tmp_path, capsys):
    with pytest.raises(ReportError, match="store/manifest.json"):
        report_from_folder(tmp_path, tmp_path / "r.html")
    assert main(["report", str(tmp_path / "missing"), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qsim: ") and "missing" in err and "\n" not in err
    assert not (tmp_path / "r.html").exists()


def test_pdf_without_chromium_says_so(tmp_path, monkeypatch):
    import qsim.report.html as report_html

    monkeypatch.setattr(report_html, "find_chromium", lambda: None)
    (tmp_path / "r.html").write_text("<html></html>", encoding="utf-8")
    with pytest.raises(ReportError, match="Chromium is not installed"):
        report_html.print_pdf(tmp_path / "r.html", tmp_path / "r.pdf")


def test_compare_takes_report_and_lang_options():
    args = build_parser().parse_args(["compare", "a.toml", "b.toml", "--report", "--lang", "de"])
    assert (args.report, args.lang) == ("", "de")
    args = build_parser().parse_args(["compare", "a.toml", "b.toml", "--report", "r.html"])
    assert (args.report, args.lang) == ("r.html", "en")
    assert build_parser().parse_args(["compare", "a.toml", "b.toml"]).report is None
    args = build_parser().parse_args(["compare", "a.toml", "b.toml", "--goal", "unemployment_rate=2"])
    assert args.goal == "unemployment_rate=2"
    assert build_parser().parse_args(["compare", "a.toml", "b.toml"]).basis is None
    assert build_parser().parse_args(["report", "out", "--basis", "area"]).basis == "area"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "out", "--basis", "people"])


def test_report_goal_option_decides_for_that_goal_and_rejects_a_bad_one(results, capsys):
    folder, _ = results
    out = folder / "report-goal.html"
    assert main(["report", str(folder), "-o", str(out), "--goal", "participation_rate=3,out_group_trust=1",
                 "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    goal = re.search(r'data-summary="goal">(.*?)<a', html, re.S).group(1)
    assert "Participation" in goal and "×3" in goal and "Unemployment" not in goal
    assert main(["report", str(folder), "-o", str(out), "--goal", "households=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qsim: goal: 'households' has no better direction") and err.count("\n") == 1
    # without --goal the report decides for the goal the comparison was saved with (results/goal.json)
    saved = folder / "goal.json"
    default = saved.read_text(encoding="utf-8")
    try:
        saved.write_text('{"goal": {"transfer_rate": 2}}', encoding="utf-8")
        assert main(["report", str(folder), "-o", str(out)]) == 0
        goal = re.search(r'data-summary="goal">(.*?)<a', out.read_text(encoding="utf-8"), re.S).group(1)
        assert "Transfer receipt (S3) ×2" in goal and "Unemployment" not in goal
    finally:
        saved.write_text(default, encoding="utf-8")


def test_trajectory_axes_span_at_least_four_minimum_important_differences():
    from qsim.report.figures import y_limits

    low, high = y_limits(np.array([0.40, 0.401, 0.402]), important=0.025)
    assert high - low >= 4 * 0.025 and low < 0.40 and high > 0.402  # noise of 0.002 fills at most 2% of the axis
    low, high = y_limits(np.array([0.1, 0.6]), important=0.025)
    assert low < 0.1 and high > 0.6 and high - low < 0.6  # a wide range is kept, with a 5% margin


def test_report_of_the_shipped_comparison_in_both_languages(tmp_path):
    """`make demo`'s comparison (the baseline and every shipped option, as listed in the Makefile) at a smaller
    size: 2 replications and 12 years, so that the 10-year programmes end and persistence is shown."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    options = re.search(r"^OPTIONS := (.+)$", makefile, re.M).group(1).split()
    assert len(options) >= 9, options
    files = [str(ROOT / "scenarios" / f"{name}.toml") for name in ["baseline", *options]]
    out = tmp_path / "demo"
    assert main(["compare", *files, "-r", "2", "--years", "12", "--workers", "1", "--quiet", "--out", str(out),
                 "--report", str(out / "report-en.html")]) == 0
    assert main(["report", str(out), "-o", str(out / "report-de.html"), "--lang", "de"]) == 0
    for lang in ("en", "de"):
        with chromium_page() as page:
            info = _report_page(page, out / f"report-{lang}.html", lang, f"report-shipped-{lang}.png")
        _check_parts(info, lang, FIGURES)
        _check_summary(info, lang, qsim.Comparison.from_store(out / "store"))
        overview = next(t["cells"] for t in info["tables"] if t["key"] == "overview")
        names = {qsim.load_scenario(f).title(lang) for f in files}  # German: the files' label_de
        assert {row[0].rstrip(" \u2605") for row in overview} >= names
