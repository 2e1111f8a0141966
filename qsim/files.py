"""Input files: reading TOML, the strict pydantic base of every file's model, and the errors a bad file raises.

Every kind of input file (scenario, experiment, sensitivity and calibration files, area tables) is read
and validated the same way, and a bad file raises the :class:`FileError` subclass of its kind, whose
message names the file, the field (or line and column) and what was expected::

    scenarios/x.toml: invalid scenario
      areas.0.households: Input should be greater than 0

A loader of a new file kind declares a ``StrictModel`` subclass for its tables and a ``FileError``
subclass with its ``kind``, and reads the file with :func:`read_toml` (see docs/contributing.md ("Input files")).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from .errors import QsimError


class StrictModel(BaseModel):
    """The base of every table of an input file: unknown fields are errors, numbers are finite (no NaN or inf),
    and validated values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MAX_FILE_BYTES = 200_000_000  # an input file (TOML or CSV table) larger than this is refused before it is read
MAX_PATH_CHARS = 1024  # a path written in a file (extends, tables) longer than this is refused
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")  # kernel and device files: never input files
_FILE_NAME = re.compile(r"\w[\w .,()+@-]*")  # @: the points of a sweep (name@3)
MAX_NAME_CHARS = 120


def _file_name(value: str) -> str:
    if len(value) > MAX_NAME_CHARS or not _FILE_NAME.fullmatch(value):
        raise ValueError(f"expected a name of at most {MAX_NAME_CHARS} letters, digits, spaces and . , ( ) + - @ "
                         "starting with a letter or digit (it names output files and figure titles)")
    return value


def _label(value: str) -> str:
    if len(value) > 2 * MAX_NAME_CHARS or re.search(r"[\x00-\x1f\x7f$\\]", value):
        raise ValueError(f"expected a label of at most {2 * MAX_NAME_CHARS} characters without control "
                         "characters, '$' or '\\' (it is printed in tables and figure titles)")
    return value


SafeName = Annotated[str, AfterValidator(_file_name)]
"""A name that is safe as a file name and as a figure label (scenario and experiment names)."""
SafeLabel = Annotated[str, AfterValidator(_label)]
"""A name printed in tables and figures, not used as a file name (areas, measures, funding sources)."""


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


def check_input_file(path: str | Path, error: type[FileError] = FileError, field: str | None = None) -> Path:
    """``path`` as an absolute Path if it is a regular file of at most :data:`MAX_FILE_BYTES` outside /proc,
    /sys and /dev; otherwise ``error`` (naming ``field``, the key that gave the path, if any), whose ``reason``
    says what is wrong without the path. Nothing is read."""
    text = str(path)
    if "\0" in text or len(text) > MAX_PATH_CHARS:
        shown = text.replace("\0", "\\0")[:60]
        raise _path_error(error, f"{shown!r}...", "not a usable file path (it has NUL characters or over "
                          f"{MAX_PATH_CHARS} characters)", field)
    path = Path(os.path.abspath(path))
    try:
        real = path.resolve()
        info = real.stat()
    except FileNotFoundError:
        raise _path_error(error, str(path), f"no such {error.kind} file", field) from None
    except (OSError, RuntimeError) as e:  # too long, a symlink loop, no permission
        raise _path_error(error, str(path), f"cannot be read ({e.strerror or e})", field) from None
    if any(real == Path(root) or Path(root) in real.parents for root in SPECIAL_ROOTS) or \
            not stat.S_ISREG(info.st_mode):
        raise _path_error(error, str(path), "not a regular file (special files and folders, and anything under "
                          f"{', '.join(SPECIAL_ROOTS)}, are never read); expected a regular file", field)
    if info.st_size > MAX_FILE_BYTES:
        raise _path_error(error, str(path), f"{info.st_size:,} bytes; a {error.kind} file may have at most "
                          f"{MAX_FILE_BYTES:,}", field)
    return path


def _path_error(error: type[FileError], path: str, reason: str, field: str | None) -> FileError:
    """``error`` with the message ``path: reason`` and ``reason`` kept apart (for callers that name the path)."""
    message = f"{path}: {reason}"
    e = error(field or "", message) if issubclass(error, AreaTableError) else error(message, path, field)
    e.reason = reason
    return e


def read_toml(path: str | Path, error: type[FileError] = FileError) -> dict:
    """The tables of a TOML file; a missing, unreadable, special or malformed file raises ``error`` (the file's
    kind)."""
    path = check_input_file(path, error)
    try:
        with path.open("rb") as f:
            text = f.read(MAX_FILE_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot be read ({e})", str(path)) from None
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise error(f"{path}: not usable TOML: arrays or tables nested too deeply", str(path)) from None
    except tomllib.TOMLDecodeError as e:
        where = "" if "line" in str(e) else f" (line {text.count(chr(10)) + 1})"
        raise error(f"{path}: not valid TOML: {e}{where}", str(path)) from None


__all__ = ["AreaTableError", "CalibrationFileError", "ExperimentFileError", "FieldError", "FileError",
           "MAX_FILE_BYTES", "SafeLabel", "SafeName", "ScenarioError", "SensitivityFileError", "StrictModel",
           "check_input_file", "describe", "read_toml"]
