"""``qlab demo``: the main job on embedded data."""

from __future__ import annotations

from pathlib import Path

import click

from quantlib_local.config import Settings


@click.command()
@click.option("--dataset", default="sp500", show_default=True, help="Bundled dataset to research (see `qlab data list`).")
@click.option("--benchmark", default="nasdaq", show_default=True, help="Bundled dataset used as the benchmark for beta.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to publish (default: <reports_dir>/research).")
@click.pass_obj
def demo(settings: Settings, dataset: str, benchmark: str, out_dir: Path | None) -> None:
    """Run the research summary on bundled real data and publish an HTML report.

    Loads the bundled dataset (real S&P 500 bars shipped inside the arch package),
    computes indicators and risk metrics, and writes ``research_summary.html`` with its
    plots. Prints the path of every output.
    """
    from quantlib_local.reporting.research_summary import publish_research_summary

    outputs = publish_research_summary(dataset, benchmark=benchmark, out_dir=out_dir or settings.reports_dir / "research")
    click.echo("Research summary on bundled real data (not synthetic):")
    for label, path in outputs.items():
        click.echo(f"  {label:<8} {path.resolve()}")
