"""The validation file (experiments/validation.toml): sizes, replications and the seed of the pattern checks."""

from __future__ import annotations

from pathlib import Path

from pydantic import ConfigDict, Field, ValidationError

from ..files import FileError, StrictModel, read_toml
from ..rng import MAX_SEED


class ValidationFileError(FileError):
    """A validation file that cannot be used; the message names the file and the field."""

    kind = "validation"


class _Strict(StrictModel):
    model_config = ConfigDict(strict=True)  # merged with StrictModel's (unknown fields, finite numbers)


class Sizes(_Strict):
    """How much the checks simulate. Runs of the same scenario share replicates (seed, replicate r)."""

    replications: int = Field(ge=1, le=1000, description="Runs per scenario (stationarity, options, persistence, "
                              "upturn); the checks use the mean over them.")
    years: int = Field(ge=2, le=200, description="Horizon of the stationarity check (years).")
    transition_years: int = Field(ge=2, le=100, description="Years stepped month by month to count transitions "
                                  "(after one year of burn-in), in replicate 0 of the baseline; at least 2 for the "
                                  "24 months of benefit persistence.")
    option_years: int = Field(ge=3, le=100, description="Horizon of the option-against-baseline checks (years; "
                              "the S1-S4 difference is read at its end).")
    option_replications: int | None = Field(default=None, ge=1, le=1000, description="Runs per scenario of the "
                                            "S1-S4 option checks (default: replications): the difference of two "
                                            "means of 10 runs has a standard error of about 0.25 percentage points "
                                            "in S4, a quarter of the 1-point bound.")
    persistence_years: int = Field(ge=2, le=200, description="Year whose area ranks are compared with year 1.")
    schelling_grid: int = Field(ge=10, le=1000, description="Side of the Schelling grid (blocks; 80% occupied).")
    schelling_years: int = Field(ge=1, le=100, description="Years of the Schelling runs.")


class Settings(_Strict):
    """The [validation] table and the [full] and [quick] sizes."""

    seed: int = Field(ge=0, le=MAX_SEED, description="Seed of every run (replicate r of run r).")
    scenarios: str = Field(min_length=1, description="Folder of the shipped scenarios, relative to this file.")
    full: Sizes
    quick: Sizes


def read_settings(path: str | Path) -> tuple[Settings, Path]:
    """The settings of a validation file and the folder of its scenarios (resolved against the file)."""
    path = Path(path)
    data = read_toml(path, ValidationFileError)
    table = dict(data.pop("validation", {})) if isinstance(data.get("validation"), dict) else {}
    if "validation" in data:
        raise ValidationFileError(f"{path}: validation: expected a table [validation]")
    try:
        settings = Settings.model_validate({**table, **data})
    except ValidationError as e:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or '(top level)'}: "
                 f"{'unknown field' if err['type'] == 'extra_forbidden' else err['msg']}" for err in e.errors()]
        raise ValidationFileError(f"{path}: invalid validation file\n" + "\n".join(lines)) from None
    try:
        folder = (path.parent / settings.scenarios).resolve()
        is_folder = folder.is_dir()
    except (OSError, ValueError, RuntimeError):  # a NUL in the name, too long, a symlink loop
        folder, is_folder = path.parent / settings.scenarios, False
    if not is_folder:
        raise ValidationFileError(f"{path}: validation.scenarios: no such folder {settings.scenarios!r} "
                                  f"(looked for {folder})")
    return settings, folder
