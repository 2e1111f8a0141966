"""Counter-based random numbers (qsim.rng): distribution, independence, determinism and keying by agent.

All keys are fixed, so every statistical test here is deterministic: it
either always passes or always fails. Thresholds are chosen so that a
correct generator fails a given fixed case with probability about 1e-3
(Kolmogorov-Smirnov, chi-square: p > 1e-3) or well below (correlations:
|r| < 4.5 / sqrt(n), a 4.5-sigma band).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

import qsim
from conftest import only, small_scenario
from qsim import rng
from qsim.state import EMPLOYED, LONG_TERM_UNEMPLOYED

N = 20_000
ALPHA = 1e-3
R_BOUND = 4.5 / math.sqrt(N)   # |correlation| of independent uniforms: sd 1/sqrt(n)
MEAN_BOUND = 5.0 * math.sqrt(1.0 / 12.0 / N)

# seeds whose run keys lie on both sides of 2**63: a key typed as a signed
# int64 by numba once halved the range of every draw (signed shifts in the mixer)
SEEDS = (0, 1, 2, 3, 7, 12345)
CASES = [(rng.STREAM_LABOUR, 0, 0), (rng.STREAM_MOBILITY, 17, 3), (rng.STREAM_ENCOUNTERS, -5, 1)]


def _draw(seed=1, replicate=0, stream=rng.STREAM_LABOUR, step=0, n=N, k=0):
    return rng.draw_uniforms(seed, replicate, stream, step, n, k)


# numba helpers: the kernels call the primitives from compiled code, so test them there too
@njit(cache=True)
def _chain(key, stream, step, n, k):
    skey = rng.step_key(key, stream, step)
    out = np.empty(n)
    for a in range(n):
        out[a] = rng.uniform(rng.agent_key(skey, a), k)
    return out


@njit(cache=True)
def _below_many(key, stream, step, n, k, m):
    skey = rng.step_key(key, stream, step)
    out = np.empty(n, np.int64)
    for a in range(n):
        out[a] = rng.below(rng.agent_key(skey, a), k, m)
    return out


@njit(cache=True)
def _normal_many(key, stream, step, n, k):
    skey = rng.step_key(key, stream, step)
    out = np.empty(n)
    for a in range(n):
        out[a] = rng.normal(rng.agent_key(skey, a), k)
    return out


@njit(cache=True)
def _one_agent_over_counters(key, stream, step, agent, n):
    akey = rng.agent_key(rng.step_key(key, stream, step), agent)
    out = np.empty(n)
    for k in range(n):
        out[k] = rng.uniform(akey, k)
    return out


@njit(cache=True)
def _one_agent_over_steps(key, stream, agent, n, k):
    out = np.empty(n)
    for t in range(n):
        out[t] = rng.uniform(rng.agent_key(rng.step_key(key, stream, t), agent), k)
    return out


# ------------------------------------------------------------------ keys
def test_run_key_is_unsigned_and_seeds_cover_both_halves_of_the_key_space():
    keys = [rng.run_key(s, 0) for s in SEEDS]
    assert all(isinstance(k, np.uint64) for k in keys), "run_key must return np.uint64 (numba types it unsigned)"
    high = [int(k) >= 2 ** 63 for k in keys]
    assert any(high) and not all(high), "the test seeds must give keys on both sides of 2**63"


def test_run_keys_differ_by_seed_and_replicate():
    keys = {int(rng.run_key(s, r)) for s in range(50) for r in range(4)}
    assert len(keys) == 200


def test_negative_seed_is_rejected():
    with pytest.raises(ValueError):
        rng.run_key(-1, 0)


def test_mix64_is_the_splitmix64_finaliser():
    """mix64 is documented as SplitMix64's finaliser; compare with a pure-Python 64-bit implementation."""
    mask = 2 ** 64 - 1

    def ref(z):
        z = (z + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    for z in (0, 1, 12345, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 0xDEADBEEFCAFEBABE):
        assert int(rng.mix64(np.uint64(z))) == ref(z), hex(z)


# ---------------------------------------------------------- distribution
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stream,step,k", CASES)
def test_uniform_draws_are_uniform_on_unit_interval(seed, stream, step, k):
    u = _draw(seed, 0, stream, step, N, k)
    assert u.shape == (N,) and u.dtype == np.float64
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < MEAN_BOUND, f"mean {u.mean():.4f}"
    assert u.max() > 0.999 and u.min() < 0.001, "draws do not fill [0, 1)"
    p = stats.kstest(u, "uniform").pvalue
    assert p > ALPHA, f"KS test rejects uniformity (p = {p:.2e})"


@pytest.mark.parametrize("seed", SEEDS)
def test_draws_from_compiled_code_match_the_python_helper(seed):
    """Kernels compose step_key -> agent_key -> uniform in numba; it must be the same stream as draw_uniforms."""
    key = rng.run_key(seed, 0)
    assert np.array_equal(_chain(key, rng.STREAM_TRUST, 4, 500, 2), _draw(seed, 0, rng.STREAM_TRUST, 4, 500, 2))


@pytest.mark.parametrize("seed", SEEDS)
def test_primitives_compose_from_python(seed):
    """The public primitives (run_key, step_key, agent_key, uniform) called one by one from Python give the
    same draws as draw_uniforms, whatever the key value (half of all 64-bit keys are >= 2**63), when keys
    are passed as np.uint64 as the module documents."""
    key = rng.run_key(seed, 0)
    expected = _draw(seed, 0, rng.STREAM_LABOUR, 3, 64, 1)
    skey = np.uint64(rng.step_key(key, rng.STREAM_LABOUR, 3))
    got = np.array([rng.uniform(np.uint64(rng.agent_key(skey, a)), 1) for a in range(64)])
    assert np.array_equal(got, expected)


def test_uniform_over_counters_of_one_agent():
    u = _one_agent_over_counters(rng.run_key(5, 1), rng.STREAM_ENCOUNTERS, 9, 42, N)
    assert stats.kstest(u, "uniform").pvalue > ALPHA


def test_uniform_over_steps_of_one_agent():
    u = _one_agent_over_steps(rng.run_key(5, 1), rng.STREAM_LABOUR, 42, N, 0)
    assert stats.kstest(u, "uniform").pvalue > ALPHA


@pytest.mark.parametrize("m", [2, 3, 7, 10, 1000])
def test_below_is_uniform_on_integers(m):
    x = _below_many(rng.run_key(3, 0), rng.STREAM_MOBILITY, 2, N, 4, m)
    assert x.min() >= 0 and x.max() <= m - 1
    counts = np.bincount(x, minlength=m)
    if m <= 10:
        assert stats.chisquare(counts).pvalue > ALPHA
    else:  # too few per cell for chi-square: KS on the scaled integers
        assert stats.kstest((x + 0.5) / m, "uniform").pvalue > ALPHA


@pytest.mark.parametrize("seed", [1, 3])
def test_normal_is_standard_normal(seed):
    z = _normal_many(rng.run_key(seed, 0), rng.STREAM_POPULATION, 1, N, 0)
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 5 / math.sqrt(N) and abs(z.std() - 1) < 0.03
    assert stats.kstest(z, "norm").pvalue > ALPHA


_KEYS = rng.id_keys(np.arange(4000, dtype=np.int64))  # random-number ids of slots 0..3999 (uid = slot)


def test_household_key_of_an_id_key_is_the_agent_key():
    key = rng.step_key(rng.run_key(3, 1), rng.STREAM_LABOUR, 7)
    for agent in (0, 1, 12345, 2**40 + 3):
        assert rng.household_key(key, rng.id_key(agent)) == rng.agent_key(key, agent)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 1000])
