"""Execution: serial, local processes and a Dask LocalCluster store bit-identical results; `--scheduler`.

A small comparison (tests/test_measures.py's BASE, 600 households, 2 years; baseline against job coaching,
3 replications, batches of 2 runs) is stored three times and the stores are compared exactly. The cluster has
two worker processes with one thread each and is closed when the module ends, whatever happened.
"""

from __future__ import annotations

import sys

import distributed
import pandas as pd
import pytest

import qsim
from qsim.cli import main
from qsim.experiment import DaskExecutor, Store, dask_executor, executor_workers
from test_experiment_compare import SMALL, named, write_base_and_faster

REPLICATIONS, YEARS = 3, 2


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def stored(path, executor) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The yearly results and the run table (without wall times) of a comparison stored in ``path``."""
    scenarios = [named("baseline"), named("coaching", [{"type": "job_coaching"}])]
    qsim.compare(scenarios, replications=REPLICATIONS, seed=3, executor=executor, years=YEARS, store=path,
                 batch_size=2, progress=False)
    store = Store(path)
    return store.yearly, store.runs.drop(columns="seconds")


def test_serial_local_processes_and_dask_store_bit_identical_results(tmp_path, client):
    serial = stored(tmp_path / "serial", 1)
    processes = stored(tmp_path / "processes", 2)
    dask = stored(tmp_path / "dask", dask_executor(client))
    assert len(serial[0]) == 2 * REPLICATIONS * YEARS * 2  # runs x years x areas (Q and 'all')
    assert (serial[1]["status"] == "ok").all()
    for other in (processes, dask):
        pd.testing.assert_frame_equal(other[0], serial[0], check_exact=True)
        pd.testing.assert_frame_equal(other[1], serial[1], check_exact=True)


def test_dask_executor_reports_cluster_threads_and_keeps_a_given_client_open(client):
    executor = dask_executor(client)
    assert isinstance(executor, DaskExecutor) and executor_workers(executor) == 2 and executor_workers(3) == 3
    executor.shutdown()
    assert client.status == "running"


def test_cli_compare_on_a_dask_scheduler(tmp_path, client, capsys):
    write_base_and_faster(tmp_path)
    out = tmp_path / "out"
    argv = ["compare", str(tmp_path / "base.toml"), str(tmp_path / "faster.toml"), "-r", "2", "--years", "1",
            "--out", str(out), "--quiet"]
    assert main([*argv, "--scheduler", client.scheduler.address]) == 0
    assert "unemployment_rate" in capsys.readouterr().out
    assert (qsim.open_store(out / "store").runs["status"] == "ok").all()
    with pytest.raises(SystemExit):
        main([*argv, "--workers", "2", "--scheduler", client.scheduler.address])
    assert "not allowed with argument" in capsys.readouterr().err


def test_without_dask_the_error_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    with pytest.raises(ImportError, match=r"install qsim\[dask\]"):
        dask_executor("tcp://127.0.0.1:8786")
    (tmp_path / "base.toml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "other.toml").write_text('extends = "base.toml"\n[scenario]\nname = "other"\n', encoding="utf-8")
    assert main(["compare", str(tmp_path / "base.toml"), str(tmp_path / "other.toml"),
                 "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "install qsim[dask]" in capsys.readouterr().err
