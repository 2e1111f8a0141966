"""The result store: an append-only folder of Parquet files, one per finished batch, a manifest, a checksum
journal and a lock.

Layout::

    manifest.json          the plan: scenarios (definition, hash), runs (seed, replicate), batches, versions,
                           and the experiment's hash (a store holds one experiment)
    batches.jsonl          one line per stored batch: file, sha256, bytes, rows (appended after the file is
                           in place; the last line about a batch counts)
    batches/batch-000012.parquet   yearly rows of the batch's finished runs; the status of every run of the
                                   batch (error or none, seconds) in the file's metadata
    store.lock, owner.json the writer's advisory lock (fcntl, via filelock) and who holds it (host, pid)
    quarantine/            damaged batch files moved aside by a repair (never deleted)

One writer at a time: :meth:`Store.for_plan` takes the lock and keeps it until
:meth:`Store.close` (or the end of a ``with`` block); a second writer is
refused with the owner's host and pid, or waits. The kernel releases the lock
of a process that dies; the next writer finds its ``owner.json`` and says it
took over. Every file is written to a uniquely named temporary file, fsynced
and moved into place with ``os.replace``; only then is its checksum appended
to the journal. A batch counts as stored only if its file matches its journal
line, so a torn write, a flipped bit or a lost file is found on the next open
and the batch is redone. See docs/contributing.md ("How the result store stays consistent").
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import filelock
import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_write, dead_temporaries, process_alive
from ..version import __version__
from ..errors import QsimError
from .plan import Plan, scenario_hash
from .runs import BatchOutput, RunSpec

FORMAT = 2
STATUS_KEY = b"qsim.status"
RESULT_VERSIONS = ("qsim", "numpy", "numba")
"""Packages whose version can change results; resuming across a change of these warns."""
MANIFEST, JOURNAL, LOCK, OWNER, BATCHES, QUARANTINE = ("manifest.json", "batches.jsonl", "store.lock",
                                                      "owner.json", "batches", "quarantine")


class StoreError(QsimError, ValueError):
    """A store that cannot be read, that holds a different experiment, or that another writer holds."""


class StoreLocked(StoreError):
    """Another process is writing to the store."""


class StoreWarning(UserWarning):
    """Something about a store the user should know: damaged batches found, a stale lock taken over."""


def file_digest(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def experiment_hash(identity: dict) -> str:
    """SHA-256 (hex) of a plan's identity (:meth:`Plan.identity`, or any JSON data) in canonical JSON."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def manifest_checksum(manifest: dict) -> str:
    """SHA-256 (hex) of a manifest's canonical JSON without its ``checksum`` entry."""
    return experiment_hash({k: v for k, v in manifest.items() if k != "checksum"})


def versions() -> dict[str, str]:
    """Versions of qsim, numpy, numba, pandas and Python."""
    return {"qsim": __version__, "numpy": np.__version__, "numba": numba.__version__, "pandas": pd.__version__,
            "python": platform.python_version()}


# ------------------------------------------------------------------ the lock
def _describe_owner(owner: dict | None, holds: bool = True) -> str:
    """Who ``owner`` (owner.json) is; ``holds``: it still holds the lock."""
    if not owner:
        return "another process (it has not recorded itself yet)"
    where = f"process {owner.get('pid')} on host {owner.get('host')}"
    if owner.get("host") == socket.gethostname() and not process_alive(int(owner.get("pid", 0))):
        where += " (no longer running" + ("; a process it started may still hold the lock)" if holds else ")")
    return f"{where}, since {owner.get('since')} ({owner.get('command', '')})"