def test_random_order_is_a_permutation_that_changes_with_the_step(n):
    key = rng.run_key(2, 0)
    ids = (np.arange(n, dtype=np.int64) * 3 + 5)
    orders = set()
    for step in range(10):
        order = rng.random_order(key, rng.STREAM_ORDER, step, ids, _KEYS)
        assert np.array_equal(np.sort(order), ids), f"not a permutation of the ids for n={n}, step={step}"
        orders.add(tuple(order[:5].tolist()))
    if n >= 3:
        assert len(orders) > 1, "the activation order never changes"


def test_random_order_of_two_agents_does_not_depend_on_who_else_is_in_the_list():
    key = rng.run_key(8, 0)
    ids = np.arange(300, dtype=np.int64)
    full = rng.random_order(key, rng.STREAM_ORDER, 4, ids, _KEYS)
    subset = ids[::7][::-1].copy()
    sub = rng.random_order(key, rng.STREAM_ORDER, 4, subset, _KEYS)
    position = {int(a): p for p, a in enumerate(full)}
    assert [position[int(a)] for a in sub] == sorted(position[int(a)] for a in sub)


def test_random_order_is_uniform_over_orderings():
    """Each of the 6 orders of 3 agents comes up equally often over 6,000 steps (chi-square)."""
    key = rng.run_key(1, 0)
    ids = np.array([10, 11, 12], dtype=np.int64)
    counts = {}
    for step in range(6000):
        t = tuple(rng.random_order(key, rng.STREAM_ORDER, step, ids, _KEYS).tolist())
        counts[t] = counts.get(t, 0) + 1
    assert len(counts) == 6
    assert stats.chisquare(list(counts.values())).pvalue > ALPHA


