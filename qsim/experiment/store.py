"""The result store: an append-only folder of Parquet files, one per finished batch, and a manifest.

Layout::

    manifest.json              the plan: scenarios (definition, hash), runs (seed, replicate, batch), versions
    batches/batch-000012.parquet   yearly rows of the batch's finished runs; the status of every run of the
                                   batch (error or none, seconds) in the file's metadata

Every file is written to a temporary name and moved into place with
``os.replace``, so a killed process leaves only whole files: a batch is
either stored completely or not at all, and resuming runs only the
batches without a file.
"""

from __future__ import annotations

import json
import os
import platform
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..version import __version__
from ..errors import QsimError
from .plan import Plan, scenario_hash
from .runs import BatchOutput

FORMAT = 1
STATUS_KEY = b"qsim.status"
RESULT_VERSIONS = ("qsim", "numpy", "numba")
"""Packages whose version can change results; resuming across a change of these warns."""


class StoreError(QsimError, ValueError):
    """A store that cannot be read, or that holds a different experiment."""


def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and move the file to ``path`` in one step (fsynced first)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def versions() -> dict[str, str]:
    """Versions of qsim, numpy, numba, pandas and Python."""
    return {"qsim": __version__, "numpy": np.__version__, "numba": numba.__version__, "pandas": pd.__version__,
            "python": platform.python_version()}


class Store:
    """A result store folder; see the module docstring for its layout."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        manifest = self.path / "manifest.json"
        if not manifest.exists():
            raise StoreError(f"{self.path}: not a qsim result store (no manifest.json)")
        try:
            self.manifest: dict = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise StoreError(f"{manifest}: cannot be read ({e})") from None
        if self.manifest.get("format") != FORMAT:
            raise StoreError(f"{manifest}: store format {self.manifest.get('format')!r}, expected {FORMAT}")

    # ------------------------------------------------------------ writing
    @classmethod
    def for_plan(cls, path: str | Path, plan: Plan) -> "Store":
        """Create a store for ``plan``, or open an existing one that holds the same experiment (to resume).

        An existing store keeps its own batching; a store of a different experiment raises StoreError.
        """
        path = Path(path)
        if (path / "manifest.json").exists():
            store = cls(path)
            if store.manifest["identity"] != json.loads(json.dumps(plan.identity())):
                raise StoreError(f"{path}: the store holds a different experiment (scenarios, seeds or years "
                                 "differ); choose another folder")
            now = versions()
            changed = [f"{k} {v} -> {now[k]}" for k, v in store.manifest["versions"].items()
                       if k in RESULT_VERSIONS and now.get(k) != v]
            if changed:
                warnings.warn(f"{path}: resuming a store written with other versions ({', '.join(changed)}); "
                              "its runs may not match new ones bit for bit", stacklevel=2)
            for stale in [*path.glob(".*.tmp"), *(path / "batches").glob(".*.tmp")]:
                stale.unlink()
            return store
        (path / "batches").mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": versions(),
            "identity": plan.identity(),
            "scenarios": [{"name": s.name, "hash": scenario_hash(s), "source": s.source,
                           "parameters": s.parameters, "definition": s.model_dump(mode="json")}
                          for s in plan.scenarios],
            "runs": [{"run": r.run, "scenario": r.scenario, "seed": r.seed, "replicate": r.replicate}
                     for r in plan.runs],
            "batches": [list(b) for b in plan.batches],
        }
        text = json.dumps(manifest, indent=1)
        _atomic_write(path / "manifest.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return cls(path)

    def _batch_path(self, batch: int) -> Path:
        return self.path / "batches" / f"batch-{batch:06d}.parquet"

    def write(self, output: BatchOutput) -> None:
        """Store a finished batch (its results and the status of each of its runs) in one atomic file."""
        table = pa.Table.from_pandas(output.yearly, preserve_index=False)
        status = [{"run": s.run, "error": s.error, "seconds": s.seconds} for s in output.status]
        meta = dict(table.schema.metadata or {})
        meta[STATUS_KEY] = json.dumps(status).encode()
        table = table.replace_schema_metadata(meta)
        _atomic_write(self._batch_path(output.batch), lambda tmp: pq.write_table(table, tmp))

    # ------------------------------------------------------------ reading
    @property
    def batches(self) -> list[list[int]]:
        """Run numbers per batch, as planned."""
        return self.manifest["batches"]

    def finished_batches(self) -> set[int]:
        """Batches with a stored file."""
        return {int(p.stem.split("-")[1]) for p in (self.path / "batches").glob("batch-*.parquet")}

    def _status(self) -> list[dict]:
        """The status of every run of the stored batches (from the files' metadata)."""
        status = []
        for batch in sorted(self.finished_batches()):
            status += json.loads(pq.read_schema(self._batch_path(batch)).metadata[STATUS_KEY])
        return status

    @property
    def runs(self) -> pd.DataFrame:
        """Every planned run: run, scenario (name), seed, replicate, batch, status (ok, failed, missing), error,
        seconds."""
        runs = pd.DataFrame(self.manifest["runs"])
        names = [s["name"] for s in self.manifest["scenarios"]]
        runs["scenario"] = [names[k] for k in runs["scenario"]]
        runs["batch"] = 0
        for b, members in enumerate(self.batches):
            runs.loc[members, "batch"] = b
        done = pd.DataFrame(self._status(), columns=["run", "error", "seconds"]).set_index("run")
        runs["error"] = runs["run"].map(done["error"]).fillna("")
        runs["seconds"] = runs["run"].map(done["seconds"])
        runs["status"] = np.where(runs["run"].isin(done.index), np.where(runs["error"] == "", "ok", "failed"),
                                  "missing")
        return runs

    @property
    def yearly(self) -> pd.DataFrame:
        """Yearly results of every finished run: scenario, replicate, seed, run, year, area, indicators, ledger
        totals (EUR), sorted by run, year and area order."""
        frames = [pq.read_table(self._batch_path(b)).to_pandas() for b in sorted(self.finished_batches())]
        frames = [f for f in frames if len(f)]
        runs = pd.DataFrame(self.manifest["runs"])
        names = [s["name"] for s in self.manifest["scenarios"]]
        if not frames:
            return pd.DataFrame(columns=["scenario", "replicate", "seed", "run", "year", "area"])
        df = pd.concat(frames, ignore_index=True).sort_values(["run", "year"], kind="stable", ignore_index=True)
        info = runs.set_index("run")
        df.insert(0, "seed", df["run"].map(info["seed"]).astype(np.int64))
        df.insert(0, "replicate", df["run"].map(info["replicate"]).astype(np.int64))
        df.insert(0, "scenario", [names[k] for k in df["run"].map(info["scenario"])])
        return df

    def summary(self) -> str:
        """One line per scenario: runs planned, finished, failed, missing."""
        runs = self.runs
        lines = [f"{self.path}: {len(runs)} runs planned, created {self.manifest['created']} with "
                 + ", ".join(f"{k} {v}" for k, v in self.manifest["versions"].items())]
        for name, rows in runs.groupby("scenario", sort=False):
            counts = rows["status"].value_counts()
            lines.append(f"  {name:24s} {counts.get('ok', 0):>6d} ok {counts.get('failed', 0):>6d} failed "
                         f"{counts.get('missing', 0):>6d} missing")
        return "\n".join(lines)


def open_store(path: str | Path) -> Store:
    """Open a result store; ``.yearly`` and ``.runs`` are pandas DataFrames, ``.summary()`` a text summary."""
    return Store(path)
