"""The SQL store: SQLAlchemy models, engines and sessions, Alembic migrations, repository.

Typical use::

    from quantlib_local.storage import upgrade_database, open_database, session_scope, record_order_intent

    upgrade_database("sqlite:///data/qlab.db")          # once per new version (`qlab db upgrade`)
    engine = open_database("sqlite:///data/qlab.db")    # refuses a database that is not migrated
    with session_scope(engine) as session:
        record_order_intent(session, order, deployment="btc-trend-paper")

PostgreSQL works the same with ``postgresql+psycopg://user:password@host:5432/qlab``.
Higher layers get dataclasses and DataFrames from the ledger, run-record and nightly-run functions,
never rows.
"""

from quantlib_local.storage.column_types import Float64, UTCDateTime, utc_now
from quantlib_local.storage.engine import (
    UPGRADE_COMMAND,
    create_engine_for,
    redact_url,
    session_scope,
)
from quantlib_local.storage.ledger import (
    load_deployments,
    load_equity_curve,
    load_fills,
    load_instruments,
    load_orders,
    load_positions,
    record_equity_snapshot,
    record_fill,
    record_order_intent,
    update_order_status,
    upsert_instrument,
    upsert_position,
)
from quantlib_local.storage.migrate import (
    current_revision,
    downgrade_database,
    head_revision,
    open_database,
    require_current_schema,
    upgrade_database,
)
from quantlib_local.storage.models import (
    ArbitrageOpportunityRow,
    BacktestRunRow,
    Base,
    EquitySnapshotRow,
    FillRow,
    GuardCheckRow,
    InstrumentRow,
    NightlyRunRow,
    OrderRow,
    PositionRow,
)
from quantlib_local.storage.monitoring import (
    load_guard_checks,
    load_guard_status,
    load_opportunities,
    record_guard_checks,
    record_opportunities,
)
from quantlib_local.storage.nightly_runs import load_nightly_runs, nightly_runs_frame, record_nightly_run
from quantlib_local.storage.records import BacktestRun, JobStatus, NightlyRun, RunStatus
from quantlib_local.storage.run_records import (
    finish_backtest_run,
    load_backtest_run,
    load_backtest_runs,
    record_backtest_run,
    records_frame,
)

__all__ = [
    "ArbitrageOpportunityRow",
    "GuardCheckRow",
    "load_guard_checks",
    "load_guard_status",
    "load_opportunities",
    "record_guard_checks",
    "record_opportunities",
    "BacktestRun",
    "BacktestRunRow",
    "Base",
    "EquitySnapshotRow",
    "FillRow",
    "Float64",
    "InstrumentRow",
    "JobStatus",
    "NightlyRun",
    "NightlyRunRow",
    "OrderRow",
    "PositionRow",
    "RunStatus",
    "UPGRADE_COMMAND",
    "UTCDateTime",
    "create_engine_for",
    "current_revision",
    "downgrade_database",
    "finish_backtest_run",
    "head_revision",
    "load_backtest_run",
    "load_backtest_runs",
    "load_equity_curve",
    "load_fills",
    "load_instruments",
    "load_nightly_runs",
    "load_orders",
    "load_deployments",
    "load_positions",
    "nightly_runs_frame",
    "open_database",
    "record_backtest_run",
    "record_equity_snapshot",
    "record_fill",
    "record_nightly_run",
    "record_order_intent",
    "records_frame",
    "redact_url",
    "require_current_schema",
    "session_scope",
    "update_order_status",
    "upsert_instrument",
    "upgrade_database",
    "upsert_position",
    "utc_now",
]