@njit(cache=True)
def _pairs_many(key, stream, step, n, k):
    skey = rng.step_key(key, stream, step)
    out = np.empty((n, 2))
    for a in range(n):
        u, v = rng.uniform_pair(rng.agent_key(skey, a), k)
        out[a, 0] = u
        out[a, 1] = v
    return out


@pytest.mark.parametrize("seed", [1, 3])
def test_uniform_pair_gives_two_independent_uniforms(seed):
    uv = _pairs_many(rng.run_key(seed, 0), rng.STREAM_ENCOUNTERS, 6, N, 2)
    assert uv.min() >= 0.0 and uv.max() < 1.0
    for col in (0, 1):
        assert stats.kstest(uv[:, col], "uniform").pvalue > ALPHA
    assert abs(np.corrcoef(uv[:, 0], uv[:, 1])[0, 1]) < R_BOUND
    h, _, _ = np.histogram2d(uv[:, 0], uv[:, 1], bins=10, range=[[0, 1], [0, 1]])
    assert stats.chisquare(h.ravel()).pvalue > ALPHA


# ---------------------------------------------------------- independence
def _neighbouring_agents():
    u = _draw(1, 0, rng.STREAM_LABOUR, 0, N + 1, 0)
    return u[:-1], u[1:]


PAIRS = {  # label -> two streams of N draws that must be independent
    "neighbouring agents": _neighbouring_agents,
    "neighbouring steps": lambda: (_draw(1, 0, rng.STREAM_LABOUR, 5), _draw(1, 0, rng.STREAM_LABOUR, 6)),
    "steps -1 and 0 (spin-up)": lambda: (_draw(1, 0, rng.STREAM_ENCOUNTERS, -1), _draw(1, 0, rng.STREAM_ENCOUNTERS, 0)),
    "neighbouring counters": lambda: (_draw(1, 0, rng.STREAM_LABOUR, 5, k=0), _draw(1, 0, rng.STREAM_LABOUR, 5, k=1)),
    "counters 6 and 8": lambda: (_draw(1, 0, rng.STREAM_ENCOUNTERS, 5, k=6), _draw(1, 0, rng.STREAM_ENCOUNTERS, 5, k=8)),
    "labour and mobility streams": lambda: (_draw(1, 0, rng.STREAM_LABOUR, 5), _draw(1, 0, rng.STREAM_MOBILITY, 5)),
    "neighbouring streams": lambda: (_draw(1, 0, rng.STREAM_ENCOUNTERS, 5), _draw(1, 0, rng.STREAM_TRUST, 5)),
    "neighbouring seeds": lambda: (_draw(1, 0), _draw(2, 0)),
    "neighbouring replicates": lambda: (_draw(1, 0), _draw(1, 1)),
    "seed/replicate swapped": lambda: (_draw(1, 2), _draw(2, 1)),
}


@pytest.mark.parametrize("label", list(PAIRS))
def test_streams_are_uncorrelated_and_jointly_uniform(label):
    x, y = PAIRS[label]()
    assert not np.array_equal(x, y), f"{label}: identical streams"
    r = np.corrcoef(x, y)[0, 1]
    assert abs(r) < R_BOUND, f"{label}: correlation {r:.4f} beyond +-{R_BOUND:.4f}"
    # joint uniformity on a 10 x 10 grid (catches dependence that a correlation misses)
    h, _, _ = np.histogram2d(x, y, bins=10, range=[[0, 1], [0, 1]])
    p = stats.chisquare(h.ravel()).pvalue
    assert p > ALPHA, f"{label}: pairs not jointly uniform (chi-square p = {p:.2e})"


def test_high_bits_of_keys_do_not_leak_between_agents():
    """Agents whose ids differ in one high bit must not get related draws."""
    ids = np.arange(N, dtype=np.int64)
    key = rng.run_key(1, 0)
    a = rng.uniforms(key, rng.STREAM_LABOUR, 0, ids, 0)
    b = rng.uniforms(key, rng.STREAM_LABOUR, 0, ids + (1 << 40), 0)
    assert abs(np.corrcoef(a, b)[0, 1]) < R_BOUND


# ----------------------------------------------------------- determinism
def test_draws_are_identical_run_to_run():
    assert np.array_equal(_draw(7, 3, rng.STREAM_TRUST, 11, 1000, 2), _draw(7, 3, rng.STREAM_TRUST, 11, 1000, 2))


