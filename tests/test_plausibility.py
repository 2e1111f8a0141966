"""Warnings on valid but implausible amounts (qsim.plausibility): `320.000` (TOML: 320 EUR), budgets under 1,000 EUR."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from qsim.cli import main
from qsim.plausibility import amount_warnings
from qsim.scenario import load_scenario

BASELINE = (ROOT / "scenarios" / "baseline.toml").as_posix()


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "option.toml"
    path.write_text(f'extends = "{BASELINE}"\n[scenario]\nname = "option"\n' + body, encoding="utf-8")
    return path


def test_validate_warns_on_a_german_thousands_dot_and_says_how_to_write_it(tmp_path, capsys):
    path = write(tmp_path, '[funding.soziale_stadt]\nkind = "public_programme"\namount_per_year = 320.000\n')
    assert main(["validate", str(path)]) == 0  # a warning, not an error
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"{path}: warning: funding.soziale_stadt.amount_per_year (line 6) = 320.000:")
    assert "TOML reads 320.000 as 320 EUR" in err[0]
    assert err[0].endswith("for 320,000 EUR write 320_000 or 320000")


def test_three_decimals_in_a_measure_and_in_an_extended_file_are_found(tmp_path):
    parent = write(tmp_path, '[funding.f]\nkind = "donation"\namount_per_year = 40.000\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "option.toml"\n[scenario]\nname = "child"\n[[measures]]\ntype = "job_coaching"\n'
                     'funding = "f"\nbudget_per_year = 12.500  # thousands dot\n', encoding="utf-8")
    found = {(Path(w.source).name, w.field, w.value) for w in amount_warnings(load_scenario(child))}
    assert found == {("child.toml", "measures.0.budget_per_year (line 7)", "12.500"),
                     (parent.name, "funding.f.amount_per_year (line 6)", "40.000")}


@pytest.mark.parametrize("amount, warned", [(999, True), (1000, False), (0, False), (320.5, True)])
def test_a_yearly_budget_under_1000_eur_is_warned(tmp_path, amount, warned):
    path = write(tmp_path, f'[funding.tiny]\nkind = "donation"\namount_per_year = {amount}\n')
    warnings = amount_warnings(load_scenario(path))
    assert [w.field for w in warnings] == (["funding.tiny.amount_per_year"] if warned else [])
    if warned:
        assert "under 1,000 EUR" in str(warnings[0]) and "320_000 or 320000" in str(warnings[0])


def test_run_and_compare_print_the_warning_too(tmp_path, capsys):
    from qsim.cli.common import load_scenario_file  # what run and compare load their scenarios with

    load_scenario_file(str(write(tmp_path, '[funding.f]\nkind = "donation"\namount_per_year = 320.000\n')))
    assert "320_000 or 320000" in capsys.readouterr().err


def test_the_shipped_scenarios_have_no_implausible_amounts():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        assert amount_warnings(load_scenario(path)) == [], path
