"""Run every ``benchmarks/bench_*.py`` and write ``benchmarks/RESULTS.md``.

Usage: ``python -m benchmarks [--quick] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", default=None, help="module names such as bench_indicators")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="where to write the results")
    args = parser.parse_args(argv)

    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            print(f"--only={unknown} not found. Fix: choose from {names}", file=sys.stderr)
            return 2
        names = [n for n in names if n in args.only]

    sections = []
    for name in names:
        print(f"running {name} ...", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        sections.append(module.run(quick=args.quick))

    if args.only and args.output.is_file():
        sections = _merge_sections(args.output.read_text(), sections)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` on {stamp}; Python {platform.python_version()}, "
        f"{platform.machine()}, {_cpu_count()} cores{' (quick sizes)' if args.quick else ''}.\n"
        "Every figure is a median of repeated runs; speed is given as a ratio against the reference\n"
        "tool run in the same process (above 1x means ours is faster), because the machines are shared and noisy.\n"
    )
    args.output.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"wrote {args.output}")
    return 0


def _merge_sections(previous: str, fresh: list[str]) -> list[str]:
    """Keep the sections of ``previous`` that ``fresh`` does not replace (matched by ``##`` heading)."""
    old = ["## " + part.strip() for part in previous.split("\n## ")[1:]]
    fresh_titles = {section.splitlines()[0] for section in fresh}
    kept = [section for section in old if section.splitlines()[0] not in fresh_titles]
    order = {section.splitlines()[0]: i for i, section in enumerate(old)}
    return sorted(kept + fresh, key=lambda section: order.get(section.splitlines()[0], len(order)))


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
