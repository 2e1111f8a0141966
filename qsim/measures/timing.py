"""When a measure acts: its schedule, ramp-up and fading, in one place.

The budget ledger asks :meth:`Timing.scheduled` in which months a measure
asks for money; the deliveries take the ramp-up and what remains after the
end from here; the report, the plots and the scenario check take the planned
period (:meth:`Timing.period`). Whether a scheduled month is also *funded* is
the ledger's answer (:class:`qsim.budget.Funding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scenario import Measure
    from .catalogue import MeasureType


def remaining(half_life: float | None, months: int) -> float:
    """Share of an effect left ``months`` after a measure stopped running (None: all of it; 0: none)."""
    if half_life is None:
        return 1.0
    if half_life == 0:
        return 0.0
    return 0.5 ** (months / half_life)


@dataclass(frozen=True)
class Timing:
    """The schedule of one measure of a scenario; months count from 0 (the first simulated month)."""

    start_month: int
    end_month: int | None            # first month after the end; None: to the end of the run
    one_off: bool                    # construction: paid once, over ``lag_months``, ends when built
    lag_months: int                  # construction: months to completion at full funding
    ramp_months: int                 # months from the start to the full effect
    half_life_months: float | None   # after the end: None = persists, 0 = stops at once, > 0 fades

    @classmethod
    def of(cls, spec: "Measure", entry: "MeasureType") -> "Timing":
        """The timing of a scenario's measure ``spec`` of catalogue type ``entry``."""
        return cls(spec.start_month, spec.end_month, entry.one_off, entry.lag_months, entry.ramp_months,
                   entry.half_life_months)

    def scheduled(self, month: int) -> bool:
        """Whether the measure runs (asks for money) in ``month``, whatever its funding.

        Construction runs from its start until it is paid (the ledger stops it then)."""
        if month < self.start_month:
            return False
        if self.one_off:
            return True
        return self.end_month is None or month < self.end_month

    def planned_end(self, horizon_months: int) -> int:
        """First month after the planned end: construction after its lag at full funding, otherwise the end
        month or the horizon."""
        if self.one_off:
            return self.start_month + self.lag_months
        return self.end_month if self.end_month is not None else horizon_months

    def period(self, horizon_months: int) -> tuple[int, int]:
        """(start, end) months of the planned period within the run, for tables and plots."""
        return self.start_month, min(self.planned_end(horizon_months), horizon_months)

    def ramp(self, month: int) -> float:
        """Share of the full effect reached in ``month`` (1 without a ramp-up)."""
        if not self.ramp_months:
            return 1.0
        return min(1.0, (month - self.start_month + 1) / self.ramp_months)

    def remaining(self, months: int) -> float:
        """Share of the effect left ``months`` after it last acted in full."""
        return remaining(self.half_life_months, months)


__all__ = ["Timing", "remaining"]
