"""Tests of quantlib_local.sentiment.evaluation: pairing S(t) with the right return."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from quantlib_local.exceptions import ValidationError
from quantlib_local.sentiment import information_content, information_table

INDEX = pd.date_range("2024-01-01", periods=200, freq="D", tz="UTC", name="timestamp")


def _case(seed=0, n_symbols=1):
    rng = np.random.default_rng(seed)
    returns = rng.normal(0, 0.01, (len(INDEX), n_symbols))
    close = pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=INDEX, columns=[f"S{i}" for i in range(n_symbols)])
    # sentiment that knows the next return a little, with zeros on some bars
    forward = np.vstack([returns[1:], np.full((1, n_symbols), np.nan)])
    signal = np.nan_to_num(0.5 * forward / 0.01 + rng.normal(0, 1, forward.shape))
    signal[rng.random(signal.shape) < 0.2] = 0.0
    return pd.DataFrame(signal, index=INDEX, columns=close.columns), close


def _pairs_by_loop(signal: pd.Series, close: pd.Series, horizon: int):
    xs, ys = [], []
    for t in range(len(signal)):
        if horizon == 0:
            if t == 0:
                continue
            ret = close.iloc[t] / close.iloc[t - 1] - 1
        else:
            if t + horizon >= len(close):
                continue
            ret = close.iloc[t + horizon] / close.iloc[t] - 1
        xs.append(signal.iloc[t])
        ys.append(ret)
    return np.array(xs), np.array(ys)


@pytest.mark.parametrize("horizon", [0, 1, 3])
def test_statistics_match_an_explicit_pairing(horizon):
    signal, close = _case()
    result = information_content(signal["S0"], close["S0"], horizon=horizon)
    x, y = _pairs_by_loop(signal["S0"], close["S0"], horizon)
    assert result.n_pairs == len(x)
    assert result.correlation == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    assert result.rank_correlation == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    hits = [np.sign(a) == np.sign(b) for a, b in zip(x, y) if a != 0 and b != 0]
    assert result.n_signals == len(hits)
    assert result.hit_rate == pytest.approx(np.mean(hits))


def test_a_signal_of_the_next_return_is_found_ahead_not_behind():
    signal, close = _case()
    table = information_table(signal["S0"], close["S0"], horizons=(0, 1, 2))
    assert list(table.index) == [0, 1, 2]
    assert table.loc[1, "correlation"] > 0.3 and table.loc[1, "p_value"] < 1e-4
    assert table.loc[1, "hit_rate"] > 0.6
    assert abs(table.loc[0, "correlation"]) < 0.15  # the bar's own return: no relation (4 SE ~ 0.28)
    # two bars ahead contain the next bar plus an unrelated one: diluted by about 1/sqrt(2)
    assert 0.4 < table.loc[2, "correlation"] / table.loc[1, "correlation"] < 1.0


def test_many_symbols_are_pooled_and_a_shared_index_is_broadcast():
    signal, close = _case(seed=1, n_symbols=3)
    pooled = information_content(signal, close, horizon=1)
    x = np.concatenate([_pairs_by_loop(signal[c], close[c], 1)[0] for c in close.columns])
    y = np.concatenate([_pairs_by_loop(signal[c], close[c], 1)[1] for c in close.columns])
    assert pooled.n_pairs == len(x) == 3 * (len(INDEX) - 1)
    assert pooled.correlation == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    shared = information_content(signal["S0"], close, horizon=1)
    assert shared.n_pairs == 3 * (len(INDEX) - 1)


def test_constant_sentiment_has_no_correlation():
    _, close = _case()
    result = information_content(pd.Series(0.0, index=INDEX), close["S0"])
    assert np.isnan(result.correlation) and np.isnan(result.hit_rate) and result.n_signals == 0


@pytest.mark.parametrize(
    ("sentiment", "close", "kwargs", "field"),
    [
        ("x", None, {}, "sentiment"),
        (None, "x", {}, "close"),
        (None, None, {"horizon": -1}, "horizon"),
        (None, None, {"horizon": 1.5}, "horizon"),
        (None, "shifted", {}, "close.index"),
        ("two-columns", "other-columns", {}, "close.columns"),
        ("short", "short", {}, "sentiment"),
    ],
)
def test_bad_input_names_the_field(sentiment, close, kwargs, field):
    signal, prices = _case(n_symbols=2)
    chosen_signal = {None: signal["S0"], "x": "x", "two-columns": signal, "short": signal["S0"].iloc[:3]}[sentiment]
    chosen_close = {
        None: prices["S0"], "x": "x", "shifted": prices["S0"].shift(1, freq="D"),
        "other-columns": prices.set_axis(["A", "B"], axis=1), "short": prices["S0"].iloc[:3],
    }[close]
    with pytest.raises(ValidationError) as caught:
        information_content(chosen_signal, chosen_close, **kwargs)
    assert caught.value.field == field


def test_bad_horizons_list_is_refused():
    signal, close = _case()
    with pytest.raises(ValidationError) as caught:
        information_table(signal["S0"], close["S0"], horizons=[])
    assert caught.value.field == "horizons"
