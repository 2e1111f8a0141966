"""Cohorts: original residents and newcomers (issue 14).

Every household carries ``moved_in`` (the month it moved into its current area; negative for the original
residents, who lived there at month 0 and never left) and ``origin_area`` (its area at month 0, NO_ONE for
newcomers from outside). The tests follow households by uid month by month and check the arrays against
the moves they see.
"""

from __future__ import annotations

import numpy as np

import qsim
from conftest import SMALL_AREA, only, small_scenario
from qsim.state import NO_ONE

# two areas and brisk mobility, so that every kind of move happens within two years
MOVING = {"mobility.base_move_rate": 0.05, "mobility.vacancy_fill_rate": 0.5,
          "mobility.city_share_of_out_moves": 0.5, "mobility.share_within_area": 0.3}
TWO_AREAS = [dict(SMALL_AREA, name="A"), dict(SMALL_AREA, name="B", households=600)]


def _areas_by_uid(sim: qsim.Simulation) -> dict[int, int]:
    h = sim.state.households
    ids = np.flatnonzero(h.alive)
    return dict(zip(h.uid[ids].tolist(), sim.state.dwellings.area[h.dwelling[ids]].tolist()))


def _by_uid(sim: qsim.Simulation, name: str) -> dict[int, int]:
    h = sim.state.households
    ids = np.flatnonzero(h.alive)
    return dict(zip(h.uid[ids].tolist(), getattr(h, name)[ids].tolist()))


def test_households_present_at_the_start_are_original_residents():
    sim = qsim.Simulation(small_scenario(areas=TWO_AREAS, parameters=MOVING))
    h = sim.state.households
    alive = h.alive
    assert np.array_equal(h.origin_area[alive], sim.state.dwellings.area[h.dwelling[alive]])
    assert np.all(h.moved_in[alive] < 0), "a household present at month 0 is not an original resident"
    assert np.array_equal(h.moved_in[alive], -1 - h.tenure[alive].astype(np.int64))
    assert np.all(h.origin_area[~alive] == NO_ONE)


def test_cohort_arrays_follow_the_moves():
    sim = qsim.Simulation(small_scenario(areas=TWO_AREAS, parameters=MOVING, years=2))
    origin = _areas_by_uid(sim)
    area, moved_in = origin, _by_uid(sim, "moved_in")
    stayers = [int((sim.state.households.moved_in[sim.state.households.alive] < 0).sum())]
    seen = {"between": 0, "from outside": 0, "same area": 0}
    for t in range(sim.months):
        sim.step()
        now, now_moved, now_origin = _areas_by_uid(sim), _by_uid(sim, "moved_in"), _by_uid(sim, "origin_area")
        for uid, a in now.items():
            if uid not in area:  # came from outside the city this month
                seen["from outside"] += 1
                assert now_moved[uid] == t and now_origin[uid] == NO_ONE, f"in-mover {uid} in month {t}"
            elif a != area[uid]:  # moved to another simulated area this month
                seen["between"] += 1
                assert now_moved[uid] == t, f"household {uid} moved to area {a} in month {t}: moved_in {now_moved[uid]}"
                assert now_origin[uid] == origin.get(uid, NO_ONE)
            else:
                seen["same area"] += 1
                assert now_moved[uid] == moved_in[uid], f"household {uid} stayed in its area in month {t}"
                assert now_origin[uid] == origin.get(uid, NO_ONE)
        area, moved_in = now, now_moved
        h = sim.state.households
        stayers.append(int((h.moved_in[h.alive] < 0).sum()))
    assert seen["between"] > 0 and seen["from outside"] > 0, f"the test did not exercise every kind of move: {seen}"
    assert all(b <= a for a, b in zip(stayers, stayers[1:])), f"the number of stayers rose: {stayers}"
    assert stayers[-1] < stayers[0], "nobody left: the test did not exercise mobility"


def test_without_mobility_everyone_stays_an_original_resident():
    sim = qsim.Simulation(small_scenario(areas=TWO_AREAS, processes={"mobility": False}, years=1))
    start = sim.state.households.moved_in.copy(), sim.state.households.origin_area.copy()
    sim.run()
    assert np.array_equal(sim.state.households.moved_in, start[0])
    assert np.array_equal(sim.state.households.origin_area, start[1])


def test_the_slot_sort_carries_the_cohorts():
    sim = qsim.Simulation(small_scenario(areas=TWO_AREAS, parameters=MOVING, years=1))
    sim.run()
    before = _by_uid(sim, "moved_in"), _by_uid(sim, "origin_area")
    assert sim.state.sort_households() is not None, "the slots were in order: the test sorted nothing"
    assert (_by_uid(sim, "moved_in"), _by_uid(sim, "origin_area")) == before


# ------------------------------------------------------------------ indicators by cohort
def _pivot(frame, value):
    return frame.pivot_table(index=["month", "area"], columns="cohort", values=value, dropna=False)


