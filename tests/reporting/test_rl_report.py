"""Figures and the HTML report of an RL evaluation."""

from __future__ import annotations

import pandas as pd
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.reporting.rl_report import (
    reward_decomposition,
    reward_decomposition_figure,
    training_curves_figure,
    write_rl_report,
)
from quantlib_local.rl import compare_policies
from tests.rl.conftest import ou_market, small_env_config, small_training, trained_policy  # noqa: F401


def _history() -> pd.DataFrame:
    rows = [("episode/return", s, float(s)) for s in (10, 20, 30)]
    rows += [(f"episode/{term}", s, 0.1 * s) for term in ("pnl", "sharpe", "drawdown", "risk") for s in (10, 20, 30)]
    rows += [("train/loss", s, 1.0 / s) for s in (5, 15, 25)]
    return pd.DataFrame(rows, columns=["tag", "step", "value"])


def test_training_curves_have_one_panel_per_logged_tag() -> None:
    figure = training_curves_figure(_history(), window=1)
    assert [trace.name for trace in figure.data] == ["episode/return", "train/loss"]
    assert list(figure.data[0].y) == [10.0, 20.0, 30.0]


def test_reward_decomposition_table_and_figure() -> None:
    table = reward_decomposition(_history())
    assert list(table.columns) == ["pnl", "sharpe", "drawdown", "risk"]
    assert table.loc[20, "risk"] == pytest.approx(2.0)
    assert len(reward_decomposition_figure(_history()).data) == 4


def test_bad_history_is_refused() -> None:
    with pytest.raises(ValidationError, match="history"):
        training_curves_figure(pd.DataFrame({"x": [1]}))


def test_report_files(trained_policy, ou_market, tmp_path) -> None:  # noqa: F811 (fixtures)
    comparison = compare_policies(trained_policy.policy_path, ou_market, start=900, random_seeds=(0, 1))
    page = write_rl_report(comparison, tmp_path, title="<OU> check")
    text = page.read_text()
    assert "&lt;OU&gt; check" in text and "plotly" in text and "buy_and_hold" in text
    metrics = pd.read_csv(tmp_path / "metrics.csv", index_col=0)
    assert {"agent", "buy_and_hold", "random"} <= set(metrics.index)
    with pytest.raises(ValidationError, match="comparison"):
        write_rl_report("nope", tmp_path)  # type: ignore[arg-type]
