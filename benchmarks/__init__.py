"""Benchmarks run by ``make bench``; results go to ``benchmarks/RESULTS.md``.

Each ``bench_*.py`` module defines ``run(quick: bool = False) -> str`` returning one
Markdown section (a ``##`` heading, a short description, and a table). Timings on shared
machines are noisy, so sections report medians of repeated runs and ratios against the
reference tool run in the same process, never bare seconds alone.
"""
