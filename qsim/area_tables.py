"""Areas from tables: the buildings and households of one area read from CSV files and validated row by row.

A user with real data describes an area by two comma-separated files
instead of its marginals (``buildings_csv`` and ``households_csv`` in an
``[[areas]]`` entry).

The first line of each file names the columns (in any order); every other
line is one building or one household. Cells are read strictly: whole
numbers where a count is expected, a decimal point (not a comma) in
numbers, no empty cells in required columns. An empty cell in an optional
column means "not known": the model fills it as it does for a synthetic
population. Lines starting with ``#`` are comments; blank lines (and
lines of empty cells) are skipped. Every problem is reported with the file, the line (the header is
line 1) and the column; nothing is guessed, clipped or dropped.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from .files import MAX_FILE_BYTES, AreaTableError, check_input_file
from .state import LABOUR_STATES, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED

MAX_ERRORS = 10  # problems listed in one message


@dataclass(frozen=True)
class Column:
    """One column of a table: its cell type, whether it is required, its range and meaning."""

    name: str
    kind: str  # "id" (text), "int", "float" or "choice"
    required: bool
    meaning: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def expected(self) -> str:
        """What a cell of this column must hold, in words."""
        if self.kind == "id":
            return "a non-empty id"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        what = "a whole number" if self.kind == "int" else "a number"
        if self.high is None:
            return f"{what} > {self.low:g}" if self.kind == "float" else f"{what} >= {self.low:g}"
        return f"{what} from {self.low:g} to {self.high:g}"


BUILDING_COLUMNS = (
    Column("building", "id", True, "Unique id of the building (text or number, compared as written: 7 and 07 differ)."),
    Column("block_x", "int", True, "Grid column of the building's block, from 0.", 0, 9_999),
    Column("block_y", "int", True, "Grid row of the building's block, from 0.", 0, 9_999),
    Column("dwellings", "int", True, "Dwellings in the building.", 1, 32_767),
    Column("quality", "float", True, "Building quality, 0-1.", 0.0, 1.0),
    Column("rent_level", "float", False, "Market rent of an average dwelling in this building, EUR/month "
           "(empty or absent: the area's rent_level); sets the starting rents in the building (new tenancies pay "
           "the area's market rent).", 0.0),
)
HOUSEHOLD_COLUMNS = (
    Column("building", "id", True, "Id of the building the household lives in (from the buildings table)."),
    Column("group", "int", True, "0 = majority, 1 = minority (migration background).", 0, 1),
    Column("labour", "choice", True, "Labour-market state of the head.", choices=LABOUR_STATES),
    Column("adults", "int", True, "Persons aged 15 and over.", 1, 20),
    Column("children", "int", True, "Persons under 15.", 0, 4),
    Column("skill", "float", False, "Productivity / employability, 0-1 (empty or absent: drawn as for a "
           "synthetic population).", 0.0, 1.0),
    Column("unemployed_months", "int", False, "Months in the current unemployment spell; only for the "
           "unemployed (empty or absent: drawn as for a synthetic population).", 0, 600),
    Column("tenure", "int", False, "Months in the current dwelling (empty or absent: drawn as for a "
           "synthetic population).", 0, 1_200),
)


@dataclass(frozen=True, eq=False)
class AreaTables:
    """The validated tables of one area; missing optional values are NaN (floats) or -1 (counts)."""

    buildings_file: str
    households_file: str
    building_ids: tuple[str, ...]
    block_x: np.ndarray       # int64, per building row
    block_y: np.ndarray       # int64
    dwellings: np.ndarray     # int64
    quality: np.ndarray       # float64
    rent_level: np.ndarray    # float64, NaN: the area's
    building: np.ndarray      # int64, per household row: row of its building in the buildings table
    group: np.ndarray         # int64
    labour: np.ndarray        # int64, index into LABOUR_STATES
    adults: np.ndarray        # int64
    children: np.ndarray      # int64
    skill: np.ndarray         # float64, NaN: drawn
    unemployed_months: np.ndarray  # int64, -1: drawn
    tenure: np.ndarray        # int64, -1: drawn
    line: np.ndarray          # int64, file line of each household (for messages)

    @property
    def grid(self) -> tuple[int, int]:
        """Columns and rows of the block grid: from 0 to the largest block_x and block_y."""
        return int(self.block_x.max()) + 1, int(self.block_y.max()) + 1

    @property
    def n_households(self) -> int:
        return len(self.group)

    @property
    def n_dwellings(self) -> int:
        return int(self.dwellings.sum())

    def __post_init__(self):
        for f in fields(self):  # shared by the scenarios that read the same files: never changed in place
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AreaTables):
            return NotImplemented
        return all(np.array_equal(getattr(self, f.name), getattr(other, f.name), equal_nan=True) if isinstance(
            getattr(self, f.name), np.ndarray) else getattr(self, f.name) == getattr(other, f.name)
            for f in fields(self))

    __hash__ = None  # type: ignore[assignment]


def _parse(text: str, col: Column) -> object:
    """The value of one cell; raises ValueError with what was expected."""
    if col.kind == "id":
        return text
    if col.kind == "choice":
        if text not in col.choices:
            raise ValueError
        return col.choices.index(text)
    if col.kind == "int":
        if not re.fullmatch(r"[+-]?[0-9]+", text):  # a count is written as a whole number: not 2.0, 1e3 or 1_000
            raise ValueError
        value: float = int(text)
    else:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError
    if value < col.low or (col.high is not None and value > col.high) or (
            col.kind == "float" and col.high is None and value <= col.low):
        raise ValueError
    return value


def _shown(cell: str) -> str:
    """``, got 'cell'`` for a short cell of plain characters; nothing for anything else (no file contents are
    echoed in messages beyond what a table cell holds)."""
    return f", got {cell!r}" if len(cell) <= 24 and re.fullmatch(r"[\w .,+-]*", cell) else ""


def read_table(path: str | Path, field: str, columns: tuple[Column, ...],
               blank: tuple[str, ...] = ("",)) -> tuple[dict[str, list], list[int]]:
    """Read and check one table: its values by column (None for empty optional cells) and the file line of each row.

    ``field`` is the scenario key that names the file (it is carried by the error); a cell written as one of
    ``blank`` is empty.
    """
    path = Path(path)
    problems: list[str] = []

    def fail(message: str) -> AreaTableError:
        return AreaTableError(field, f"{path}: {message}")

    rows: list[tuple[int, list[str]]] = []
    path = check_input_file(path, AreaTableError, field)
    try:
        with path.open("rb") as f:
            text = f.read(MAX_FILE_BYTES + 1).decode("utf-8-sig")
        reader = csv.reader(("\n" if line.lstrip().startswith("#") else line
                             for line in io.StringIO(text, newline="")), strict=True)
        for row in reader:
            rows.append((reader.line_num, row))
    except UnicodeDecodeError as e:
        raise fail(f"cannot be read as a CSV file in UTF-8 (byte {e.start}: not UTF-8)") from None
    except OSError as e:
        raise fail(f"cannot be read ({e.strerror or e})") from None
    except csv.Error as e:  # the message names the line, not its contents
        raise fail(f"cannot be read as a CSV file (line {reader.line_num}: {e})") from None
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise fail("empty; expected a header line naming the columns and one line per row")
    header = [name.strip() for name in rows[0][1]]
    if len(header) == 1 and ";" in header[0]:
        raise fail("line 1: the columns are separated by ';'; expected commas (save the table as comma-separated "
                   "CSV with a decimal point)")
    names = ", ".join(c.name for c in columns if c.required)
    optional = ", ".join(c.name for c in columns if not c.required)
    known = [c.name for c in columns]
    unknown = [name for name in header if name not in known]
    twice = sorted({name for name in header if header.count(name) > 1})
    missing = [c.name for c in columns if c.required and c.name not in header]
    if unknown:  # a name like a column's is shown, anything else by position (a wrong file's line is not echoed)
        problems.append("unknown column(s) " + ", ".join(repr(n) if re.fullmatch(r"[A-Za-z_]\w{0,39}", n) else
                                                         f"at position {header.index(n) + 1}" for n in unknown))
    if twice:
        problems.append(f"column(s) {', '.join(map(repr, twice))} appear twice")
    if missing:
        problems.append(f"required column(s) {', '.join(map(repr, missing))} missing")
    if problems:
        raise fail(f"line 1: {'; '.join(problems)}; expected the columns {names} (optional: {optional}), "
                   "in any order")
    if len(rows) == 1:
        raise fail("no data: expected one line per row after the header")
    values: dict[str, list] = {c.name: [] for c in columns}
    lines = []
    for n, row in rows[1:]:
        if len(row) != len(header):
            problems.append(f"line {n}: {len(row)} cells; expected {len(header)}, one per column of the header")
            continue
        lines.append(n)
        cells = dict(zip(header, (cell.strip() for cell in row)))
        for c in columns:
            text = cells.get(c.name, "")
            if text in blank:
                values[c.name].append(None)
                if c.required:
                    problems.append(f"line {n}, column {c.name!r}: missing value; expected {c.expected()}")
                continue
            try:
                values[c.name].append(_parse(text, c))
            except ValueError:
                values[c.name].append(None)
                problems.append(f"line {n}, column {c.name!r}: expected {c.expected()}{_shown(text)}")
        if len(problems) > MAX_ERRORS:
            break
    if len(problems) == 1:
        raise fail(problems[0])
    if problems:
        count = f"{len(problems)} problems" if len(problems) <= MAX_ERRORS else f"over {MAX_ERRORS} problems, first"
        raise fail(f"{count}:\n    " + "\n    ".join(problems[:MAX_ERRORS]))
    return values, lines


def read_tables(buildings_csv: str | Path, households_csv: str | Path) -> AreaTables:
    """Read, check and join the buildings and households tables of one area (raises :class:`AreaTableError`).

    The result is kept while both files are unchanged (same size and
    modification time), so that scenario variants in a sweep read them once.
    """
    return _read_tables(str(buildings_csv), _stamp(buildings_csv), str(households_csv), _stamp(households_csv))


def _stamp(path: str | Path) -> tuple[int, int] | None:
    """Modification time and size of a file (None if there is none)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # no such file, or a path that cannot be one (reported when it is read)
        return None
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=16)
def _read_tables(buildings_csv: str, _b_stamp, households_csv: str, _h_stamp) -> AreaTables:
    b, b_lines = read_table(buildings_csv, "buildings_csv", BUILDING_COLUMNS)
    rows_of: dict[str, int] = {}
    for k, (bid, n) in enumerate(zip(b["building"], b_lines)):
        if bid in rows_of:
            raise AreaTableError("buildings_csv", f"{buildings_csv}: line {n}, column 'building': duplicate "
                                 f"building id {bid!r} (first on line {b_lines[rows_of[bid]]}); expected unique ids")
        rows_of[bid] = k
    h, h_lines = read_table(households_csv, "households_csv", HOUSEHOLD_COLUMNS)
    building = np.empty(len(h_lines), np.int64)
    residents = np.zeros(len(b_lines), np.int64)
    dwellings = np.array(b["dwellings"], np.int64)
    for i, (bid, n) in enumerate(zip(h["building"], h_lines)):
        k = rows_of.get(bid)
        if k is None:
            raise AreaTableError("households_csv", f"{households_csv}: line {n}, column 'building': unknown building "
                                 f"{bid!r}; expected an id from {buildings_csv}")
        residents[k] += 1
        if residents[k] > dwellings[k]:
            raise AreaTableError("households_csv", f"{households_csv}: line {n}, column 'building': building {bid!r} "
                                 f"has {dwellings[k]} dwellings ({buildings_csv}, line {b_lines[k]}); this is "
                                 f"household {residents[k]} in it")
        building[i] = k
    unemployed = (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED)
    for state, months, n in zip(h["labour"], h["unemployed_months"], h_lines):
        if months is not None and months > 0 and state not in unemployed:
            raise AreaTableError("households_csv", f"{households_csv}: line {n}, column 'unemployed_months': "
                                 f"{months} months for a head who is {LABOUR_STATES[state]}; expected 0 or an empty "
                                 "cell (only the unemployed have a spell)")

    def optional(values: list, missing: float, dtype) -> np.ndarray:
        return np.array([missing if v is None else v for v in values], dtype)

    return AreaTables(
        buildings_file=str(buildings_csv), households_file=str(households_csv), building_ids=tuple(b["building"]),
        block_x=np.array(b["block_x"], np.int64), block_y=np.array(b["block_y"], np.int64), dwellings=dwellings,
        quality=np.array(b["quality"], np.float64), rent_level=optional(b["rent_level"], np.nan, np.float64),
        building=building, group=np.array(h["group"], np.int64), labour=np.array(h["labour"], np.int64),
        adults=np.array(h["adults"], np.int64), children=np.array(h["children"], np.int64),
        skill=optional(h["skill"], np.nan, np.float64),
        unemployed_months=optional(h["unemployed_months"], -1, np.int64),
        tenure=optional(h["tenure"], -1, np.int64), line=np.array(h_lines, np.int64))


__all__ = ["AreaTableError", "AreaTables", "BUILDING_COLUMNS", "Column", "HOUSEHOLD_COLUMNS", "read_tables"]
