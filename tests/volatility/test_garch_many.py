"""fit_garch_many (quantlib_local.volatility.garch_many): Dask gives the serial numbers.

One two-worker LocalCluster (processes, one thread each) serves the whole module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data import garch_bars
from quantlib_local.volatility.garch import fit_garch
from quantlib_local.volatility.garch_engine import GarchConvergenceWarning
from quantlib_local.volatility.garch_many import GarchFitCollection, fit_garch_many


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """SYNTHETIC: six GARCH(1,1) assets of 400 daily bars, one listed 60 bars late."""
    columns = {
        f"asset_{i}": garch_bars(400, omega=2e-6 * (i + 1), alpha=0.04 + 0.015 * i, beta=0.88, seed=100 + i).log_returns
        for i in range(6)
    }
    out = pd.DataFrame(columns)
    out.iloc[:60, 3] = np.nan
    return out


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def serial(frame: pd.DataFrame) -> GarchFitCollection:
    return fit_garch_many(frame, "gjr", "t", scheduler="serial", progress=False)


def _assert_identical(ours: GarchFitCollection, reference: GarchFitCollection) -> None:
    pd.testing.assert_frame_equal(ours.params_table(), reference.params_table(), check_exact=True)
    pd.testing.assert_frame_equal(ours.std_errors_table(), reference.std_errors_table(), check_exact=True)
    for asset in reference:
        pd.testing.assert_series_equal(
            ours[asset].conditional_volatility, reference[asset].conditional_volatility, check_exact=True
        )


def test_serial_equals_fitting_each_asset_alone(frame: pd.DataFrame, serial: GarchFitCollection) -> None:
    assert list(serial) == frame.columns.tolist()
    for asset in frame.columns:
        alone = fit_garch(frame[asset], "gjr", "t")
        pd.testing.assert_series_equal(serial[asset].params, alone.params, check_exact=True)
    assert serial["asset_3"].nobs == 340


def test_dask_cluster_gives_identical_results(frame, serial, client) -> None:
    _assert_identical(fit_garch_many(frame, "gjr", "t", scheduler=client, progress=False), serial)


def test_scheduler_address_connects_to_a_running_cluster(frame, serial, client) -> None:
    address = client.scheduler.address
    _assert_identical(fit_garch_many(frame, "gjr", "t", scheduler=address, progress=False), serial)
    assert client.status == "running"  # our client closed, the cluster and its client untouched


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_dask_local_schedulers_give_identical_results(frame, serial, scheduler: str) -> None:
    _assert_identical(fit_garch_many(frame, "gjr", "t", scheduler=scheduler, progress=False), serial)


def test_default_starts_and_closes_a_local_cluster(frame, serial, client, monkeypatch) -> None:
    # Stand-in for LocalCluster that records how it is built and closed, and lends the module's
    # running cluster (starting a second one would only cost time).
    distributed = pytest.importorskip("dask.distributed")
    record: dict = {}

    class RecordingCluster:
        def __init__(self, **kwargs):
            record["kwargs"] = kwargs

        def __enter__(self):
            return client.scheduler.address  # what Client(...) connects to

        def __exit__(self, *exc_info):
            record["closed"] = True

    monkeypatch.setattr(distributed, "LocalCluster", RecordingCluster)
    monkeypatch.setattr("quantlib_local._parallel.available_cores", lambda: 3)
    _assert_identical(fit_garch_many(frame, "gjr", "t", progress=False), serial)
    kwargs = record["kwargs"]
    assert (kwargs["n_workers"], kwargs["threads_per_worker"], kwargs["processes"]) == (3, 1, True)
    assert record["closed"]


def test_failing_assets_are_reported_and_do_not_sink_the_others(frame, client) -> None:
    broken = frame.copy()
    broken["flat"] = 0.0
    broken["short"] = np.nan
    broken.iloc[-50:, broken.columns.get_loc("short")] = 0.01 * np.sin(np.arange(50))
    result = fit_garch_many(broken, scheduler=client, progress=False)
    assert sorted(result.errors) == ["flat", "short"]
    assert "ValidationError" in result.errors["flat"] and "returns_frame['flat']" in result.errors["flat"]
    assert "100 observed returns" in result.errors["short"]
    assert list(result) == frame.columns.tolist()
    with pytest.raises(KeyError, match="its fit failed"):
        result["flat"]


def test_non_converged_assets_are_reported(frame) -> None:
    with pytest.warns(GarchConvergenceWarning, match=r"asset_0.*did not converge.*Fix"):
        result = fit_garch_many(frame, scheduler="serial", max_iterations=2, progress=False)
    assert result.not_converged == frame.columns.tolist()
    assert not result.params_table()["converged"].any()
    assert len(result) == len(frame.columns)


def test_params_table_layout(serial: GarchFitCollection) -> None:
    table = serial.params_table()
    assert table.index.name == "asset"
    assert table.columns.tolist() == [
        "mu", "omega", "alpha", "gamma", "beta", "nu",
        "loglikelihood", "aic", "bic", "persistence", "half_life", "unconditional_volatility", "nobs", "converged",
    ]
    assert table.loc["asset_2", "persistence"] == pytest.approx(serial["asset_2"].persistence, rel=1e-15)


def test_progress_bar_counts_assets(frame, capsys: pytest.CaptureFixture[str]) -> None:
    fit_garch_many(frame.iloc[:, :2], "gjr", scheduler="serial", progress=True)
    assert "/2 [" in capsys.readouterr().err  # e.g. "gjr fits:   0%|   | 0/2 [00:00<?, ?asset/s]"
    fit_garch_many(frame.iloc[:, :2], scheduler="serial", progress=False)
    assert capsys.readouterr().err == ""
