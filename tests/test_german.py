"""German throughout: the German report of shipped scenarios names options, measures and funding sources in German.

World: the shipped baseline and the renovation and employment options (named measures, five funding sources each,
the ESF and the housing companies) on the small area of tests/conftest.py (700 households), 11 years (the
options' measures run to year 10), 1 replication, serial. The report's HTML text (not the figures' pixels) is
checked: no English option id, measure name or type, catalogue title or funding source key appears in it.
"""

from __future__ import annotations

import html
import re

import pytest

import qsim
from conftest import ROOT, SMALL_AREA
from qsim.measures import CATALOGUE
from qsim.report import write_report

OPTIONS = ("baseline", "renovation", "employment")


def small(name: str) -> qsim.Scenario:
    """A shipped scenario on the small test area (its programme unchanged)."""
    shipped = qsim.load_scenario(ROOT / "scenarios" / f"{name}.toml")
    data = shipped.model_dump(exclude_none=True)
    data["areas"] = [{**SMALL_AREA, "name": shipped.areas[0].name}]
    data["scenario"]["years"] = 11
    data["spinup_months"] = 6
    return qsim.scenario_from_dict(data, source=f"<small {name}>")


@pytest.fixture(scope="module")
def german_report(tmp_path_factory) -> tuple[str, list[qsim.Scenario]]:
    scenarios = [small(name) for name in OPTIONS]
    comparison = qsim.compare(scenarios, replications=1, seed=3, executor=1, progress=False)
    path = tmp_path_factory.mktemp("german") / "bericht.html"
    write_report(comparison, path, lang="de")
    return path.read_text(encoding="utf-8"), scenarios


def visible_text(page: str) -> str:
    """The text of a page as a reader sees it: no tags, attributes, images, styles or scripts."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def english_names(scenarios: list[qsim.Scenario]) -> set[str]:
    """The names an English reader would see: ids of options, measures and sources, catalogue titles."""
    names = set()
    for s in scenarios:
        names |= {s.name, s.title("en"), *s.funding, *(s.funding_title(f, "en") for f in s.funding)}
        for m in s.all_measures():
            names |= {m.label, m.type, m.title("en"), CATALOGUE[m.type].title}
    return {n for n in names for n in (n, n.replace("_", " "))}


def test_the_shipped_scenarios_name_everything_in_german():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        s = qsim.load_scenario(path)
        assert s.scenario.label_de, f"{path}: [scenario] label_de"
        for name, source in s.funding.items():
            assert source.label_de, f"{path}: funding.{name}.label_de"
        for m in s.measures:
            assert m.name is None or m.label_de, f"{path}: measure {m.name!r} has no label_de"


def test_the_german_report_has_no_english_option_measure_or_funding_name(german_report):
    page, scenarios = german_report
    text = visible_text(page)
    found = sorted(n for n in english_names(scenarios) if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text))
    assert found == []
    for s in scenarios:  # and the German names are there
        assert s.title("de") in text
        assert all(s.funding_title(f, "de") in text for f in s.funding)
        assert all(m.title("de") in text for m in s.all_measures())


def test_the_check_sees_an_english_name(german_report):
    """The test above can fail: an English measure name in the page is found."""
    page, scenarios = german_report
    text = visible_text(page.replace("Sanierung, 1. Bauabschnitt", "renovation_round_1"))
    assert any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text) for n in english_names(scenarios))
