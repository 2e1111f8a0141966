"""qsim/files.py: reading TOML and the error of each file kind (file, field, what was expected)."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from qsim.errors import QsimError
from qsim.files import (AreaTableError, CalibrationFileError, ExperimentFileError, FieldError, FileError, ScenarioError,
                        SensitivityFileError, StrictModel, describe, read_toml)
from qsim.parameters import ParameterError, check_value

KINDS = (ScenarioError, ExperimentFileError, SensitivityFileError, CalibrationFileError, AreaTableError)


@pytest.mark.parametrize("kind", KINDS)
def test_every_file_error_is_a_qsim_error_the_command_line_prints(kind):
    assert issubclass(kind, FileError) and issubclass(kind, QsimError) and issubclass(kind, ValueError)


def test_a_parameter_error_is_a_qsim_error():
    with pytest.raises(QsimError, match=r"parameter 'labour.job_loss' must lie in \[0, 1\]"):
        check_value("labour.job_loss", 2.0)
    assert issubclass(ParameterError, QsimError)


@pytest.mark.parametrize("kind, word", [(ScenarioError, "scenario"), (ExperimentFileError, "experiment"),
                                        (SensitivityFileError, "experiment"), (CalibrationFileError, "calibration")])
def test_read_toml_raises_the_kind_of_the_file(tmp_path, kind, word):
    with pytest.raises(kind, match=f"no such {word} file"):
        read_toml(tmp_path / "none.toml", kind)
    (tmp_path / "bad.toml").write_text("[a]\nb = \n", encoding="utf-8")
    with pytest.raises(kind, match=r"bad\.toml: not valid TOML: .*line 2") as info:
        read_toml(tmp_path / "bad.toml", kind)
    assert info.value.source == str(tmp_path / "bad.toml")
    (tmp_path / "good.toml").write_text("[a]\nb = 1\n", encoding="utf-8")
    assert read_toml(tmp_path / "good.toml", kind) == {"a": {"b": 1}}


class _Inner(StrictModel):
    low: float = Field(ge=0)
    high: float

    def model_post_init(self, _):
        if self.high < self.low:
            raise FieldError("high", f"must be above low ({self.low:g})")


class _Outer(StrictModel):
    range: _Inner


def test_errors_name_the_file_the_field_path_and_what_was_expected():
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate({"range": {"low": -1, "high": 2, "hihg": 3}})
    message = str(CalibrationFileError.from_validation("cal.toml", info.value, prefix="parameters"))
    assert message.startswith("cal.toml: invalid calibration\n")
    assert "  parameters.range.low: Input should be greater than or equal to 0" in message
    assert "  parameters.range.hihg: unknown field" in message
    one = ExperimentFileError.invalid("exp.toml", "design.size", "expected a power of two")
    assert str(one) == "exp.toml: invalid experiment\n  design.size: expected a power of two"
    assert (one.source, one.field) == ("exp.toml", "design.size")


def test_a_cross_field_error_points_at_its_field():
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate({"range": {"low": 2, "high": 1}})
    assert describe(info.value) == "  range.high: must be above low (2)"


def test_strict_models_are_frozen():
    inner = _Inner(low=0, high=1)
    with pytest.raises(ValidationError):
        inner.low = 3
