"""``qlab backtest`` and ``qlab promote``: research runs and the promotion gate from the shell."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
import pandas as pd
import yaml

from quantlib_local.cli._store import store_engine
from quantlib_local.config import Settings
from quantlib_local.exceptions import ValidationError

logger = logging.getLogger(__name__)
EXIT_GATE_FAILED = 1


def _parse_value(text: str) -> Any:
    """A command-line value as YAML reads it: 10 -> int, 0.5 -> float, true -> bool, else str."""
    return yaml.safe_load(text)


def parse_assignments(items: tuple[str, ...], option: str, *, many: bool) -> dict[str, Any]:
    """``("fast=10", "slow=20,40")`` as ``{"fast": 10, ...}``; with ``many`` every value is a list."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name or not text:
            raise ValidationError(option, item, f"write {option} NAME=VALUE" + ("[,VALUE...] or NAME=LOW:HIGH:STEP"
                                                                             if many else ""))
        if many and text.count(":") == 2:
            low, high, step = (_parse_value(part) for part in text.split(":"))
            if not all(isinstance(v, int) for v in (low, high, step)) or step < 1:
                raise ValidationError(option, item, "use whole numbers LOW:HIGH:STEP with STEP >= 1")
            out[name] = list(range(low, high + 1, step))
        elif many:
            out[name] = [_parse_value(part) for part in text.split(",")]
        else:
            out[name] = _parse_value(text)
    return out


def load_bars(sources: tuple[str, ...]) -> pd.DataFrame:
    """Bars from bundled datasets or files: one source as is, several as a many-asset frame."""
    from quantlib_local.data import BUNDLED_DATASETS, combine_assets, load_bundled, load_ohlcv, load_price_table

    if not sources:
        raise ValidationError("--data", None, f"give a file or a bundled dataset ({sorted(BUNDLED_DATASETS)})")
    frames: dict[str, pd.DataFrame] = {}
    for source in sources:
        name = source.removeprefix("bundled:")
        if name in BUNDLED_DATASETS:
            frames[name] = load_bundled(name)
            continue
        try:
            frames[Path(source).stem] = load_ohlcv(source)
        except ValidationError:
            if len(sources) > 1:
                raise
            try:
                return load_price_table(source)  # a wide table of closes (one column per symbol)
            except ValidationError:
                pass
            raise
    if len(frames) == 1:
        return next(iter(frames.values()))
    return combine_assets(frames)


def _config(fees: float, slippage: float, init_cash: float, stop_loss: float | None, take_profit: float | None,
            trailing: bool, sizing: str, fraction: float) -> Any:
    from quantlib_local.backtest import BacktestConfig, FixedFraction, FractionalKelly, VolatilityTargetSizing

    chosen = {"fixed": FixedFraction(fraction), "kelly": FractionalKelly(), "vol": VolatilityTargetSizing()}[sizing]
    return BacktestConfig(init_cash=init_cash, fees=fees, slippage=slippage, stop_loss=stop_loss,
                          take_profit=take_profit, trailing_stop=trailing, sizing=chosen)


