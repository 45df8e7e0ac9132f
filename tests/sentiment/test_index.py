"""Tests of quantlib_local.sentiment.index: design eq. 1 against a brute-force loop, the
no-look-ahead rule at the nanosecond, weights, decay, and input checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantlib_local.exceptions import ValidationError
from quantlib_local.sentiment import SentimentIndex, sentiment_index
from quantlib_local.strategies import MarketData

SOURCES = ["analyst", "newswire", "social"]
SYMBOLS = ["AAA", "BBB"]


# ---------------------------------------------------------------- the reference


def brute_force_index(items, bar_times, *, weights=None, half_life=None, no_news="zero", symbols=None):
    """Design eq. 1 straight from the definition in quantlib_local.sentiment.index, item by item.

    Pure Python on Timestamps: no recursion, no logs, no sorting. Returns a list (one value
    per bar) for a shared index or a dict symbol -> list.
    """
    bar_times = list(bar_times)

    def bar_of(ts):  # first bar at or after the item's timestamp
        for position, bar_time in enumerate(bar_times):
            if bar_time >= ts:
                return position
        return None

    def decay(age_bars, age_time):
        if isinstance(half_life, pd.Timedelta):
            return 2.0 ** (-(age_time / half_life))
        return 2.0 ** (-age_bars / half_life)

    rows = [
        (bar_of(row.timestamp), row.timestamp, row.source, getattr(row, "symbol", None), row.score)
        for row in items.itertuples()
    ]
    sources = sorted({source for _, _, source, _, _ in rows})
    w = {s: 1.0 for s in sources} if weights is None else {s: float(weights[s]) for s in sources}

    def source_value(j, source, symbol):
        """(value, present) of one source at bar j."""
        mine = [r for r in rows if r[0] is not None and r[0] <= j and r[2] == source and (symbol is None or r[3] == symbol)]
        if not mine:
            return 0.0, False
        news_bars = sorted({r[0] for r in mine})
        last = news_bars[-1]
        if half_life is None:
            now = [r[4] for r in mine if r[0] == last]
            mean = sum(now) / len(now)
        else:
            weights_ = [decay(last - r[0], bar_times[last] - r[1]) for r in mine]
            mean = sum(d * r[4] for d, r in zip(weights_, mine)) / sum(weights_)
        if last == j or no_news == "hold":
            return mean, True
        if no_news == "zero":
            return 0.0, True
        return mean * decay(j - last, bar_times[j] - bar_times[last]), True  # fade

    def index_for(symbol):
        out = []
        for j in range(len(bar_times)):
            numerator = denominator = 0.0
            for source in sources:
                value, present = source_value(j, source, symbol)
                if present:
                    numerator += w[source] * value
                    denominator += w[source]
            out.append(numerator / denominator if denominator > 0 else 0.0)
        return out

    if symbols is None:
        return index_for(None)
    return {symbol: index_for(symbol) for symbol in symbols}


def random_case(seed: int, n_bars: int = 30, n_items: int = 120):
    """Irregular bars (with a weekend-like gap) and items around them, some exactly on a bar."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([pd.Timedelta("1h"), pd.Timedelta("6h"), pd.Timedelta("1D"), pd.Timedelta("3D")], size=n_bars)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    bar_times = pd.DatetimeIndex([start + sum(steps[: i + 1], pd.Timedelta(0)) for i in range(n_bars)], name="timestamp")
    span = (bar_times[-1] - bar_times[0]) + pd.Timedelta("4D")
    offsets = rng.uniform(0, 1, n_items) * span.value
    stamps = [bar_times[0] - pd.Timedelta("2D") + pd.Timedelta(int(o), "ns") for o in offsets]
    on_bar = rng.choice(n_bars, size=10)
    stamps[:10] = [bar_times[k] for k in on_bar]  # exactly at a bar timestamp
    items = pd.DataFrame({
        "timestamp": pd.DatetimeIndex(stamps).as_unit("ns"),
        "source": rng.choice(SOURCES, size=n_items),
        "symbol": rng.choice(SYMBOLS, size=n_items),
        "score": rng.uniform(-1, 1, n_items),
    })
    return items, bar_times