class _WriterLock:
    """The store's exclusive advisory lock, with the holder's host and pid in ``owner.json``."""

    def __init__(self, folder: Path, wait: bool | float):
        self.folder = folder
        self._lock = filelock.FileLock(folder / LOCK, thread_local=False)
        if wait is False:
            self._try()
        else:
            try:
                self._lock.acquire(timeout=-1 if wait is True else float(wait))
            except filelock.Timeout:
                self._refuse(self.owner())
            except RuntimeError:  # filelock: this thread already holds it, waiting would never end
                raise StoreLocked(f"{folder}: this thread is already writing to the store") from None
        previous = self.owner()
        if previous is not None:  # a holder that ended without releasing: the kernel freed its lock
            warnings.warn(f"{folder}: took over the lock of {_describe_owner(previous, holds=False)}, which ended "
                          "without releasing it", StoreWarning, stacklevel=4)
        me = {"host": socket.gethostname(), "pid": os.getpid(),
              "since": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": " ".join(sys.argv)[:200]}
        atomic_write(folder / OWNER, lambda tmp: tmp.write_text(json.dumps(me), encoding="utf-8"))

    def _try(self, patience: float = 2.0) -> None:
        """Take the lock now, or refuse naming its holder. A holder records itself just after taking the lock,
        so for up to ``patience`` seconds an unrecorded holder is waited for (and a lock released meanwhile is
        taken)."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self._lock.acquire(timeout=0)
                return
            except filelock.Timeout:
                owner = self.owner()
            running = owner is not None and (owner.get("host") != socket.gethostname()
                                             or process_alive(int(owner.get("pid", 0))))
            if running or time.monotonic() > deadline:
                self._refuse(owner)
            time.sleep(0.005)

    def _refuse(self, owner: dict | None) -> None:
        raise StoreLocked(f"{self.folder}: the store is being written by {_describe_owner(owner)}; wait for it to "
                          "finish (--wait, or wait=True), or choose another folder")

    def owner(self) -> dict | None:
        try:
            return json.loads((self.folder / OWNER).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"host": "?", "pid": 0, "since": "?", "command": "unreadable owner.json"}

    def release(self) -> None:
        if self._lock.is_locked:
            (self.folder / OWNER).unlink(missing_ok=True)
            self._lock.release()


# ------------------------------------------------------------------ verification
@dataclass
class Verification:
    """What :meth:`Store.verify` found: verified batches, damaged ones (with the reason), stray files."""

    ok: set[int] = field(default_factory=set)
    damaged: dict[int, str] = field(default_factory=dict)
    stray: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.damaged

    def lines(self) -> list[str]:
        return [f"batch {b}: {why}" for b, why in sorted(self.damaged.items())] + \
               [f"{name}: not a file of this store" for name in self.stray]


def _check_batch(path: Path, record: dict) -> str:
    """Why the batch file at ``path`` does not match its journal ``record`` ('' if it does)."""
    if not path.exists():
        return "file missing"
    size = path.stat().st_size
    if size != record["bytes"]:
        return f"{size} bytes, {record['bytes']} recorded (truncated or overwritten)"
    if file_digest(path) != record["sha256"]:
        return "checksum mismatch (the file changed after it was written)"
    rows = pq.read_metadata(path).num_rows
    if rows != record["rows"]:
        return f"{rows} rows, {record['rows']} recorded"
    return ""


def _check_format(path: Path, manifest: dict) -> None:
    """Refuse a manifest of another store format, saying what to do: a store from before checksums (format 1,
    or a format-2 manifest without its checksum) cannot be verified, so it is neither read nor resumed."""
    found = manifest.get("format")
    if found == FORMAT and "checksum" in manifest:
        return
    recorded = manifest.get("versions")
    version = recorded.get("qsim", "?") if isinstance(recorded, dict) else "?"
    written = f"written by qsim {version}, {manifest.get('created', '?')}"
    if not isinstance(found, int) or isinstance(found, bool):
        raise StoreError(f"{path}: damaged (store format {found!r}, expected {FORMAT})")
    if found > FORMAT:
        raise StoreError(f"{path}: store format {found} ({written}) is newer than this qsim reads (format "
                         f"{FORMAT}); update qsim to read or resume it")
    raise StoreError(f"{path}: store format {found} ({written}) is older than this qsim reads (format {FORMAT}): "
                     "its batch files have no recorded checksums, so damage to them cannot be detected, and it is "
                     "neither read nor resumed. Run the experiment again into a new folder (or delete this one); "
                     "to read the old results, use the qsim version that wrote them")


class Store:
    """A result store folder; see the module docstring for its layout.

    ``Store(path)`` opens it for reading and verifies every batch; :meth:`for_plan`
    opens (or creates) it for writing, holding its lock until :meth:`close`.
    """

    def __init__(self, path: str | Path, report: bool = True):
        self.path = Path(path)
        self._writer: _WriterLock | None = None
        manifest = self.path / MANIFEST
        if not manifest.exists():
            raise StoreError(f"{self.path}: not a qsim result store (no {MANIFEST})")
        try:
            self.manifest: dict = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise StoreError(f"{manifest}: cannot be read ({e})") from None
        if not isinstance(self.manifest, dict):
            raise StoreError(f"{manifest}: damaged (not a JSON object)")
        _check_format(manifest, self.manifest)
        if manifest_checksum(self.manifest) != self.manifest.get("checksum") or \
                experiment_hash(self.manifest.get("identity")) != self.manifest.get("experiment"):
            raise StoreError(f"{manifest}: damaged (its checksum or experiment hash does not match its contents)")
        self.verification = self.verify()
        if report and not self.verification.clean:
            warnings.warn(f"{self.path}: {len(self.verification.damaged)} damaged batch(es), counted as missing "
                          "until redone (resume the experiment or run `qsim store repair`):\n  "
                          + "\n  ".join(self.verification.lines()), StoreWarning, stacklevel=2)

    # ------------------------------------------------------------ opening for writing
    @classmethod
    def for_plan(cls, path: str | Path, plan: Plan, wait: bool | float = False) -> "Store":
        """Create a store for ``plan``, or open an existing one that holds the same experiment (to resume), and
        hold its lock until :meth:`close` (use it in a ``with`` block).

        ``wait``: if another process writes to the store, False raises :class:`StoreLocked` naming it, True
        waits for it, a number waits that many seconds. An existing store keeps its own batching; a store of
        a different experiment raises StoreError. Damaged batches are moved to ``quarantine/`` (and redone by
        :func:`execute`).
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path}: is a file, not a store folder")
        path.mkdir(parents=True, exist_ok=True)
        writer = _WriterLock(path, wait)
        try:
            identity = json.loads(json.dumps(plan.identity()))
            if not (path / MANIFEST).exists():
                others = [p.name for p in path.iterdir() if p.name not in (LOCK, OWNER, BATCHES)
                          and not p.name.endswith(".tmp")]
                if others or any((path / BATCHES).glob("*.parquet")):
                    raise StoreError(f"{path}: the folder holds other files ({', '.join(sorted(others)[:3])}...) "
                                     "and no qsim store; choose an empty or new folder")
                cls._create(path, plan, identity)
            store = cls(path, report=False)
            store._writer = writer
            if store.manifest["experiment"] != experiment_hash(identity):
                raise StoreError(f"{path}: the store holds another experiment (scenarios, seeds or years differ; "
                                 f"its hash {store.manifest['experiment'][:12]}, this one "
                                 f"{experiment_hash(identity)[:12]}); choose another folder")
            store._warn_versions()
            store._remove_dead_temporaries()
            if not store.verification.clean:
                moved = store.quarantine()
                warnings.warn(f"{path}: {len(moved)} damaged batch(es) moved to {QUARANTINE}/ and to be redone:\n  "
                              + "\n  ".join(moved), StoreWarning, stacklevel=2)
        except BaseException:
            writer.release()
            raise
        return store

    @classmethod
    def open_for_repair(cls, path: str | Path, wait: bool | float = False) -> "Store":
        """An existing store, locked for writing (see :meth:`for_plan`), without any change yet."""
        store = cls(path, report=False)
        store._writer = _WriterLock(store.path, wait)
        store.verification = store.verify()  # again, now that no one else writes
        return store

    @staticmethod
    def _create(path: Path, plan: Plan, identity: dict) -> None:
        (path / BATCHES).mkdir(exist_ok=True)
        manifest = {
            "format": FORMAT,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": versions(),
            "experiment": experiment_hash(identity),
            "identity": identity,
            "scenarios": [{"name": s.name, "hash": scenario_hash(s), "source": s.source,
                           "parameters": s.parameters, "definition": s.model_dump(mode="json")}
                          for s in plan.scenarios],
            "runs": [{"run": r.run, "scenario": r.scenario, "seed": r.seed, "replicate": r.replicate}
                     for r in plan.runs],
            "batches": [list(b) for b in plan.batches],
        }
        manifest["checksum"] = manifest_checksum(manifest)
        text = json.dumps(manifest, indent=1)
        atomic_write(path / MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def _warn_versions(self) -> None:
        now = versions()
        changed = [f"{k} {v} -> {now[k]}" for k, v in self.manifest["versions"].items()
                   if k in RESULT_VERSIONS and now.get(k) != v]
        if changed:
            warnings.warn(f"{self.path}: resuming a store written with other versions ({', '.join(changed)}); "
                          "its runs may not match new ones bit for bit", StoreWarning, stacklevel=3)

    def _remove_dead_temporaries(self) -> None:
        """Delete temporary files left by writers on this host that are no longer running (never another
        running process's)."""
        for tmp in [*dead_temporaries(self.path), *dead_temporaries(self.path / BATCHES)]:
            tmp.unlink(missing_ok=True)

    def close(self) -> None:
        """Release the writer's lock (reading goes on)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # a writer dropped without close(): release its lock (the kernel would at exit)
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing to report to at garbage collection
            pass

    def require_writer(self) -> None:
        """Raise StoreError unless this process holds the store's lock (opened with :meth:`for_plan`)."""
        if self._writer is None:
            raise StoreError(f"{self.path}: opened for reading; open it with Store.for_plan to write")

    # ------------------------------------------------------------ writing
    def _batch_path(self, batch: int) -> Path:
        return self.path / BATCHES / f"batch-{batch:06d}.parquet"

    def _append_journal(self, record: dict) -> None:
        journal = self.path / JOURNAL
        with open(journal, "ab") as f:
            if f.tell() and not journal.read_bytes().endswith(b"\n"):
                f.write(b"\n")  # after a torn line left by a crash
            f.write(json.dumps(record).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())

    def write(self, output: BatchOutput) -> None:
        """Store a finished batch (its results and the status of each of its runs): the file atomically, then
        its checksum and row count in the journal."""
        self.require_writer()
        table = pa.Table.from_pandas(output.yearly, preserve_index=False)
        status = [{"run": s.run, "error": s.error, "seconds": s.seconds} for s in output.status]
        meta = dict(table.schema.metadata or {})
        meta[STATUS_KEY] = json.dumps(status).encode()
        table = table.replace_schema_metadata(meta)
        path = self._batch_path(output.batch)
        atomic_write(path, lambda tmp: pq.write_table(table, tmp))
        record = {"batch": output.batch, "file": path.name, "sha256": file_digest(path),
                  "bytes": path.stat().st_size, "rows": table.num_rows}
        self._append_journal(record)
        self._records[output.batch] = record
        self.verification.ok.add(output.batch)
        self.verification.damaged.pop(output.batch, None)

    def quarantine(self) -> list[str]:
        """Move every damaged batch file into ``quarantine/`` and forget its record, so that it counts as not
        run; returns one line per batch."""
        self.require_writer()
        moved = []
        for batch, why in sorted(self.verification.damaged.items()):
            path = self._batch_path(batch)
            if path.exists():
                target = self.path / QUARANTINE / f"{path.stem}.{datetime.now(timezone.utc):%Y%m%dT%H%M%S}" \
                                                  f".{uuid.uuid4().hex[:6]}{path.suffix}"
                target.parent.mkdir(exist_ok=True)
                os.replace(path, target)
            self._append_journal({"batch": batch, "dropped": why})
            self._records.pop(batch, None)
            moved.append(f"batch {batch}: {why}")
        self.verification.damaged.clear()
        return moved

    # ------------------------------------------------------------ reading
    def _read_journal(self) -> dict[int, dict]:
        """The last journal record of every batch; unreadable lines (a torn last line) are skipped."""
        records: dict[int, dict] = {}
        try:
            lines = (self.path / JOURNAL).read_bytes().splitlines()
        except FileNotFoundError:
            return records
        for line in lines:
            try:
                record = json.loads(line)
                batch = int(record["batch"])
            except (ValueError, KeyError, TypeError):
                continue
            if "dropped" in record:
                records.pop(batch, None)
            elif {"sha256", "bytes", "rows"} <= record.keys():
                records[batch] = record
        return records

    def verify(self) -> Verification:
        """Check every batch file against its journal record: size, SHA-256 and row count. A file without a
        record (written by a process that died before recording it) counts as damaged too."""
        self._records = self._read_journal()
        result = Verification()
        planned = len(self.batches)
        for batch, record in self._records.items():
            if not 0 <= batch < planned:
                result.stray.append(f"{JOURNAL} line about batch {batch}")
                continue
            try:
                why = _check_batch(self._batch_path(batch), record)
            except (OSError, pa.ArrowException) as e:
                why = f"cannot be read ({e})"
            (result.damaged.__setitem__(batch, why) if why else result.ok.add(batch))
        for path in sorted((self.path / BATCHES).glob("batch-*.parquet")):
            try:
                batch = int(path.stem.split("-")[1])
            except (IndexError, ValueError):
                result.stray.append(str(path.relative_to(self.path)))
                continue
            if batch not in self._records:
                if 0 <= batch < planned:
                    result.damaged[batch] = "no checksum recorded (its writer died before recording it)"
                else:
                    result.stray.append(str(path.relative_to(self.path)))
        return result

    @property
    def batches(self) -> list[list[int]]:
        """Run numbers per batch, as planned."""
        return self.manifest["batches"]

    def finished_batches(self) -> set[int]:
        """Batches whose file is stored and verified."""
        return set(self.verification.ok)

    def plan(self) -> Plan:
        """The plan the store was made for, rebuilt from the manifest (to redo batches)."""
        from ..scenario import scenario_from_dict

        scenarios = tuple(scenario_from_dict(s["definition"], s["source"]) for s in self.manifest["scenarios"])
        runs = tuple(RunSpec(r["run"], r["scenario"], r["seed"], r["replicate"]) for r in self.manifest["runs"])
        return Plan(scenarios, runs, tuple(tuple(b) for b in self.batches), self.manifest["identity"]["years"])

    def _status(self) -> list[dict]:
        """The status of every run of the stored batches (from the files' metadata)."""
        status = []
        for batch in sorted(self.finished_batches()):
            status += json.loads(pq.read_schema(self._batch_path(batch)).metadata[STATUS_KEY])
        return status

    def failed_batches(self) -> set[int]:
        """Stored batches with at least one failed run."""
        failed = {s["run"] for s in self._status() if s["error"]}
        return {b for b in self.finished_batches() if failed.intersection(self.batches[b])}

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


def failure_summary(runs: pd.DataFrame, limit: int = 5) -> str:
    """What failed and why, from a run table (:attr:`Store.runs`): counts per scenario, then the distinct
    causes (first line of each error) with how many runs each hit; '' if every run is ok."""
    bad = runs[runs["status"] != "ok"]
    if bad.empty:
        return ""
    lines = [f"{len(bad)} of {len(runs)} runs did not finish:"]
    for name, rows in bad.groupby("scenario", sort=False):
        counts = rows["status"].value_counts()
        lines.append(f"  {name}: " + ", ".join(f"{n} {status}" for status, n in counts.items())
                     + f" (replicates {', '.join(map(str, sorted(rows['replicate'])[:8]))}"
                     + (", ..." if len(rows) > 8 else "") + ")")
    causes = bad["error"].where(bad["status"] == "failed", "missing: not run yet").str.split("\n").str[0]
    for cause, n in causes.value_counts().head(limit).items():
        lines.append(f"  {n} x {cause}")
    return "\n".join(lines)


def open_store(path: str | Path) -> Store:
    """Open a result store; ``.yearly`` and ``.runs`` are pandas DataFrames, ``.summary()`` a text summary."""
    return Store(path)
