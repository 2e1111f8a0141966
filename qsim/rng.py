"""Counter-based random numbers keyed by (seed, replicate, stream, step, agent).

Every draw is a pure function of its key: there is no generator state to
carry, share or race on. A run is therefore bit-identical whatever the
executor, worker count or order of evaluation, and two scenarios run with
the same seed and replicate give every household the same luck (common
random numbers).

The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014), which passes
BigCrush when applied to a counter. A draw is

    u = mix(mix(mix(run_key ^ stream) ^ step) ^ agent ... ) -> [0, 1)

with a further counter ``k`` for several draws of one agent in one step.

The primitives are numba functions for kernels. From Python, pass keys as
``np.uint64`` (numba returns them as Python ints, and a Python int below
2**63 would be typed as a signed int64); :func:`run_key` and
:func:`draw_uniforms` do this for you.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .errors import QsimError

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0  # 2**-32

MAX_SEED = 2**64 - 1  # seeds and replicates are 64-bit unsigned keys of the mixer
MAX_SAMPLER_SEED = 2**32 - 1  # seeds SALib's delta and PAWN analyses pass to np.random.seed


class SeedError(QsimError, ValueError):
    """A seed or replicate outside 0 .. 2**64 - 1."""


# Streams: one per process, so that switching one process on or off never
# shifts the draws of another. Stable numbers; append, never renumber.
STREAM_POPULATION = 1
STREAM_LABOUR = 2
STREAM_ENCOUNTERS = 3
STREAM_TRUST = 4  # reserved: the trust process draws no random numbers
STREAM_PARTICIPATION = 5
STREAM_ENVIRONMENT = 6
STREAM_MOBILITY = 7
STREAM_ORGANISATIONS = 8
STREAM_IN_MOVERS = 9
STREAM_ORDER = 10
STREAM_MEASURES = 11
STREAM_BUDGET = 12
# 13 retired: the spin-up (engine) uses every stream at negative steps
STREAM_LEAVERS = 14  # the labour market of the original residents who left the city (kernels.leavers)


@njit(cache=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a bijective 64-bit avalanche mix."""
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def _run_key(seed, replicate):
    return mix64(mix64(np.uint64(seed)) ^ np.uint64(replicate))


def run_key(seed: int, replicate: int) -> np.uint64:
    """The key of one run (seed, replicate), as np.uint64 so that kernels type it unsigned.

    (A key passed to numba as a Python int would be typed int64 when it fits,
    and signed shifts would break the mixer.)
    """
    if not (0 <= seed <= MAX_SEED and 0 <= replicate <= MAX_SEED):
        raise SeedError(f"seed and replicate must lie in 0 .. 2**64 - 1, got {seed}, {replicate}")
    return np.uint64(_run_key(np.uint64(seed), np.uint64(replicate)))


@njit(cache=True, inline="always")
def step_key(key: np.uint64, stream: int, step: int) -> np.uint64:
    """Key of one process (stream) in one month (step); step may be negative (spin-up)."""
    return mix64(mix64(np.uint64(key) ^ np.uint64(stream)) ^ np.uint64(np.int64(step) & 0xFFFFFFFFFFFF))


@njit(cache=True, inline="always")
def agent_key(skey: np.uint64, agent: int) -> np.uint64:
    """Key of one agent within a (run, stream, step)."""
    return mix64(np.uint64(skey) ^ mix64(np.uint64(agent)))


@njit(cache=True, inline="always")
def id_key(agent: int) -> np.uint64:
    """The random-number id of an agent: ``agent_key(skey, agent) == household_key(skey, id_key(agent))``.

    Households keep theirs in ``households.rng_key`` (from their stable ``uid``), so their draws follow
    the household, not its storage slot, and a kernel pays one mix per household instead of two.
    """
    return mix64(np.uint64(agent))


@njit(cache=True)
def id_keys(ids: np.ndarray) -> np.ndarray:
    """:func:`id_key` of each id (uint64 array)."""
    out = np.empty(ids.shape[0], np.uint64)
    for k in range(ids.shape[0]):
        out[k] = id_key(ids[k])
    return out