CONFIGS = [
    dict(half_life=None, no_news="zero"),
    dict(half_life=None, no_news="hold"),
    dict(half_life=0.7, no_news="zero"),
    dict(half_life=3, no_news="hold"),
    dict(half_life=2.5, no_news="fade"),
    dict(half_life=pd.Timedelta("2D"), no_news="fade"),
    dict(half_life=pd.Timedelta("6h"), no_news="hold"),
    dict(half_life=pd.Timedelta("36h"), no_news="zero"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c['half_life']}-{c['no_news']}")
@pytest.mark.parametrize("weights", [None, {"analyst": 3.0, "newswire": 1.0, "social": 0.5}], ids=["equal", "weighted"])
@pytest.mark.parametrize("seed", [1, 2])
def test_shared_index_equals_brute_force(config, weights, seed):
    items, bar_times = random_case(seed)
    result = sentiment_index(items, bar_times, weights=weights, **config)
    expected = brute_force_index(items, bar_times, weights=weights, **config)
    np.testing.assert_allclose(result.sentiment.to_numpy(), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[::2], ids=lambda c: f"{c['half_life']}-{c['no_news']}")
def test_per_symbol_index_equals_brute_force(config):
    items, bar_times = random_case(3)
    weights = {"analyst": 2.0, "newswire": 1.0, "social": 0.0}
    result = sentiment_index(items, bar_times, weights=weights, symbols=SYMBOLS + ["CCC"], **config)
    expected = brute_force_index(items, bar_times, weights=weights, symbols=SYMBOLS + ["CCC"], **config)
    for symbol in SYMBOLS + ["CCC"]:
        np.testing.assert_allclose(result.sentiment[symbol].to_numpy(), expected[symbol], rtol=0, atol=1e-12)
    assert (result.sentiment["CCC"] == 0).all()  # no news about CCC


def test_half_life_as_a_string_is_a_duration():
    items, bar_times = random_case(4)
    a = sentiment_index(items, bar_times, half_life="36h", no_news="fade").sentiment
    b = sentiment_index(items, bar_times, half_life=pd.Timedelta(hours=36), no_news="fade").sentiment
    pd.testing.assert_series_equal(a, b)


# ---------------------------------------------------------------- no look-ahead


def _one_item(ts, score=0.8, source="wire"):
    return pd.DataFrame({"timestamp": pd.DatetimeIndex([ts]).as_unit("ns"), "source": [source], "score": [score]})


BARS = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC", name="timestamp")


def test_an_item_exactly_at_a_bar_counts_in_that_bar():
    result = sentiment_index(_one_item(BARS[1]), BARS)
    assert result.sentiment.tolist() == [0.0, 0.8, 0.0, 0.0]
    assert result.counts["wire"].tolist() == [0, 1, 0, 0]


def test_an_item_one_nanosecond_after_a_bar_counts_in_the_next_bar():
    result = sentiment_index(_one_item(BARS[1] + pd.Timedelta(1, "ns")), BARS)
    assert result.sentiment.tolist() == [0.0, 0.0, 0.8, 0.0]


def test_an_item_after_the_last_bar_is_left_out_and_counted():
    result = sentiment_index(_one_item(BARS[-1] + pd.Timedelta(1, "ns")), BARS, half_life=2, no_news="hold")
    assert result.sentiment.tolist() == [0.0] * 4
    assert result.items_after_last_bar == 1


def test_an_item_before_the_first_bar_counts_in_the_first():
    result = sentiment_index(_one_item(BARS[0] - pd.Timedelta("30D")), BARS, no_news="hold")
    assert result.sentiment.tolist() == [0.8] * 4


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c['half_life']}-{c['no_news']}")
def test_a_prefix_of_the_bars_gives_the_prefix_of_the_index(config):
    items, bar_times = random_case(5)
    full = sentiment_index(items, bar_times, symbols=SYMBOLS, **config).sentiment
    for stop in (1, 7, 18):
        head = sentiment_index(items, bar_times[:stop], symbols=SYMBOLS, **config).sentiment
        pd.testing.assert_frame_equal(head, full.iloc[:stop])


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c['half_life']}-{c['no_news']}")
def test_news_published_after_a_bar_never_changes_that_bar(config):
    items, bar_times = random_case(6)
    before = sentiment_index(items, bar_times, **config).sentiment
    k = 12
    late = pd.DataFrame({
        "timestamp": pd.DatetimeIndex([bar_times[k] + pd.Timedelta(1, "ns"), bar_times[k] + pd.Timedelta("1min")]),
        "source": ["social", "brand-new-source"], "symbol": ["AAA", "AAA"], "score": [-1.0, 1.0],
    })
    after = sentiment_index(pd.concat([items, late], ignore_index=True), bar_times, **config).sentiment
    pd.testing.assert_series_equal(after.iloc[: k + 1], before.iloc[: k + 1])
    assert not np.allclose(after.iloc[k + 1:], before.iloc[k + 1:])


