"""Sentiment (layer 4): score news, aggregate it into the index of design eq. 1, measure it.

The pipeline reads like the math::

    scored = score_news(news, "vader")                       # sentiment_i per item, in [-1, 1]
    index = sentiment_index(scored, bars, weights={"newswire": 2, "social": 1}, half_life=5, no_news="fade")
    index.sentiment                                          # S(t) = sum_k w_k sentiment_k(t) per bar
    strategy.decide(bars, index.features())                  # the eq. 6 feature vector's S

``news`` is any frame of ``(timestamp, source, text[, symbol])`` rows: a real feed, or the
SYNTHETIC headlines of :func:`quantlib_local.data.synthetic.news_headlines`. Scorers: VADER
(default) and TextBlob, behind the :class:`SentimentScorer` protocol that a BERT/FinBERT
model can implement later. Pure computation: no network, no files (the scorers' lexicons
ship inside their wheels).

=============================  ==============================================================
``score_news``, ``score_texts``  one score in [-1, 1] per item (:mod:`.scorers`, :mod:`.items`)
``sentiment_index``              ``S(t)`` on a bar clock, per source, per symbol (:mod:`.index`)
``information_content``          correlation / rank correlation / hit rate vs later returns
=============================  ==============================================================
"""

from quantlib_local.sentiment.evaluation import InformationContent, information_content, information_table
from quantlib_local.sentiment.index import FEATURE_NAME, NoNews, SentimentIndex, sentiment_index
from quantlib_local.sentiment.items import NEWS_COLUMNS, ScoredItems, check_scored_items, score_news
from quantlib_local.sentiment.scorers import (
    SCORERS,
    SentimentScorer,
    TextBlobScorer,
    VaderScorer,
    available_scorers,
    check_texts,
    resolve_scorer,
    score_texts,
)

__all__ = [
    "FEATURE_NAME",
    "InformationContent",
    "NEWS_COLUMNS",
    "NoNews",
    "SCORERS",
    "ScoredItems",
    "SentimentIndex",
    "SentimentScorer",
    "TextBlobScorer",
    "VaderScorer",
    "available_scorers",
    "check_scored_items",
    "check_texts",
    "information_content",
    "information_table",
    "resolve_scorer",
    "score_news",
    "score_texts",
    "sentiment_index",
]
