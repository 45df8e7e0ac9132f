"""``qlab data``: list, load, validate and fetch market data."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from quantlib_local.cli._options import UTC_TIMESTAMP
from quantlib_local.config import Settings
from quantlib_local.exceptions import ValidationError


@click.group()
def data() -> None:
    """List, load, validate and fetch market data."""


@data.command("list")
@click.pass_obj
def list_command(settings: Settings) -> None:
    """List bundled datasets and the bars in the local exchange cache."""
    from quantlib_local.data import OHLCVCache, list_bundled

    click.echo("Bundled datasets (real data shipped with installed packages):")
    for dataset in list_bundled():
        click.echo(f"  {dataset.name:<8} {dataset.description}")
    entries = OHLCVCache(settings.data_dir / "ohlcv").entries()
    click.echo(f"Exchange cache ({settings.data_dir / 'ohlcv'}):")
    if entries.empty:
        click.echo("  empty (fill it with `qlab data fetch`)")
    for row in entries.itertuples(index=False):
        click.echo(f"  {row.exchange:<10} {row.symbol:<14} {row.timeframe:<4} {row.bars:>8} bars  {row.start} .. {row.end}")


@data.command("load")
@click.argument("source")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the bars to a .parquet or .csv file.")
@click.option("--rows", default=5, show_default=True, help="How many first and last rows to show.")
def load_command(source: str, out: Path | None, rows: int) -> None:
    """Load SOURCE (a bundled dataset name such as sp500, or a CSV/Parquet/JSON file) and show it."""
    from quantlib_local.data import validate_ohlcv

    report = validate_ohlcv(_load_source(source))
    frame = report.frame
    click.echo(f"{source}: {report.summary()}")
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        click.echo(pd.concat([frame.head(rows), frame.tail(rows)]).to_string())
    if out is not None:
        click.echo(f"wrote {_write_frame(frame, out)}")


@data.command("validate")
@click.argument("source")
@click.option("--bar-frequency", default=None, help="Expected spacing such as 1D or 5min (inferred by default).")
@click.option("--calendar", type=click.Choice(["24/7", "business"]), default=None, help="Which days bars are expected on.")
@click.option("--fill-gaps", is_flag=True, help="Insert missing bars (close carried forward, zero volume).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the validated (and filled) bars here.")
@click.option("--show-gaps", default=10, show_default=True, help="How many gaps to list.")
def validate_command(
    source: str, bar_frequency: str | None, calendar: str | None, fill_gaps: bool, out: Path | None, show_gaps: int
) -> None:
    """Check SOURCE against the OHLCV contract and report its gaps; exit 2 when it breaks the contract."""
    from quantlib_local.data import validate_ohlcv

    frame = _load_source(source)
    report = validate_ohlcv(frame, bar_frequency=bar_frequency, calendar=calendar, fill_gaps=fill_gaps)  # type: ignore[arg-type]
    click.echo(f"OK {source}: {report.summary()}")
    if len(report.gaps):
        click.echo(report.gaps.head(show_gaps).to_string(index=False))
        if len(report.gaps) > show_gaps:
            click.echo(f"... {len(report.gaps) - show_gaps} more gap(s)")
    if out is not None:
        click.echo(f"wrote {_write_frame(report.frame, out)}")


@data.command("fetch")
@click.argument("exchange")
@click.argument("symbol")
@click.argument("timeframe")
@click.option("--since", type=UTC_TIMESTAMP, required=True, help="First bar to fetch (UTC), e.g. 2024-01-01.")
@click.option("--until", type=UTC_TIMESTAMP, default=None, help="Stop before this time (UTC); default now.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Parquet cache directory (default: <data_dir>/ohlcv).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.pass_obj
def fetch_command(
    settings: Settings, exchange: str, symbol: str, timeframe: str, since: pd.Timestamp,
    until: pd.Timestamp | None, cache_dir: Path | None, no_progress: bool,
) -> None:
    """Fetch EXCHANGE SYMBOL TIMEFRAME bars through ccxt into the Parquet cache (only what is missing)."""
    from quantlib_local.data import cached_ohlcv

    credentials = settings.exchanges.get(exchange)
    frame = cached_ohlcv(
        exchange, symbol, timeframe, since, until,
        cache_root=cache_dir or settings.data_dir / "ohlcv",
        progress=not no_progress,
        exchange_options=credentials.as_ccxt_options() if credentials else None,
    )
    click.echo(f"{exchange} {symbol} {timeframe}: {len(frame)} bars" + (f", {frame.index[0]} .. {frame.index[-1]}" if len(frame) else ""))


def _load_source(source: str) -> pd.DataFrame:
    """A bundled dataset by name, or a file read and normalised but not yet validated."""
    from quantlib_local.data import BUNDLED_DATASETS, load_bundled
    from quantlib_local.data.files import read_ohlcv_unvalidated

    name = source.removeprefix("bundled:")
    if name in BUNDLED_DATASETS:
        return load_bundled(name)
    if source.startswith("bundled:"):
        raise ValidationError("source", source, f"choose one of {sorted(BUNDLED_DATASETS)}")
    return read_ohlcv_unvalidated(source)


def _write_frame(frame: pd.DataFrame, out: Path) -> Path:
    from quantlib_local._atomic import atomic_write

    suffix = out.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return atomic_write(out, lambda tmp: frame.to_parquet(tmp))
    if suffix == ".csv":
        return atomic_write(out, lambda tmp: frame.to_csv(tmp))
    raise ValidationError("out", str(out), "use a .parquet or .csv file name")
