"""The research summary (the main job of `make demo`)."""

from __future__ import annotations

import pandas as pd
import pytest

from quantlib_local.data import load_bundled
from quantlib_local.indicators import rsi, sma
from quantlib_local.reporting import build_research_summary, publish_research_summary
from quantlib_local.risk import max_drawdown, sharpe_ratio


def test_summary_numbers_are_the_package_functions():
    bars = load_bundled("sp500")
    summary = build_research_summary(bars, name="sp500")
    returns = bars["close"].pct_change().dropna()
    assert summary.performance.sharpe_ratio == pytest.approx(sharpe_ratio(returns), rel=1e-12)
    assert summary.performance.max_drawdown == pytest.approx(max_drawdown(returns), rel=1e-12)
    # The S&P 500 fell 56.8% from its October 2007 close (1565.15) to its March 2009 close (676.53).
    assert summary.performance.max_drawdown == pytest.approx(676.53 / 1565.15 - 1, abs=1e-4)
    pd.testing.assert_series_equal(summary.indicators["sma_200"], sma(bars["close"], 200), check_names=False)
    pd.testing.assert_series_equal(summary.indicators["rsi_14"], rsi(bars["close"], 14), check_names=False)
    assert len(summary.data_hash) == 64


def test_publish_writes_a_self_contained_report(tmp_path):
    outputs = publish_research_summary("sp500", benchmark="nasdaq", out_dir=tmp_path)
    html = outputs["report"].read_text()
    assert '<script src="plotly.min.js">' in html and outputs["plotly"].stat().st_size > 1_000_000
    assert "not synthetic" in html and "sharpe_ratio" in html and "Plotly.newPlot" in html
    metrics = pd.read_csv(outputs["metrics"], index_col=0)
    assert list(metrics.columns) == ["sp500", "nasdaq"]
    assert oct(outputs["report"].stat().st_mode & 0o777) == "0o644"
    assert not list(tmp_path.glob(".*.tmp"))
