"""Walk-forward: folds, out-of-sample stitching, and choices that never see the test data."""

from __future__ import annotations

import numpy as np
import pytest

from quantlib_local.backtest import walk_forward, walk_forward_folds
from quantlib_local.exceptions import ValidationError
from quantlib_local.strategies import SmaCrossover

GRID = {"fast": [3, 5, 10], "slow": [20, 30]}


def test_fold_positions() -> None:
    assert walk_forward_folds(100, 40, 20) == [(0, 40, 40, 60), (20, 60, 60, 80), (40, 80, 80, 100)]
    assert walk_forward_folds(100, 40, 25, "expanding") == [(0, 40, 40, 65), (0, 65, 65, 90)]
    with pytest.raises(ValidationError, match="train_bars"):
        walk_forward_folds(50, 40, 20)
    with pytest.raises(ValidationError, match="mode"):
        walk_forward_folds(100, 40, 20, "anchored")  # type: ignore[arg-type]


def test_out_of_sample_is_stitched_from_the_test_windows(three_assets) -> None:
    result = walk_forward(SmaCrossover(), three_assets, GRID, train_bars=150, test_bars=50, progress=False,
                          pbo_partitions=4)
    assert len(result.folds) == 5
    assert result.oos_returns.index[0] == three_assets.index[150]
    assert result.oos_returns.index.equals(three_assets.index[150:400])
    np.testing.assert_allclose(result.oos_equity.iloc[-1], 100_000 * (1 + result.oos_returns).prod())
    assert all(params in [{"fast": f, "slow": s} for f in GRID["fast"] for s in GRID["slow"]]
               for params in result.folds["params"])
    assert result.oos_summary.observations == 250


def test_choices_do_not_depend_on_later_data(three_assets) -> None:
    base = walk_forward(SmaCrossover(), three_assets, GRID, train_bars=150, test_bars=50, progress=False,
                        pbo_partitions=4)
    changed = three_assets.copy()
    changed.iloc[200:] = changed.iloc[200:] * 1.5  # rewrite the future of fold 0's training window
    other = walk_forward(SmaCrossover(), changed, GRID, train_bars=150, test_bars=50, progress=False,
                         pbo_partitions=4)
    assert other.folds["params"].iloc[0] == base.folds["params"].iloc[0]
    np.testing.assert_allclose(other.oos_returns.iloc[:49], base.oos_returns.iloc[:49])