# ---------------------------------------------------------------- weights, decay, no news


def test_weights_renormalise_over_the_sources_present():
    items = pd.DataFrame({
        "timestamp": pd.DatetimeIndex([BARS[0], BARS[1], BARS[1]]),
        "source": ["wire", "wire", "blog"], "score": [0.6, 0.6, -0.3],
    })
    result = sentiment_index(items, BARS, weights={"wire": 3.0, "blog": 1.0, "unused": 5.0})
    # bar 0: only "wire" has published, so it has all the weight; bar 1: 3/4 and 1/4
    assert result.sentiment.iloc[0] == pytest.approx(0.6)
    assert result.sentiment.iloc[1] == pytest.approx(0.75 * 0.6 + 0.25 * -0.3)
    # bars 2-3 ("zero"): both present, both silent
    assert result.sentiment.iloc[2:].tolist() == [0.0, 0.0]
    pd.testing.assert_series_equal(result.weights, pd.Series({"blog": 0.25, "wire": 0.75}, name="weight"))


def test_scaling_every_weight_changes_nothing():
    items, bar_times = random_case(7)
    a = sentiment_index(items, bar_times, weights={"analyst": 1, "newswire": 2, "social": 3}, half_life=2)
    b = sentiment_index(items, bar_times, weights={"analyst": 10, "newswire": 20, "social": 30}, half_life=2)
    np.testing.assert_allclose(a.sentiment, b.sentiment, atol=1e-15)


def test_fade_halves_per_half_life():
    result = sentiment_index(_one_item(BARS[0]), BARS, half_life=1, no_news="fade")
    np.testing.assert_allclose(result.sentiment, [0.8, 0.4, 0.2, 0.1])
    by_time = sentiment_index(_one_item(BARS[0]), BARS, half_life="2D", no_news="fade")
    np.testing.assert_allclose(by_time.sentiment, 0.8 * 2.0 ** (-np.arange(4) / 2))


def test_decay_weights_recent_items_more():
    items = pd.DataFrame({
        "timestamp": pd.DatetimeIndex([BARS[0], BARS[1]]), "source": ["wire", "wire"], "score": [1.0, -1.0],
    })
    result = sentiment_index(items, BARS, half_life=1)
    # bar 1: (0.5 * 1 + 1 * -1) / 1.5
    assert result.sentiment.iloc[1] == pytest.approx(-1.0 / 3.0)


