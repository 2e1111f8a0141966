"""Measurements on runs and on the state, independent of the kernels' own bookkeeping.

Transition rates are counted by stepping a simulation and comparing the
labour states of the households present in both months (matched by their
unique id), so they are the rates the model produces, not parameter values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import Simulation
from ..state import EMPLOYED, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER

UNEMPLOYED = (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED)
RECEIPT = (LONG_TERM_UNEMPLOYED, TRANSFER)  # SGB II receipt by labour state (the short-term unemployed draw ALG I)
PERSISTENCE_MONTHS = 24
SPELL_BINS = (0, 3, 6, 12, 24, 10**9)  # months of unemployment at the start of the month: [0, 3), [3, 6), ...


@dataclass
class Transitions:
    """Household-months at risk and transitions out of them, summed over the months stepped."""

    at_risk: dict[str, int] = field(default_factory=dict)
    moved: dict[str, int] = field(default_factory=dict)
    spell_at_risk: np.ndarray = field(default_factory=lambda: np.zeros(len(SPELL_BINS) - 1, np.int64))
    spell_found: np.ndarray = field(default_factory=lambda: np.zeros(len(SPELL_BINS) - 1, np.int64))
    tie_gap_parts: np.ndarray = field(default_factory=lambda: np.zeros(4, np.int64))  # e_num, e_den, u_num, u_den
    persistence: tuple[int, int] = (0, 0)  # of a cohort in receipt, present 24 months: in receipt >= 21 of them, all

    def add(self, name: str, at_risk: np.ndarray, moved: np.ndarray) -> None:
        self.at_risk[name] = self.at_risk.get(name, 0) + int(at_risk.sum())
        self.moved[name] = self.moved.get(name, 0) + int((at_risk & moved).sum())

    def rate(self, name: str) -> float:
        """Monthly transition rate (NaN with nobody at risk)."""
        n = self.at_risk.get(name, 0)
        return self.moved.get(name, 0) / n if n else float("nan")

    def finding_by_spell(self) -> np.ndarray:
        """Monthly job finding by spell length (SPELL_BINS)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.spell_found / self.spell_at_risk

    def tie_gap(self) -> float:
        """Share employed among the ties of employed heads minus among the ties of unemployed heads."""
        e_num, e_den, u_num, u_den = self.tie_gap_parts
        return e_num / e_den - u_num / u_den if e_den and u_den else float("nan")


def count_transitions(sim: Simulation, months: int, burn_in: int = 12, tie_every: int = 6) -> Transitions:
    """Step ``sim`` for ``burn_in + months`` months; count the transitions of the last ``months``.

    A household counts in a month when the same household (same uid) is resident at both ends of it. The
    employment gap along ties is sampled every ``tie_every`` months after the burn-in. Benefit persistence:
    of the heads in SGB II receipt (RECEIPT) when counting starts who stay resident for 24 months, those in
    receipt at the end of at least 21 of them.
    """
    out = Transitions()
    for _ in range(burn_in):
        sim.step()
    h = sim.state.households
    cohort = np.sort(h.uid[h.alive & np.isin(h.labour, RECEIPT)])  # in receipt when counting starts
    months_in_receipt = np.zeros(len(cohort), np.int64)
    present = np.ones(len(cohort), np.bool_)
    for m in range(months):
        h = sim.state.households  # (the engine may re-order the slots: read the arrays afresh every month)
        alive = h.alive
        uid, labour, spell = h.uid[alive].copy(), h.labour[alive].copy(), h.unemployed_months[alive].copy()
        sim.step()
        h = sim.state.households
        alive = h.alive
        _, before, after = np.intersect1d(uid, h.uid[alive], assume_unique=True, return_indices=True)
        old, new, spell = labour[before], h.labour[alive][after], spell[before]
        employed_now = new == EMPLOYED
        out.add("short_term_finding", old == SHORT_TERM_UNEMPLOYED, employed_now)
        out.add("long_term_finding", old == LONG_TERM_UNEMPLOYED, employed_now)
        out.add("transfer_exit", old == TRANSFER, employed_now)
        out.add("job_loss", old == EMPLOYED, np.isin(new, UNEMPLOYED))
        unemployed = np.isin(old, UNEMPLOYED)
        bins = np.digitize(spell[unemployed], SPELL_BINS[1:-1])
        out.spell_at_risk += np.bincount(bins, minlength=len(SPELL_BINS) - 1)
        out.spell_found += np.bincount(bins[employed_now[unemployed]], minlength=len(SPELL_BINS) - 1)
        if (m + 1) % tie_every == 0:
            out.tie_gap_parts += tie_employment_parts(sim)
        if m < PERSISTENCE_MONTHS:
            now = np.isin(cohort, h.uid[alive])
            present &= now
            months_in_receipt += np.isin(cohort, h.uid[alive & np.isin(h.labour, RECEIPT)])
        if m + 1 == PERSISTENCE_MONTHS:
            out.persistence = (int((present & (months_in_receipt >= 21)).sum()), int(present.sum()))
    return out


def tie_employment_parts(sim: Simulation) -> np.ndarray:
    """Employed ties of employed heads, ties of employed heads, the same for unemployed heads (counts)."""
    h = sim.state.households
    i, k = np.nonzero(h.tie_target >= 0)
    j = h.tie_target[i, k]
    tie_employed = h.labour[j] == EMPLOYED
    own_employed = h.labour[i] == EMPLOYED
    own_unemployed = np.isin(h.labour[i], UNEMPLOYED)
    return np.array([tie_employed[own_employed].sum(), own_employed.sum(), tie_employed[own_unemployed].sum(),
                     own_unemployed.sum()], np.int64)


def similar_neighbour_share(sim: Simulation) -> float:
    """Mean share of same-group households among each household's Moore neighbours (radius 1, self excluded)
    in the first area; households without neighbours are left out. Computed from the state."""
    s = sim.state
    nx, ny = int(s.areas.nx[0]), int(s.areas.ny[0])
    h = s.households
    ids = np.flatnonzero(h.alive)
    blocks = s.dwellings.block[h.dwelling[ids]]
    y, x, g = s.blocks.y[blocks], s.blocks.x[blocks], h.group[ids].astype(int)
    grid = np.zeros((ny + 2, nx + 2, 2))
    np.add.at(grid, (y + 1, x + 1, g), 1)
    window = sum(grid[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx] for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    same = window[y, x, g] - 1
    total = window[y, x].sum(axis=1) - 1
    has = total > 0
    return float((same[has] / total[has]).mean())


def yearly_mean(results: list, indicator: str, area: str = "all") -> pd.Series:
    """An indicator's yearly value (Result.yearly: December for stocks), mean over runs, by year."""
    frames = [r.yearly() for r in results]
    values = [f[f["area"] == area].set_index("year")[indicator] for f in frames]
    return pd.concat(values, axis=1).mean(axis=1)


def first_year_reaching(effect: pd.Series, share: float = 0.5) -> float:
    """The first year whose effect reaches ``share`` of the largest effect (NaN if there is no positive effect)."""
    peak = effect.max()
    if not np.isfinite(peak) or peak <= 0:
        return float("nan")
    return float(effect.index[np.argmax(effect.to_numpy() >= share * peak)])
