"""Progress bars (tqdm) that say what is slow: building a scenario and the first month of a run compile numba's
kernels on first use; a report draws a figure at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

COMPILE_NOTE = "month 1 compiles the numba kernels on first use (about a minute; cached afterwards)"
BUILD_NOTE = "the first construction compiles the numba kernels (cached afterwards)"


def months(name: str, count: int) -> Iterator[int]:
    """0 .. ``count`` - 1 under a progress bar named ``name`` that notes the compiling until the first month is done
    (tqdm.auto: a widget in Jupyter, text in a terminal)."""
    from tqdm.auto import tqdm

    with tqdm(total=count, desc=name, unit="month") as bar:
        bar.set_postfix_str(COMPILE_NOTE, refresh=True)
        for month in range(count):
            yield month
            if month == 0:
                bar.set_postfix_str("", refresh=False)
            bar.update()


@contextmanager
def stages(name: str, count: int, enabled: bool = True, note: str = "") -> Iterator[Callable[[str], None]]:
    """A progress bar named ``name`` over ``count`` stages; yields ``begin(label)``, called as each stage starts: it
    counts the previous stage done and shows ``label`` (and ``note``) as the stage now running. Nothing is written
    unless ``enabled`` (tqdm.auto: a widget in Jupyter, text on stderr in a terminal)."""
    from tqdm.auto import tqdm

    with tqdm(total=count, desc=name, unit="stage", disable=not enabled) as bar:
        started = False

        def begin(label: str) -> None:
            nonlocal started
            if started:
                bar.update()
            started = True
            bar.set_postfix_str(f"{label}; {note}" if note else label, refresh=True)

        yield begin
        if started:
            bar.update()


def construction(name: str, spin_up_months: int, enabled: bool = True) -> AbstractContextManager[Callable[[str], None]]:
    """The stages of building scenario ``name``: the population, the neighbourhood's starting point and
    ``spin_up_months`` of spin-up (see :class:`qsim.Simulation`); noting that the first build compiles."""
    return stages(f"build {name}", spin_up_months + 2, enabled, BUILD_NOTE)


__all__ = ["BUILD_NOTE", "COMPILE_NOTE", "construction", "months", "stages"]
