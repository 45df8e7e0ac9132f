"""Settings: YAML plus environment, secrets only from the environment and never shown."""

from __future__ import annotations

import logging

import pytest

from quantlib_local.config import SecretRedactingFilter, load_settings, secret_values
from quantlib_local.exceptions import ConfigError


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("QLAB_"):
            monkeypatch.delenv(name)


def test_defaults():
    settings = load_settings()
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith(".qlab/qlab.sqlite")
    assert settings.log_level == "INFO"


def test_yaml_then_environment_precedence(tmp_path, monkeypatch):
    (tmp_path / "qlab.yaml").write_text("log_level: debug\nreports_dir: out\nexchanges:\n  binance:\n    sandbox: true\n")
    settings = load_settings()
    assert settings.log_level == "DEBUG" and str(settings.reports_dir) == "out"
    assert settings.exchanges["binance"].sandbox is True
    monkeypatch.setenv("QLAB_LOG_LEVEL", "warning")
    assert load_settings().log_level == "WARNING"
    assert load_settings(log_level="ERROR").log_level == "ERROR"


def test_explicit_config_path(tmp_path, monkeypatch):
    path = tmp_path / "elsewhere.yaml"
    path.write_text("data_dir: /tmp/qlab-data\n")
    monkeypatch.setenv("QLAB_CONFIG", str(path))
    assert str(load_settings().data_dir) == "/tmp/qlab-data"
    monkeypatch.setenv("QLAB_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="QLAB_CONFIG"):
        load_settings()


@pytest.mark.parametrize("yaml_text,env_name", [
    ("exchanges:\n  binance:\n    api_key: abc\n", "QLAB_EXCHANGES__BINANCE__API_KEY"),
    ("exchanges:\n  kraken:\n    secret: s3cr3t\n", "QLAB_EXCHANGES__KRAKEN__SECRET"),
    ("database_password: hunter2\n", "QLAB_DATABASE_PASSWORD"),
])
def test_secrets_in_yaml_are_refused(tmp_path, yaml_text, env_name):
    (tmp_path / "qlab.yaml").write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert env_name in message
    assert "abc" not in message and "s3cr3t" not in message and "hunter2" not in message


def test_password_in_yaml_database_url_is_refused(tmp_path):
    (tmp_path / "qlab.yaml").write_text("database_url: postgresql://user:hunter2@db/qlab\n")
    with pytest.raises(ConfigError, match="QLAB_DATABASE_PASSWORD") as info:
        load_settings()
    assert "hunter2" not in str(info.value)


def test_secrets_from_environment_are_redacted(monkeypatch, caplog):
    monkeypatch.setenv("QLAB_EXCHANGES__BINANCE__API_KEY", "key-123")
    monkeypatch.setenv("QLAB_EXCHANGES__BINANCE__SECRET", "secret-456")
    monkeypatch.setenv("QLAB_DATABASE_URL", "postgresql+psycopg://trader@db.example/qlab")
    monkeypatch.setenv("QLAB_DATABASE_PASSWORD", "pw-789")
    settings = load_settings()
    assert settings.exchanges["binance"].as_ccxt_options() == {"apiKey": "key-123", "secret": "secret-456"}
    assert "pw-789" in settings.resolved_database_url
    shown = repr(settings) + str(settings) + settings.display_database_url
    for secret in ("key-123", "secret-456", "pw-789"):
        assert secret not in shown
    logger = logging.getLogger("test.redaction")
    logger.addFilter(SecretRedactingFilter(secret_values(settings)))
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("connecting with %s and %s", "key-123", settings.resolved_database_url)
    assert "key-123" not in caplog.text and "pw-789" not in caplog.text and "**********" in caplog.text


def test_bad_values_name_the_field(tmp_path):
    (tmp_path / "qlab.yaml").write_text("log_level: LOUD\n")
    with pytest.raises(ConfigError, match="log_level"):
        load_settings()
    (tmp_path / "qlab.yaml").write_text("colour: blue\n")
    with pytest.raises(ConfigError, match="colour"):
        load_settings()
    (tmp_path / "qlab.yaml").write_text("- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings()


def test_gate_thresholds_and_strategies_dir_come_from_the_environment(monkeypatch) -> None:
    from quantlib_local.config import load_settings

    monkeypatch.setenv("QLAB_GATE__MIN_SHARPE", "1.0")
    monkeypatch.setenv("QLAB_STRATEGIES_DIR", "/tmp/approved")
    settings = load_settings()
    assert settings.gate == {"min_sharpe": 1.0}
    assert str(settings.strategies_dir) == "/tmp/approved"
