"""The browser dashboard (`qsim dashboard`): its controls in Python, and the page in headless Chromium.

The browser test starts the real command on a free port with a small scenario
(one measure, one funding source), loads the page in Debian's Chromium and
checks that Step advances the month, that the plots' image changes, and that
a changed control (the measure's capacity) gives a different run after Reset.
Every wait polls with a timeout: CI is a slow 2-core machine with a cold numba
cache.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import ARTIFACTS, chromium_page
from conftest import ROOT, SMALL_AREA

SCENARIO = f"""
spinup_months = 12

[scenario]
name = "dashboard_test"
years = 2
seed = 1

[[areas]]
name = "A"
households = {SMALL_AREA["households"]}
grid = [4, 4]
buildings_per_block = {SMALL_AREA["buildings_per_block"]}
dwellings_per_building = {SMALL_AREA["dwellings_per_building"]}

[funding.city]
kind = "public_programme"
amount_per_year = 100000

[[measures]]
type = "neighbourhood_projects"
capacity = 4
funding = "city"
"""
SERVER_START_S = 120  # the server imports mesa and solara; a slow machine takes a while
FIRST_RUN_MS = 240_000  # the first page builds the model: a cold numba cache compiles the kernels (~90 s seen)
UI_WAIT_MS = 60_000


@pytest.fixture()
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "dashboard_test.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


TITLE = "Neighbourhood projects and festivals"  # the catalogue's title of the scenario's one measure


# ------------------------------------------------------------ controls in Python
def test_controls_follow_the_scenario_and_change_the_run(scenario_file):
    from qsim.mesa.dashboard import DashboardModel, apply_controls, model_params, scenario_controls
    from qsim.scenario import load_scenario

    scenario = load_scenario(scenario_file)
    controls = scenario_controls(scenario)
    assert set(controls) == {"measures.neighbourhood_projects.on", "measures.neighbourhood_projects.capacity",
                             "funding.city.amount_per_year"}
    assert controls["measures.neighbourhood_projects.capacity"]["value"] == 4
    assert controls["measures.neighbourhood_projects.capacity"]["min"] > 0  # a capacity must stay above 0
    assert controls["funding.city.amount_per_year"]["value"] == 100000

    changed = apply_controls(scenario, {"measures.neighbourhood_projects.capacity": 8,
                                        "funding.city.amount_per_year": 50000})
    assert changed.measures[0].units == 8 and changed.funding["city"].amount_per_year == 50000
    assert apply_controls(scenario, {"measures.neighbourhood_projects.on": False}).measures == []

    start = {k: (v["value"] if isinstance(v, dict) else v) for k, v in model_params(scenario).items()}

    def cost_after(months: int, **changes) -> float:
        model = DashboardModel(**(start | changes))
        for _ in range(months):
            model.step()
        return model.indicator("cumulative_cost")

    base = cost_after(3)
    assert base > 0
    assert cost_after(3, **{"measures.neighbourhood_projects.capacity": 8}) > base
    assert cost_after(3, **{"measures.neighbourhood_projects.on": False}) == 0


def test_several_areas_get_a_selector_for_the_map():
    from conftest import scenario_dict

    import qsim
    from qsim.mesa.dashboard import DashboardModel, model_params

    data = scenario_dict()
    data["areas"].append(dict(data["areas"][0], name="B", grid=[3, 2], households=200))
    scenario = qsim.scenario_from_dict(data)
    area = model_params(scenario)["area"]
    assert area["type"] == "Select" and area["values"] == ["A", "B"] and area["value"] == "A"
    model = DashboardModel(scenario, area="B")
    assert model.area_index == 1 and model.grid.households.data.shape == (3, 2)


def test_german_labels_come_from_the_scenario_the_catalogue_and_the_indicator_registry(scenario_file):
    from qsim import indicators as registry
    from qsim.mesa.dashboard import DashboardModel, _month_label, indicator_figure, model_params
    from qsim.scenario import load_scenario

    scenario = load_scenario(scenario_file)
    params = model_params(scenario, "de")
    labels = {k: v["label"] for k, v in params.items() if isinstance(v, dict)}
    assert labels == {"seed": "Zufallsstart (Start 1)",
                      "measures.neighbourhood_projects.on": "Nachbarschaftsprojekte und Feste: an",
                      "measures.neighbourhood_projects.capacity": "Nachbarschaftsprojekte und Feste: Umfang (Start 4)",
                      "funding.city.amount_per_year": "Förderung city: EUR im Jahr (100.000 EUR)"}
    start = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    model = DashboardModel(**start)
    assert _month_label(model) == "Monat 0 von 24 (Jahr 1)"
    model.step()
    fig = indicator_figure(model)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[0] == registry.get("unemployment_rate").label("de") != registry.get("unemployment_rate").label("en")
    assert {t.get_text() for t in fig.legends[0].get_texts()} == {"diese Option",
                                                                  "ohne Maßnahmen (gleicher Zufallsstart)"}


def test_the_baseline_runs_beside_the_option_with_the_same_seed(scenario_file):
    """The grey line is the same neighbourhood without measures and with the same seed: at month 0 the two are the
    same households; after three months the option has spent money and the baseline none. A step of both models of
    the test scenario (700 households) takes well under 0.25 s (timed here on the 2-core CI machine; the limit is
    loose, 1 s, so that a busy machine does not fail it)."""
    import time

    from qsim.mesa.dashboard import DashboardModel, model_params
    from qsim.scenario import load_scenario

    start = {k: (v["value"] if isinstance(v, dict) else v) for k, v in model_params(load_scenario(scenario_file)).items()}
    model = DashboardModel(**start)
    assert model.baseline is not None and model.baseline.simulation.seed == model.simulation.seed
    assert model.baseline.indicator("unemployment_rate") == model.indicator("unemployment_rate")
    model.step()  # the first step may compile
    began = time.perf_counter()
    for _ in range(3):
        model.step()
    per_step = (time.perf_counter() - began) / 3
    assert model.baseline.month == model.month == 4
    assert model.indicator("cumulative_cost") > 0 == model.baseline.indicator("cumulative_cost")
    assert per_step < 1.0, f"a dashboard step took {per_step:.2f} s"


def test_unknown_control_is_named(scenario_file):
    from qsim.errors import QsimError
    from qsim.mesa.dashboard import apply_controls
    from qsim.scenario import load_scenario

    with pytest.raises(QsimError, match="measures.nope.capacity"):
        apply_controls(load_scenario(scenario_file), {"measures.nope.capacity": 2})


def test_bad_scenario_stops_before_the_server(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.replace("years = 2", "years = -1"), encoding="utf-8")
    out = _qsim_dashboard(bad, _free_port())
    assert out.returncode == 2, out.stderr
    # the scenario's own error message (file, then the field), no traceback, and no server was started
    assert out.stderr.startswith(f"qsim: {bad}") and "scenario.years" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and "http://" not in out.stdout


def test_port_in_use_is_named(scenario_file):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = _qsim_dashboard(scenario_file, port)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(f"qsim: --port {port}: cannot listen") and "Traceback" not in out.stderr


def _qsim_dashboard(scenario: Path, port: int) -> subprocess.CompletedProcess:
    """`qsim dashboard` run to its end (for the errors that stop it before the server starts)."""
    return subprocess.run([sys.executable, "-m", "qsim.cli", "dashboard", str(scenario), "--no-browser", "--port",
                           str(port)], check=False, capture_output=True, text=True, timeout=60, cwd=ROOT)


# ------------------------------------------------------------------ the page
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def dashboard_url(scenario_file, tmp_path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "qsim.cli", "dashboard", str(scenario_file), "--port", str(port),
                               "--no-browser"], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                              env=os.environ | {"PYTHONUNBUFFERED": "1"}, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"qsim dashboard exited with {server.returncode}:\n"
                            f"{(tmp_path / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"qsim dashboard did not answer within {SERVER_START_S} s:\n"
                            f"{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _poll(what: str, check, timeout_s: float = UI_WAIT_MS / 1000):
    """Call ``check()`` until it returns something truthy; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_dashboard_in_headless_chromium(dashboard_url):
    with chromium_page() as page:
        failed: list[str] = []  # every script and style must come from the server itself (no CDN, no internet)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
        page.goto(dashboard_url)
        month = page.locator(".qsim-month")
        month.wait_for(timeout=FIRST_RUN_MS)
        page.get_by_text("Step: 0").wait_for(timeout=UI_WAIT_MS)
        assert month.inner_text().startswith("Month 0 of 24")
        for label in (f"{TITLE}: on", f"{TITLE}: capacity (events per year; 4 events per year at the start)",
                      "funding city: EUR a year (100,000 EUR)"):
            assert page.get_by_text(label).count() == 1, label
        # no empty plot boxes before the first month: a hint instead
        page.locator(".qsim-start-hint").wait_for(timeout=UI_WAIT_MS)
        plot = page.locator(".qsim-plots img")
        assert plot.count() == 0
        step = page.get_by_role("button", name="Step")

        # stepping advances the month, and the plots and the values shown follow
        step.click()
        page.get_by_text("Step: 1").wait_for(timeout=UI_WAIT_MS)
        _poll("month 1", lambda: month.inner_text().startswith("Month 1 of 24"))
        plot.wait_for(timeout=UI_WAIT_MS)
        plot_before = plot.get_attribute("src")
        step.click()
        page.get_by_text("Step: 2").wait_for(timeout=UI_WAIT_MS)
        _poll("the plots to change", lambda: plot.get_attribute("src") != plot_before)
        _poll("month 2", lambda: month.inner_text().startswith("Month 2 of 24"))
        cost = page.locator(".qsim-cumulative_cost")
        cost_default = _poll("a cumulative cost", lambda: _euros(cost.inner_text()))
        settings = page.locator(".qsim-settings")
        assert f"{TITLE} 4 events per year" in settings.inner_text()

        # a changed control (the measure's capacity, 4 -> 8) gives another run after Reset
        slider = page.locator(".v-input", has_text=f"{TITLE}: capacity").get_by_role("slider")
        slider.focus()
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("Step: 0").wait_for(timeout=UI_WAIT_MS)
        _poll("the new setting", lambda: f"{TITLE} 8 events per year" in settings.inner_text())
        step.click()
        page.get_by_text("Step: 1").wait_for(timeout=UI_WAIT_MS)
        step.click()
        page.get_by_text("Step: 2").wait_for(timeout=UI_WAIT_MS)
        _poll("month 2 of the new run", lambda: month.inner_text().startswith("Month 2 of 24"))
        cost_doubled = _poll("a cumulative cost", lambda: _euros(cost.inner_text()))
        # the measure's cost is capacity x cost per unit, paid as months pass: twice the capacity, twice the money
        assert cost_doubled == pytest.approx(2 * cost_default, rel=0.01)

        # play runs month after month until paused
        page.get_by_role("button", name="▶").click()
        _poll("play to pass month 4", lambda: _month(month.inner_text()) >= 4)
        page.get_by_role("button", name="❚❚").click()
        step.wait_for(timeout=UI_WAIT_MS)  # Step is shown (enabled) again once paused
        _poll("Step to be enabled after pausing", step.is_enabled)

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "dashboard.png")
        assert failed == [], f"requests that failed: {failed}"


def _month(text: str) -> int:
    """The month of a label like 'Month 5 of 24 (year 1)'."""
    return int(re.match(r"Month (\d+) ", text).group(1))


def _euros(text: str) -> float | None:
    """The amount of a cell like '5,333 EUR' (None if it shows no positive amount yet)."""
    match = re.fullmatch(r"([\d,]+) EUR", text.strip())
    return float(match.group(1).replace(",", "")) or None if match else None