def test_result_cohorts_is_a_tidy_frame():
    sim = qsim.Simulation(small_scenario(areas=TWO_AREAS, parameters=MOVING, years=1))
    h = sim.state.households  # the original residents: the households present at month 0, after the spin-up
    present = np.bincount(sim.state.dwellings.area[h.dwelling[h.alive]], minlength=2)
    starting = {"A": int(present[0]), "B": int(present[1]), "all": int(present.sum())}
    result = sim.run()
    frame = result.cohorts()
    names = qsim.indicators.cohorts.names()
    assert list(frame.columns) == ["month", "year", "area", "cohort", "households"] + names[1:]
    assert len(frame) == 3 * 4, "one row per recorded month (December), area (A, B, all) and cohort"
    assert set(frame["month"]) == {11} and set(frame["year"]) == {1}
    assert list(frame["cohort"].unique()) == ["original", "stayers", "leavers", "newcomers"]
    assert set(frame["area"]) == {"A", "B", "all"}
    for name in ("unemployment_rate", "long_term_unemployment_rate", "transfer_rate", "child_poverty_rate",
                 "mean_income", "out_group_trust", "participation_rate", "satisfaction", "households"):
        assert name in names, f"{name} is not recorded by cohort"
    # the cohorts partition: present = stayers + newcomers, original = stayers + leavers, and the original
    # residents never change in number (they are followed wherever they go)
    counts = _pivot(frame, "households")
    area = result.indicators.set_index(["month", "area"]).loc[counts.index, "households"]
    assert np.array_equal((counts["stayers"] + counts["newcomers"]).to_numpy(), area.to_numpy())
    assert np.array_equal((counts["stayers"] + counts["leavers"]).to_numpy(), counts["original"].to_numpy())
    assert counts["original"].loc[11].to_dict() == starting
    assert counts["newcomers"].loc[11].min() > 0, "no newcomers after a year: the test did not exercise mobility"
    assert counts["leavers"].loc[11].min() > 0, "no leavers after a year: the test did not exercise mobility"
    # a household-weighted mean of stayers and newcomers is the area's value (up to rounding of the sums)
    for name in ("mean_income", "satisfaction", "participation_rate"):
        values = _pivot(frame, name)
        mixed = (values[["stayers", "newcomers"]] * counts[["stayers", "newcomers"]]).sum(axis=1) / area
        expected = result.indicators.set_index(["month", "area"]).loc[counts.index, name]
        np.testing.assert_allclose(mixed.to_numpy(), expected.to_numpy(), rtol=1e-9,  # float64 sums of 1e3 terms
                                   err_msg=f"{name}: the cohorts' weighted mean is not the area's value")
    # and of stayers and leavers the original residents' value, for what is known outside the city too
    for name in ("mean_income", "unemployment_rate", "transfer_rate"):
        values = _pivot(frame, name)
        mixed = (values[["stayers", "leavers"]] * counts[["stayers", "leavers"]]).sum(axis=1) / counts["original"]
        np.testing.assert_allclose(mixed.to_numpy(), values["original"].to_numpy(), rtol=1e-9)
    # what is not known outside the city is NaN for the cohorts with members outside it
    leavers = frame[(frame["cohort"] == "leavers") & (frame["area"] == "all")]
    assert leavers["out_group_trust"].isna().all() and leavers["mean_income"].notna().all()


def test_without_mobility_original_and_stayers_are_the_area():
    result = qsim.Simulation(small_scenario(areas=TWO_AREAS, processes={"mobility": False}, years=1)).run()
    frame = result.cohorts()
    names = qsim.indicators.cohorts.names()
    area = None
    for cohort in ("original", "stayers"):
        rows = frame[frame["cohort"] == cohort].set_index(["month", "area"])[names]
        area = result.indicators.set_index(["month", "area"]).loc[rows.index, names]
        assert np.array_equal(rows.to_numpy(), area.to_numpy()), f"{cohort} differ from the area without mobility"
    for cohort in ("leavers", "newcomers"):
        rows = frame[frame["cohort"] == cohort]
        assert (rows["households"] == 0).all(), f"{cohort} without mobility"
        assert rows[names[1:]].isna().all().all(), f"{cohort}: an empty cohort has values"


def test_cohorts_are_recorded_every_december_and_at_the_end_of_a_run():
    sim = qsim.Simulation(small_scenario(areas=TWO_AREAS, parameters=MOVING, years=2))
    partial = sim.run(years=1.5).cohorts()
    assert sorted(set(partial["month"])) == [11, 17], "December of year 1 and the run's last month"
    full = sim.run(years=0.5).cohorts()
    assert sorted(set(full["month"])) == [11, 23], "the last month of year 2 once, not twice"
    h = sim.state.households
    last = full[(full["month"] == 23) & (full["area"] == "all")].set_index("cohort")["households"]
    assert last["stayers"] == int((h.alive & (h.origin_area != NO_ONE)).sum()), "city stayers: originals in the city"
    assert last["leavers"] == sim.state.n_leavers, "city leavers: originals outside the city"


def test_run_writes_the_cohorts(tmp_path):
    result = qsim.Simulation(small_scenario(years=1)).run()
    files = result.save(tmp_path)
    assert tmp_path / "cohorts.parquet" in files and tmp_path / "cohorts.csv" in files
    import pandas as pd

    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cohorts.parquet"), result.cohorts())
