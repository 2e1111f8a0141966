"""Original residents who leave are followed (issue 14, test 5d).

They are counted against the out-moves the mobility kernel records, followed by uid month by month, their
indicators exist in every year after they left, and outside the city the labour market moves them by the
residents' hazards (``kernels.labour.transition``).
"""

from __future__ import annotations

import numpy as np
import qsim
from conftest import SMALL_AREA, small_scenario
from qsim.state import EMPLOYED, LONG_TERM_UNEMPLOYED, NO_ONE, SHORT_TERM_UNEMPLOYED, empty_leavers

TWO_AREAS = [dict(SMALL_AREA, name="A"), dict(SMALL_AREA, name="B", households=600)]
MOVING = {"mobility.base_move_rate": 0.05, "mobility.vacancy_fill_rate": 0.5,
          "mobility.city_share_of_out_moves": 0.5, "mobility.share_within_area": 0.3}


def _originals(sim: qsim.Simulation) -> dict[int, int]:
    """uid -> origin area of the original residents living in the city now."""
    h = sim.state.households
    ids = np.flatnonzero(h.alive & (h.origin_area != NO_ONE))
    return dict(zip(h.uid[ids].tolist(), h.origin_area[ids].tolist()))


def _record(sim: qsim.Simulation, name: str) -> np.ndarray:
    return getattr(sim.state.leavers, name)[:sim.state.n_leavers]


def test_without_in_movers_every_out_move_is_a_leaver_followed():
    """One area and no vacancy let: every household that moves out is an original resident leaving the city,
    so the record gains exactly the out-moves of the flows, month by month."""
    sim = qsim.Simulation(small_scenario(parameters={"mobility.base_move_rate": 0.03,
                                                     "mobility.vacancy_fill_rate": 0.0}, years=3))
    result = sim.run()
    out_moves = result.flows.groupby("month")["out_moves"].sum().to_numpy()
    left = np.bincount(_record(sim, "left_month"), minlength=sim.months)
    assert out_moves.sum() > 50, "too few moves: the test did not exercise mobility"
    assert np.array_equal(left, out_moves), "leavers recorded per month differ from the out-moves"
    displaced = result.flows.groupby("month")["displaced"].sum().to_numpy()
    assert np.array_equal(np.bincount(_record(sim, "left_month"), weights=_record(sim, "displaced"),
                                      minlength=sim.months), displaced)
    frame = result.cohorts()
    leavers = frame[(frame["cohort"] == "leavers") & (frame["area"] == "A")].set_index("month")["households"]
    assert leavers.to_dict() == {m: out_moves[:m + 1].sum() for m in (11, 23, 35)}


def test_leavers_are_followed_by_uid_wherever_they_go():
    """Two areas, moves of every kind: the original residents who vanish from the city in a month are exactly
    the record's rows of that month (by uid and origin), and each area's leavers are its original residents
    in the other area plus those in the record."""
    sim = qsim.Simulation(small_scenario(areas=TWO_AREAS, parameters=MOVING, years=2))
    before = _originals(sim)
    city_leavers = 0
    for t in range(sim.months):
        sim.step()
        now = _originals(sim)
        gone = {uid: a for uid, a in before.items() if uid not in now}
        rows = _record(sim, "left_month") == t
        recorded = dict(zip(_record(sim, "uid")[rows].tolist(), _record(sim, "origin_area")[rows].tolist()))
        assert recorded == gone, f"month {t}: the leavers recorded are not the originals that left the city"
        out_of_city = sim.flows[:, :, 0].sum() - sim.flows[:, :, 6].sum()  # F_OUT - F_BETWEEN
        assert len(gone) <= out_of_city, "more leavers than households that left the city"
        city_leavers += len(gone)
        before = now
    assert city_leavers > 20, "too few leavers: the test did not exercise mobility"
    frame = sim.result().cohorts()
    last = frame[frame["month"] == sim.months - 1].set_index(["area", "cohort"])["households"]
    h = sim.state.households
    area_now = sim.state.dwellings.area[np.where(h.alive, h.dwelling, 0)]
    for a, name in enumerate(("A", "B")):
        elsewhere = int((h.alive & (h.origin_area == a) & (area_now != a)).sum())
        outside = int((_record(sim, "origin_area") == a).sum())
        assert elsewhere > 0 and outside > 0, "the test did not exercise both kinds of leaving"
        assert last[(name, "leavers")] == elsewhere + outside


def test_leavers_indicators_exist_every_year_after_they_left():
    sim = qsim.Simulation(small_scenario(parameters=MOVING, years=4))
    sim.run(years=1)
    n = sim.state.n_leavers
    at_one_year = _record(sim, "labour").copy(), _record(sim, "skill").copy()
    frame = sim.run(years=3).cohorts()
    # the record moves after they left: labour states change, skills grow or depreciate
    assert (_record(sim, "labour")[:n] != at_one_year[0]).mean() > 0.05, "the leavers' labour states stand still"
    assert (_record(sim, "skill")[:n] != at_one_year[1]).mean() > 0.5, "the leavers' skills stand still"
    first = int(_record(sim, "left_month").min())
    leavers = frame[(frame["cohort"] == "leavers") & (frame["month"] >= first)]
    assert sorted(leavers["month"].unique()) == [11, 23, 35, 47]
    known = ["households", "unemployment_rate", "long_term_unemployment_rate", "transfer_rate",
              "child_poverty_rate", "mean_income", "mean_skill"]
    assert leavers[known].notna().all().all(), "a labour indicator of the leavers is missing"
    assert (leavers["households"] > 0).all() and (leavers["mean_income"] > 0).all()
    # not known outside the city: NaN, for the leavers and for the original residents they belong to
    for cohort in ("leavers", "original"):
        rows = frame[(frame["cohort"] == cohort) & (frame["month"] >= first)]
        assert rows[["out_group_trust", "participation_rate", "satisfaction", "mean_rent"]].isna().all().all()
    # the leavers' mean income is that of their labour state now (docs/model.md 7.1, written out here)
    lp = sim.params.labour
    labour, wage, spell = _record(sim, "labour"), _record(sim, "wage").astype(float), _record(sim, "unemployed_months")
    adults, children = _record(sim, "adults").astype(float), _record(sim, "children").astype(float)
    need = lp.need_adult * (1.0 + 0.8 * (adults - 1)) + lp.need_child * children
    insured = (labour == SHORT_TERM_UNEMPLOYED) & (spell < lp.insurance_months)
    income = np.where(labour == EMPLOYED, wage + lp.child_benefit * children,
                      np.where(insured, np.maximum(lp.insurance_replacement * wage + lp.child_benefit * children, need),
                               need))
    last = leavers[(leavers["month"] == 47) & (leavers["area"] == "all")]
    assert last["households"].item() == sim.state.n_leavers
    np.testing.assert_allclose(last["mean_income"].item(), income.mean(), rtol=1e-9)