def test_very_old_news_and_short_half_lives_stay_finite():
    """Weights of 2**-1440 and smaller underflow in floating point; the result must not be 0/0."""
    items = pd.DataFrame({
        "timestamp": pd.DatetimeIndex([BARS[0] - pd.Timedelta("2D"), BARS[0] - pd.Timedelta("1D")]),
        "source": ["wire", "wire"], "score": [-0.9, 0.4],
    })
    result = sentiment_index(items, BARS, half_life="1min", no_news="hold")
    np.testing.assert_allclose(result.sentiment, [0.4] * 4)  # the newer item, 1440 half-lives younger, wins
    faded = sentiment_index(items, BARS, half_life="1min", no_news="fade").sentiment
    assert faded.iloc[0] == pytest.approx(0.4) and (faded.iloc[1:] == 0).all()


def test_no_news_at_all_gives_zero():
    empty = pd.DataFrame({"timestamp": pd.DatetimeIndex([], tz="UTC"), "source": [], "score": []})
    result = sentiment_index(empty, BARS, half_life=2, no_news="fade")
    assert result.sentiment.tolist() == [0.0] * 4
    assert result.by_source.shape == (4, 0) and result.news_volume.tolist() == [0] * 4


def test_no_news_per_symbol_gives_zero_volume():
    empty = pd.DataFrame({"timestamp": pd.DatetimeIndex([], tz="UTC"), "source": [], "symbol": [], "score": []})
    result = sentiment_index(empty, BARS, symbols=SYMBOLS)
    assert (result.sentiment == 0).all().all() and list(result.sentiment.columns) == SYMBOLS
    pd.testing.assert_frame_equal(result.news_volume, pd.DataFrame(0, index=result.sentiment.index, columns=result.sentiment.columns))


def test_counts_are_the_news_volume():
    items, bar_times = random_case(8)
    result = sentiment_index(items, bar_times, symbols=SYMBOLS)
    assert int(result.counts.to_numpy().sum()) == len(items) - result.items_after_last_bar
    assert list(result.news_volume.columns) == SYMBOLS
    position = np.searchsorted(bar_times.asi8, pd.DatetimeIndex(items["timestamp"]).asi8, side="left")
    for j in (0, 5, 20):
        for symbol in SYMBOLS:
            assert result.news_volume.iloc[j][symbol] == ((position == j) & (items["symbol"] == symbol).to_numpy()).sum()


def test_timestamps_in_another_timezone_are_converted():
    items, bar_times = random_case(9)
    shifted = items.assign(timestamp=items["timestamp"].dt.tz_convert("America/New_York"))
    tokyo = bar_times.tz_convert("Asia/Tokyo")
    result = sentiment_index(shifted, tokyo, half_life=2).sentiment
    assert result.index is tokyo or result.index.equals(tokyo)  # on the clock exactly as given
    np.testing.assert_array_equal(result.to_numpy(), sentiment_index(items, bar_times, half_life=2).sentiment.to_numpy())


def test_the_result_is_on_the_bars_own_index():
    microseconds = BARS.as_unit("us")
    result = sentiment_index(_items(), microseconds)
    assert result.sentiment.index.dtype == microseconds.dtype and result.by_source.index.equals(microseconds)


# ---------------------------------------------------------------- the feature frame


def test_shared_features_drop_into_market_data():
    items, bar_times = random_case(10)
    result = sentiment_index(items, bar_times, half_life=2, no_news="fade")
    assert isinstance(result, SentimentIndex) and result.shared
    closes = pd.DataFrame({"AAA": np.linspace(100, 110, len(bar_times)), "BBB": 50.0}, index=bar_times)
    market = MarketData.from_frames(closes, result.features())
    feature = market.feature("sentiment")
    assert list(feature.columns) == ["AAA", "BBB"]
    np.testing.assert_array_equal(feature["AAA"], result.sentiment)
    np.testing.assert_array_equal(feature["BBB"], result.sentiment)


def test_per_symbol_features_drop_into_market_data():
    items, bar_times = random_case(11)
    result = sentiment_index(items, bar_times, symbols=["BBB", "AAA"], half_life=1)
    assert not result.shared
    closes = pd.DataFrame({"AAA": 100.0, "BBB": 50.0}, index=bar_times)
    feature = MarketData.from_frames(closes, result.features()).feature("sentiment")
    pd.testing.assert_frame_equal(feature, result.sentiment[["AAA", "BBB"]], check_names=False)