@njit(cache=True, inline="always")
def household_key(skey: np.uint64, rng_key: np.uint64) -> np.uint64:
    """Key of one household within a (run, stream, step), from its ``rng_key`` (``id_key(uid)``)."""
    return mix64(np.uint64(skey) ^ np.uint64(rng_key))


@njit(cache=True, inline="always")
def uniform(akey: np.uint64, k: int) -> float:
    """The k-th uniform draw in [0, 1) for an agent key."""
    return float(mix64(np.uint64(akey) + np.uint64(k) * _M1) >> _S11) * _INV53


@njit(cache=True, inline="always")
def uniform_pair(akey: np.uint64, k: int) -> tuple:
    """Two uniforms in [0, 1) from the k-th 64-bit draw (32 bits each; for hot loops)."""
    z = mix64(np.uint64(akey) + np.uint64(k) * _M1)
    return float(z >> _S32) * _INV32, float(z & _LOW32) * _INV32


@njit(cache=True, inline="always")
def bits64(akey: np.uint64, k: int) -> np.int64:
    """The k-th 64 random bits of an agent key, as a signed int64 (for hot loops that split them into
    fields with shifts and masks: ``uniform_pair(akey, k)`` is the same draw as two 32-bit halves)."""
    return np.int64(mix64(np.uint64(akey) + np.uint64(k) * _M1))


@njit(cache=True, inline="always")
def key_halves(akey):
    """Two uniforms in [0, 1) from the two 32-bit halves of an agent key itself (already a mix of the run,
    stream, step and agent), one mix cheaper than ``uniform_pair(akey, k)``; the agent's further draws
    ``uniform(akey, k)`` stay independent of them."""
    z = np.uint64(akey)
    return float(z >> _S32) * _INV32, float(z & _LOW32) * _INV32


@njit(cache=True, inline="always")
def normal_pair(akey, k):
    """Two independent standard normals from the uniforms of counters k and k + 1 (both outputs of the
    Box-Muller transform; ``normal(akey, k)`` is the first)."""
    r = np.sqrt(-2.0 * np.log(1.0 - uniform(akey, k)))
    angle = 2.0 * np.pi * uniform(akey, k + 1)
    return r * np.cos(angle), r * np.sin(angle)


@njit(cache=True, inline="always")
def below(akey: np.uint64, k: int, n: int) -> int:
    """The k-th uniform integer in [0, n) for an agent key (n >= 1)."""
    return min(int(uniform(akey, k) * n), n - 1)


@njit(cache=True, inline="always")
def normal(akey: np.uint64, k: int) -> float:
    """The k-th standard normal draw (Box-Muller; uses counters k and k+1)."""
    u1 = uniform(akey, k)
    u2 = uniform(akey, k + 1)
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True)
def uniforms(key: np.uint64, stream: int, step: int, agents: np.ndarray, k: int) -> np.ndarray:
    """Vector of the k-th uniform for each agent id in ``agents``."""
    skey = step_key(key, stream, step)
    out = np.empty(agents.shape[0])
    for i in range(agents.shape[0]):
        out[i] = uniform(agent_key(skey, agents[i]), k)
    return out


@njit(cache=True)
def random_order(key: np.uint64, stream: int, step: int, ids: np.ndarray, rng_keys: np.ndarray) -> np.ndarray:
    """Slots ``ids`` in a random order that depends only on (run, stream, step) and their ``rng_keys``.

    Used for asynchronous activation (Mesa's shuffle); an agent's place in
    the order does not depend on which other agents are in the list, nor on its slot.
    """
    skey = step_key(key, stream, step)
    keys = np.empty(ids.shape[0], np.uint64)
    for k in range(ids.shape[0]):
        keys[k] = household_key(skey, rng_keys[ids[k]])
    return ids[np.argsort(keys)]


def draw_uniforms(seed: int, replicate: int, stream: int, step: int, n: int, k: int = 0) -> np.ndarray:
    """Python helper: the k-th uniform of agents 0..n-1 (for tests and set-up)."""
    return uniforms(run_key(seed, replicate), stream, step, np.arange(n, dtype=np.int64), k)
