"""Experiments: replications, comparison of options with common random numbers, executors, the result store."""

from .compare import Comparison, compare
from .executors import ExecutionReport, SerialExecutor, execute, local_executor, warm_up
from .plan import Plan, replications_plan, scenario_hash
from .runs import BatchOutput, RunSpec, RunStatus, reduce_run, run_batch
from .store import Store, StoreError, open_store

__all__ = ["compare", "Comparison", "open_store", "Store", "StoreError", "Plan", "replications_plan",
           "scenario_hash", "execute", "SerialExecutor", "local_executor", "warm_up", "ExecutionReport",
           "RunSpec", "RunStatus", "BatchOutput", "run_batch", "reduce_run"]
