"""Warnings on scenario values that are valid but probably mistyped: money amounts that are implausibly small.

A German writes 320,000 EUR as ``320.000``, which TOML reads as 320.0 EUR; a yearly budget of a few hundred
EUR is usually such a slip. These are warnings, not errors: a scenario may mean them (a tiny donation).
``qsim validate``, ``qsim run`` and ``qsim compare`` print them when they load a scenario.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .scenario import Scenario

MONEY_FIELDS = ("amount_per_year", "budget_per_year", "cost_per_year", "one_off")
"""The fields that hold amounts of EUR."""
YEARLY_FIELDS = ("amount_per_year", "budget_per_year", "cost_per_year")
"""The money fields that hold a yearly amount."""
SMALLEST_YEARLY_BUDGET = 1_000.0
"""EUR a year below which a yearly budget is implausible for a QM measure or funding source (an assumption: the
smallest Berlin QM funds, the Aktionsfonds, hand out about 10,000 EUR a year; docs/sources.md §2)."""
HOW_TO_WRITE = "amounts are in EUR, and a dot in TOML is a decimal point: write 320,000 EUR as 320_000 or 320000"

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
_THREE_DECIMALS = re.compile(r"\b(" + "|".join(MONEY_FIELDS) + r")\s*=\s*([+-]?\d+\.\d{3})(?![\d_eE.])")


@dataclass(frozen=True)
class AmountWarning:
    """One implausible amount: the file, the field path (with the line when it comes from the text), the value."""

    source: str
    field: str
    value: str
    reason: str
    fix: str = HOW_TO_WRITE

    def __str__(self) -> str:
        return f"{self.source}: warning: {self.field} = {self.value}: {self.reason}; {self.fix}"


def amount_warnings(scenario: Scenario) -> list[AmountWarning]:
    """The implausible amounts of ``scenario``: amounts written with three decimals in its file (or the files it
    extends), and yearly budgets under :data:`SMALLEST_YEARLY_BUDGET` EUR."""
    written = _three_decimals(Path(scenario.source)) if Path(scenario.source).is_file() else []
    warned = {w.field.split(" ")[0] for w in written}
    small = [AmountWarning(scenario.source, field, f"{value:g}", f"{value:g} EUR a year is implausibly small for "
                           f"a yearly budget (under {SMALLEST_YEARLY_BUDGET:,.0f} EUR)")
             for field, value in _yearly_amounts(scenario)
             if 0 < value < SMALLEST_YEARLY_BUDGET and field not in warned]
    return written + small


def _yearly_amounts(scenario: Scenario) -> list[tuple[str, float]]:
    """(field path, EUR a year) of every funding source, the QM office and every measure with a yearly budget."""
    out = [(f"funding.{name}.amount_per_year", s.amount_per_year) for name, s in scenario.funding.items()]
    offices = zip(scenario.measure_paths(), scenario.offices)
    out += [(f"{path}.cost_per_year", o.cost_per_year) for path, o in offices if o.cost_per_year is not None]
    out += [(f"measures.{k}.budget_per_year", m.budget_per_year) for k, m in enumerate(scenario.measures)
            if m.budget_per_year is not None]
    return out


def _three_decimals(path: Path, seen: frozenset[Path] = frozenset()) -> list[AmountWarning]:
    """Money amounts written with exactly three decimals in the file at ``path`` and the files it extends."""
    try:
        text = path.read_text(encoding="utf-8")
        parent = tomllib.loads(text).get("extends")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # the loader reports an unreadable file
    out = []
    table, measures = "", -1
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = header.group(2).replace('"', "").replace("'", "")
            if header.group(1) == "[[" and table == "measures":
                measures += 1
                table = f"measures.{measures}"
            continue
        for field, value in _THREE_DECIMALS.findall(line.split("#", 1)[0]):
            where = f"{table}.{field}" if table else field
            whole, thousands = value.split(".")
            out.append(AmountWarning(str(path), f"{where} (line {number})", value,
                                     f"TOML reads {value} as {float(value):g} EUR (a dot is a decimal point)",
                                     f"for {int(whole):,}{',' + thousands} EUR write {whole}_{thousands} or "
                                     f"{whole}{thousands}"))
    if isinstance(parent, str) and (path.parent / parent).resolve() not in seen:
        out += _three_decimals(path.parent / parent, seen | {path.resolve()})
    return out


__all__ = ["AmountWarning", "amount_warnings", "SMALLEST_YEARLY_BUDGET", "HOW_TO_WRITE"]
