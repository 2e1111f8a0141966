"""A mutation fuzzer over every shipped scenario and experiment file.

Each mutant is a shipped file with one to four stacked mutations (extreme values: huge integers, NUL bytes,
long strings, NaN and inf, deep nesting, wrong types, removed and unknown keys; or damaged TOML text). It is
written next to its original in a copy of the repository's files (so that ``extends`` and table paths resolve
as they do for the original) and loaded with the loader of its kind. A mutant that loads is run for a year
(scenarios; a sweep experiment: its first scenario at its first design point) at a reduced size: the copies
of the shipped scenarios are shrunk to a few hundred households first, and a mutant with more than
``MAX_DWELLINGS`` dwellings is counted as too large and not run.

Every mutant ends in one of these outcomes:

- ``rejected``: the loader raised a :class:`qsim.errors.QsimError` (a clear message): correct;
- ``ran``: it loaded and ran a year with finite indicators: correct;
- ``too_large``: it loaded, and is too large to run here;
- ``uncaught``: an exception that is not a QsimError, while loading or running: a bug;
- ``nan``: a run whose indicators hold NaN or inf: a bug;
- ``crash``: the process died (a signal, e.g. a segmentation fault in a kernel): a bug.

Usage (from the repository root)::

    python tools/fuzz.py --count 100000 --report docs/reliability.md [--minutes 30] [--workers 2]

Mutant ``k`` of seed ``s`` is the same on every machine (``--first k --count 1 --show`` prints it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("scenarios", "experiments", "qsim/data")
MAX_DWELLINGS = 3000  # a mutant with more dwellings loads but is not run (a run must take well under a second)
SMALL_AREA = {"households": 150, "grid": [3, 3], "buildings_per_block": 2, "dwellings_per_building": 10}
CITY_SCALE = 0.0003   # Berlin (about 2 million households) shrunk to a few hundred
OUTCOMES = ("rejected", "ran", "too_large", "uncaught", "nan", "crash")
BUGS = ("uncaught", "nan", "crash")

EXTREMES = (0, -1, 1, 2**31, 2**63, 2**64, 10**30, -10**30, 0.0, -0.0, 1e-300, 1e300, -1e300,
            math.nan, math.inf, -math.inf, True, False, "", "\0", "a\0b", "x" * 5000, "$\\frac{", "../../X",
            "/dev/zero", "/proc/self/environ", "/sys", "..", "é" * 300, "1", "nan", [], {}, [1, 2], {"a": 1},
            [[0.0, 1.0], [math.nan, 1.2]], [[0, 1.0], [0, 1.0]])


# ------------------------------------------------------------------ the corpus
def corpus_files(root: Path = ROOT) -> list[Path]:
    """Every shipped scenario and experiment file (relative to ``root``)."""
    files = sorted((root / "scenarios").rglob("*.toml")) + sorted((root / "experiments").rglob("*.toml"))
    return [f.relative_to(root) for f in files]


def kind_of(relative: Path, data: dict) -> str:
    """The loader a file is meant for: scenario, sweep, sensitivity, calibration or validation."""
    if relative.parts[0] == "scenarios" or "scenarios" in relative.parts[1:-1]:
        return "scenario"
    for key in ("calibration", "sensitivity", "validation"):
        if key in data:
            return key
    return "sweep"


def shrink(data: dict) -> dict:
    """A scenario made small enough to run a year in well under a second (the corpus the mutants start from)."""
    data = json.loads(json.dumps(data))
    for area in data.get("areas", []) if isinstance(data.get("areas"), list) else []:
        if isinstance(area, dict) and "households" in area:
            area.update({k: v for k, v in SMALL_AREA.items() if k in area or k in ("households", "grid")})
            area.setdefault("dwellings_per_building", SMALL_AREA["dwellings_per_building"])
            area.setdefault("buildings_per_block", SMALL_AREA["buildings_per_block"])
    if isinstance(data.get("city"), dict):
        data["city"]["scale"] = CITY_SCALE
    if isinstance(data.get("experiment"), dict):
        data["experiment"]["replications"] = 1
    return data


def prepare(workdir: Path) -> list[tuple[Path, str, dict]]:
    """Copy the shipped files into ``workdir`` with the scenarios shrunk; the corpus as (path, kind, data)."""
    import tomli_w

    for folder in COPIED:
        shutil.copytree(ROOT / folder, workdir / folder, dirs_exist_ok=True)
    corpus = []
    for relative in corpus_files():
        data = tomllib.loads((ROOT / relative).read_text(encoding="utf-8"))
        kind = kind_of(relative, data)
        if kind == "scenario":
            data = shrink(data)
            (workdir / relative).write_text(tomli_w.dumps(data), encoding="utf-8")
        elif isinstance(data.get("experiment"), dict):
            data["experiment"]["replications"] = 1
        corpus.append((workdir / relative, kind, data))
    return corpus


# ------------------------------------------------------------------ mutations
def _paths(node, prefix=()) -> list[tuple]:
    """Every path into a nested dict/list (including the root)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            out += _paths(value, prefix + (k,))
    return out


