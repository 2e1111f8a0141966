"""The mutation fuzzer (tools/fuzz.py) over every shipped scenario and experiment file, at a size that fits the
suite: 200 mutants (stacked mutations with extreme values, deep nesting and damaged TOML), each loaded and, when
it loads, run for a year at a reduced size. None may raise anything but a QsimError, crash, or give NaN.
The full run (100,000 mutants) is the script's: `python tools/fuzz.py --count 100000 --report docs/reliability.md`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("qsim_fuzz", ROOT / "tools" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["qsim_fuzz"] = fuzz
_spec.loader.exec_module(fuzz)


def test_the_corpus_is_every_shipped_scenario_and_experiment_file():
    files = {str(f) for f in fuzz.corpus_files()}
    assert "scenarios/baseline.toml" in files and "experiments/validation.toml" in files
    assert len(files) == len(list((ROOT / "scenarios").rglob("*.toml"))) + len(list((ROOT / "experiments").rglob("*.toml")))


def test_mutants_are_reproducible_and_stack_extreme_values(tmp_path):
    corpus = fuzz.prepare(tmp_path)
    assert [fuzz.mutant(corpus, 7, k)[2] for k in range(5)] == [fuzz.mutant(corpus, 7, k)[2] for k in range(5)]
    texts = [fuzz.mutant(corpus, 7, k)[2] for k in range(300)]
    assert any("nan" in t for t in texts) and any("inf" in t for t in texts)
    assert any("\\u0000" in t for t in texts) and any("[[[[[" in t for t in texts)


def test_outcomes_are_classified(tmp_path, monkeypatch):
    """The fuzzer's verdicts can fail: a valid file runs, a broken one is rejected, any other exception is a bug."""
    import tomli_w

    corpus = fuzz.prepare(tmp_path)
    path, kind, data = next(c for c in corpus if c[0].name == "schelling.toml")
    assert fuzz.check_mutant(path, kind, tomli_w.dumps(data)) == ("ran", "")
    assert fuzz.check_mutant(path, kind, "[scenario\n")[0] == "rejected"

    def broken_loader(path, kind):
        raise RuntimeError("a bug")

    monkeypatch.setattr(fuzz, "load", broken_loader)
    outcome, detail = fuzz.check_mutant(path, kind, tomli_w.dumps(data))
    assert outcome == "uncaught" and "RuntimeError: a bug" in detail


def test_200_mutants_raise_only_qsim_errors_and_run_with_finite_indicators():
    counts, bugs = fuzz.fuzz(200, seed=20261208, chunk=200, progress=False)
    assert sum(counts.values()) == 200
    assert not bugs, "\n".join(f"mutant {b['index']}: {b['outcome']} {b['file']}\n{b['detail']}" for b in bugs)
    assert counts["ran"] >= 10, f"too few mutants load and run to test the runs: {dict(counts)}"


FOUND = (33298, 33306, 33382, 49645, 62701, 66849, 70762, 99707)
"""Mutants of seed 1 that found bugs in the second fuzz run (docs/reliability.md): a TypeError for a measure of a
city scenario whose ``type`` is a list or table (33298, 33306, 33382), a ValueError for a NUL byte in a city table
path (49645, 62701, 70762), an OSError for a too-long scenario path in a calibration file (66849, 99707)."""


@pytest.mark.parametrize("index", FOUND)
def test_the_mutants_that_found_bugs_are_refused_with_a_qsim_error(tmp_path, index):
    corpus = fuzz.prepare(tmp_path)
    path, kind, text = fuzz.mutant(corpus, 1, index)
    assert fuzz.check_mutant(path, kind, text) == ("rejected", "")


def test_records_of_separate_runs_are_added_up_into_one_report(tmp_path):
    """--json records of two ranges give one row each in --combine's section, with their commits and bugs."""
    from collections import Counter

    for k, (first, counts, bugs) in enumerate([(0, Counter(rejected=9, ran=1), []),
                                               (10, Counter(rejected=4, uncaught=1),
                                                [{"index": 12, "outcome": "uncaught", "file": "x.toml",
                                                  "detail": "TypeError: " + "z" * 300 + "\ntraceback"}])]):
        fuzz.write_record(tmp_path / f"{k}.json", counts, bugs, 1, first, 90.0)
    report = tmp_path / "reliability.md"
    report.write_text("before\n<!-- fuzz -->\nold\n<!-- /fuzz -->\nafter\n")
    assert fuzz.main(["--combine", str(tmp_path / "0.json"), str(tmp_path / "1.json"), "--report", str(report)]) == 0
    text = report.read_text()
    assert text.startswith("before\n<!-- fuzz -->\n| run |") and text.endswith("<!-- /fuzz -->\nafter\n")
    assert "| 1 | 0 .. 9 | 1 |" in text and "| 9 | 1 | 0 | 0 | 0 | 0 |" in text
    assert "| 2 | 10 .. 14 | 1 |" in text and "| 4 | 0 | 0 | 1 | 0 | 0 |" in text
    assert "- 12: uncaught, x.toml, TypeError: zzz..." in text and "old" not in text
