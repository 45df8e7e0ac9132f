"""Nightly research jobs (issue [5/8]): YAML job manifests and the runner that executes
parameterised notebooks with papermill and publishes ``reports/``.

This package imports ``quantlib_local`` and adds ``qlab nightly`` through the
``qlab.commands`` entry-point group; the package never imports it.
"""