def _get(node, path):
    for p in path:
        node = node[p]
    return node


def _extreme(rng: random.Random):
    choice = rng.random()
    if choice < 0.6:
        return rng.choice(EXTREMES)
    if choice < 0.7:  # deep nesting
        value = rng.choice([1, "x", 0.5])
        for _ in range(rng.choice([5, 50, 400])):
            value = [value] if rng.random() < 0.5 else {"k": value}
        return value
    if choice < 0.85:
        return rng.choice([-1, 1]) * 10 ** rng.uniform(-12, 40)
    return rng.choice([-1, 1]) * rng.randrange(0, 2 ** rng.choice([8, 16, 32, 64, 80]))


def _scaled(value, rng: random.Random):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _extreme(rng)
    factor = rng.choice([0, -1, 1e-9, 0.5, 2, 10, 1000, 1e12, 1e300])
    out = value * factor
    return int(out) if isinstance(value, int) and math.isfinite(out) else out


def mutate_data(data: dict, rng: random.Random) -> dict:
    """``data`` with one mutation at a random place: a value replaced, scaled, removed, retyped or an unknown
    key added."""
    data = json.loads(json.dumps(data, allow_nan=True))
    path = rng.choice(_paths(data))
    parent, key = (_get(data, path[:-1]), path[-1]) if path else (None, None)
    op = rng.choice(["extreme", "extreme", "scale", "remove", "retype", "unknown", "duplicate"])
    if parent is None or op == "unknown":
        target = _get(data, path)
        if isinstance(target, dict):
            target[rng.choice(["zzz", "name", "years", "seed", "extends", "x" * 300, "a\0"])] = _extreme(rng)
        return data
    if op == "extreme":
        parent[key] = _extreme(rng)
    elif op == "scale":
        parent[key] = _scaled(parent[key], rng)
    elif op == "remove":
        del parent[key]
    elif op == "retype":
        value = parent[key]
        parent[key] = str(value) if not isinstance(value, str) else [value]
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(json.loads(json.dumps(parent[key], allow_nan=True)))
    return data


def mutate_text(text: str, rng: random.Random) -> str:
    """``text`` with a few bytes changed, inserted or cut (damaged TOML)."""
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(text) + 1)
        op = rng.random()
        if op < 0.3:
            text = text[:k]
        elif op < 0.7:
            text = text[:k] + rng.choice(["\0", "\"", "[", "]", "=", "\n", "nan", "inf", "99999999999999999999",
                                          "[[areas]]\n", "é", "\ufeff"]) + text[k:]
        else:
            text = text[:k] + text[k + rng.randint(1, 20):]
    return text


