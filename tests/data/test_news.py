"""Tests of quantlib_local.data.synthetic.news: SYNTHETIC headlines tied to returns.

Statistical checks compare a sample statistic with its model value within 4 standard errors
(SE), as in tests/data/test_synthetic.py; each SE is written next to its check.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from quantlib_local.data.synthetic import correlated_bars, gbm_bars, news_headlines
from quantlib_local.data.synthetic.news import NEGATIVE_TEMPLATES, NEUTRAL_TEMPLATES, POSITIVE_TEMPLATES
from quantlib_local.exceptions import ValidationError
from quantlib_local.sentiment import score_texts

Z = 4.0


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return gbm_bars(4000, mu=0.0, sigma=0.3, seed=11)


def _z(returns: np.ndarray) -> np.ndarray:
    return returns / np.nanstd(returns)


def _tone_vs_return(news: pd.DataFrame, bars: pd.DataFrame, *, ahead: int) -> float:
    """Correlation of each item's tone with the (standardised) return ``ahead`` bars after its bar's open."""
    returns = bars["close"].pct_change().to_numpy()
    target = np.append(returns[ahead:], [np.nan] * ahead) if ahead else returns
    position = np.searchsorted(bars.index.asi8, pd.DatetimeIndex(news["timestamp"]).asi8, side="left")
    x, y = news["tone"].to_numpy(float), target[position]
    keep = np.isfinite(y)
    return float(np.corrcoef(x[keep], y[keep])[0, 1])


def _model_correlation(signal: float, neutral_share: float) -> float:
    """corr(tone, z) for a three-level tone cut from a latent normal with corr(l, z) = signal.

    With ``tone = sign(l) 1{|l| > c}``: ``E[tone l] = 2 phi(c)`` and ``Var(tone) = 2 (1 - Phi(c))
    = 1 - neutral_share``, and for jointly normal (l, z) ``corr(tone, z) = signal E[tone l] / sd(tone)``.
    """
    c = norm.ppf(0.5 + neutral_share / 2)
    return signal * 2 * norm.pdf(c) / math.sqrt(1 - neutral_share)


# ---------------------------------------------------------------- labelling and reproducibility


def test_same_seed_same_headlines(bars):
    a = news_headlines(bars.iloc[:300], seed=5)
    b = news_headlines(bars.iloc[:300], seed=5)
    pd.testing.assert_frame_equal(a, b)
    c = news_headlines(bars.iloc[:300], seed=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, c)
    assert not a.equals(news_headlines(bars.iloc[:300], seed=6))


def test_frame_is_labelled_synthetic(bars):
    news = news_headlines(bars.iloc[:50], seed=1, signal={"wire": 0.5, "blog": 0.1}, sources=["wire", "blog"])
    assert news.attrs["synthetic"] is True
    assert news.attrs["source"] == "synthetic:news_headlines"
    assert news.attrs["params"]["seed"] == 1
    assert news.attrs["params"]["signal"] == (("wire", 0.5), ("blog", 0.1))
    assert news.attrs["params"]["align"] == "next"
    assert "SYNTHETIC" in news_headlines.__doc__


def test_structure_of_the_frame(bars):
    news = news_headlines(bars.iloc[:200], seed=2, name="ACME")
    assert list(news.columns) == ["timestamp", "source", "text", "tone"]
    assert str(news["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert news["timestamp"].is_monotonic_increasing
    assert set(news["source"]) == {"newswire", "analyst", "social"}
    banks = {-1: NEGATIVE_TEMPLATES, 0: NEUTRAL_TEMPLATES, 1: POSITIVE_TEMPLATES}
    for text, tone in zip(news["text"], news["tone"]):
        assert text in {t.format(name="ACME") for t in banks[tone]}


def test_each_item_falls_in_the_window_of_one_bar(bars):
    """Timestamps lie in (t_{i-1}, t_i], whole seconds for daily bars, so the index assigns them to bar i."""
    clock = bars.index[:100]
    news = news_headlines(bars.iloc[:100], seed=3, items_per_bar=5)
    stamps = pd.DatetimeIndex(news["timestamp"])
    assert stamps.min() > clock[0] - (clock[1] - clock[0])
    assert stamps.max() <= clock[-1]
    assert (stamps.asi8 % 1_000_000_000 == 0).all()
    position = np.searchsorted(clock.asi8, stamps.asi8, side="left")
    assert (stamps <= clock[position]).all()
    earlier = position > 0
    assert (stamps[earlier] > clock[position[earlier] - 1]).all()


def test_sub_second_bars_get_nanosecond_timestamps():
    fast = gbm_bars(50, mu=0.0, sigma=0.3, seed=1, freq="100ms")
    news = news_headlines(fast, seed=4, items_per_bar=4)
    position = np.searchsorted(fast.index.asi8, pd.DatetimeIndex(news["timestamp"]).asi8, side="left")
    assert position.max() < len(fast) and (pd.DatetimeIndex(news["timestamp"]).asi8 % 1_000_000 != 0).any()


def test_vader_reads_every_template_with_its_tone():
    positive = score_texts([t.format(name="ACME") for t in POSITIVE_TEMPLATES], "vader")
    negative = score_texts([t.format(name="ACME") for t in NEGATIVE_TEMPLATES], "vader")
    neutral = score_texts([t.format(name="ACME") for t in NEUTRAL_TEMPLATES], "vader")
    assert (positive >= 0.05).all(), positive  # the VADER README's thresholds
    assert (negative <= -0.05).all(), negative
    np.testing.assert_array_equal(neutral, 0.0)


# ---------------------------------------------------------------- the statistical model


def test_mean_items_per_bar(bars):
    news = news_headlines(bars, seed=6, items_per_bar=2.5)
    n = len(bars)
    se = math.sqrt(2.5 / n)  # Poisson: variance = mean
    assert abs(len(news) / n - 2.5) < Z * se


def test_neutral_share_without_signal(bars):
    news = news_headlines(bars, seed=7, signal=0.0, neutral_share=0.4)
    share = (news["tone"] == 0).mean()
    se = math.sqrt(0.4 * 0.6 / len(news))  # binomial; items independent when signal = 0
    assert abs(share - 0.4) < Z * se
    assert abs((news["tone"] == 1).mean() - 0.3) < Z * math.sqrt(0.3 * 0.7 / len(news))


@pytest.mark.parametrize("signal", [0.0, 0.6, -0.4])
def test_tone_tracks_the_next_return_with_the_model_correlation(bars, signal):
    news = news_headlines(bars, seed=8, signal=signal, neutral_share=0.3, items_per_bar=1.0)
    expected = _model_correlation(signal, 0.3)
    # SE of a correlation ~ (1 - r^2) / sqrt(n); n = bars, not items (items of one bar share z)
    se = (1 - expected**2) / math.sqrt(len(bars))
    assert abs(_tone_vs_return(news, bars, ahead=1) - expected) < Z * se
    assert abs(_tone_vs_return(news, bars, ahead=0)) < Z / math.sqrt(len(bars))  # GBM returns are independent


def test_align_same_ties_tone_to_the_bar_itself(bars):
    news = news_headlines(bars, seed=9, signal=0.6, align="same", items_per_bar=1.0)
    expected = _model_correlation(0.6, 0.3)
    se = (1 - expected**2) / math.sqrt(len(bars))
    assert abs(_tone_vs_return(news, bars, ahead=0) - expected) < Z * se
    assert abs(_tone_vs_return(news, bars, ahead=1)) < Z / math.sqrt(len(bars))


def test_each_source_has_its_own_signal(bars):
    news = news_headlines(bars, seed=10, sources=["good", "noise"], signal={"good": 0.9, "noise": 0.0})
    good = _tone_vs_return(news[news["source"] == "good"], bars, ahead=1)
    noise = _tone_vs_return(news[news["source"] == "noise"], bars, ahead=1)
    assert good > 0.6
    assert abs(noise) < Z / math.sqrt(len(bars))


def test_many_assets_get_news_per_symbol():
    many = correlated_bars(["AAA", "BBB"], 0.0, 3000, mu=0.0, sigma=0.3, seed=2)
    news = news_headlines(many, seed=11, signal=0.7)
    assert list(news.columns) == ["timestamp", "source", "text", "tone", "symbol"]
    for symbol in ("AAA", "BBB"):
        mine = news[news["symbol"] == symbol]
        assert mine["text"].str.contains(symbol).all()
        own = _tone_vs_return(mine, many.xs(symbol, axis=1, level=1), ahead=1)
        other = _tone_vs_return(mine, many.xs("BBB" if symbol == "AAA" else "AAA", axis=1, level=1), ahead=1)
        assert own > 0.4 and abs(other) < Z / math.sqrt(3000)


def test_a_returns_series_gives_the_same_news_as_the_bars(bars):
    part = bars.iloc[:300]
    from_bars = news_headlines(part, seed=12, name="X")
    from_returns = news_headlines(part["close"].pct_change(), seed=12, name="X")
    pd.testing.assert_frame_equal(from_bars, from_returns)


def test_name_defaults_to_the_bars_symbol(bars):
    part = bars.iloc[:20].copy()
    part.attrs["symbol"] = "^GSPC"
    assert news_headlines(part, seed=1, items_per_bar=20)["text"].str.contains("^GSPC", regex=False).all()
    assert news_headlines(part["close"].pct_change(), seed=1)["text"].str.contains("the market").all()


# ---------------------------------------------------------------- input checks


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"items_per_bar": 0}, "items_per_bar"),
        ({"items_per_bar": float("nan")}, "items_per_bar"),
        ({"signal": 1.5}, "signal"),
        ({"signal": "strong"}, "signal"),
        ({"signal": {"newswire": 0.5}}, "signal"),
        ({"signal": {"newswire": 0.5, "analyst": 2.0, "social": 0.0}}, "signal['analyst']"),
        ({"sources": []}, "sources"),
        ({"sources": "newswire"}, "sources"),
        ({"sources": ["a", "a"]}, "sources"),
        ({"sources": ["a", ""]}, "sources"),
        ({"align": "later"}, "align"),
        ({"neutral_share": 1.0}, "neutral_share"),
        ({"neutral_share": -0.1}, "neutral_share"),
        ({"name": ""}, "name"),
        ({"seed": -1}, "seed"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_parameters_name_the_field(bars, kwargs, field):
    arguments = {"seed": 1, **kwargs}
    with pytest.raises(ValidationError) as caught:
        news_headlines(bars.iloc[:10], **arguments)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda b: b.iloc[:1], "bars.index"),
        (lambda b: b.iloc[:10].tz_localize(None), "bars.index"),
        (lambda b: b.iloc[:10].iloc[::-1], "bars.index"),
        (lambda b: b.iloc[:10].drop(columns="close"), "bars.columns"),
        (lambda b: b.iloc[:10].reset_index(drop=True), "bars.index"),
        (lambda b: b.iloc[:10].to_numpy(), "bars"),
    ],
    ids=["one-bar", "naive", "unsorted", "no-close", "no-datetime-index", "array"],
)
def test_bad_bars_name_the_field(bars, make, field):
    with pytest.raises(ValidationError) as caught:
        news_headlines(make(bars), seed=1)
    assert caught.value.field == field
