"""Array indexing in qsim's compiled functions: no wrap-around of negative indices.

numba compiles ``a[i]`` for a signed ``i`` as Python does, ``a[i + len(a)] if i < 0 else a[i]``: two or
three more instructions and one more live register (the length) for every access. qsim's kernels mostly
index with values read from other arrays (a household's dwelling, a dwelling's occupant, a tie's target),
where the compiler cannot prove ``i >= 0``, and their loops read a dozen arrays or more, so the lengths no
longer fit in registers and are reloaded from the stack. Without the wrap-around the full model runs about
10% faster (``docs/benchmarks.md``).

qsim's kernels never index with a negative number on purpose: ``NO_ONE`` (-1) is always tested before it
is used as an index. The wrap-around is therefore switched off for functions defined in the qsim package
only (numba's mangled names of those start with ``_ZN4qsim``). Every other numba function in the process,
a notebook's own kernels included, keeps it. Results are bit-identical either way; with
``NUMBA_BOUNDSCHECK=1`` a negative index in a qsim function raises ``IndexError`` instead of wrapping
(``tests/test_indexing.py``).
"""

from __future__ import annotations

import inspect

import numba.np.arrayobj as _arrayobj
from numba.core import types

QSIM_FUNCTION_PREFIX = "_ZN4qsim"  # numba's (Itanium-style) mangled names of functions in the qsim package
_numba_fix_integer_index = getattr(_arrayobj, "fix_integer_index", None)  # numba's own, for every other function


def _fix_integer_index(context, builder, idxty, idx, size, *args, **kwargs):
    """numba's index fix-up, without the wrap-around for signed indices in qsim's own functions."""
    if idxty.signed and builder.function.name.startswith(QSIM_FUNCTION_PREFIX):
        return context.cast(builder, idx, idxty, types.intp)
    return _numba_fix_integer_index(context, builder, idxty, idx, size, *args, **kwargs)


def install() -> bool:
    """Use :func:`_fix_integer_index` when numba compiles; True if it is in place (idempotent).

    If numba's internals differ from those this was written for (numba 0.59-0.6x), nothing is changed and
    qsim compiles with numba's wrap-around: the same results, a little slower.
    """
    if _arrayobj.fix_integer_index is _fix_integer_index:
        return True
    expected = ["context", "builder", "idxty", "idx", "size"]
    if _numba_fix_integer_index is None or list(inspect.signature(_numba_fix_integer_index).parameters)[:5] != expected:
        return False
    _arrayobj.fix_integer_index = _fix_integer_index
    return True


INSTALLED = install()
