"""A city from a table (qsim.city): the loader, malformed tables, the population it builds, area selections,
the MSS indices and maps. Everything runs on a small Berlin (``scale``), so the tests stay fast."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from qsim.city import BERLIN_TABLE, CityError, Selection, read_city_table, select_areas
from qsim.mss import STATUS_CLASSES
from qsim.files import read_toml
from qsim.scenario import ScenarioError, load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
BERLIN_TOML = ROOT / "scenarios" / "berlin.toml"
SCALE = 0.02  # about 42,000 households: every area keeps at least 10


def small_berlin(scale: float = SCALE, path: Path = BERLIN_TOML, **city):
    """The Berlin scenario (or one extending it) at ``scale``, with further [city] settings."""
    data = read_toml(path, ScenarioError)
    data["city"] = {**data.get("city", {}), "scale": scale, **city}
    return scenario_from_dict(data, str(path), path.parent)


def shipped_rows() -> list[dict]:
    with BERLIN_TABLE.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_table(folder: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    path = folder / "city.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_shipped_table_gives_536_areas_and_skips_the_six_without_status():
    rows = shipped_rows()
    without = [r["plr_name"] for r in rows if r["z_s1_unemployment"] == ""]
    scenario = load_scenario(BERLIN_TOML)
    assert len(rows) == 542 and len(without) == 6
    assert len(scenario.areas) == 542 - len(without)
    assert [s.split(" (")[0] for s in scenario.city.table.skipped] == without
    assert not set(without) & {a.name for a in scenario.areas}


def test_household_total_is_inhabitants_over_household_size_within_5_percent():
    """Target from the table itself: inhabitants of the areas with status values / 1.8 persons, times the scale.
    Rounding and the 10 households every area keeps move the total by well under 5%."""
    target = sum(int(r["inhabitants_2020"]) for r in shipped_rows() if r["z_s1_unemployment"]) / 1.8
    full = load_scenario(BERLIN_TOML)
    assert abs(sum(a.households for a in full.areas) / target - 1) < 0.05
    small = small_berlin()
    assert abs(sum(a.households for a in small.areas) / (SCALE * target) - 1) < 0.05


def test_initial_shares_follow_the_z_values():
    """The population built at 2% (about 78 households per area, seed 1): S1, S3 and S4 of each area, counted
    in the state, rank like the table's z-values (Spearman >= 0.9, the issue's criterion; rounding to whole
    households is the noise)."""
    from qsim.indicators import compute, names
    from qsim.parameters import ModelParameters
    from qsim.population import build_state
    from qsim.kernels.mobility import N_FLOWS

    scenario = small_berlin()
    params = ModelParameters(scenario.parameters)
    state = build_state(list(scenario.areas), params, seed=1)
    n = len(scenario.areas)
    values = compute(state, params, np.zeros((n, 2, N_FLOWS)), np.zeros(len(state.blocks.area)), np.zeros(n))
    city = scenario.city
    z = city.table.z[city.rows]
    for k, name in enumerate(("unemployment_rate", "transfer_rate", "child_poverty_rate")):
        rho = spearmanr(values[:n, 2, names().index(name)], z[:, k]).statistic
        assert rho >= 0.9, (name, rho)


def test_rent_and_building_quality_fall_with_status():
    """Building quality falls with the status index; so does rent at equal density (elasticity 0); and denser
    areas pay more at equal status (in Berlin the dense inner city has many low-status areas, so rent and
    status index barely correlate overall)."""
    scenario = small_berlin()
    index = scenario.city.status_index
    quality = np.array([a.building_quality for a in scenario.areas])
    assert spearmanr(quality, index).statistic < -0.99
    flat = np.array([a.rent_level for a in small_berlin(rent_density_elasticity=0.0).areas])
    assert spearmanr(flat, index).statistic < -0.999  # areas of equal index tie
    rent = np.array([a.rent_level for a in scenario.areas])
    table = scenario.city.table
    density = table.inhabitants[scenario.city.rows] / table.area_m2[scenario.city.rows]
    assert spearmanr(rent / flat, density).statistic > 0.99  # ties where the density is clipped


@pytest.mark.parametrize("change, line, column", [
    ("drop z_s4_child_poverty", 1, "z_s4_child_poverty"),
    ("area_m2 = 12,5", 3, "area_m2"),
    ("duplicate key", 4, "plr_id"),
    ("inhabitants_2020 = 0", 3, "inhabitants_2020"),
    ("z_s3_transfer_not_unemployed = ", 3, "z_s3_transfer_not_unemployed"),
    ("status_class = poor", 3, "status_class"),
])
def test_malformed_tables_name_file_line_and_column(tmp_path, change, line, column):
    rows = shipped_rows()[:3]
    columns = list(rows[0])
    if change.startswith("drop "):
        columns.remove(change[5:])
    elif change == "duplicate key":
        rows[2]["plr_id"] = rows[0]["plr_id"]
    else:
        name, value = change.split(" = ")
        rows[1][name] = value
    path = write_table(tmp_path, rows, columns)
    with pytest.raises(CityError) as e:
        read_city_table(path)
    message = str(e.value)
    assert str(path) in message and f"line {line}" in message and repr(column) in message, message


def test_a_malformed_table_fails_the_scenario_with_a_clear_error(tmp_path):
    rows = shipped_rows()[:3]
    rows[1]["inhabitants_2020"] = "many"
    write_table(tmp_path, rows)
    scenario = tmp_path / "city.toml"
    scenario.write_text('[scenario]\nname = "c"\nyears = 1\n[city]\ntable = "city.csv"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"city\.toml: invalid scenario\n  city\.table: .*city\.csv: line 3, "
                       r"column 'inhabitants_2020': expected a whole number"):
        load_scenario(scenario)
    scenario.write_text('[scenario]\nname = "c"\nyears = 1\n[city]\ntable = "city.csv"\nscale = 2\n',
                        encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"\n  city\.scale: Input should be less than or equal to 1"):
        load_scenario(scenario)


def test_another_city_in_the_same_columns(tmp_path):
    """A made-up city of four areas with only the required columns: the areas follow its rows."""
    rows = [{"plr_id": f"{k}", "plr_name": f"Area {k}", "pgr_id": "1", "pgr_name": "One", "district": "D",
             "area_m2": "1000000", "inhabitants_2020": str(1800 * (k + 1)), "z_s1_unemployment": str(z),
             "z_s3_transfer_not_unemployed": str(z), "z_s4_child_poverty": str(z)}
            for k, z in enumerate((-1.0, 0.0, 0.5, 1.5))]
    write_table(tmp_path, rows)
    (tmp_path / "c.toml").write_text('[scenario]\nname = "c"\nyears = 1\n[city]\ntable = "city.csv"\n',
                                     encoding="utf-8")
    scenario = load_scenario(tmp_path / "c.toml")
    assert [a.name for a in scenario.areas] == [f"Area {k}" for k in range(4)]
    assert [a.households for a in scenario.areas] == [1000 * (k + 1) for k in range(4)]
    assert np.all(np.diff([a.unemployment_rate for a in scenario.areas]) > 0)
    assert scenario.areas[0].unemployment_rate == pytest.approx(0.0)  # the lowest z-value sits at share 0


# ---------------------------------------------------------------- MSS indices

def test_mss_reproduces_the_shipped_status_classes_from_the_z_values():
    """All 536 classes exactly; the index itself to within 0.01 (the z-values are published to 2 decimals)."""
    from qsim.mss import status_classes, status_index

    rows = [r for r in shipped_rows() if r["z_s1_unemployment"]]
    z = np.array([[float(r[c]) for c in ("z_s1_unemployment", "z_s3_transfer_not_unemployed", "z_s4_child_poverty")]
                  for r in rows])
    index = status_index(z)
    assert list(status_classes(index)) == [r["status_class"] for r in rows]
    assert np.abs(index - np.array([float(r["status_index"]) for r in rows])).max() < 0.01


def _indicators(shares: dict[str, list[list[float]]], months: int) -> "pd.DataFrame":
    """Monthly indicators of areas whose three shares move linearly from their first to their last value."""
    import pandas as pd

    rows = []
    for area, (start, end) in shares.items():
        for month in range(months):
            value = np.array(start) + (np.array(end) - np.array(start)) * month / (months - 1)
            rows.append({"month": month, "year": month // 12 + 1, "area": area, "unemployment_rate": value[0],
                         "transfer_rate": value[1], "child_poverty_rate": value[2]})
    rows += [{**r, "area": "all"} for r in rows[:months]]  # the city row is ignored
    return pd.DataFrame(rows)


def test_mss_of_a_run_follows_the_method():
    """Ten areas, shares rising with the area number; area 9 worsens fast, area 0 improves: their status
    and dynamics land in the extreme classes, and special attention follows the rule."""
    import pandas as pd  # noqa: F401

    from qsim.mss import mss_indices

    shares = {f"a{k}": [[0.02 + 0.01 * k, 0.05 + 0.02 * k, 0.1 + 0.05 * k]] * 2 for k in range(10)}
    shares["a9"] = [[0.11, 0.23, 0.55], [0.2, 0.33, 0.7]]
    shares["a0"] = [[0.02, 0.05, 0.1], [0.0, 0.02, 0.05]]
    table = mss_indices(_indicators(shares, 48), year=4).set_index("area")
    s1 = table["s1"].to_numpy()
    assert table["z_s1"].to_numpy() == pytest.approx((s1 - s1.mean()) / s1.std(ddof=1))
    assert table.loc["a9", "status_class"] == "very low" and table.loc["a0", "status_class"] == "high"
    assert table.loc["a9", "dynamics_class"] == "negative" and table.loc["a0", "dynamics_class"] == "positive"
    assert table.loc["a5", "dynamics_class"] == "stable"
    december_2 = 0.11 + (0.2 - 0.11) * 23 / 47
    assert table.loc["a9", "d1"] == pytest.approx(100 * (0.2 - december_2))
    expected = table["status_class"].isin(["low", "very low"]) | (
        (table["status_class"] == "medium") & (table["dynamics_class"] == "negative"))
    assert (table["special_attention"] == expected).all() and table.loc["a9", "special_attention"]
    year_1 = mss_indices(_indicators(shares, 48), year=1)
    assert year_1["dynamics_index"].isna().all() and year_1["status_class"].notna().all()


def test_mss_rejects_a_single_area_and_a_missing_year():
    from qsim.errors import QsimError
    from qsim.mss import mss_indices

    shares = {f"a{k}": [[0.01 * k, 0.02, 0.1]] * 2 for k in range(4)}
    with pytest.raises(QsimError, match="year 3.*2 complete year"):
        mss_indices(_indicators(shares, 24), year=3)
    with pytest.raises(QsimError, match="at least 3"):
        mss_indices(_indicators({"a": [[0.1, 0.1, 0.1]] * 2}, 24))


def test_result_mss_and_the_command_on_a_small_city(tmp_path, capsys):
    """Eight planning areas of Mitte at 5% run for two years: Result.mss and `qsim mss` give the same table."""
    import pandas as pd

    from qsim import Simulation
    from qsim.cli import main

    write_table(tmp_path, shipped_rows()[:8])
    (tmp_path / "c.toml").write_text('[scenario]\nname = "c"\nyears = 2\n[city]\ntable = "city.csv"\n'
                                     'scale = 0.05\n', encoding="utf-8")
    result = Simulation(load_scenario(tmp_path / "c.toml"), seed=1).run()
    table = result.mss(year=2)
    assert len(table) == 8 and table["status_class"].notna().all() and table["dynamics_class"].notna().all()
    result.save(tmp_path / "out")
    assert main(["mss", str(tmp_path / "out"), "--year", "2", "--out", str(tmp_path / "mss.csv")]) == 0
    assert "areas of special attention" in capsys.readouterr().out
    written = pd.read_csv(tmp_path / "mss.csv")
    assert written["status_index"].to_numpy() == pytest.approx(table["status_index"].to_numpy())
    assert main(["mss", str(tmp_path)]) == 2  # no indicators.parquet there


# ---------------------------------------------------------------- choosing areas

def test_lowest_status_picks_the_areas_with_the_highest_shipped_index():
    rows = sorted((r for r in shipped_rows() if r["status_index"]), key=lambda r: -float(r["status_index"]))
    table = read_city_table(BERLIN_TABLE)
    for count in (5, 32):
        # the shipped index is rounded: the cut must not fall between two equal values
        assert float(rows[count - 1]["status_index"]) - float(rows[count]["status_index"]) > 0.01
        chosen = select_areas(Selection(rule="lowest_status", count=count), table)
        assert set(chosen) == {r["plr_name"] for r in rows[:count]}


def test_largest_picks_the_most_populous_areas_of_the_classes():
    rows = [r for r in shipped_rows() if r["status_class"] in ("low", "very low")]
    table = read_city_table(BERLIN_TABLE)
    chosen = select_areas(Selection(rule="largest", count=10, status_classes=["low", "very low"]), table)
    size = {r["plr_name"]: int(r["inhabitants_2020"]) for r in rows}
    assert len(chosen) == 10 and set(chosen) <= set(size)
    assert min(size[name] for name in chosen) >= max(v for k, v in size.items() if k not in chosen)


def test_negative_dynamics_and_list(tmp_path):
    rows = shipped_rows()[:12]
    for k, r in enumerate(rows):
        r["dynamics_class"] = "negative" if k % 3 == 0 else "stable"
        r["dynamics_index"] = str(1.0 + k / 10 if k % 3 == 0 else 0.0)
        r["status_class"] = ""  # qsim recomputes the classes from the z-values
    table = read_city_table(write_table(tmp_path, rows))
    classes = list(STATUS_CLASSES)
    everywhere = select_areas(Selection(rule="negative_dynamics", status_classes=classes), table)
    assert everywhere == [rows[k]["plr_name"] for k in (9, 6, 3, 0)]  # highest dynamics index first
    assert select_areas(Selection(rule="negative_dynamics", status_classes=classes, count=2), table) == \
        [rows[9]["plr_name"], rows[6]["plr_name"]]
    chosen = select_areas(Selection(rule="list", areas=[rows[1]["plr_id"], rows[2]["plr_name"]]), table)
    assert chosen == [rows[1]["plr_name"], rows[2]["plr_name"]]
    with pytest.raises(CityError, match="'nowhere' is not a simulated area"):
        select_areas(Selection(rule="list", areas=["nowhere"]), table)
    with pytest.raises(CityError, match="needs the column dynamics_class"):
        select_areas(Selection(rule="negative_dynamics"), read_city_table(BERLIN_TABLE))


def test_measures_and_qm_offices_in_chosen_areas_and_bad_selections():
    """berlin_qm.toml: one QM office (team, budget) and one of each measure per chosen area, the costs adding up
    to the programme's amount; a selection or an office written wrongly is a clear error."""
    scenario = small_berlin(path=ROOT / "scenarios" / "berlin_qm.toml")
    chosen = select_areas(Selection(rule="lowest_status", count=32), read_city_table(BERLIN_TABLE))
    assert [o.area for o in scenario.offices] == chosen
    assert all(o.carrier == "non_profit" and o.staff == 2.5 for o in scenario.offices)
    offices = [m for m in scenario.all_measures() if m.type == "qm_office"]
    assert [m.label for m in offices] == [f"qm_office @ {area}" for area in chosen]
    projects = [m for m in scenario.measures if m.type == "neighbourhood_projects"]
    assert [m.target.area for m in projects] == chosen
    assert projects[0].label == f"neighbourhood_projects @ {chosen[0]}"
    assert len(scenario.measures) == 8 * 32
    amount = scenario.funding["soziale_stadt"].amount_per_year
    assert sum(m.cost for m in scenario.all_measures()) == pytest.approx(amount) == 23_600_000
    small = small_berlin(path=ROOT / "scenarios" / "berlin_qm_concentrated.toml")
    assert len({m.target.area for m in small.all_measures()}) == len(small.offices) == 16
    assert {o.staff for o in small.offices} == {4}
    assert amount - 20_000 < sum(m.cost for m in small.all_measures()) <= amount
    with pytest.raises(ScenarioError, match=r"city\.selections\.qm: .*needs count"):
        small_berlin(path=ROOT / "scenarios" / "berlin_qm.toml", selections={"qm": {"rule": "largest"}})
    with pytest.raises(ScenarioError, match=r"\n  measures\.0\.areas: unknown selection 'qm'"):
        small_berlin(path=ROOT / "scenarios" / "berlin_qm.toml", selections={})
    data = read_toml(ROOT / "scenarios" / "berlin_qm.toml", ScenarioError)
    data["city"] = {**data["city"], "scale": SCALE}
    data["qm_office"] = {**data["qm_office"], "areas": "elsewhere"}
    with pytest.raises(ScenarioError, match=r"\n  qm_office\.areas: unknown selection 'elsewhere'; expected one "
                       "of qm"):
        scenario_from_dict(data, "berlin_qm.toml", ROOT / "scenarios")
    data["qm_office"] = {**data["qm_office"], "areas": "qm", "area": chosen[0]}
    with pytest.raises(ScenarioError, match=r"qm_office\.area: give area \(one office\) or areas"):
        scenario_from_dict(data, "berlin_qm.toml", ROOT / "scenarios")


