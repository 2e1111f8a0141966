"""Shared helpers for the qsim test suite.

* ``small_scenario(**overrides)``: a validated small world (one area, 4 x 4
  blocks, 700 households in 768 dwellings, 2 years, 12 months of tie
  spin-up) that runs in well under a second;
* ``run(scenario, seed=..., years=...)``: a run's :class:`qsim.Result`;
* ``check_state(sim)``: the structural invariants of a simulation state
  (population conservation, occupant/dwelling consistency, block group
  counts, ties, value ranges), asserted with messages that say what broke.

They are plain functions so that tests can ``from conftest import ...``
(pytest puts this folder on ``sys.path``) and use them inside hypothesis
tests, where function-scoped fixtures do not mix well.
"""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
# numba compiles once per machine; keep its cache where `make test` keeps it (see the Makefile): in a folder named
# by a hash of the compiled sources, since numba does not notice edits of the helpers a kernel inlines
_COMPILED = b"".join(path.read_bytes() for path in sorted([*ROOT.glob("qsim/*.py"), *ROOT.glob("qsim/kernels/*.py")]))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache" / hashlib.sha1(_COMPILED).hexdigest()[:12]))

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import qsim  # noqa: E402
from qsim.state import LONG_TERM_UNEMPLOYED, NO_ONE, SHORT_TERM_UNEMPLOYED  # noqa: E402

# Few, slow-ish examples: every example builds and runs a small city.
# QSIM_HYPOTHESIS_PROFILE=thorough explores more (for a local bug hunt).
settings.register_profile("default", max_examples=15, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=300, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("QSIM_HYPOTHESIS_PROFILE", "default"))

# --------------------------------------------------------------- scenarios
SMALL_AREA: dict[str, Any] = {
    "name": "A",
    "households": 700,
    "grid": [4, 4],
    "buildings_per_block": 3,
    "dwellings_per_building": 16,   # 768 dwellings, about 9% vacant at the start
}
_META_KEYS = {"name", "years", "seed", "description"}
_TOP_KEYS = {"parameters", "processes", "macro", "spinup_months", "tie_slots", "areas"}


def scenario_dict(**overrides: Any) -> dict:
    """The dict behind :func:`small_scenario` (same shape as scenarios/baseline.toml).

    Keys ``name, years, seed, description`` go to ``[scenario]``; ``parameters,
    processes, macro, spinup_months, tie_slots, areas`` to the top level
    (``processes`` may name only the processes to change); every other key
    overrides a field of the single area.
    """
    data: dict[str, Any] = {
        "scenario": {"name": "small", "years": 2, "seed": 1},
        "spinup_months": 12,
        "areas": [dict(SMALL_AREA)],
        "parameters": {},
    }
    for key, value in overrides.items():
        if key in _META_KEYS:
            data["scenario"][key] = value
        elif key in _TOP_KEYS:
            data[key] = copy.deepcopy(value)
        else:
            data["areas"][0][key] = list(value) if isinstance(value, tuple) else value
    return data


def small_scenario(**overrides: Any) -> qsim.Scenario:
    """A small validated scenario; see :func:`scenario_dict` for the overrides."""
    return qsim.scenario_from_dict(scenario_dict(**overrides), source="<tests small_scenario>")


def only(*names: str) -> dict[str, bool]:
    """A ``[processes]`` table with only the named processes switched on."""
    return {p: (p in names) for p in ("labour", "encounters", "trust", "participation", "environment",
                                      "mobility", "organisations")}


def run(scenario: qsim.Scenario, seed: int = 1, replicate: int = 0, years: float | None = None,
        hooks=()) -> qsim.Result:
    return qsim.Simulation(scenario, seed=seed, replicate=replicate, hooks=hooks).run(years=years)