# ---------------------------------------------------------------- input checks


def _items(**changes):
    base = {"timestamp": pd.DatetimeIndex([BARS[0]]), "source": ["wire"], "symbol": ["AAA"], "score": [0.5]}
    base.update(changes)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("items", "kwargs", "field"),
    [
        ("not a frame", {}, "items"),
        (_items().drop(columns="score"), {}, "items.columns"),
        (_items().drop(columns="symbol"), {"symbols": ["AAA"]}, "items.columns"),
        (_items(timestamp=pd.DatetimeIndex(["2024-01-01"])), {}, "items['timestamp']"),
        (_items(timestamp=["not a time"]), {}, "items['timestamp']"),
        (_items(timestamp=pd.DatetimeIndex([pd.NaT], tz="UTC")), {}, "items['timestamp'] row 0"),
        (_items(source=[None]), {}, "items['source'] row 0"),
        (_items(source=[""]), {}, "items['source'] row 0"),
        (_items(symbol=[float("nan")]), {"symbols": ["AAA"]}, "items['symbol'] row 0"),
        (_items(score=[1.5]), {}, "items['score'] row 0"),
        (_items(score=[float("nan")]), {}, "items['score'] row 0"),
        (_items(score=["high"]), {}, "items['score'] row 0"),
        (_items(), {"weights": {"other": 1.0}}, "weights"),
        (_items(), {"weights": [1.0]}, "weights"),
        (_items(), {"weights": {"wire": -1.0}}, "weights['wire']"),
        (_items(), {"weights": {"wire": float("inf")}}, "weights['wire']"),
        (_items(), {"half_life": 0}, "half_life"),
        (_items(), {"half_life": -2.0}, "half_life"),
        (_items(), {"half_life": True}, "half_life"),
        (_items(), {"half_life": float("nan")}, "half_life"),
        (_items(), {"half_life": "soon"}, "half_life"),
        (_items(), {"half_life": "-1D"}, "half_life"),
        (_items(), {"half_life": [1]}, "half_life"),
        (_items(), {"no_news": "ffill"}, "no_news"),
        (_items(), {"no_news": "fade"}, "no_news"),
        (_items(), {"symbols": "AAA"}, "symbols"),
        (_items(), {"symbols": []}, "symbols"),
        (_items(), {"symbols": ["AAA", "AAA"]}, "symbols"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_names_the_field(items, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        sentiment_index(items, BARS, **kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("bars", "field"),
    [
        (BARS.tz_localize(None), "bars.index"),
        (BARS[::-1], "bars.index"),
        (BARS.append(BARS[-1:]), "bars.index"),
        (BARS[:0], "bars"),
        ([1, 2, 3], "bars"),
    ],
    ids=["naive", "unsorted", "duplicated", "empty", "list"],
)
def test_bad_bar_clock_names_the_field(bars, field):
    with pytest.raises(ValidationError) as caught:
        sentiment_index(_items(), bars)
    assert caught.value.field == field


def test_a_bar_frame_or_series_is_accepted_as_the_clock():
    frame = pd.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]}, index=BARS)
    expected = sentiment_index(_items(), BARS).sentiment
    pd.testing.assert_series_equal(sentiment_index(_items(), frame).sentiment, expected)
    pd.testing.assert_series_equal(sentiment_index(_items(), frame["close"]).sentiment, expected)


def test_reference_loop_is_not_trivially_zero():
    """Guard for the brute-force comparisons: the random cases exercise every branch."""
    items, bar_times = random_case(1)
    values = brute_force_index(items, bar_times, half_life=2.5, no_news="fade")
    assert sum(1 for v in values if v != 0) > len(values) // 2
    assert not math.isclose(min(values), max(values))