def test_several_offices_written_out_and_their_errors():
    """[[qm_offices]] in a scenario of several areas: one office per area, each its own carrier; two offices
    in one area, or one without its area, are errors naming the entry."""
    from conftest import scenario_dict

    data = scenario_dict(name="two", years=1)
    data["areas"] = [dict(data["areas"][0], name="A"), dict(data["areas"][0], name="B")]
    data["funding"] = {"p": {"kind": "public_programme", "amount_per_year": 1e6}}
    office = {"carrier": "non_profit", "staff": 2, "funding": "p"}
    data["qm_offices"] = [dict(office, area="A"), dict(office, area="B", carrier="municipality")]
    scenario = scenario_from_dict(data)
    assert [m.label for m in scenario.all_measures()] == ["qm_office @ A", "qm_office @ B"]
    assert scenario.measure_paths() == ["qm_offices.0", "qm_offices.1"]
    assert scenario_from_dict(scenario.model_dump()).offices == scenario.offices  # a copy (the store's) keeps them
    from qsim.measures.runner import build_hooks
    from qsim.parameters import ModelParameters
    from qsim.population import build_state
    from qsim.rng import run_key

    state = build_state(scenario.areas, ModelParameters({}), 1, 0, scenario.tie_slots)
    runner = build_hooks(scenario, state, run_key(1, 0))[1][1]
    assert [d.carrier for d in runner.deliveries] == [1.0, 0.9]  # non-profit, municipality (CARRIERS)
    data["qm_offices"] = [dict(office, area="A"), dict(office, area="A")]
    with pytest.raises(ScenarioError, match=r"qm_offices\.1\.name: measure name 'qm_office @ A' is used twice"):
        scenario_from_dict(data)
    data["qm_offices"] = [dict(office, area="A"), office]
    with pytest.raises(ScenarioError, match=r"qm_offices\.1\.area: required: the scenario has several areas"):
        scenario_from_dict(data)
    data["qm_offices"] = [dict(office, area="A")]
    data["qm_office"] = dict(office, area="B")
    with pytest.raises(ScenarioError, match=r"qm_offices: give one office \(\[qm_office\]\) or one per area"):
        scenario_from_dict(data)
    assert "qm_offices" not in scenario_from_dict(scenario_dict(name="one", years=1)).model_dump()


