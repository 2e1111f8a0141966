"""Small helpers shared by the kernels (inlined by numba)."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ..state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER



@njit(cache=True, inline="always")
def lever(levers, area, programme, which):
    """Value of one lever for a household in ``area`` enrolled in ``programme`` (-1: none).

    ``levers`` is the table built by :func:`lever_table` each month.
    """
    return levers[area, programme + 1, which]


@njit(cache=True)
def lever_table(area_levers, programme_levers):
    """(n_areas, 1 + N_PROGRAMMES, N_LEVERS): area levers plus each programme's (column 0: no programme).

    One lookup without a branch in the kernels' hot loops.
    """
    n_areas, n_levers = area_levers.shape
    out = np.empty((n_areas, programme_levers.shape[0] + 1, n_levers))
    for a in range(n_areas):
        for k in range(n_levers):
            out[a, 0, k] = area_levers[a, k]
            for q in range(programme_levers.shape[0]):
                out[a, q + 1, k] = area_levers[a, k] + programme_levers[q, k]
    return out


@intrinsic
def prefetch(typingctx, array, index):
    """Hint that ``array.flat[index]`` (C order) will be read soon: the CPU starts loading its cache line.

    Changes no result; an index out of bounds is allowed (a prefetch never faults). For reads the hardware
    prefetcher does not foresee: sparse rows, or more parallel streams than it follows (a loop over the
    households reading a dozen arrays), issued some iterations ahead.
    """
    if not isinstance(array, types.Array) or array.layout != "C" or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32]),
            "llvm.prefetch.p0" if llvm_version_info >= (17,) else "llvm.prefetch.p0i8")  # opaque or typed pointers
        builder.call(fn, [address, i32(0), i32(3), i32(1)])  # read, keep in all cache levels, data
        return context.get_dummy_value()

    return types.void(array, index), codegen


@intrinsic
def _first_match8(typingctx, array, start, value, n):
    """Position (0-7) of the first entry equal to ``value`` among the first n (<= 8) int32 entries of
    ``array.flat[start:start + 8]`` (C order; the caller keeps all 8 in bounds), 8 if none: one vector
    compare and a count of trailing zeros, no branch."""
    if (not isinstance(array, types.Array) or array.layout != "C" or array.dtype != types.int32
            or not all(isinstance(t, types.Integer) for t in (start, value, n))):
        return None

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        i32, vec = ir.IntType(32), ir.VectorType(ir.IntType(32), 8)
        start = context.cast(builder, args[1], sig.args[1], types.intp)
        row = builder.load(builder.bitcast(builder.gep(data, [start]), vec.as_pointer()), align=4)
        value = builder.trunc(context.cast(builder, args[2], sig.args[2], types.int64), i32)
        splat = builder.shuffle_vector(builder.insert_element(ir.Constant(vec, ir.Undefined), value, i32(0)),
                                       ir.Constant(vec, ir.Undefined), ir.Constant(vec, [0] * 8))
        bits = builder.zext(builder.bitcast(builder.icmp_signed("==", row, splat), ir.IntType(8)), i32)
        n = builder.trunc(context.cast(builder, args[3], sig.args[3], types.int64), i32)
        first_n = builder.sub(builder.shl(i32(1), n), i32(1))  # entries 0 .. n-1
        bits = builder.or_(builder.and_(bits, first_n), i32(1 << 8))  # 8 if none
        return builder.zext(builder.cttz(bits, ir.Constant(ir.IntType(1), 1)), ir.IntType(64))

    return types.int64(array, start, value, n), codegen


@intrinsic
def trailing_zeros(typingctx, x):
    """Number of trailing zero bits of a 64-bit integer x != 0 (one instruction; undefined for 0)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        value = context.cast(builder, args[0], sig.args[0], types.uint64)
        return builder.cttz(value, ir.Constant(ir.IntType(1), 1))

    return types.int64(x), codegen


@njit(cache=True, inline="always")
def find_in_row(table, i, value):
    """Column of the first entry equal to ``value`` in row i of a C-contiguous 2D int32 table, or -1.

    Without a data-dependent branch for rows of at most 8 entries (one vector compare); rows whose 8-entry
    read would pass the end of the table, and wider tables, are scanned one entry at a time.
    """
    K = table.shape[1]
    start = i * K
    if (K <= 8) & (start + 8 <= table.size):
        k = _first_match8(table, start, value, K)
        return k if k < K else -1
    for k in range(K):
        if table[i, k] == value:
            return k
    return -1


