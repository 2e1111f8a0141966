"""Maps and "Where in the city" in the comparison report, on a made-up town (fast; not Berlin full-size).

The town: six planning areas in two forecast areas (two squares of the GeoJSON below), 1,200 households, its own
attribution. The option puts QM (a QM office and a measure) in the area of lowest status; the comparison runs
2 years with 2 paired replications in this process. The report must show the city section with the maps and
the zone table, name the data's sources in its footer, and `qsim report` must draw the same from the results
folder (through city.json). Chromium is not needed: the HTML is parsed.
"""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import qsim
from qsim.city_effects import CITY_FILE, ZONES, chosen_areas, load_city, zone_effects
from qsim.cli import main
from qsim.errors import QsimError
from qsim.report import SECTIONS, report_from_folder

ATTRIBUTION = "Data: made up for the test of the town"
Z = (-1.2, -0.4, 0.0, 0.3, 0.9, 1.8)  # area 5 has the lowest status


def _square(x: float) -> dict:
    ring = [[x, 52.5], [x + 0.1, 52.5], [x + 0.1, 52.56], [x, 52.56], [x, 52.5]]
    return {"type": "Feature", "properties": {"pgr_id": "1" if x < 13.45 else "2"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    """The town's table, polygons and two scenario files (baseline, option) in a folder."""
    folder = tmp_path_factory.mktemp("town")
    header = "plr_id,plr_name,pgr_id,pgr_name,district,area_m2,inhabitants_2020,z_s1_unemployment," \
             "z_s3_transfer_not_unemployed,z_s4_child_poverty"
    lines = [f"{k},Area {k},{1 + k // 3},Part {1 + k // 3},D,1000000,360,{z},{z},{z}" for k, z in enumerate(Z)]
    (folder / "town.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    geo = {"type": "FeatureCollection", "features": [_square(13.3), _square(13.5)]}
    (folder / "town.geojson").write_text(json.dumps(geo), encoding="utf-8")
    (folder / "town.toml").write_text(f'''
spinup_months = 6
[scenario]
name = "town"
years = 2
[city]
table = "town.csv"
polygons = "town.geojson"
attribution = "{ATTRIBUTION}"
''', encoding="utf-8")
    (folder / "town_qm.toml").write_text('''
extends = "town.toml"
[scenario]
name = "town_qm"
[city.selections.qm]
rule = "lowest_status"
count = 1
[funding.programme]
kind = "public_programme"
amount_per_year = 1000000
[qm_office]
areas = "qm"
carrier = "non_profit"
staff = 2
funding = "programme"
[[measures]]
type = "neighbourhood_projects"
areas = "qm"
capacity = 20
funding = "programme"
''', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def compared(town, tmp_path_factory):
    """`qsim compare --report` of the town: the results folder."""
    out = tmp_path_factory.mktemp("compare")
    code = main(["compare", str(town / "town.toml"), str(town / "town_qm.toml"), "-r", "2", "--workers", "1",
                 "--quiet", "--out", str(out), "--report"])
    assert code == 0
    return out


class _Page(HTMLParser):
    """The parts of a report page the tests read: sections, figures (PNG sizes), tables' rows, the footer."""

    def __init__(self):
        super().__init__()
        self.sections, self.figures, self.tables, self.footer = [], {}, {}, ""
        self._table, self._row, self._in_footer = None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["data-section"])
        elif tag == "figure":
            self._figure = a["data-figure"]
        elif tag == "img" and getattr(self, "_figure", None):
            self.figures[self._figure] = base64.b64decode(a["src"].split(",", 1)[1])
            self._figure = None
        elif tag == "table":
            self._table = a["data-table"]
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table:
            self._row = []
        elif tag == "footer":
            self._in_footer = True

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "footer":
            self._in_footer = False

    def handle_data(self, data):
        if self._row is not None and data.strip():
            self._row.append(data.strip())
        if self._in_footer:
            self.footer += data


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_one_qm_office_per_chosen_area(town):
    option = qsim.load_scenario(town / "town_qm.toml")
    offices = [m for m in option.all_measures() if m.type == "qm_office"]
    assert [m.target.area for m in offices] == ["Area 5"] == chosen_areas(option)
    assert [m.label for m in offices] == ["qm_office @ Area 5"]


def test_compare_report_shows_where_the_effects_are(compared):
    files = {p.name for p in compared.iterdir()}
    assert {CITY_FILE, "city_effects_town_qm.csv", "map_differences.png", "report.html"} <= files
    page = _page(compared / "report.html")
    assert page.sections == list(SECTIONS), "the city section belongs after the differences"
    width, height = _png_size(page.figures["city"])
    assert width > 900 and height > 300, "three maps in a row: status classes and two differences"
    rows = page.tables["city"]
    header, body = rows[0], rows[1:]
    assert header[-4:] == ["chosen areas", "neighbours", "rest of the city", "city"]
    assert body and body[0][0] == "town_qm" and "chosen areas 1, neighbours 2, rest of the city 3" in body[0][1]
    assert ATTRIBUTION in page.footer


def test_zone_table_agrees_with_the_stored_runs(compared):
    """The CSV's zone differences are the household-weighted means of the areas' paired differences."""
    effects = pd.read_csv(compared / "city_effects_town_qm.csv").set_index(["indicator", "zone"])
    assert set(effects.index.get_level_values("zone")) == set(ZONES)
    yearly = qsim.experiment.Comparison.from_store(compared / "store").yearly
    year = int(yearly["year"].max())
    rows = yearly[(yearly["year"] == year) & (yearly["area"].isin(["Area 3", "Area 4"]))]
    base = rows[rows["scenario"] == "town"].set_index(["replicate", "area"])
    opt = rows[rows["scenario"] == "town_qm"].set_index(["replicate", "area"])
    diff = (opt["unemployment_rate"] - base["unemployment_rate"]) * base["households"]
    expected = (diff.groupby(level="replicate").sum() / base["households"].groupby(level="replicate").sum()).mean()
    assert effects.loc[("unemployment_rate", "rest"), "difference"] == pytest.approx(expected, abs=1e-12)
    assert effects.loc[("households", "city"), "areas"] == 6


def test_report_from_the_folder_draws_the_maps_again(compared, tmp_path):
    """`qsim report` rebuilds the city from city.json; without it, the report has no city section."""
    assert main(["report", str(compared), "-o", str(tmp_path / "again.html"), "--lang", "de", "--quiet"]) == 0
    page = _page(tmp_path / "again.html")
    assert "city" in page.sections and "city" in page.figures and ATTRIBUTION in page.footer
    assert page.tables["city"][0][-1] == "Stadt"
    assert load_city(compared).table.name[5] == "Area 5"
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "store").symlink_to(compared / "store")
    assert main(["report", str(bare), "-o", str(tmp_path / "bare.html"), "--quiet"]) == 0
    page = _page(tmp_path / "bare.html")
    assert "city" not in page.sections and "city" not in page.figures


def test_a_broken_city_file_is_a_clear_error(compared, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "store").symlink_to(compared / "store")
    (broken / CITY_FILE).write_text('{"city": {"table": "/nowhere/town.csv"}}', encoding="utf-8")
    with pytest.raises(QsimError, match=re.escape(str(broken / CITY_FILE)) + ".*delete the file"):
        report_from_folder(broken, tmp_path / "x.html")


def test_zone_effects_of_a_known_difference(town):
    """Made-up yearly rows: the option lowers unemployment by 0.01 in the chosen area only, in both replicates;
    the chosen zone shows -0.01 with a zero-width interval, the others 0, the city the household share."""
    option = qsim.load_scenario(town / "town_qm.toml")
    chosen = chosen_areas(option)
    rows = []
    for scenario, drop in (("town", 0.0), ("town_qm", 0.01)):
        for r in range(2):
            for a in option.areas:
                rows.append({"scenario": scenario, "replicate": r, "year": 2, "area": a.name,
                             "households": a.households, "unemployment_rate": 0.1 - drop * (a.name in chosen),
                             "displacements": 1.0})
            total = sum(a.households for a in option.areas)
            share = sum(a.households for a in option.areas if a.name in chosen) / total
            rows.append({"scenario": scenario, "replicate": r, "year": 2, "area": "all", "households": total,
                         "unemployment_rate": 0.1 - drop * share, "displacements": 6.0})
    effects = zone_effects(pd.DataFrame(rows), "town", "town_qm", chosen, option.city.table,
                           ["unemployment_rate", "displacements"], 2).set_index(["indicator", "zone"])
    assert effects.loc[("unemployment_rate", "chosen"), ["difference", "ci_low", "ci_high"]].tolist() == \
        pytest.approx([-0.01] * 3)
    assert effects.loc[("unemployment_rate", "neighbours"), "difference"] == pytest.approx(0.0, abs=1e-15)
    assert effects.loc[("unemployment_rate", "city"), "difference"] == pytest.approx(-0.01 * share)
    assert effects.loc[("displacements", "rest"), "difference"] == 0.0
    assert effects.loc[("unemployment_rate", "neighbours"), "areas"] == 2  # Areas 3 and 4 share its forecast area


def test_dashboard_maps_a_city_and_its_difference_to_no_measures(town):
    """The dashboard's city map (qsim.mesa.dashboard.city_figure) after two months of the town with QM: the
    option's values and the difference to the town without measures, both as maps, the sources below."""
    from qsim.mesa.dashboard import DashboardModel, city_figure

    option = qsim.load_scenario(town / "town_qm.toml")
    model = DashboardModel(option)
    for _ in range(2):
        model.step()
    values = model.indicator_by_area("unemployment_rate")
    assert list(values) == [a.name for a in option.areas] and all(0 <= v <= 1 for v in values.values())
    fig = city_figure(model, "unemployment_rate")
    maps = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in maps] == ["this option, month 2", "difference to without measures"]
    assert all(len(ax.patches) == 2 + 1 for ax in maps)  # two forecast areas, the chosen one outlined
    assert any(ATTRIBUTION in t.get_text() for t in fig.texts)
