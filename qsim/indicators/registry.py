"""The indicator registry: one :class:`Indicator` record per indicator, and the monthly computation.

An entry carries what every consumer needs: name, unit, kind (how a year is formed from months), level,
definition, the better direction, whether it is a share of households, labels and explanations in
English and German, and how it is computed. Results, yearly tables, comparisons, the report, the Mesa
model and the dashboard read the entries; nothing else lists indicators.

How an indicator is computed is either a declaration over the built-in numba sums
(:mod:`qsim.kernels.indicators`) -- :class:`Share`, :class:`Mean`, :class:`Count`, :class:`FlowRate`,
:class:`FlowCount`, :class:`AreaValue` -- or a plain function of the :class:`~qsim.state.State`, evaluated
with numpy after the numba part each month: for a ``household`` indicator it returns one value per household
slot, averaged over the households of each row; for an ``area`` indicator one value per area, the city's
being the mean weighted by resident households.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence, Union

import numpy as np

from ..errors import QsimError
from ..kernels.indicators import AREA_VALUES, SUMS, IndicatorLayout, month_indicators
from ..kernels.mobility import F_DISPLACED, F_IN, F_OUT

KINDS = ("stock", "flow", "rate")
"""How a year is formed from months: ``stock`` takes December (the MSS reads its indicators on 31 December),
``flow`` sums the months, ``rate`` takes the mean monthly rate times 12 (per year)."""
LEVELS = ("household", "area")
LANGUAGES = ("en", "de")
FLOWS = {"out_moves": F_OUT, "in_moves": F_IN, "displaced": F_DISPLACED}
"""The month's flows (qsim.kernels.mobility) an indicator can be computed from."""

UNIT_TEXT: dict[str, dict[str, str]] = {
    "share": {"en": "share (0-1)", "de": "Anteil (0-1)"},
    "0-1": {"en": "score 0-1", "de": "Wert 0-1"},
    "EUR/month": {"en": "EUR per month", "de": "EUR je Monat"},
    "ties/household": {"en": "ties per household", "de": "Kontakte je Haushalt"},
    "1/month": {"en": "per household and year", "de": "je Haushalt und Jahr"},  # a rate: yearly = 12 x monthly
    "households": {"en": "households", "de": "Haushalte"},
    "conflicts": {"en": "conflicts", "de": "Konflikte"},
    "EUR": {"en": "EUR", "de": "EUR"},
}
"""How the units are written in the report, per language; an indicator with another unit gives ``unit_text``."""


class IndicatorError(QsimError):
    """An indicator entry that cannot be registered, or a name that is not registered."""


# ------------------------------------------------------------------ how an indicator is computed
@dataclass(frozen=True)
class Share:
    """Sum ``numerator`` over sum ``denominator`` of the row's households (0 if the denominator is 0)."""
    numerator: str
    denominator: str


@dataclass(frozen=True)
class Mean:
    """Sum ``total`` per household of the row (0 without households)."""
    total: str


@dataclass(frozen=True)
class Count:
    """Sum ``total`` over the row's households. ``once_for_all``: each event involves one household of each
    group, so the all-groups column counts it once (half the sum)."""
    total: str
    once_for_all: bool = False


@dataclass(frozen=True)
class FlowRate:
    """The month's ``flow`` (a key of ``FLOWS``) per household resident at the start of the month."""
    flow: str


@dataclass(frozen=True)
class FlowCount:
    """The month's ``flow`` (a key of ``FLOWS``): households."""
    flow: str


@dataclass(frozen=True)
class AreaValue:
    """A property of the area (one of ``qsim.kernels.indicators.AREA_VALUES``), the same in its group rows."""
    value: str


Declaration = Union[Share, Mean, Count, FlowRate, FlowCount, AreaValue]
StateFunction = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Text:
    """An indicator in one language: its plain-language label and a one-sentence explanation."""
    label: str
    explanation: str