def mutant(corpus: list, seed: int, index: int) -> tuple[Path, str, str]:
    """Mutant ``index`` of ``seed``: (original path, kind, TOML text)."""
    import tomli_w

    rng = random.Random(f"{seed}-{index}")
    path, kind, data = corpus[rng.randrange(len(corpus))]
    for _ in range(rng.randint(1, 4)):
        data = mutate_data(data, rng)
    try:
        text = tomli_w.dumps(data)
    except RecursionError:  # nested deeper than the writer goes: the nesting written by hand
        depth = rng.choice([200, 1000, 5000])
        text = tomli_w.dumps(corpus[0][2]) + f"\nzzz = {'[' * depth}1{']' * depth}\n"
    except (TypeError, ValueError):  # not representable in TOML
        text = tomli_w.dumps({})
    if rng.random() < 0.15:
        text = mutate_text(text, rng)
    return path, kind, text


# ------------------------------------------------------------------ loading and running
def load(path: Path, kind: str):
    """The file loaded by the loader of its kind (raises QsimError for a bad file)."""
    if kind == "scenario":
        from qsim.scenario import load_scenario

        return load_scenario(path)
    if kind == "sweep":
        from qsim.experiment.sweep import load_experiment

        return load_experiment(path)
    if kind == "sensitivity":
        from qsim.sensitivity.spec import load_sensitivity_experiment

        return load_sensitivity_experiment(path)
    if kind == "calibration":
        from qsim.sensitivity.calibration import load_calibration

        return load_calibration(path)
    from qsim.validation.settings import read_settings

    return read_settings(path)


def scenario_to_run(loaded, kind: str):
    """The scenario a loaded file runs for the fuzzer (None: nothing to run)."""
    if kind == "scenario":
        return loaded
    if kind == "sweep" and loaded.scenarios:
        from qsim.experiment.design import apply_point

        points = loaded.points
        values = {} if points is None or points.empty else {k: float(v) for k, v in points.iloc[0].items()}
        return apply_point(loaded.scenarios[0], values)
    return None


def check_mutant(path: Path, kind: str, text: str) -> tuple[str, str]:
    """(outcome, detail) of one mutant written to a file next to ``path``."""
    import numpy as np

    from qsim.engine import Simulation
    from qsim.errors import QsimError

    target = path.with_name(f"fuzz-{os.getpid()}.toml")
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        try:
            loaded = load(target, kind)
            scenario = scenario_to_run(loaded, kind)
        except QsimError:
            return "rejected", ""
        if scenario is None:
            return "ran", ""
        if sum(area.dwellings for area in scenario.areas) > MAX_DWELLINGS:
            return "too_large", ""
        try:
            result = Simulation(scenario).run(years=1)
        except QsimError:  # refused before the run (e.g. a measure whose target selects nobody)
            return "rejected", ""
        values = result.indicators.select_dtypes("number").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            bad = result.indicators.columns[~np.isfinite(result.indicators.select_dtypes("number")).all()]
            return "nan", f"non-finite indicators: {', '.join(map(str, bad))}"
        return "ran", ""
    except Exception as e:  # every other exception is a bug to fix
        return "uncaught", f"{type(e).__name__}: {e}"[:300] + "\n" + traceback.format_exc(limit=-3)[-1500:]
    finally:
        target.unlink(missing_ok=True)


# ------------------------------------------------------------------ chunks in child processes
def child(workdir: Path, seed: int, first: int, count: int) -> None:
    """Check mutants ``first`` .. ``first + count - 1``; one JSON line per mutant on stdout."""
    corpus = _corpus_in(workdir)
    for index in range(first, first + count):
        path, kind, text = mutant(corpus, seed, index)
        outcome, detail = check_mutant(path, kind, text)
        print(json.dumps({"index": index, "outcome": outcome, "file": str(path.relative_to(workdir)),
                          "detail": detail}), flush=True)


def _corpus_in(workdir: Path) -> list:
    corpus = []
    for relative in corpus_files():
        data = tomllib.loads((workdir / relative).read_text(encoding="utf-8"))
        corpus.append((workdir / relative, kind_of(relative, data), data))
    return corpus


