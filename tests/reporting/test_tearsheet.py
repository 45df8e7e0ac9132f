"""The backtest tearsheet: sections, formatting, targets, monthly table, escaping, atomic writes, validation."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from quantlib_local.exceptions import ValidationError
from quantlib_local.reporting import (
    TRADE_COLUMNS,
    monthly_returns_table,
    render_tearsheet,
    write_tearsheet,
)

METRICS = {
    "annual_return": 0.1834,
    "sharpe_ratio": 1.23456,
    "max_drawdown": -0.1234,
    "sortino_ratio": 3.5,
    "beta": 0.42,
    "win_rate": 0.6667,
    "calmar_ratio": 1.4862,
    "total_return": 0.6,
    "annual_volatility": 0.15,
    "n_trades": 3.0,
    "value_at_risk": 0.0213,
    "exposure_time": 0.5,
    "profit_factor": float("inf"),
    "final_equity": 16_000.5,
}
# The design's table 1 (/work/shared/design/README.md).
TARGETS = {"annual_return": 0.15, "sharpe_ratio": 2.5, "max_drawdown": -0.08, "sortino_ratio": 3.0, "beta": 0.3,
           "win_rate": 0.65, "calmar_ratio": 1.9}


@pytest.fixture(scope="module")
def equity() -> pd.Series:
    """A seeded random walk over three years of business days (UTC)."""
    index = pd.bdate_range("2021-01-01", "2023-12-29", tz="UTC", name="timestamp")
    steps = np.random.default_rng(20240601).normal(0.0004, 0.01, len(index))
    return pd.Series(10_000.0 * np.cumprod(1.0 + steps), index=index, name="equity")


@pytest.fixture(scope="module")
def benchmark(equity: pd.Series) -> pd.Series:
    steps = np.random.default_rng(7).normal(0.0003, 0.012, len(equity))
    return pd.Series(100.0 * np.cumprod(1.0 + steps), index=equity.index, name="buy_and_hold")


@pytest.fixture(scope="module")
def trades(equity: pd.Series) -> pd.DataFrame:
    t = equity.index
    return pd.DataFrame(
        {
            "symbol": ["BTC/USDT", "ETH/USDT", "BTC/USDT"],
            "direction": ["long", "short", "long"],
            "size": [0.5, 3.0, 0.25],
            "entry_time": [t[10], t[200], t[700]],
            "entry_price": [30_000.0, 2_000.0, 42_000.0],
            "exit_time": [t[20], t[230], pd.NaT],
            "exit_price": [31_000.0, 1_900.0, np.nan],
            "fees": [3.0, 1.2, 1.05],
            "pnl": [497.0, 298.8, np.nan],
            "return": [0.0333, 0.05, np.nan],
            "status": ["closed", "closed", "open"],
        }
    )


@pytest.fixture(scope="module")
def html(equity: pd.Series, trades: pd.DataFrame, benchmark: pd.Series) -> str:
    return render_tearsheet(equity=equity, trades=trades, metrics=METRICS, benchmark=benchmark, targets=TARGETS,
                            title="SMA cross", parameters={"fast": 10, "slow": 50})


def _metric_row(html: str, name: str) -> str:
    match = re.search(rf'<tr><td title="{name}">.*?</tr>', html, flags=re.S)
    assert match, f"no metrics row for {name}"
    return match.group(0)


def test_every_section_is_there(html):
    for section in ("header", "metrics", "parameters", "equity", "drawdown", "monthly-returns", "trade-returns",
                    "trades"):
        assert f'<section id="{section}">' in html or f'<header id="{section}">' in html
    for div in ("tearsheet-equity", "tearsheet-drawdown", "tearsheet-monthly", "tearsheet-trade-returns"):
        assert f'id="{div}"' in html
    assert "<h1>SMA cross</h1>" in html
    assert "Period: 2021-01-01 to 2023-12-29 (UTC), 781 bars" in html
    assert "<td>fast</td><td>10</td>" in html and "<td>slow</td><td>50</td>" in html
    assert "benchmark (rebased)" in html


def test_plotly_js_is_embedded_exactly_once_and_nothing_is_fetched(html):
    plotly_js = get_plotlyjs()
    assert html.count(plotly_js[:200]) == 1 and plotly_js in html
    page = html.replace(plotly_js, "")  # plotly.js itself mentions its CDN (topojson), the page must not load it
    assert "<script src=" not in page and "cdn.plot.ly" not in page and "https://" not in page
    assert html.count("Plotly.newPlot") == 4


def test_metrics_are_formatted(html):
    assert "<td>-12.34%</td>" in _metric_row(html, "max_drawdown")
    assert "<td>18.34%</td>" in _metric_row(html, "annual_return")
    assert "<td>66.67%</td>" in _metric_row(html, "win_rate")
    assert "<td>1.23</td>" in _metric_row(html, "sharpe_ratio")
    assert "<td>0.42</td>" in _metric_row(html, "beta")
    assert "<td>3</td>" in _metric_row(html, "n_trades")
    assert "<td>2.13%</td>" in _metric_row(html, "value_at_risk")
    assert "<td>50.00%</td>" in _metric_row(html, "exposure_time")
    assert "<td>∞</td>" in _metric_row(html, "profit_factor")
    assert "<td>16,000.50</td>" in _metric_row(html, "final_equity")
    # Table-1 metrics first, in the design's order, then the others.
    names = re.findall(r'<tr><td title="(\w+)">', html)
    assert names[:8] == [*TARGETS, "total_return"]


def test_targets_show_pass_and_fail(html):
    passed, failed = '<span class="pass">&#10003; pass</span>', '<span class="fail">&#10007; fail</span>'
    assert "≥ 15.00%" in _metric_row(html, "annual_return") and passed in _metric_row(html, "annual_return")
    assert failed in _metric_row(html, "sharpe_ratio")
    # -12.34% is a deeper drawdown than the -8% target.
    assert "≥ -8.00%" in _metric_row(html, "max_drawdown") and failed in _metric_row(html, "max_drawdown")
    assert passed in _metric_row(html, "sortino_ratio")
    assert "|value| ≤ 0.30" in _metric_row(html, "beta") and failed in _metric_row(html, "beta")
    assert passed in _metric_row(html, "win_rate") and failed in _metric_row(html, "calmar_ratio")
    assert "pass" not in _metric_row(html, "total_return") and "fail" not in _metric_row(html, "total_return")


def test_missing_beta_shows_na_against_its_target(equity, trades):
    html = render_tearsheet(equity=equity, trades=trades, metrics={**METRICS, "beta": None}, targets={"beta": 0.3})
    row = _metric_row(html, "beta")
    assert "<td>n/a</td>" in row and '<span class="na">n/a</span>' in row
    no_targets = render_tearsheet(equity=equity, trades=trades, metrics=METRICS)
    assert "<th>target</th>" not in no_targets and "&#10003;" not in no_targets


def test_trade_list_is_newest_first_and_counts(html, equity, trades):
    assert "3 trades (2 closed, 1 open)." in html and "All 3 trades shown, most recent first." in html
    table = html[html.index('<section id="trades">'):]
    assert table.index("2023-09-08") < table.index("2021-10-08") < table.index("2021-01-15")  # entry times
    assert '<tr class="open">' in table and "31,000.00" in table and "3.33%" in table

    capped = render_tearsheet(equity=equity, trades=trades, metrics=METRICS, max_trades=2)
    assert "Showing the 2 most recent; 1 earlier trades left out." in capped
    listed = capped[capped.index('<section id="trades">'):]
    assert "2021-01-15" not in listed and listed.count("<tr class=") == 2


def test_empty_trades_work(equity):
    empty = pd.DataFrame({column: pd.Series(dtype="object") for column in TRADE_COLUMNS})
    html = render_tearsheet(equity=equity, trades=empty, metrics={"n_trades": 0, "win_rate": None})
    assert "0 trades (0 closed, 0 open)." in html and "No trades to list." in html
    assert "No closed trades." in html and 'id="tearsheet-trade-returns"' not in html
    assert "<td>n/a</td>" in _metric_row(html, "win_rate")


def test_monthly_returns_table_matches_a_hand_computation():
    index = pd.DatetimeIndex(
        ["2023-11-30", "2023-12-01", "2023-12-29", "2024-01-02", "2024-01-31 23:00", "2024-03-01"], tz="UTC"
    )
    returns = pd.Series([0.10, -0.05, 0.02, np.nan, 0.03, -0.10], index=index)
    table = monthly_returns_table(returns)

    nan = np.nan
    expected = pd.DataFrame(
        [
            # Nov: 0.10; Dec: (1 - 0.05)(1 + 0.02) - 1; year 2023: 1.10 * 0.95 * 1.02 - 1
            [nan] * 10 + [0.10, 0.95 * 1.02 - 1, 1.10 * 0.95 * 1.02 - 1],
            # Jan: the NaN bar is missing, 23:00 UTC on the 31st is still January; Feb has no bar;
            # Mar: -0.10; year 2024: 1.03 * 0.90 - 1
            [0.03, nan, -0.10] + [nan] * 9 + [1.03 * 0.90 - 1],
        ],
        index=pd.Index([2023, 2024], dtype="int64", name="year"),
        columns=["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Year"],
    )
    pd.testing.assert_frame_equal(table, expected, check_exact=False, rtol=1e-14, atol=0)


def test_monthly_returns_table_uses_utc_months_and_handles_empty_input():
    # 2024-01-31 20:00 in New York is 2024-02-01 01:00 UTC: a February bar.
    index = pd.DatetimeIndex(["2024-01-31 20:00"], tz="America/New_York")
    table = monthly_returns_table(pd.Series([0.01], index=index))
    assert table.loc[2024, "Feb"] == pytest.approx(0.01) and np.isnan(table.loc[2024, "Jan"])
    empty = monthly_returns_table(pd.Series([], dtype="float64", index=pd.DatetimeIndex([], tz="UTC")))
    assert empty.empty and list(empty.columns)[-1] == "Year"


def test_write_tearsheet_is_atomic_and_creates_parents(tmp_path, equity, trades, caplog):
    target = tmp_path / "reports" / "sma" / "tearsheet.html"
    with caplog.at_level(logging.INFO, logger="quantlib_local.reporting.tearsheet"):
        written = write_tearsheet(target, equity=equity, trades=trades, metrics=METRICS, title="SMA")
    assert written == target and target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert not [p for p in target.parent.iterdir() if p != target]
    assert str(target) in caplog.text

    with pytest.raises(ValidationError):
        write_tearsheet(target, equity=equity.iloc[:0], trades=trades, metrics=METRICS)
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in target.parent.iterdir()] == ["tearsheet.html"]


def test_user_text_is_escaped(equity, trades):
    attack = "<script>alert('x')</script>"
    hostile_trades = trades.assign(symbol=[attack, "ETH", "BTC"])
    html = render_tearsheet(equity=equity, trades=hostile_trades, metrics=METRICS, title=attack,
                            parameters={attack: attack})
    assert attack not in html
    assert "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</title>" in html
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") == 5  # title x2, parameter x2, symbol


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (lambda k: k.update(equity=k["equity"].iloc[:0]), "equity", "at least one bar"),
        (lambda k: k.update(equity=k["equity"].to_numpy()), "equity", "pandas Series"),
        (lambda k: k.update(equity=k["equity"].reset_index(drop=True)), "equity.index", "pd.to_datetime"),
        (lambda k: k.update(equity=k["equity"].tz_localize(None)), "equity.index.tz", "tz_localize('UTC')"),
        (lambda k: k.update(equity=k["equity"].where(k["equity"].index != k["equity"].index[5])), "equity",
         "finite"),
        (lambda k: k.update(equity=k["equity"].replace(k["equity"].iloc[9], np.inf)), "equity", "finite"),
        (lambda k: k.update(equity=k["equity"].iloc[::-1]), "equity.index", "sort_index"),
        (lambda k: k.update(equity=-k["equity"]), "equity", "positive"),
        (lambda k: k.update(trades=k["trades"].drop(columns=["pnl", "status"])), "trades.columns", "['pnl', 'status']"),
        (lambda k: k.update(trades=k["trades"].to_dict()), "trades", "DataFrame"),
        (lambda k: k.update(trades=k["trades"].assign(direction="buy")), "trades.direction", "['long', 'short']"),
        (lambda k: k.update(trades=k["trades"].assign(status="filled")), "trades.status", "['closed', 'open']"),
        (lambda k: k.update(trades=k["trades"].assign(entry_time="soon")), "trades.entry_time", "UTC timestamps"),
        (lambda k: k.update(trades=k["trades"].assign(pnl="lots")), "trades.pnl", "numbers"),
        (lambda k: k.update(metrics={**METRICS, "sharpe_ratio": "high"}), "metrics['sharpe_ratio']", "float or None"),
        (lambda k: k.update(metrics=[1.0]), "metrics", "mapping"),
        (lambda k: k.update(targets={"sharp_ratio": 2.5}), "targets['sharp_ratio']", "metric name"),
        (lambda k: k.update(targets={"sharpe_ratio": None}), "targets['sharpe_ratio']", "finite number"),
        (lambda k: k.update(benchmark=k["benchmark"].iloc[1:]), "benchmark.index", "reindex(equity.index)"),
        (lambda k: k.update(benchmark=k["benchmark"].pct_change()), "benchmark", "finite"),
        (lambda k: k.update(returns=k["equity"].pct_change().iloc[1:]), "returns.index", "equity index"),
        (lambda k: k.update(parameters=[("fast", 10)]), "parameters", "mapping"),
        (lambda k: k.update(title=""), "title", "non-empty string"),
        (lambda k: k.update(max_trades=-1), "max_trades", "non-negative int"),
    ],
)
def test_invalid_inputs_name_the_field_value_and_fix(change, field, says, equity, trades, benchmark):
    kwargs = {"equity": equity, "trades": trades, "metrics": METRICS, "benchmark": benchmark}
    change(kwargs)
    with pytest.raises(ValidationError) as raised:
        render_tearsheet(**kwargs)
    assert raised.value.field == field
    message = str(raised.value)
    assert message.startswith(f"{field}=") and "Fix:" in message and says in message
