"""Experiments: replications, comparison of options with common random numbers, executors (local, Dask), the
result store."""

from .compare import Comparison, compare
from .executors import (MAX_ATTEMPTS, DaskExecutor, ExecutionReport, ExecutorBroken, SerialExecutor, dask_executor,
                        execute, executor_workers, local_executor, warm_up)
from .plan import Plan, replications_plan, scenario_hash
from .runs import BatchOutput, RunSpec, RunStatus, reduce_run, run_batch
from .store import Store, StoreError, StoreLocked, StoreWarning, Verification, failure_summary, open_store
from .design import DesignError, Factor, design_points
from .sweep import Experiment, SweepResult, load_experiment, run_experiment, sweep

__all__ = ["sweep", "SweepResult", "Factor", "design_points", "DesignError", "Experiment", "load_experiment",
           "run_experiment", "compare", "Comparison", "open_store", "Store", "StoreError",
           "StoreLocked", "StoreWarning", "Verification", "failure_summary", "ExecutorBroken", "MAX_ATTEMPTS", "Plan",
           "replications_plan",
           "scenario_hash", "execute", "SerialExecutor", "local_executor", "dask_executor", "DaskExecutor",
           "executor_workers", "warm_up", "ExecutionReport", "RunSpec", "RunStatus", "BatchOutput", "run_batch", "reduce_run"]