def test_draws_are_keyed_by_agent_id_not_by_position_or_batch():
    """A household's draw depends only on its id: not on which other agents are drawn, nor their order."""
    key = rng.run_key(4, 0)
    full = rng.uniforms(key, rng.STREAM_LABOUR, 8, np.arange(1000, dtype=np.int64), 0)
    subset = np.array([999, 3, 500, 4, 0], dtype=np.int64)
    assert np.array_equal(rng.uniforms(key, rng.STREAM_LABOUR, 8, subset, 0), full[subset])
    without_17 = np.delete(np.arange(1000, dtype=np.int64), 17)
    assert np.array_equal(rng.uniforms(key, rng.STREAM_LABOUR, 8, without_17, 0), np.delete(full, 17))
    shuffled = np.random.default_rng(0).permutation(1000).astype(np.int64)  # local generator, not the global one
    assert np.array_equal(rng.uniforms(key, rng.STREAM_LABOUR, 8, shuffled, 0), full[shuffled])


def test_simulation_uses_the_documented_run_key():
    sc = small_scenario(processes=only("labour"), households=100)
    for seed, rep in ((1, 0), (3, 2)):
        sim = qsim.Simulation(sc, seed=seed, replicate=rep)
        assert int(sim.key) == int(rng.run_key(seed, rep))


def test_simulations_with_any_seed_run_in_one_process():
    """Seeds whose keys are on either side of 2**63, in both orders, in one process (numba compiles one
    specialisation per argument type; a key passed as a Python int once crashed with OverflowError)."""
    sc = small_scenario(years=1, households=120, grid=(2, 2), buildings_per_block=2, dwellings_per_building=40)
    results = {}
    for seed in (1, 3, 0, 2, 3, 1):
        results.setdefault(seed, []).append(qsim.Simulation(sc, seed=seed).run().indicators)
    for seed, frames in results.items():
        for other in frames[1:]:
            assert frames[0].equals(other), f"seed {seed} gave different results in one process"
    assert not results[1][0].equals(results[3][0])


# ------------------------------------ one household's change stays its own
def test_perturbing_one_household_leaves_the_rng_draws_of_all_others_unchanged():
    """At the level of the RNG: two otherwise identical simulations, one household perturbed in one of them.
    Every month, every other household's draws (all streams used on households) are the same in both,
    also when the set of alive households differs."""
    sc = small_scenario(years=1)
    a, b = qsim.Simulation(sc, seed=5), qsim.Simulation(sc, seed=5)
    x = int(np.flatnonzero(b.state.households.alive)[7])
    b.state.households.skill[x] = 0.01
    b.state.households.labour[x] = LONG_TERM_UNEMPLOYED
    b.state.households.unemployed_months[x] = 40
    assert a.key == b.key
    for _ in range(12):
        t = a.month
        ids_a = np.flatnonzero(a.state.households.alive)
        ids_b = np.flatnonzero(b.state.households.alive)
        common = np.intersect1d(ids_a, ids_b)
        common = common[common != x].astype(np.int64)
        for stream in (rng.STREAM_LABOUR, rng.STREAM_ENCOUNTERS, rng.STREAM_PARTICIPATION, rng.STREAM_MOBILITY):
            for k in (0, 1, 5):
                da = rng.uniforms(a.key, stream, t, ids_a.astype(np.int64), k)
                db = rng.uniforms(b.key, stream, t, ids_b.astype(np.int64), k)
                assert np.array_equal(da[np.isin(ids_a, common)], db[np.isin(ids_b, common)])
        a.step()
        b.step()


def test_perturbing_one_household_leaves_every_other_labour_trajectory_unchanged():
    """At the model level, with interactions switched off (labour alone: no ties, no moves), a change to one
    household changes nothing for any other household, month after month."""
    sc = small_scenario(years=3, processes=only("labour"))
    a, b = qsim.Simulation(sc, seed=9), qsim.Simulation(sc, seed=9)
    alive = np.flatnonzero(a.state.households.alive)
    employed = alive[a.state.households.labour[alive] == EMPLOYED]
    x = int(employed[3])
    hb = b.state.households
    hb.labour[x] = LONG_TERM_UNEMPLOYED
    hb.unemployed_months[x] = 30
    hb.skill[x] = 0.05
    others = np.ones(len(hb.alive), bool)
    others[x] = False
    x_differs = False
    for _ in range(36):
        a.step()
        b.step()
        ha, hb = a.state.households, b.state.households
        for name in ("alive", "labour", "unemployed_months", "skill", "wage", "income", "child_education"):
            va, vb = getattr(ha, name), getattr(hb, name)
            assert np.array_equal(va[others], vb[others]), f"month {a.month}: {name} of another household changed"
        x_differs |= (ha.labour[x] != hb.labour[x]) or (ha.skill[x] != hb.skill[x])
    assert x_differs, "the perturbation did not change the perturbed household (test has no power)"
