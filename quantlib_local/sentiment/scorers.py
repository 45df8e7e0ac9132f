"""Text scorers: one headline in, one number in [-1, 1] out (negative to positive tone).

The design (section 2.2) scores news with VADER, TextBlob and BERT. Two of them ship here:

``VaderScorer`` (the default)
    The ``compound`` score of VADER (Hutto and Gilbert, 2014), a lexicon and rule-based
    model tuned for short social-media text: it handles negation ("not good"), boosters
    ("very good"), capitals and exclamation marks. Its lexicon ships inside the
    ``vaderSentiment`` wheel, so it runs offline.
``TextBlobScorer``
    TextBlob's ``PatternAnalyzer`` polarity (the lexicon of the Pattern library, averaged
    over the adjectives it knows). It needs no NLTK corpus download: the analyzer is called
    directly, not through ``TextBlob(...).sentiment`` of a multi-sentence blob (whose sentence
    splitter would want NLTK's ``punkt`` data).

Both libraries are imported on first use, inside the scorer, so ``import quantlib_local.sentiment``
stays cheap (TextBlob pulls in NLTK, about a second).

Plugging in another model (BERT, FinBERT, an LLM)
    Anything with a ``name`` and a ``score(texts) -> ndarray`` method satisfies
    :class:`SentimentScorer` and can be passed wherever a scorer name is accepted. A
    transformer scorer is not shipped because the model weights have to be downloaded and
    this workbench must run offline; :func:`score_texts` checks whatever a scorer returns
    (one finite value in [-1, 1] per text), so a plug-in cannot hand the index malformed
    scores.

Why thin wrappers rather than calling the libraries directly: one protocol for every model,
input checks that name the offending text, and the lazy imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from quantlib_local._typing import Float64Array
from quantlib_local.exceptions import ValidationError

__all__ = [
    "SCORERS",
    "SentimentScorer",
    "TextBlobScorer",
    "VaderScorer",
    "available_scorers",
    "check_texts",
    "resolve_scorer",
    "score_texts",
]


@runtime_checkable
class SentimentScorer(Protocol):
    """What the sentiment index needs from a text model.

    Attributes
    ----------
    name
        Short name shown in tables and plots (``"vader"``, ``"textblob"``, ``"finbert"``).

    Notes
    -----
    ``score`` receives a list of strings (already checked by :func:`check_texts`) and returns
    a float array of the same length with values in [-1, 1]: -1 most negative, 0 neutral,
    +1 most positive. A transformer model (BERT, FinBERT) fits by returning, for example,
    ``P(positive) - P(negative)`` per text.
    """

    name: str

    def score(self, texts: Sequence[str]) -> Float64Array:
        """One score in [-1, 1] per text."""
        ...


class VaderScorer:
    """VADER ``compound`` scores (the default scorer).

    The ``compound`` score sums the valences of the words VADER knows, adjusted by its rules,
    and maps the sum ``x`` to ``x / sqrt(x**2 + 15)``, so it lies strictly inside (-1, 1);
    the VADER README suggests >= 0.05 positive, <= -0.05 negative, neutral in between.
    """

    name = "vader"

    def __init__(self) -> None:
        self._analyzer: Any = None

    def score(self, texts: Sequence[str]) -> Float64Array:
        """VADER compound score of each text (0 for text without sentiment words).

        Raises
        ------
        ValidationError
            ``texts`` is not a non-empty list of strings.
        """
        texts = check_texts(texts)
        if self._analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._analyzer = SentimentIntensityAnalyzer()
        polarity = self._analyzer.polarity_scores
        return np.array([polarity(text)["compound"] for text in texts], dtype="float64")

    def __repr__(self) -> str:
        return "VaderScorer()"


class TextBlobScorer:
    """TextBlob (Pattern lexicon) polarity scores in [-1, 1]."""

    name = "textblob"

    def __init__(self) -> None:
        self._analyzer: Any = None

    def score(self, texts: Sequence[str]) -> Float64Array:
        """TextBlob ``PatternAnalyzer`` polarity of each text (0 for text without known adjectives).

        Raises
        ------
        ValidationError
            ``texts`` is not a non-empty list of strings.
        """
        texts = check_texts(texts)
        if self._analyzer is None:
            from textblob.en.sentiments import PatternAnalyzer

            self._analyzer = PatternAnalyzer()
        analyze = self._analyzer.analyze
        return np.array([analyze(text).polarity for text in texts], dtype="float64")

    def __repr__(self) -> str:
        return "TextBlobScorer()"


SCORERS: dict[str, type] = {"vader": VaderScorer, "textblob": TextBlobScorer}
"""Scorers available by name; any :class:`SentimentScorer` instance is accepted as well."""


def available_scorers() -> list[str]:
    """Names :func:`resolve_scorer` accepts."""
    return sorted(SCORERS)


def resolve_scorer(scorer: str | SentimentScorer) -> SentimentScorer:
    """A scorer instance from a name (``"vader"``, ``"textblob"``) or an instance.

    Raises
    ------
    ValidationError
        Unknown name, or an object without ``name`` and ``score``.
    """
    if isinstance(scorer, str):
        if scorer not in SCORERS:
            raise ValidationError("scorer", scorer, f"use one of {available_scorers()} or pass a SentimentScorer")
        return SCORERS[scorer]()
    if not isinstance(scorer, SentimentScorer) or not isinstance(getattr(scorer, "name", None), str):
        raise ValidationError(
            "scorer", type(scorer).__name__,
            "pass a scorer name or an object with a string `name` and a `score(texts) -> ndarray` method",
        )
    return scorer


def check_texts(texts: Any, *, field: str = "texts") -> list[str]:
    """``texts`` as a list of strings.

    Accepts a list, tuple, NumPy array or pandas Series of strings. Empty strings are allowed
    (they score 0); ``None``, NaN, numbers and bytes are not.

    Raises
    ------
    ValidationError
        A single string, an empty collection, or a non-string element (the message gives its
        position).
    """
    if isinstance(texts, (str, bytes)):
        raise ValidationError(field, texts, "pass a list of texts, e.g. [headline] for one headline")
    if isinstance(texts, (pd.Series, pd.Index, np.ndarray)):
        items = list(np.asarray(texts, dtype=object).ravel())
    elif isinstance(texts, Sequence):
        items = list(texts)
    else:
        raise ValidationError(field, type(texts).__name__, "pass a list, tuple, array or Series of strings")
    if not items:
        raise ValidationError(field, items, "pass at least one text")
    for position, item in enumerate(items):
        if not isinstance(item, str):
            raise ValidationError(
                f"{field}[{position}]", item, "every text must be a string; drop or fill missing headlines first"
            )
    return items


def score_texts(texts: Any, scorer: str | SentimentScorer = "vader") -> Float64Array:
    """Score ``texts`` with ``scorer`` and check the result.

    Parameters
    ----------
    texts
        Headlines (list, tuple, array or Series of strings).
    scorer
        ``"vader"`` (default), ``"textblob"`` or any :class:`SentimentScorer`.

    Returns
    -------
    ndarray
        One float in [-1, 1] per text.

    Raises
    ------
    ValidationError
        Bad ``texts`` or ``scorer``, or a scorer that returns the wrong number of values, a
        non-finite value or a value outside [-1, 1].

    Examples
    --------
    >>> score_texts(["VADER is smart, handsome, and funny."]).round(4).tolist()
    [0.8316]
    """
    texts = check_texts(texts)
    model = resolve_scorer(scorer)
    raw = model.score(texts)
    try:
        scores = np.asarray(raw, dtype="float64")
    except (TypeError, ValueError):
        raise ValidationError(
            f"{model.name} scores", type(raw).__name__, "return a float array from score(texts)"
        ) from None
    if scores.shape != (len(texts),):
        raise ValidationError(
            f"{model.name} scores", scores.shape, f"return one score per text, shape ({len(texts)},)"
        )
    bad = ~np.isfinite(scores) | (np.abs(scores) > 1.0)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{model.name} scores[{position}]", float(scores[position]), "return finite scores in [-1, 1]"
        )
    return scores