def _common(function: Any) -> Any:
    options = [
        click.argument("strategy"),
        click.option("--data", "sources", multiple=True, required=True,
                     help="A bars file (CSV/Parquet/Feather/JSON), a table of closes, or a bundled dataset; "
                          "repeat for many assets."),
        click.option("--param", "params", multiple=True, help="Strategy parameter NAME=VALUE (repeatable)."),
        click.option("--fees", default=0.001, show_default=True, help="Proportional fee per trade."),
        click.option("--slippage", default=0.0, show_default=True, help="Proportional slippage on market fills."),
        click.option("--init-cash", default=100_000.0, show_default=True, help="Starting cash."),
        click.option("--stop-loss", type=float, default=None, help="Stop loss as a fraction of the entry price."),
        click.option("--take-profit", type=float, default=None, help="Take profit as a fraction of the entry price."),
        click.option("--trailing", is_flag=True, help="Make the stop loss trail."),
        click.option("--sizing", type=click.Choice(["fixed", "kelly", "vol"]), default="fixed", show_default=True,
                     help="Fixed fraction, fractional Kelly (0.25) or volatility target (15%)."),
        click.option("--fraction", default=1.0, show_default=True, help="Fixed fraction of available cash per entry."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.command("backtest")
@_common
@click.option("--tearsheet", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write an HTML tearsheet here.")
@click.option("--record/--no-record", default=True, show_default=True, help="Record the run in the SQL store.")
@click.pass_obj
def backtest(settings: Settings, strategy: str, sources: tuple[str, ...], params: tuple[str, ...], fees: float,
             slippage: float, init_cash: float, stop_loss: float | None, take_profit: float | None, trailing: bool,
             sizing: str, fraction: float, tearsheet: Path | None, record: bool) -> None:
    """Backtest STRATEGY (a registered name or module:Class) and print its table-1 metrics."""
    from quantlib_local.backtest import TABLE1_TARGETS, run_backtest
    from quantlib_local.strategies import resolve_strategy

    instance = resolve_strategy(strategy).from_params(parse_assignments(params, "--param", many=False))
    config = _config(fees, slippage, init_cash, stop_loss, take_profit, trailing, sizing, fraction)
    result = run_backtest(instance, load_bars(sources), config)
    click.echo(repr(result))
    click.echo(result.table1().to_string(float_format=lambda v: f"{v:.4f}"))
    if tearsheet is not None:
        from quantlib_local.reporting import write_backtest_tearsheet

        click.echo(f"tearsheet: {write_backtest_tearsheet(result, tearsheet, targets=TABLE1_TARGETS).resolve()}")
    if record:
        from quantlib_local.backtest.recording import record_backtest
        from quantlib_local.storage import session_scope

        with session_scope(store_engine(settings)) as session:
            run = record_backtest(session, result)
        click.echo(f"recorded run {run.run_id} in {settings.display_database_url}")


@click.command("promote")
@_common
@click.option("--grid", "grid_items", multiple=True,
              help="Values to sweep: NAME=V1,V2,... or NAME=LOW:HIGH:STEP (repeatable; default: declared space).")
@click.option("--train-bars", type=int, required=True, help="Bars in each walk-forward training window.")
@click.option("--test-bars", type=int, required=True, help="Bars in each out-of-sample window.")
@click.option("--mode", type=click.Choice(["rolling", "expanding"]), default="rolling", show_default=True)
@click.option("--threshold", "thresholds", multiple=True,
              help="Gate threshold NAME=VALUE overriding settings and defaults, e.g. min_sharpe=1.0 (none = off).")
@click.option("--name", "deployment_name", default=None, help="Manifest file stem (default: the strategy name).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the manifest (default: settings strategies_dir, live/strategies).")
@click.option("--max-memory-gb", default=4.0, show_default=True, help="Memory budget of each sweep.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
@click.pass_obj
def promote(settings: Settings, strategy: str, sources: tuple[str, ...], params: tuple[str, ...], fees: float,
            slippage: float, init_cash: float, stop_loss: float | None, take_profit: float | None, trailing: bool,
            sizing: str, fraction: float, grid_items: tuple[str, ...], train_bars: int, test_bars: int, mode: str,
            thresholds: tuple[str, ...], deployment_name: str | None, out_dir: Path | None, max_memory_gb: float,
            no_progress: bool) -> None:
    """Walk-forward STRATEGY, check the promotion gate, and write its manifest if it passes.

    Exits 0 with the manifest path when every threshold passes; exits 1 with a report of
    each failed threshold (and by how much) otherwise, writing nothing.
    """
    from quantlib_local.backtest import GateThresholds
    from quantlib_local.backtest import promote as run_promotion
    from quantlib_local.strategies import resolve_strategy

    instance = resolve_strategy(strategy).from_params(parse_assignments(params, "--param", many=False))
    overrides = {**settings.gate, **parse_assignments(thresholds, "--threshold", many=False)}
    gate = GateThresholds.from_mapping({k: (None if v in ("none", "off") else v) for k, v in overrides.items()})
    outcome = run_promotion(
        instance, load_bars(sources), parse_assignments(grid_items, "--grid", many=True) or None,
        train_bars=train_bars, test_bars=test_bars, mode=mode,  # type: ignore[arg-type]
        config=_config(fees, slippage, init_cash, stop_loss, take_profit, trailing, sizing, fraction),
        thresholds=gate, data_source=", ".join(sources), output_dir=out_dir or settings.strategies_dir,
        deployment_name=deployment_name, max_memory_gb=max_memory_gb, progress=not no_progress,
    )
    click.echo(outcome.verdict.report())
    if not outcome.passed:
        click.echo("nothing written: the strategy did not earn promotion", err=True)
        click.get_current_context().exit(EXIT_GATE_FAILED)
    click.echo(f"manifest: {outcome.manifest_path.resolve()}")  # type: ignore[union-attr]
