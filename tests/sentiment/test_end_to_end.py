"""SYNTHETIC news -> scores -> S(t) -> the strategies' feature vector (design eq. 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib_local.data.synthetic import correlated_bars, gbm_bars, news_headlines
from quantlib_local.sentiment import information_content, score_news, sentiment_index
from quantlib_local.strategies import MLClassifier, feature_matrix


@pytest.fixture(scope="module")
def pipeline():
    bars = gbm_bars(400, mu=0.0, sigma=0.3, seed=21)
    news = news_headlines(bars, seed=21, signal={"newswire": 0.8, "analyst": 0.5, "social": 0.2}, items_per_bar=4)
    scored = score_news(news, "vader")
    index = sentiment_index(scored, bars, weights={"newswire": 3, "analyst": 2, "social": 1}, half_life=1, no_news="fade")
    return bars, scored, index


def test_the_synthetic_label_travels_with_the_scores(pipeline):
    _, scored, _ = pipeline
    assert scored.attrs["synthetic"] is True and scored.attrs["source"] == "synthetic:news_headlines"


def test_vader_scores_agree_with_the_generated_tone(pipeline):
    _, scored, _ = pipeline
    assert (np.sign(scored["score"]) == scored["tone"]).all()


def test_feature_matrix_carries_the_index(pipeline):
    bars, _, index = pipeline
    x = feature_matrix(bars, index.features())
    assert "sentiment" in x.columns
    np.testing.assert_array_equal(x["sentiment"].to_numpy(), index.sentiment.to_numpy())
    without = feature_matrix(bars)
    assert "sentiment" not in without.columns
    pd.testing.assert_frame_equal(x.drop(columns="sentiment"), without, check_names=False)


def test_the_index_predicts_the_next_synthetic_return(pipeline):
    bars, _, index = pipeline
    result = information_content(index.sentiment, bars["close"], horizon=1)
    assert result.correlation > 0.3 and result.hit_rate > 0.6


def test_a_strategy_decides_on_the_sentiment_feature(pipeline):
    bars, _, index = pipeline
    strategy = MLClassifier(train_window=200, refit_every=50, min_train_rows=50)
    with_sentiment = strategy.decide(bars, index.features())
    assert with_sentiment.shape == (len(bars), 1) and with_sentiment.abs().to_numpy().sum() > 0
    assert not with_sentiment.equals(strategy.decide(bars))  # the feature changes the decisions


def test_per_symbol_index_feeds_per_symbol_features():
    bars = correlated_bars(["AAA", "BBB"], 0.3, 200, mu=0.0, sigma=0.3, seed=22)
    scored = score_news(news_headlines(bars, seed=22, signal=0.6), "textblob")
    index = sentiment_index(scored, bars, symbols=["AAA", "BBB"], half_life="2D", no_news="hold")
    x = feature_matrix(bars, index.features())
    for symbol in ("AAA", "BBB"):
        np.testing.assert_array_equal(x.xs(symbol, level="symbol")["sentiment"].to_numpy(), index.sentiment[symbol])
    assert not np.allclose(index.sentiment["AAA"], index.sentiment["BBB"])