def _job_finding(lp, demand: float, skill: np.ndarray, single_parent: np.ndarray) -> np.ndarray:
    """The model's job-finding hazard (docs/model.md 7.2) without referrals and stigma, written out here."""
    h = lp.job_finding_max * demand * skill.astype(np.float64) ** lp.job_finding_skill_exponent
    return np.minimum(np.where(single_parent, h * (1.0 - lp.care_penalty), h), 0.95)


def test_leavers_find_jobs_at_the_models_hazard():
    """Referrals and stigma off (their only differences outside the city): over a long run the unemployed leavers'
    job findings and the unemployed residents' each match the sum of the model's hazard over their unemployed
    months (successions off: only residents have them). Tolerance: 4 binomial standard deviations of that sum
    (Poisson-binomial variance sum h (1 - h)), with fixed seed 3 (about 630 expected findings among the
    leavers, 870 among the residents, sd 23 and 27): a hazard 20% off would miss by 5-6 sd."""
    params = dict(MOVING, **{"labour.referral_strength": 0.0, "labour.stigma_strength": 0.0,
                             "labour.generation_turnover": 0.0})  # no successor replacing a head: residents only
    sim = qsim.Simulation(small_scenario(parameters=params, years=15), seed=3)
    lp = sim.params.labour
    found = {"leavers": 0.0, "residents": 0.0}
    expected = {"leavers": 0.0, "residents": 0.0}
    variance = {"leavers": 0.0, "residents": 0.0}
    for t in range(sim.months):
        n = sim.state.n_leavers
        lv, h = sim.state.leavers, sim.state.households
        d = sim.labour_demand(t)
        groups = {"leavers": (lv, slice(0, n)), "residents": (h, h.alive)}
        before = {}
        for who, (arrays, rows) in groups.items():
            labour = arrays.labour[rows]
            unemployed = (labour == SHORT_TERM_UNEMPLOYED) | (labour == LONG_TERM_UNEMPLOYED)
            hazard = _job_finding(lp, d, arrays.skill[rows][unemployed],
                                  (arrays.adults[rows] == 1)[unemployed] & (arrays.children[rows] > 0)[unemployed])
            expected[who] += hazard.sum()
            variance[who] += (hazard * (1 - hazard)).sum()
            uids = (arrays.uid[rows])[unemployed]
            before[who] = uids
        sim.step()
        rec = sim.state.leavers  # (a new object if the record grew)
        after_lv = dict(zip(rec.uid[:n].tolist(), rec.labour[:n].tolist()))
        found["leavers"] += sum(after_lv[u] == EMPLOYED for u in before["leavers"].tolist())
        # residents: read before mobility moved anyone (the record of the month is the labour state after the
        # labour step; a resident who left the city this month is in the record with that state)
        h = sim.state.households
        now = dict(zip(h.uid[h.alive].tolist(), h.labour[h.alive].tolist()))
        now.update(zip(rec.uid[n:sim.state.n_leavers].tolist(), rec.labour[n:sim.state.n_leavers].tolist()))
        found["residents"] += sum(now.get(u) == EMPLOYED for u in before["residents"].tolist())
    for who in ("leavers", "residents"):
        sd = np.sqrt(variance[who])
        assert expected[who] > 300, f"too few unemployed {who}' months for the test"
        assert abs(found[who] - expected[who]) < 4 * sd, (
            f"{who}: {found[who]} job findings, the model's hazard gives {expected[who]:.1f} +- {sd:.1f}")


def test_the_record_grows_and_keeps_its_rows():
    sim = qsim.Simulation(small_scenario(years=1))
    s = sim.state
    batch = empty_leavers(700)
    batch.uid[:] = np.arange(700)
    for k in range(3):
        s.add_leavers(batch.view())
    assert s.n_leavers == 2100 and len(s.leavers) >= 2100
    assert np.array_equal(s.leavers.uid[:2100], np.tile(np.arange(700), 3))
    assert s.nbytes >= s.leavers.nbytes > 0


def test_without_the_labour_market_the_record_stays_as_they_left():
    sim = qsim.Simulation(small_scenario(parameters=MOVING, processes={"labour": False}, years=1))
    sim.run(years=0.5)
    n = sim.state.n_leavers
    at_leaving = {name: _record(sim, name).copy() for name in ("labour", "skill", "wage", "unemployed_months")}
    sim.run(years=0.5)
    assert n > 0 and sim.state.n_leavers > n
    for name, values in at_leaving.items():
        assert np.array_equal(_record(sim, name)[:n], values), f"{name} of the leavers changed without labour"