@njit(cache=True, inline="always")
def unsigned(i):
    """``i`` as an unsigned 64-bit array index: ``a[unsigned(i)]`` reads ``a[i]`` for ``0 <= i < len(a)``.

    numba compiles ``a[i]`` for a signed ``i`` as Python does (``a[i + len(a)]`` if ``i < 0``): two or three
    instructions and a live register (the length) more per read, which cost 5-40% in loops that index a
    dozen arrays with values read from other arrays (a household's dwelling, a dwelling's block); for an
    unsigned index numba does no wrap-around. Use it only where ``i >= 0``: a negative ``i`` becomes a huge
    index, which ``NUMBA_BOUNDSCHECK=1`` reports as an IndexError (``tests/test_indexing.py``) and which
    reads outside the array otherwise. Keep the result to the subscript: arithmetic mixing uint64 and int64
    is float64 in numba.
    """
    return np.uint64(i)


@njit(cache=True, inline="always")
def nonnegative(j):
    """``max(j, 0)`` for a signed 64-bit integer, without a branch (LLVM may compile ``max`` into one): for
    reading with an index that may be NO_ONE (-1), e.g. ``group[nonnegative(occupant[d])]``."""
    j = np.int64(j)
    return j & ~(j >> 63)


@njit(cache=True, inline="always")
def power(x, e):
    """``x ** e``; the frequent ``e == 2`` as one multiplication (the same value: both are correctly rounded)."""
    return x * x if e == 2.0 else x ** e


@njit(cache=True, inline="always")
def clip01(x):
    return min(1.0, max(0.0, x))


F0 = np.float32(0.0)  # float32 constants: arithmetic on float32 state stays float32
F1 = np.float32(1.0)


@njit(cache=True, inline="always")
def clip01_32(x):
    """:func:`clip01` of a float32, in float32."""
    return min(F1, max(F0, x))




@njit(cache=True, inline="always")
def basic_need(need_adult, need_child, adults, children):
    """SGB II need of a household, EUR/month (a second adult counts 80%)."""
    return need_adult * (1.0 + 0.8 * (adults - 1)) + need_child * children


@njit(cache=True, inline="always")
def basic_support(p, labour_state, income, adults, children, rent, housing_cost_limit):
    """True if the household receives SGB II (basic income support), for labour parameters ``p``.

    Long-term unemployed and transfer recipients do; employed and short-term
    unemployed households do when their income does not cover their need plus
    the rent up to the housing-cost limit (top-up, "Aufstocker"); inactive
    households are outside SGB II.
    """
    topped_up = income < basic_need(p.need_adult, p.need_child, adults, children) + min(rent, housing_cost_limit)
    # '|' and '&' rather than 'or', 'and' and early returns: no unpredictable branches in hot loops
    return (labour_state == LONG_TERM_UNEMPLOYED) | (labour_state == TRANSFER) | (
        (labour_state != INACTIVE) & topped_up)


@njit(cache=True, inline="always")
def housing_covered(p, labour_state, income, adults, children, rent, housing_cost_limit):
    """True if the state pays the rent up to the limit: SGB II households, and inactive households
    (pension-age basic income, SGB XII, housing benefit)."""
    return (labour_state == INACTIVE) | basic_support(p, labour_state, income, adults, children, rent,
                                                      housing_cost_limit)


@njit(cache=True, inline="always")
def rent_burden(rent, income, supported, housing_cost_limit):
    """Share of income spent on rent after housing support (SGB II households get rent up to the limit)."""
    own = rent - min(rent, housing_cost_limit) if supported else rent
    return own / max(income, 1.0)


@njit(cache=True, inline="always")
def household_income(p, labour_state, unemployed_months, wage, adults, children):
    """Net household income excluding housing support, EUR/month, for labour parameters ``p``.

    Employed: the wage plus child benefit. Short-term unemployed within the
    insurance period: the insurance benefit plus child benefit, topped up to
    the SGB II need. Everyone else: the SGB II need (basic income support,
    pensions and the like; child benefit counts against the need).
    """
    if labour_state == EMPLOYED:
        return wage + p.child_benefit * children
    need = basic_need(p.need_adult, p.need_child, adults, children)
    if labour_state == SHORT_TERM_UNEMPLOYED and unemployed_months < p.insurance_months:
        return max(p.insurance_replacement * wage + p.child_benefit * children, need)
    return need


@njit(cache=True, inline="always")
def logit_normal(z, mean, concentration):
    """A value in (0, 1) from a standard normal z: logit-normal with the mean and
    (approximately) the variance of a Beta(mean * c, (1 - mean) * c)."""
    m = min(max(mean, 1e-3), 1.0 - 1e-3)
    sd = 1.0 / np.sqrt(m * (1.0 - m) * (concentration + 1.0))
    x = np.log(m / (1.0 - m)) + sd * z
    return 1.0 / (1.0 + np.exp(-x))