def fuzz(count: int, seed: int = 1, first: int = 0, chunk: int = 250, workers: int = 1,
         progress: bool = True, seconds: float = math.inf, record: Path | None = None) -> tuple[Counter, list[dict]]:
    """Check ``count`` mutants in child processes (a crashed child is a ``crash``, and the next resumes after
    it; no chunk starts after ``seconds``); returns the outcome counts and the bugs found. With ``record``, the
    counts so far are written to that JSON file after every chunk (see :func:`write_record`)."""
    counts: Counter = Counter()
    bugs: list[dict] = []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="qsim-fuzz-") as tmp:
        workdir = Path(tmp)
        prepare(workdir)
        pending = [(start, min(chunk, first + count - start)) for start in range(first, first + count, chunk)]
        running: list = []
        while pending or running:
            if time.time() - started > seconds:
                pending = []
            while pending and len(running) < workers:
                start, n = pending.pop(0)
                proc = subprocess.Popen([sys.executable, __file__, "--child", str(workdir), "--seed", str(seed),
                                         "--first", str(start), "--count", str(n)], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH":
                                        str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})
                running.append((proc, start, n))
            proc, start, n = running.pop(0)
            out, _ = proc.communicate()
            seen = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            for r in seen:
                counts[r["outcome"]] += 1
                if r["outcome"] in BUGS:
                    bugs.append(r)
            done = len(seen)
            if done < n:  # the child died on mutant start + done
                counts["crash"] += 1
                bugs.append({"index": start + done, "outcome": "crash", "file": "",
                             "detail": f"child exited with {proc.returncode}"})
                if done + 1 < n:
                    pending.insert(0, (start + done + 1, n - done - 1))
            if record is not None:
                write_record(record, counts, bugs, seed, first, time.time() - started)
            if progress:
                total = sum(counts.values())
                print(f"{total:,}/{count:,} mutants, {time.time() - started:,.0f} s: " +
                      ", ".join(f"{k} {counts[k]:,}" for k in OUTCOMES), file=sys.stderr, flush=True)
    return counts, bugs


def write_record(path: Path, counts: Counter, bugs: list[dict], seed: int, first: int, seconds: float) -> None:
    """The counts of a run as JSON (seed, first mutant, counts, bugs, minutes, the commit checked), so that runs
    over separate ranges can be added up; written atomically, so a run stopped at any moment leaves a whole file."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    data = {"seed": seed, "first": first, "checked": sum(counts.values()), "commit": commit,
            "minutes": round(seconds / 60, 1), "counts": {k: counts[k] for k in OUTCOMES}, "bugs": bugs}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


MEANING = {"rejected": "refused with a QsimError naming the file and field", "ran": "loaded and ran a year with "
           "finite indicators (experiments other than sweeps: loaded)", "too_large": "loaded; over "
           f"{MAX_DWELLINGS:,} dwellings, not run here", "uncaught": "an exception other than QsimError (a bug)",
           "nan": "NaN or inf in the indicators of the year's run (a bug)", "crash": "the process died (a bug)"}


def _bug_lines(bugs: list[dict], limit: int = 50) -> list[str]:
    """One Markdown list item per bug: mutant index, outcome, file, first line of the detail (runs of a repeated
    character shortened)."""
    def first_line(detail: str) -> str:
        line = detail.splitlines()[0] if detail else ""
        return re.sub(r"(.)\1{9,}", r"\1\1\1...", line)[:120]

    return [f"- {b['index']}: {b['outcome']}, {b['file']}, {first_line(b['detail'])}" for b in bugs[:limit]]


def report(counts: Counter, bugs: list[dict], seed: int, first: int, seconds: float, target: int) -> str:
    """The Markdown section on the fuzzer's counts for docs/reliability.md."""
    total = sum(counts.values())
    lines = [f"Mutants checked: **{total:,}** (seed {seed}, mutants {first:,} .. {first + total - 1:,}; the "
             f"target is {target:,}), in {seconds / 60:,.0f} minutes on this machine.", "",
             "| outcome | mutants | meaning |", "|---|---|---|"]
    lines += [f"| {k} | {counts[k]:,} | {MEANING[k]} |" for k in OUTCOMES]
    if bugs:
        lines += ["", "Bugs found (mutant index: outcome, file, detail):", ""] + _bug_lines(bugs)
    return "\n".join(lines) + "\n"