# ---------------------------------------------------------------- maps

def _berlin_result(year_months: int = 24):
    """A Result with made-up indicators for Berlin's 536 simulated areas (no run): unemployment follows S1."""
    import pandas as pd

    from qsim.indicators import names as indicator_names
    from qsim.result import Result

    scenario = load_scenario(BERLIN_TOML)
    names = [a.name for a in scenario.areas]
    base = pd.DataFrame(0.0, index=range(len(names)), columns=list(indicator_names()))
    base["unemployment_rate"] = [a.unemployment_rate for a in scenario.areas]
    base["transfer_rate"] = [a.transfer_rate for a in scenario.areas]
    base["child_poverty_rate"] = [a.child_poverty_rate for a in scenario.areas]
    base["households"] = [a.households for a in scenario.areas]
    trend = 1.0 + 0.002 * (np.arange(len(names)) % 5)  # some areas worsen: dynamics to map
    frames = [base.assign(month=m, area=names, group="all", unemployment_rate=base["unemployment_rate"] * trend ** m)
              for m in range(year_months)]
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(1, "year", frame["month"] // 12 + 1)
    return Result("made-up", frame, pd.DataFrame()), scenario


def test_forecast_area_values_are_household_weighted_means():
    import pandas as pd

    from qsim.maps import by_forecast_area

    table = read_city_table(BERLIN_TABLE)
    rows = [k for k in range(len(table.key)) if table.pgr_id[k] == table.pgr_id[0] and table.simulated[k]][:2]
    values = pd.Series([0.1, 0.4], index=[table.name[k] for k in rows])
    means = by_forecast_area(values, pd.Series([3.0, 1.0], index=values.index), table)
    assert means[table.pgr_id[0]] == pytest.approx((0.1 * 3 + 0.4 * 1) / 4)
    from qsim.errors import QsimError
    with pytest.raises(QsimError, match="'Nowhere' are not in the city table"):
        by_forecast_area(pd.Series([1.0], index=["Nowhere"]), pd.Series([1.0], index=["Nowhere"]), table)


def test_plot_map_writes_indicator_status_and_difference_maps(tmp_path):
    from qsim.maps import difference_by_area, forecast_polygons, map_of_areas

    result, scenario = _berlin_result()
    assert len(forecast_polygons()) == 58
    for name in ("unemployment_rate", "status_class", "dynamics_index"):
        fig = result.plot_map(name, year=2, path=tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000 and fig is not None
    shifted = result.indicators.assign(unemployment_rate=result.indicators["unemployment_rate"] + 0.01)
    difference = difference_by_area(shifted, result.indicators, "unemployment_rate", 2)
    assert difference.to_numpy() == pytest.approx(0.01)
    map_of_areas(difference, title="QM minus baseline", diverging=True, path=tmp_path / "difference.png")
    assert (tmp_path / "difference.png").is_file()
    from qsim.errors import QsimError
    with pytest.raises(QsimError, match="year 3"):
        result.plot_map("unemployment_rate", year=3)
    with pytest.raises(QsimError, match="unknown indicator"):
        result.plot_map("unemployment", year=1)


# ---------------------------------------------------------------- effects of a city-wide option

def _yearly(scenario, effect: dict[str, float], chosen: set[str], name: str, replicates: int = 2):
    """Made-up yearly rows of a comparison: 1% unemployment everywhere, lowered by ``effect`` in ``chosen``."""
    import pandas as pd

    rows = []
    for r in range(replicates):
        for a in scenario.areas:
            drop = effect.get("unemployment_rate", 0.0) if a.name in chosen else 0.0
            rows.append({"scenario": name, "replicate": r, "year": 3, "area": a.name, "households": a.households,
                         "unemployment_rate": 0.01 - drop, "child_poverty_rate": 0.3,
                         "displacements": 2.0 + (a.name in chosen)})
        total = sum(a.households for a in scenario.areas)
        city = sum((0.01 - (effect.get("unemployment_rate", 0.0) if a.name in chosen else 0.0)) * a.households
                   for a in scenario.areas) / total
        rows.append({"scenario": name, "replicate": r, "year": 3, "area": "all", "households": total,
                     "unemployment_rate": city, "child_poverty_rate": 0.3,
                     "displacements": 2.0 * len(scenario.areas) + len(chosen)})
    return pd.DataFrame(rows)


def test_zone_effects_and_difference_maps_of_an_option(tmp_path):
    """A made-up comparison: the option lowers unemployment by 0.002 in its 32 areas only; the zone table says
    so (neighbours and rest unchanged, the city by the household share of the chosen areas), and the files
    are written."""
    import pandas as pd

    from qsim.city_effects import area_differences, chosen_areas, neighbours, write_city_effects, zone_effects

    base = small_berlin()
    option = small_berlin(path=ROOT / "scenarios" / "berlin_qm.toml")
    chosen = set(chosen_areas(option))
    assert len(chosen) == 32 and chosen == {m.target.area for m in option.measures}
    yearly = pd.concat([_yearly(base, {}, chosen, base.name),
                        _yearly(option, {"unemployment_rate": 0.002}, chosen, option.name)], ignore_index=True)
    table = zone_effects(yearly, base.name, option.name, sorted(chosen), base.city.table,
                         ["unemployment_rate", "displacements"], 3).set_index(["indicator", "zone"])
    share = sum(a.households for a in base.areas if a.name in chosen) / sum(a.households for a in base.areas)
    assert table.loc[("unemployment_rate", "chosen"), "difference"] == pytest.approx(-0.002)
    assert table.loc[[("unemployment_rate", "neighbours"), ("unemployment_rate", "rest")], "difference"].abs().max() \
        < 1e-12
    assert table.loc[("unemployment_rate", "city"), "difference"] == pytest.approx(-0.002 * share)
    assert table.loc[("displacements", "chosen"), "difference"] == 0.0  # the same in both scenarios
    near = neighbours(sorted(chosen), base.city.table)
    assert near and not set(near) & chosen and table.loc[("displacements", "neighbours"), "areas"] == len(near)
    diff = area_differences(yearly, base.name, option.name, "unemployment_rate", 3)
    assert set(diff[diff < 0].index) == chosen

    class Made:  # what write_city_effects reads of a Comparison
        pass

    comparison = Made()
    comparison.yearly = yearly.assign(transfer_rate=0.1)
    files = write_city_effects(comparison, [base, option], tmp_path)
    assert [f.name for f in files] == ["city.json", f"city_effects_{option.name}.csv", "map_differences.png"]
    assert all(f.stat().st_size > 0 for f in files)


def test_negative_dynamics_from_the_mss_of_a_run(tmp_path):
    """A selection may read the dynamics from a `qsim mss` table (e.g. of a baseline run) instead of the city
    table; its path is relative to the scenario file."""
    import pandas as pd

    rows = shipped_rows()[:10]
    write_table(tmp_path, rows)
    names = [r["plr_name"] for r in rows]
    mss = pd.DataFrame({"area": names, "year": 4, "status_class": ["low"] * 5 + ["medium"] * 5,
                        "dynamics_index": [1.5, 0.0, 2.5, 1.2, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0],
                        "dynamics_class": ["negative", "stable", "negative", "negative", "stable",
                                           "negative", "stable", "stable", "stable", "stable"]})
    (tmp_path / "runs").mkdir()
    mss.to_csv(tmp_path / "runs" / "mss_year4.csv", index=False)
    (tmp_path / "c.toml").write_text(
        '[scenario]\nname = "c"\nyears = 2\n[city]\ntable = "city.csv"\n[city.selections.qm]\n'
        'rule = "negative_dynamics"\nmss = "runs/mss_year4.csv"\ncount = 2\n\n[funding.f]\n'
        'kind = "public_programme"\namount_per_year = 1e6\n\n[[measures]]\ntype = "action_fund"\nareas = "qm"\n'
        'funding = "f"\n', encoding="utf-8")
    scenario = load_scenario(tmp_path / "c.toml")
    assert [m.target.area for m in scenario.measures] == [names[2], names[0]]  # low status, most negative first
    mss.drop(columns="dynamics_class").to_csv(tmp_path / "runs" / "mss_year4.csv", index=False)
    with pytest.raises(ScenarioError, match=r"city\.selections\.qm\.mss: .*mss_year4\.csv: line 1: column\(s\) "
                       r"'dynamics_class' missing"):
        load_scenario(tmp_path / "c.toml")