@dataclass(frozen=True, kw_only=True)
class Indicator:
    """One indicator. ``compute``: a declaration over the built-in sums, or ``f(state) -> np.ndarray`` (one
    value per household slot for ``level='household'``, per area for ``level='area'``). ``better``: +1 if more
    is better, -1 if less is, 0 if neither. ``per_household``: a share of households (value x households
    counts households). ``text``: a :class:`Text` per language (en, de). ``low``, ``high``: the range of
    valid values. ``key``: shown by default in summaries, plots and the report. ``unit_text``: the unit per
    language (default from ``UNIT_TEXT``). ``important``: the minimum important difference (in ``unit``; yearly
    values): the smallest change a planner would act on; ``important_reason``: why that size (a source, or
    "assumption: ...")."""

    name: str
    unit: str
    kind: str
    level: str
    definition: str
    compute: Declaration | StateFunction
    text: Mapping[str, Text]
    better: int = 0
    per_household: bool = False
    low: float = 0.0
    high: float = 1.0
    key: bool = False
    important: float | None = None
    important_reason: str = ""
    unit_text: Mapping[str, str] | None = field(default=None, compare=False)

    @property
    def declared(self) -> bool:
        """Computed from the numba sums by a declaration, not by a function of the state."""
        return isinstance(self.compute, (Share, Mean, Count, FlowRate, FlowCount, AreaValue))

    def label(self, lang: str = "en") -> str:
        return self.text[lang].label

    def explanation(self, lang: str = "en") -> str:
        return self.text[lang].explanation

    def unit_label(self, lang: str = "en") -> str:
        return self.unit_text[lang]


# ------------------------------------------------------------------ the registry
_REGISTRY: dict[str, Indicator] = {}
_FROZEN: set[str] = set()  # qsim's own indicators: never unregistered
_layout: IndicatorLayout | None = None
_evaluated: tuple[tuple[int, Indicator], ...] = ()  # (column, entry) of the indicators computed by functions