def combined_report(records: list[dict]) -> str:
    """The Markdown section for docs/reliability.md from the records of several runs (``--json`` files, in the
    order given): one row per run (its range, the commit checked, an optional ``note``) and the bugs each found."""
    lines = ["| run | mutants | seed | commit | minutes | " + " | ".join(OUTCOMES) + " | note |",
             "|---|---|---|---|---|" + "---|" * len(OUTCOMES) + "---|"]
    for k, r in enumerate(records, 1):
        last = r["first"] + r["checked"] - 1
        lines.append(f"| {k} | {r['first']:,} .. {last:,} | {r['seed']} | {r['commit']} | {r['minutes']:,.0f} | "
                     + " | ".join(f"{r['counts'][o]:,}" for o in OUTCOMES) + f" | {r.get('note', '')} |")
    lines += ["", "Outcomes: " + "; ".join(f"*{k}*: {MEANING[k]}" for k in OUTCOMES) + "."]
    for k, r in enumerate(records, 1):
        if r["bugs"]:
            lines += ["", f"Bugs found by run {k} (mutant index: outcome, file, detail):", ""] + _bug_lines(r["bugs"])
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put ``section`` between the markers <!-- fuzz --> and <!-- /fuzz --> of the Markdown file ``path``."""
    text = path.read_text(encoding="utf-8") if path.exists() else "<!-- fuzz -->\n<!-- /fuzz -->\n"
    head, rest = text.split("<!-- fuzz -->", 1)
    tail = rest.split("<!-- /fuzz -->", 1)[1]
    path.write_text(f"{head}<!-- fuzz -->\n{section}<!-- /fuzz -->{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="mutants to check (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the mutations (default 1)")
    parser.add_argument("--first", type=int, default=0, help="index of the first mutant (default 0)")
    parser.add_argument("--workers", type=int, default=1, help="child processes at once (default 1)")
    parser.add_argument("--minutes", type=float, default=math.inf, help="stop starting new mutants after this "
                        "many minutes (the report says how many ran)")
    parser.add_argument("--report", type=Path, default=None, help="write the counts into this Markdown file, "
                        "between the markers <!-- fuzz --> and <!-- /fuzz -->")
    parser.add_argument("--json", type=Path, default=None, help="write the counts and bugs into this JSON file "
                        "(rewritten after every chunk of 250 mutants; runs over separate ranges can be added up)")
    parser.add_argument("--show", action="store_true", help="print the mutants' TOML instead of checking them")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--combine", type=Path, nargs="+", default=None, metavar="JSON", help="check nothing: "
                        "write the counts of these --json records (one row per run) into --report")
    args = parser.parse_args(argv)
    if args.combine is not None:
        if args.report is None:
            parser.error("--combine needs --report")
        write_section(args.report, combined_report([json.loads(p.read_text(encoding="utf-8")) for p in args.combine]))
        return 0
    if args.child is not None:
        child(args.child, args.seed, args.first, args.count)
        return 0
    if args.show:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = prepare(Path(tmp))
            for index in range(args.first, args.first + args.count):
                path, kind, text = mutant(corpus, args.seed, index)
                print(f"# mutant {index}: {path.relative_to(tmp)} ({kind})\n{text}")
        return 0
    started = time.time()
    counts, bugs = fuzz(args.count, args.seed, args.first, workers=args.workers, seconds=args.minutes * 60,
                        record=args.json)
    for b in bugs:
        print(f"mutant {b['index']}: {b['outcome']} {b['file']}\n{b['detail']}", file=sys.stderr)
    if args.report is not None:
        write_section(args.report, report(counts, bugs, args.seed, args.first, time.time() - started, 100_000))
    return 1 if any(counts[k] for k in BUGS) else 0


if __name__ == "__main__":
    sys.exit(main())
