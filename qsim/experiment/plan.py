"""A plan: the scenarios, the runs (seeds and replicates) and how they are batched into tasks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..scenario import Scenario, load_scenario
from .runs import RunSpec


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex, first 16 digits) of the scenario's canonical JSON form, with the areas' CSV tables
    (``*_csv``) stood for by the hash of their contents, so that the hash does not depend on where they lie."""
    data = scenario.model_dump(mode="json")
    for area in data["areas"]:
        for key, value in area.items():
            if key.endswith("_csv") and value:
                area[key] = "sha256:" + _sha256(Path(value).read_bytes())
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return _sha256(text.encode())[:16]


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A scenario, loading it if given as a path."""
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


@dataclass(frozen=True)
class Plan:
    """Runs to execute: ``runs[i].scenario`` indexes ``scenarios``; ``batches`` lists run numbers per task.

    ``years`` is the simulated horizon (None: each scenario's own).
    """

    scenarios: tuple[Scenario, ...]
    runs: tuple[RunSpec, ...]
    batches: tuple[tuple[int, ...], ...]
    years: float | None = None

    def identity(self) -> dict:
        """What makes two plans the same experiment (batching aside): horizon, scenario hashes, seeds."""
        return {"years": self.years, "scenarios": [scenario_hash(s) for s in self.scenarios],
                "runs": [[r.run, r.scenario, r.seed, r.replicate] for r in self.runs]}


def replications_plan(scenarios: Sequence[Scenario], replications: int, seed: int, years: float | None = None,
                      batch_size: int = 4) -> Plan:
    """Replicates 0..R-1 of every scenario with the same ``seed``: replicate r is paired across scenarios (CRN).

    Runs are numbered scenario by scenario; a batch holds up to ``batch_size`` runs of one scenario.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    names = [s.name for s in scenarios]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"scenario names must be unique to compare them; repeated: {', '.join(duplicated)}")
    runs, batches = [], []
    for k in range(len(scenarios)):
        first = len(runs)
        runs += [RunSpec(first + r, k, int(seed), r) for r in range(replications)]
        batches += [tuple(range(b, min(b + batch_size, first + replications)))
                    for b in range(first, first + replications, batch_size)]
    return Plan(tuple(scenarios), tuple(runs), tuple(batches), years)