def _check(ind: Indicator) -> Indicator:
    """``ind`` with its unit texts filled in, or an IndicatorError saying which field is wrong and why."""
    def bad(field_name: str, expected: str):
        value = getattr(ind, field_name)
        return IndicatorError(f"indicator {ind.name!r}: field {field_name} is {value!r}; expected {expected}")

    if not isinstance(ind, Indicator):
        raise IndicatorError(f"register() takes an Indicator, got {type(ind).__name__}")
    if not isinstance(ind.name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", ind.name):
        raise bad("name", "a lower-case identifier (letters, digits, _), e.g. 'green_space_share'")
    if ind.name in _REGISTRY:
        raise IndicatorError(f"indicator {ind.name!r} is registered already; choose another name "
                             f"(or qsim.indicators.unregister({ind.name!r}) first if it is yours)")
    if ind.kind not in KINDS:
        raise bad("kind", " or ".join(KINDS))
    if ind.level not in LEVELS:
        raise bad("level", " or ".join(LEVELS))
    if ind.better not in (-1, 0, 1):
        raise bad("better", "+1 (more is better), -1 (less is better) or 0")
    if not isinstance(ind.per_household, bool) or (ind.per_household and ind.level != "household"):
        raise bad("per_household", "True only for a household indicator that is a share of households")
    for name in ("unit", "definition"):
        if not isinstance(getattr(ind, name), str) or not getattr(ind, name).strip():
            raise bad(name, "a non-empty text")
    if not isinstance(ind.text, Mapping) or not all(
            isinstance(ind.text.get(lang), Text) and ind.text[lang].label.strip() for lang in LANGUAGES):
        raise bad("text", f"a Text(label, explanation) for each of {', '.join(LANGUAGES)}")
    if not all(isinstance(x, (int, float)) for x in (ind.low, ind.high)) or not ind.low < ind.high:
        raise IndicatorError(f"indicator {ind.name!r}: low ({ind.low!r}) must be below high ({ind.high!r})")
    if ind.important is not None and not (isinstance(ind.important, (int, float)) and ind.important > 0
                                          and ind.important_reason.strip()):
        raise bad("important", "a positive number in the indicator's unit, with important_reason saying why")
    _check_compute(ind, bad)
    unit_text = dict(UNIT_TEXT.get(ind.unit, {}), **(ind.unit_text or {}))
    if any(lang not in unit_text for lang in LANGUAGES):
        raise bad("unit_text", f"the unit {ind.unit!r} in {', '.join(LANGUAGES)} (a unit not in "
                               f"UNIT_TEXT: {', '.join(UNIT_TEXT)})")
    return replace(ind, unit_text=unit_text)


def _check_compute(ind: Indicator, bad) -> None:
    c = ind.compute
    if isinstance(c, Share):
        names = [c.numerator, c.denominator]
    elif isinstance(c, (Mean, Count)):
        names = [c.total]
    else:
        names = []
    for name in names:
        if name not in SUMS:
            raise bad("compute", f"sums of qsim.kernels.indicators.SUMS ({', '.join(SUMS)})")
    if isinstance(c, (FlowRate, FlowCount)) and c.flow not in FLOWS:
        raise bad("compute", f"a flow of {', '.join(FLOWS)}")
    if isinstance(c, AreaValue) and c.value not in AREA_VALUES:
        raise bad("compute", f"an area value of {', '.join(AREA_VALUES)}")
    if isinstance(c, AreaValue) != (ind.level == "area") and ind.declared:
        raise bad("compute", f"a declaration for the level {ind.level!r} (AreaValue for 'area', the others for "
                             f"'household')")
    if not ind.declared and not callable(c):
        raise bad("compute", "a declaration (Share, Mean, Count, FlowRate, FlowCount, AreaValue) or a function "
                             "f(state) -> numpy array")


def register(indicator: Indicator) -> Indicator:
    """Add ``indicator`` to the registry (checked; an IndicatorError says what is wrong) and return the entry.

    Register before building a :class:`~qsim.Simulation`: a run's result must have one column per registered
    indicator in every month, and a result whose months disagree with the registry raises an error."""
    entry = _check(indicator)
    _REGISTRY[entry.name] = entry
    _rebuild()
    return entry


def unregister(name: str) -> None:
    """Remove an indicator added with :func:`register` (qsim's own indicators stay)."""
    get(name)
    if name in _FROZEN:
        raise IndicatorError(f"indicator {name!r} is one of qsim's own and cannot be unregistered")
    del _REGISTRY[name]
    _rebuild()


def _freeze() -> None:
    """Mark everything registered so far as qsim's own (called once the catalogue is registered)."""
    _FROZEN.update(_REGISTRY)


def get(name: str) -> Indicator:
    """The entry of indicator ``name``; an IndicatorError naming the closest one if there is none."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "qsim.indicators.names() lists them"
        raise IndicatorError(f"unknown indicator {name!r}: {hint}") from None


def indicators() -> tuple[Indicator, ...]:
    """Every registered indicator, in column order (qsim's own first, then those registered later)."""
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    """The names of the registered indicators, in column order."""
    return tuple(_REGISTRY)


def key_names() -> tuple[str, ...]:
    """The key indicators (``key=True``): shown by default in summaries, plots and the report."""
    return tuple(n for n, ind in _REGISTRY.items() if ind.key)


def better(name: str) -> int:
    """+1 if more of indicator ``name`` is better, -1 if less is, 0 if neither."""
    return get(name).better


def checked_names(names: str | Sequence[str], available: Sequence[str] | None = None) -> list[str]:
    """``names`` as a list (one indicator may be given as a string), each one of ``available`` (default: all
    registered); else an IndicatorError that names the closest indicator (or says how to pass a file path)."""
    available = list(_REGISTRY) if available is None else list(available)
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name in available:
            continue
        if name in _REGISTRY:
            hint = f"this table has {', '.join(available)}"
        elif Path(name).suffix.lower() in (".png", ".pdf", ".svg", ".jpg"):
            hint = "to write the figure to a file, pass it as path=..."
        else:
            close = difflib.get_close_matches(name, available, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "qsim.indicators.names() lists them"
        raise IndicatorError(f"unknown indicator {name!r}: {hint}")
    return names


# ------------------------------------------------------------------ the monthly computation
def _rows(kind: type, columns: Callable[[Declaration], tuple[int, ...]], width: int) -> np.ndarray:
    """The layout rows (column, *columns(declaration)) of the entries declared with ``kind``."""
    rows = [(k, *columns(ind.compute)) for k, ind in enumerate(_REGISTRY.values()) if type(ind.compute) is kind]
    return np.array(rows, np.int64).reshape(len(rows), width)


def _rebuild() -> None:
    """The numba layout and the function-computed columns, from the registry (after every change)."""
    global _layout, _evaluated
    s = SUMS.index
    _layout = IndicatorLayout(
        width=len(_REGISTRY),
        shares=_rows(Share, lambda c: (s(c.numerator), s(c.denominator)), 3),
        means=_rows(Mean, lambda c: (s(c.total),), 2),
        counts=_rows(Count, lambda c: (s(c.total), int(c.once_for_all)), 3),
        flow_rates=_rows(FlowRate, lambda c: (FLOWS[c.flow],), 2),
        flow_counts=_rows(FlowCount, lambda c: (FLOWS[c.flow],), 2),
        area_values=_rows(AreaValue, lambda c: (AREA_VALUES.index(c.value),), 2))
    _evaluated = tuple((k, ind) for k, ind in enumerate(_REGISTRY.values()) if not ind.declared)


def compute(state, params, flows: np.ndarray, block_efficacy: np.ndarray, area_place_quality: np.ndarray,
            sums_out: np.ndarray | None = None) -> np.ndarray:
    """All registered indicators for one month: array (n_areas + 1, 3, number of indicators); row n_areas is
    the city, column 2 all groups. ``block_efficacy``: the current collective efficacy of every block.
    ``sums_out``: if given, an array (n_areas + 1, 3, len(SUMS)) that receives the month's household sums
    (``qsim.kernels.indicators.household_sums``; the indicators by cohort start from them)."""
    table, sums = month_indicators(params.labour, params.environment.housing_cost_limit, state.households.view(),
                             state.dwellings.view(), state.buildings.block, state.buildings.quality,
                             state.blocks.view(), state.areas.view(), block_efficacy, flows, area_place_quality,
                             _layout)
    if sums_out is not None:
        sums_out[...] = sums
    if _evaluated:
        weights = _household_rows(state)
        for column, ind in _evaluated:
            table[:, :, column] = _evaluate(ind, state, *weights)
    return table


def _household_rows(state) -> tuple[np.ndarray, np.ndarray, int]:
    """The resident households' (area x 2 + group) and their counts by row and group column."""
    h = state.households
    n_areas = len(state.areas)
    cell = state.dwellings.area[h.dwelling[h.alive]].astype(np.int64) * 2 + h.group[h.alive]
    return cell, _by_row(np.bincount(cell, minlength=2 * n_areas), n_areas), n_areas


def _by_row(per_cell: np.ndarray, n_areas: int) -> np.ndarray:
    """Sums per (area, group) cell as rows (areas, then the city) x (group 0, 1, all)."""
    out = np.zeros((n_areas + 1, 3))
    out[:n_areas, :2] = per_cell.reshape(n_areas, 2)
    out[n_areas] = out[:n_areas].sum(axis=0)
    out[:, 2] = out[:, 0] + out[:, 1]
    return out


def _evaluate(ind: Indicator, state, cell: np.ndarray, households: np.ndarray, n_areas: int) -> np.ndarray:
    """The rows x groups of an indicator computed by a function of the state."""
    values = np.asarray(ind.compute(state), dtype=np.float64)
    if ind.level == "household":
        expected = len(state.households)
        if values.shape != (expected,):
            raise IndicatorError(f"indicator {ind.name!r}: compute(state) returned shape {values.shape}; expected "
                                 f"one value per household slot ({expected},)")
        sums = _by_row(np.bincount(cell, weights=values[state.households.alive], minlength=2 * n_areas), n_areas)
        return np.divide(sums, households, out=np.zeros_like(sums), where=households > 0)
    if values.shape != (n_areas,):
        raise IndicatorError(f"indicator {ind.name!r}: compute(state) returned shape {values.shape}; expected one "
                             f"value per area ({n_areas},)")
    total = households[:n_areas, 2].sum()
    weights = households[:n_areas, 2] / total if total > 0 else np.full(n_areas, 1.0 / n_areas)
    return np.repeat(np.append(values, weights @ values)[:, None], 3, axis=1)
