"""Funding sources and the budget ledger.

Money is counted in integer cents, so that everything reconciles exactly.

Each budget year (months 12(y-1) .. 12y-1) starts with a plan:

1. every source pays in its amount for the year: ``amount_per_year * (1 -
   degression) ** (y - start)``, times the cuts so far (scheduled cuts from
   their year on; random cuts with ``cut_probability`` a year, drawn from the
   run's counter-based random numbers, stream BUDGET, keyed by the year and
   the source's name, so that options with the same sources share their luck). Unspent money lapses
   unless the source carries it over.
2. every measure active in the year states its demand (its monthly cost over
   its active months; construction: the rest of its one-off cost, paid over
   the construction lag);
3. the allocation policy gives each measure a funded share ``f`` of its
   demand. A measure is paid by its sources in its funding shares, and only
   as far as *every* source pays its share (matched funding: co-financing is
   enforced), so ``f = min over sources`` of what each can pay. A share below
   the measure's ``minimum_funding`` is set to 0: the measure does not run.

Then every month each measure is paid its planned amounts, and the ledger
records one row per entry: inflows, lapses and payments (with the demand,
the funded share and the status: funded, reduced, unfunded). Invariants: a
source's balance never goes below zero, so no more is spent than is
available, per source and in total; inflows - payments - lapses = balance,
to the cent.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from .measures.catalogue import CATALOGUE, DOMAINS
from .measures.timing import Timing
from .rng import STREAM_BUDGET, uniforms
from .state import LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER, State

if TYPE_CHECKING:
    from .hooks import HookContext
    from .scenario import FundingSource, Measure, Scenario

LEDGER_COLUMNS = ("month", "year", "entry", "source", "measure", "type", "area", "demand_cents", "amount_cents",
                  "balance_cents", "funded_share", "status", "amount_eur")
VOICE_OF_PARTICIPANTS = 3.0  # weight of a participating household in the residents' priorities (assumption)


def cents(eur: float) -> int:
    """EUR to integer cents (rounded half away from zero)."""
    return int(math.floor(abs(eur) * 100.0 + 0.5)) * (1 if eur >= 0 else -1)


def split_cents(total: int, shares: list[float]) -> list[int]:
    """Split ``total`` cents by ``shares`` (summing to 1) exactly: largest remainders get the odd cents."""
    raw = [total * s for s in shares]
    out = [int(math.floor(r)) for r in raw]
    rest = total - sum(out)
    for k in sorted(range(len(shares)), key=lambda k: (out[k] - raw[k], k))[:max(rest, 0)]:
        out[k] += 1
    return out


def allocate(policy: str, demand: list[list[int]], available: list[int], order: list[int],
             minimum: list[float]) -> list[float]:
    """Funded share of each measure's demand.

    ``demand[m][s]``: cents measure ``m`` asks of source ``s`` this year;
    ``available[s]``: cents source ``s`` holds; ``order``: the order in which
    measures are served (policies 'priority' and 'participatory');
    ``minimum[m]``: shares below this are set to 0. 'pro_rata' gives all
    measures the same share of what each source can cover.
    """
    n, n_src = len(demand), len(available)
    funded = [0.0] * n
    if policy == "pro_rata":
        running = [m for m in range(n) if sum(demand[m]) > 0]
        while True:
            ratio = []
            for s in range(n_src):
                asked = sum(demand[m][s] for m in running)
                ratio.append(1.0 if asked <= available[s] else available[s] / asked)
            share = {m: min([ratio[s] for s in range(n_src) if demand[m][s] > 0], default=1.0) for m in running}
            dropped = [m for m in running if share[m] < minimum[m] or share[m] <= 0.0]
            if not dropped:
                for m in running:
                    funded[m] = share[m]
                return funded
            running = [m for m in running if m not in dropped]
    left = list(available)
    for m in order:
        if sum(demand[m]) == 0:
            continue
        f = min([1.0] + [left[s] / demand[m][s] for s in range(n_src) if demand[m][s] > 0])
        if f < minimum[m] or f <= 0.0:
            continue
        funded[m] = f
        for s in range(n_src):
            left[s] -= min(left[s], int(math.floor(f * demand[m][s])))
    return funded


def resident_priorities(state: State, area: int) -> dict[str, float]:
    """Residents' needs by domain in an area (0-1), those taking part weighted ``VOICE_OF_PARTICIPANTS`` times.

    employment: share of heads unemployed or in transfer receipt; education:
    households with children x (1 - children's education); environment: 1 -
    place quality; housing: 1 - building quality; cohesion: 1 - out-group
    trust; participation: 1 - efficacy; safety: block disorder. 'structure'
    (the QM office, network coordination) comes first: it is how the council
    works at all (score 1 + the highest need).
    """
    h, dw = state.households, state.dwellings
    live = np.flatnonzero(h.alive)
    live = live[dw.area[h.dwelling[live]] == area]
    if len(live) == 0:
        return {d: 0.0 for d in DOMAINS}
    w = 1.0 + (VOICE_OF_PARTICIPANTS - 1.0) * (h.participating[live] > 0)
    d = h.dwelling[live]
    labour = h.labour[live]
    places = state.places.quality[state.places.area == area]
    need = {
        "employment": np.isin(labour, (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED, TRANSFER)).astype(float),
        "education": (h.children[live] > 0) * (1.0 - h.child_education[live]),
        "environment": np.full(len(live), 1.0 - (places.mean() if len(places) else 0.5)),
        "housing": 1.0 - state.buildings.quality[dw.building[d]],
        "cohesion": 1.0 - h.trust_out[live],
        "participation": 1.0 - h.efficacy[live],
        "safety": state.blocks.disorder[dw.block[d]],
    }
    out = {k: float(np.average(v, weights=w)) for k, v in need.items()}
    out["structure"] = 1.0 + max(out.values())
    return out


class Funding(NamedTuple):
    """What the ledger tells a measure about its money this month."""

    running: bool       # scheduled, asking for money (or free) and paid some of it
    share: float        # funded share of this month's demand (0-1)
    paid_in_full: bool  # its one-off cost has been paid completely (construction: it can be built)


@dataclass
class _Source:
    name: str
    spec: "FundingSource"
    balance: int = 0
    factor: float = 1.0  # product of (1 - cut) so far


class Ledger:
    """The budget ledger of one run; a hook (run it before the measures)."""

    def __init__(self, scenario: "Scenario", measures: list["Measure"], key: np.uint64):
        self.policy = scenario.allocation.policy
        self.key = key
        self.sources = [_Source(name, spec) for name, spec in scenario.funding.items()]
        self.measures = measures
        self.area = [scenario.area_index(m.target.area) for m in measures]
        self.n_areas = len(scenario.areas)
        self.entry = [CATALOGUE[m.type] for m in measures]
        self.timing = [Timing.of(m, e) for m, e in zip(measures, self.entry)]
        self.shares = [[m.funding_shares.get(s.name, 0.0) for s in self.sources] for m in measures]
        self.cost = [cents(m.cost) for m in measures]
        self.paid_total = [0] * len(measures)  # cents paid to each measure since the start
        self.funded = np.zeros(len(measures))  # funded share of each measure this month (0-1)
        self.active = np.zeros(len(measures), np.bool_)  # has demand (is running) this month
        self.cuts: list[tuple[int, str, float]] = []  # (year, source, share) of the cuts that happened
        self._plan: dict[tuple[int, int], list[int]] = {}  # (measure, source) -> cents for the 12 months
        self._demand: list[list[int]] = []
        self._funded_year = [0.0] * len(measures)
        self._plan_start = -1
        self._rows: list[tuple] = []

    # ------------------------------------------------------------ demand
    def _year_demand(self, m: int, first: int) -> list[int]:
        """Cents measure ``m`` asks for in each month ``first .. first + 11`` at full funding."""
        out = [0] * 12
        if self.cost[m] == 0:
            return out
        timing = self.timing[m]
        if timing.one_off:
            step = -(-self.cost[m] // timing.lag_months)
            left = self.cost[m] - self.paid_total[m]
            for k in range(12):
                if timing.scheduled(first + k) and left > 0:
                    out[k] = min(step, left)
                    left -= out[k]
            return out
        per_year = self.cost[m]
        for k in range(12):
            t = first + k
            if timing.scheduled(t):
                out[k] = per_year // 12 + (1 if t % 12 < per_year % 12 else 0)
        return out

    # ------------------------------------------------------------ plan
    def _record(self, month: int, entry: str, source: str, measure: str = "", type_: str = "", area: int = -1,
                demand: int = 0, amount: int = 0, balance: int = 0, funded: float = float("nan"),
                status: str = "") -> None:
        self._rows.append((month, month // 12 + 1, entry, source, measure, type_, area, demand, amount, balance,
                           funded, status))

    def _pay_in(self, month: int) -> None:
        year = month // 12 + 1
        for src in self.sources:
            spec = src.spec
            if src.balance > 0 and not spec.carry_over:
                self._record(month, "lapse", src.name, amount=src.balance, balance=0)
                src.balance = 0
            within = spec.start <= year and (spec.end is None or year <= spec.end)
            for cut in spec.cuts:
                if cut.year == year:
                    src.factor *= 1.0 - cut.share
                    self.cuts.append((year, src.name, cut.share))
            if within and spec.cut_probability > 0:
                agent = np.array([zlib.crc32(src.name.encode())], np.int64)  # keyed by name, not position
                if uniforms(self.key, STREAM_BUDGET, month, agent, 0)[0] < spec.cut_probability:
                    src.factor *= 1.0 - spec.cut_size
                    self.cuts.append((year, src.name, spec.cut_size))
            if within:
                amount = cents(spec.amount_per_year * (1.0 - spec.degression) ** (year - spec.start) * src.factor)
                src.balance += amount
                self._record(month, "inflow", src.name, amount=amount, balance=src.balance)

    def _order(self, state: State) -> list[int]:
        idx = range(len(self.measures))
        if self.policy != "participatory":
            return sorted(idx, key=lambda m: (self.measures[m].priority, m))
        needs = {a: resident_priorities(state, a) for a in set(self.area)}
        return sorted(idx, key=lambda m: (-needs[self.area[m]][self.entry[m].domain], self.measures[m].priority, m))

    def _plan_year(self, month: int, state: State) -> None:
        self._pay_in(month)
        self._plan_start = month
        self._demand = [self._year_demand(m, month) for m in range(len(self.measures))]
        totals = [sum(d) for d in self._demand]
        asks = [split_cents(totals[m], self.shares[m]) for m in range(len(self.measures))]
        funded = allocate(self.policy, asks, [s.balance for s in self.sources], self._order(state),
                          [m.minimum_funding for m in self.measures])
        self._funded_year = funded
        self._plan = {}
        left = [s.balance for s in self.sources]
        for m, f in enumerate(funded):
            for s in range(len(self.sources)):
                if asks[m][s] == 0:
                    continue
                grant = min(left[s], int(math.floor(f * asks[m][s] + 1e-9)))
                left[s] -= grant
                self._plan[(m, s)] = self._spread(grant, self._demand[m], totals[m])

    @staticmethod
    def _spread(grant: int, demand: list[int], total: int) -> list[int]:
        """A year's grant over the months in proportion to demand; odd cents in the last month with demand."""
        out = [grant * d // total for d in demand]
        last = max(k for k in range(12) if demand[k] > 0)
        out[last] += grant - sum(out)
        return out

    # ------------------------------------------------------------ hook
    def funding(self, m: int) -> Funding:
        """Measure ``m``'s money this month (after this month's payments)."""
        return Funding(bool(self.active[m]) and self.funded[m] > 0, float(self.funded[m]),
                       self.paid_total[m] >= self.cost[m])

    def __call__(self, context: "HookContext", month: int) -> None:
        """Pay this month's planned amounts (planning the year first, in its first month); a hook."""
        if month % 12 == 0 or self._plan_start < 0 or month >= self._plan_start + 12:
            self._plan_year(month, context.state)
        k = month - self._plan_start
        areas = context.state.areas
        areas.budget_spent[:] = 0.0
        for m, spec in enumerate(self.measures):
            demand = self._demand[m][k]
            one_off = self.timing[m].one_off
            self.active[m] = self.timing[m].scheduled(month) and (demand > 0 or self.cost[m] == 0) and not (
                one_off and self.cost[m] > 0 and self.paid_total[m] >= self.cost[m])
            if demand == 0:
                self.funded[m] = 1.0 if self.active[m] else 0.0
                continue
            paid = 0
            parts = split_cents(demand, self.shares[m])
            for s, src in enumerate(self.sources):
                if parts[s] == 0 and (m, s) not in self._plan:
                    continue
                amount = min(self._plan.get((m, s), [0] * 12)[k], src.balance)
                src.balance -= amount
                paid += amount
                share = amount / parts[s] if parts[s] else 1.0
                self._record(month, "payment", src.name, spec.label, spec.type, self.area[m], parts[s], amount,
                             src.balance, min(1.0, share), _status(self._funded_year[m]))
            self.paid_total[m] += paid
            self.funded[m] = min(1.0, paid / demand)
            areas.budget_spent[self.area[m]] += paid / 100.0
        areas.cumulative_cost[:] += areas.budget_spent
        self._set_available(areas.budget_available)

    def _set_available(self, available: np.ndarray) -> None:
        """Sources' balances, in EUR, split over areas by this year's planned grants (equally if none)."""
        available[:] = 0.0
        for s, src in enumerate(self.sources):
            weight = np.zeros(self.n_areas)
            for (m, k), months in self._plan.items():
                if k == s:
                    weight[self.area[m]] += sum(months)
            weight = weight / weight.sum() if weight.sum() > 0 else np.full(self.n_areas, 1.0 / self.n_areas)
            available += weight * src.balance / 100.0

    # ------------------------------------------------------------ output
    def frame(self, area_names: tuple[str, ...] | list[str]) -> pd.DataFrame:
        """The ledger as a tidy table (one row per entry; columns ``LEDGER_COLUMNS``)."""
        if not self._rows:
            return empty_ledger()
        df = pd.DataFrame(self._rows, columns=list(LEDGER_COLUMNS[:-1]))
        df["area"] = [area_names[a] if a >= 0 else "" for a in df["area"]]
        for col in ("month", "year", "demand_cents", "amount_cents", "balance_cents"):
            df[col] = df[col].astype(np.int64)
        df["amount_eur"] = df["amount_cents"] / 100.0
        return df

    def balances(self) -> dict[str, int]:
        """Current balance of every source, in cents."""
        return {s.name: s.balance for s in self.sources}


def _status(funded: float) -> str:
    if funded >= 1.0 - 1e-12:
        return "funded"
    return "reduced" if funded > 0 else "unfunded"


def empty_ledger() -> pd.DataFrame:
    """A ledger without entries (a run without funding sources or measures)."""
    types = {"month": "int64", "year": "int64", "demand_cents": "int64", "amount_cents": "int64",
             "balance_cents": "int64", "funded_share": "float64", "amount_eur": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "object")) for c in LEDGER_COLUMNS})