# -------------------------------------------------------------- invariants
def check_state(sim: qsim.Simulation) -> None:
    """Assert the structural invariants of ``sim.state`` (after construction or any step)."""
    s = sim.state
    h, dw, blk = s.households, s.dwellings, s.blocks
    n_dw = len(dw)
    n_slots = len(h.alive)
    month = s.month
    alive = h.alive
    ids = np.flatnonzero(alive)

    # population conservation: one dwelling per alive household, one household per occupied dwelling
    d = h.dwelling[ids]
    assert np.all((d >= 0) & (d < n_dw)), f"month {month}: an alive household has no valid dwelling"
    assert np.array_equal(dw.occupant[d], ids), f"month {month}: occupant[dwelling[i]] != i for some household"
    assert len(np.unique(d)) == len(ids), f"month {month}: two households share a dwelling"
    assert np.all(h.dwelling[~alive] == NO_ONE), f"month {month}: an empty slot still holds a dwelling"
    occ = dw.occupant
    occupied = np.flatnonzero(occ >= 0)
    assert np.all(occ[occ < 0] == NO_ONE), f"month {month}: occupant holds a negative value other than NO_ONE"
    assert np.all(occ[occupied] < n_slots), f"month {month}: occupant points outside the household arrays"
    assert np.all(alive[occ[occupied]]), f"month {month}: a dwelling is occupied by a household that is not alive"
    assert np.array_equal(h.dwelling[occ[occupied]], occupied), f"month {month}: dwelling[occupant[d]] != d"
    vacant = int((occ < 0).sum())
    assert len(ids) + vacant == n_dw, f"month {month}: alive {len(ids)} + vacant {vacant} != dwellings {n_dw}"

    # block group counts are kept current
    recount = np.zeros_like(blk.group_count)
    np.add.at(recount, (dw.block[d], h.group[ids].astype(np.int64)), 1)
    assert np.array_equal(blk.group_count, recount), (
        f"month {month}: blocks.group_count differs from the recount in blocks "
        f"{np.flatnonzero((blk.group_count != recount).any(axis=1))[:10].tolist()}")
    assert set(np.unique(h.group[ids]).tolist()) <= {0, 1}, f"month {month}: group outside 0/1"

    # ties: no empty or dead targets, no self ties, no duplicates, strengths in (0, 1], empty slots at 0
    tt, ts = h.tie_target, h.tie_strength
    assert np.all(tt[~alive] == NO_ONE), f"month {month}: a vacated slot still holds ties"
    sub, sub_s = tt[ids], ts[ids]
    used = sub >= 0
    assert np.all(sub[~used] == NO_ONE), f"month {month}: tie slot with a negative value other than NO_ONE"
    assert np.all(sub[used] < n_slots), f"month {month}: a tie points outside the household arrays"
    assert np.all(alive[sub[used]]), f"month {month}: a tie points at an empty slot"
    assert not np.any(sub == ids[:, None]), f"month {month}: a household is tied to itself"
    srt = np.sort(np.where(used, sub, -1 - np.arange(sub.shape[1])[None, :]), axis=1)
    assert not np.any(srt[:, 1:] == srt[:, :-1]), f"month {month}: a household holds two ties to the same household"
    assert np.all(np.isfinite(ts)), f"month {month}: non-finite tie strength"
    assert np.all((sub_s[used] > 0.0) & (sub_s[used] <= 1.0)), f"month {month}: tie strength outside (0, 1]"
    assert np.all(sub_s[~used] == 0.0), f"month {month}: an empty tie slot has a strength"

    # ties are symmetric: held in both rows with equal strength (and back-pointers, where the state keeps them)
    rows, cols = np.nonzero(tt >= 0)
    if len(rows):
        partners = tt[rows, cols]
        back = getattr(h, "tie_back", None)
        if back is not None:
            kb = back[rows, cols].astype(np.int64)
            assert np.all((kb >= 0) & (kb < tt.shape[1])), f"month {month}: a tie without a valid back-pointer"
            assert np.array_equal(tt[partners, kb], rows), f"month {month}: back-pointer to the wrong slot"
            assert np.array_equal(back[partners, kb].astype(np.int64), cols), f"month {month}: back-pointers differ"
            assert np.array_equal(ts[partners, kb], ts[rows, cols]), f"month {month}: the two ends differ in strength"
            assert np.all(back[tt < 0] == NO_ONE), f"month {month}: an empty tie slot has a back-pointer"
        else:
            pair = set(zip(rows.tolist(), partners.tolist()))
            assert all((j, i) in pair for i, j in pair), f"month {month}: a tie is not held by both households"

    # household values in their ranges
    for name in ("skill", "trust_in", "trust_out", "trust_inst", "efficacy", "attachment", "threshold",
                 "satisfaction", "child_education"):
        v = getattr(h, name)[ids]
        assert np.all(np.isfinite(v)), f"month {month}: non-finite {name}"
        assert np.all((v >= 0.0) & (v <= 1.0)), f"month {month}: {name} outside [0, 1]: {v.min()}..{v.max()}"
    assert np.all((h.labour[ids] >= 0) & (h.labour[ids] <= 4)), f"month {month}: unknown labour state"
    assert np.all(h.unemployed_months[ids] >= 0), f"month {month}: negative unemployment duration"
    assert np.all(np.isfinite(h.income[ids]) & (h.income[ids] > 0)), f"month {month}: income not positive"
    assert np.all(np.isin(h.participating[ids], (0, 1))), f"month {month}: participating not 0/1"
    assert np.all((h.children[ids] >= 0) & (h.adults[ids] >= 1)), f"month {month}: household composition"
    rent = dw.rent[occupied]
    assert np.all(np.isfinite(rent) & (rent > 0)), f"month {month}: occupied dwelling without a positive rent"

    # the S2 definition: short-term spells are under `long_term_after` months, long-term ones at least that
    lta = sim.params["labour.long_term_after"]
    um, lab = h.unemployed_months[ids], h.labour[ids]
    assert np.all(um[lab == SHORT_TERM_UNEMPLOYED] < lta), f"month {month}: short-term spell >= long_term_after"
    assert np.all(um[lab == LONG_TERM_UNEMPLOYED] >= lta), f"month {month}: long-term spell < long_term_after"

    # uids: unique among the living, below next_uid
    uid = h.uid[ids]
    assert len(np.unique(uid)) == len(uid), f"month {month}: two alive households share a uid"
    assert np.all((uid >= 0) & (uid < s.next_uid)), f"month {month}: uid outside [0, next_uid)"

    # block and area state
    for name in ("disorder", "efficacy_lagged"):
        v = getattr(blk, name)
        assert np.all(np.isfinite(v) & (v >= 0) & (v <= 1)), f"month {month}: blocks.{name} outside [0, 1]"
    for name in ("reputation", "participation_share", "network_density", "coordination"):
        v = getattr(s.areas, name)
        assert np.all(np.isfinite(v) & (v >= 0) & (v <= 1)), f"month {month}: areas.{name} outside [0, 1]"
    q = s.buildings.quality
    assert np.all((q >= 0) & (q <= 1)), f"month {month}: building quality outside [0, 1]"
    ot = s.organisations.tie_strength
    assert np.allclose(ot, ot.T) and np.all((ot >= 0) & (ot <= 1)), f"month {month}: organisation ties"
