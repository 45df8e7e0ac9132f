"""The process around a deployed strategy (issue [6/8]): runner loop, start-up
reconciliation, kill-switch wiring, REST API and metrics, approved-strategy manifests
(``live/strategies/``) and deployment files.

Everything that can be tested offline (order ids, error mapping, paper exchange, guards,
ledger models) lives in ``quantlib_local``; this package imports it, never the reverse,
and adds ``qlab`` subcommands through the ``qlab.commands`` entry-point group.
"""
