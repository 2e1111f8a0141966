"""Input files: reading TOML, the strict pydantic base of every file's model, and the errors a bad file raises.

Every kind of input file (scenario, experiment, sensitivity and calibration files, area tables) is read
and validated the same way, and a bad file raises the :class:`FileError` subclass of its kind, whose
message names the file, the field (or line and column) and what was expected::

    scenarios/x.toml: invalid scenario
      areas.0.households: Input should be greater than 0

A loader of a new file kind declares a ``StrictModel`` subclass for its tables and a ``FileError``
subclass with its ``kind``, and reads the file with :func:`read_toml` (see docs/contributing/files.md).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import QsimError


class StrictModel(BaseModel):
    """The base of every table of an input file: unknown fields are errors, and validated values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldError(ValueError):
    """A cross-field inconsistency found by a model validator, with the field path it concerns (relative to the
    model that raises it); :func:`describe` appends the path to the location pydantic reports."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path


class FileError(QsimError, ValueError):
    """An input file that cannot be used; the message names the file, the field or line, and what was expected.

    ``source`` is the file (or '<dict>'), ``field`` the dotted field path when there is one. Subclasses name
    the file ``kind`` used in messages ("invalid <kind>", "no such <kind> file")."""

    kind = "file"

    def __init__(self, message: str, source: str | None = None, field: str | None = None):
        super().__init__(message)
        self.source = source
        self.field = field

    @classmethod
    def invalid(cls, source: str, field: str, message: str) -> "FileError":
        """The error for one field: ``source: invalid <kind>\\n  field: message``."""
        return cls(f"{source}: invalid {cls.kind}\n  {field}: {message}", source, field)

    @classmethod
    def from_validation(cls, source: str, error: ValidationError, prefix: str = "", via: str = "") -> "FileError":
        """The error listing every problem pydantic found (``prefix``: the path of the validated table in the
        file; ``via``: how the file was reached, e.g. ' (extends base.toml)')."""
        return cls(f"{source}{via}: invalid {cls.kind}\n{describe(error, prefix)}", source)


class ScenarioError(FileError):
    """A scenario that cannot be used (a scenario file, or a scenario given as a dict)."""

    kind = "scenario"


class ExperimentFileError(FileError):
    """An experiment file (a sweep of factors over scenarios) that cannot be used."""

    kind = "experiment"


class SensitivityFileError(ExperimentFileError):
    """A sensitivity experiment file (uncertain parameters, method, outputs) that cannot be used."""


class CalibrationFileError(FileError):
    """A calibration file (priors and targets) that cannot be used."""

    kind = "calibration"


class AreaTableError(FileError):
    """A buildings or households table (CSV) that cannot be used; ``field`` is the scenario key naming the file
    (``buildings_csv`` or ``households_csv``), the message names the file, line and column."""

    kind = "area table"

    def __init__(self, field: str, message: str):
        super().__init__(message, None, field)


def describe(error: ValidationError, prefix: str = "") -> str:
    """pydantic's errors as indented lines ``  field.path: what was expected``; ``prefix`` is put before each
    path (the location of the validated table in its file)."""
    lines = []
    for e in error.errors():
        loc = [str(p) for p in e["loc"]]
        field_error = (e.get("ctx") or {}).get("error")
        if isinstance(field_error, FieldError):
            loc.append(field_error.path)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; `qsim schema` lists the fields)"
            if len(loc) > 1 and re.search(r"\s", loc[-1]):  # a key with spaces is named, not put in the path
                msg = f"unknown field {loc.pop()!r} (check the spelling; `qsim schema` lists the fields)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        path = ".".join(([prefix] if prefix else []) + loc) or "(top level)"
        lines.append(f"  {path}: {msg}")
    return "\n".join(lines)


def read_toml(path: str | Path, error: type[FileError] = FileError) -> dict:
    """The tables of a TOML file; a missing, unreadable or malformed file raises ``error`` (the file's kind)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such {error.kind} file", str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot be read ({e})", str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        where = "" if "line" in str(e) else f" (line {text.count(chr(10)) + 1})"
        raise error(f"{path}: not valid TOML: {e}{where}", str(path)) from None


__all__ = ["AreaTableError", "CalibrationFileError", "ExperimentFileError", "FieldError", "FileError", "ScenarioError",
           "SensitivityFileError", "StrictModel", "describe", "read_toml"]
