"""The low-level helpers of the kernels (qsim.kernels.common, qsim.rng.bits64): each against a plain reference.

These helpers replace loops and branches by vector compares and bit tricks in the hot loops, so every
edge case is checked exhaustively or over random inputs (hypothesis), with a scalar reference written the
obvious way.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from qsim import rng
from qsim.kernels import encounters
from qsim.kernels.common import find_in_row, nonnegative, trailing_zeros


@njit(cache=True)
def _find_all(table, value):
    out = np.empty(table.shape[0], np.int64)
    for i in range(table.shape[0]):
        out[i] = find_in_row(table, i, value)
    return out


def _reference(table, value):
    hits = table == value
    return np.where(hits.any(axis=1), hits.argmax(axis=1), -1)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 12), width=st.integers(1, 10), seed=st.integers(0, 2**32 - 1))
def test_find_in_row_finds_the_first_match_in_every_row(rows, width, seed):
    """Widths 1-10 cover the vector path (<= 8 entries), its scalar fallback near the end of the table, and
    wider rows; values in -1..3 give rows with no, one and several matches, and empty slots (-1)."""
    table = np.random.default_rng(seed).integers(-1, 4, size=(rows, width)).astype(np.int32)
    for value in (-1, 0, 3, 7):
        np.testing.assert_array_equal(_find_all(table, value), _reference(table, value), err_msg=f"value {value}")


def test_find_tie_never_reads_past_the_row():
    """A value that sits in the next row just after the end of this one is not found in this row."""
    table = np.array([[1, 2, 3], [9, 4, 5], [6, 7, 9]], np.int32)
    assert list(_find_all(table, 9)) == [-1, 0, 2]
    assert encounters.find_tie(table, 0, 9) == -1


@njit(cache=True)
def _nonnegative_and_tz(values):
    out = np.empty((values.shape[0], 2), np.int64)
    for k in range(values.shape[0]):
        out[k, 0] = nonnegative(values[k])
        out[k, 1] = trailing_zeros(values[k]) if values[k] != 0 else -1
    return out


def test_nonnegative_and_trailing_zeros():
    values = np.array([-(2**63), -5, -1, 0, 1, 2, 12, 2**40, 2**62, 2**63 - 1], np.int64)
    got = _nonnegative_and_tz(values)
    np.testing.assert_array_equal(got[:, 0], np.maximum(values, 0))
    expected_tz = [-1 if v == 0 else (int(v) & -int(v)).bit_length() - 1 for v in values]
    np.testing.assert_array_equal(got[:, 1], expected_tz)


@njit(cache=True)
def _bits_and_pair(akey, k):
    a, b = rng.uniform_pair(akey, k)
    return rng.bits64(akey, k), a, b


def test_bits64_is_the_draw_of_uniform_pair():
    """bits64 and uniform_pair are the same 64-bit draw: its halves are the pair's two uniforms."""
    for akey, k in [(np.uint64(1), 0), (np.uint64(2**63 + 12345), 9), (np.uint64(2**64 - 1), 17)]:
        z, a, b = _bits_and_pair(akey, k)
        z = int(z) & (2**64 - 1)
        assert a == (z >> 32) / 2**32 and b == (z & 0xFFFFFFFF) / 2**32
