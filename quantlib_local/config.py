"""Typed settings from a YAML file plus environment variables.

Precedence (highest first): keyword arguments, environment variables (prefix ``QLAB_``,
nested fields joined by ``__``, e.g. ``QLAB_EXCHANGES__BINANCE__API_KEY``), the YAML
file, then defaults. The YAML file is ``$QLAB_CONFIG`` when set, else ``qlab.yaml`` in
the working directory when present.

Secrets (exchange keys, the database password) are read only from the environment: a
YAML file that contains one is refused with an error saying which environment variable
to use instead. Secrets are :class:`pydantic.SecretStr`, so ``repr`` and logs show
``**********``; the database URL is shown with its password masked.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from quantlib_local.exceptions import ConfigError

logger = logging.getLogger(__name__)

ENV_PREFIX = "QLAB_"
DEFAULT_CONFIG_FILE = "qlab.yaml"
SECRET_FIELDS = ("api_key", "secret", "password", "uid", "private_key")


class ExchangeCredentials(BaseModel):
    """API credentials of one venue; every field comes from the environment only."""

    api_key: SecretStr | None = None
    secret: SecretStr | None = None
    password: SecretStr | None = None
    uid: SecretStr | None = None
    sandbox: bool = False

    def as_ccxt_options(self) -> dict[str, Any]:
        """The keyword arguments ccxt exchange constructors take (secrets revealed: never log this)."""
        options: dict[str, Any] = {}
        for name, ccxt_name in (("api_key", "apiKey"), ("secret", "secret"), ("password", "password"), ("uid", "uid")):
            value = getattr(self, name)
            if value is not None:
                options[ccxt_name] = value.get_secret_value()
        return options


class Settings(BaseSettings):
    """Settings of the workbench.

    Attributes
    ----------
    data_dir
        Where caches (Parquet bars) and the default SQLite store live.
    reports_dir
        Where jobs publish reports.
    database_url
        Any SQLAlchemy URL; defaults to ``sqlite:///<data_dir>/qlab.sqlite``. A password
        must come from ``QLAB_DATABASE_PASSWORD``, never from the YAML file.
    log_level
        Logging level name.
    exchanges
        Credentials per venue id, from ``QLAB_EXCHANGES__<VENUE>__API_KEY`` and friends.
    strategies_dir
        Where ``qlab promote`` writes approved-strategy manifests.
    gate
        Promotion-gate thresholds overriding the design defaults, e.g. ``{"min_sharpe": 1.0}``
        (see :class:`quantlib_local.backtest.GateThresholds`; checked when used).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Path(".qlab")
    reports_dir: Path = Path("reports")
    database_url: str | None = None
    database_password: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    exchanges: dict[str, ExchangeCredentials] = Field(default_factory=dict)
    strategies_dir: Path = Path("live/strategies")
    gate: dict[str, float | None] = Field(default_factory=dict)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def resolved_database_url(self) -> str:
        """The database URL to connect with (password inserted from the environment)."""
        from sqlalchemy.engine import make_url

        if self.database_url is None:
            return f"sqlite:///{(self.data_dir / 'qlab.sqlite').as_posix()}"
        url = make_url(self.database_url)
        if self.database_password is not None:
            url = url.set(password=self.database_password.get_secret_value())
        return url.render_as_string(hide_password=False)

    @property
    def display_database_url(self) -> str:
        """The database URL with any password masked, for logs and messages."""
        from sqlalchemy.engine import make_url

        return make_url(self.resolved_database_url).render_as_string(hide_password=True)

    def __repr_args__(self):  # type: ignore[no-untyped-def]
        for name, value in super().__repr_args__():
            yield (name, self.display_database_url if name == "database_url" and value else value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls))


class _YamlSource(PydanticBaseSettingsSource):
    """Reads the YAML file and refuses secrets in it."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _config_path()
        if path is None:
            return {}
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise ConfigError("config file", str(path), "fix the YAML syntax", detail=str(error).splitlines()[0]) from None
        if not isinstance(data, dict):
            raise ConfigError("config file", str(path), "the top level must be a mapping of setting: value")
        _refuse_secrets(data, path)
        return data


def _config_path() -> Path | None:
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{ENV_PREFIX}CONFIG", explicit, "point it at an existing YAML file or unset it")
        return path
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def _refuse_secrets(data: dict[str, Any], path: Path, trail: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        here = (*trail, str(key))
        if isinstance(value, dict):
            _refuse_secrets(value, path, here)
            continue
        is_secret = str(key).lower() in SECRET_FIELDS or (here == ("database_password",))
        if is_secret and value not in (None, ""):
            env = ENV_PREFIX + "__".join(here).upper()
            raise ConfigError(".".join(here), "**********", f"remove it from {path} and set the environment variable {env}",
                              detail="secrets are read only from the environment")
        if here == ("database_url",) and isinstance(value, str) and re.search(r"://[^/@:]+:[^/@]+@", value):
            raise ConfigError("database_url", re.sub(r"(://[^/@:]+:)[^/@]+@", r"\1***@", value),
                              f"remove the password from {path} and set {ENV_PREFIX}DATABASE_PASSWORD",
                              detail="secrets are read only from the environment")


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning pydantic's errors into a :class:`ConfigError` that names the field."""
    try:
        return Settings(**overrides)
    except PydanticValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(field, first.get("input"), f"{first['msg']}; see `qlab --help` and README 'Configuration'") from None


class SecretRedactingFilter(logging.Filter):
    """A logging filter that masks the given secret values in every record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            for secret in self._secrets:
                message = message.replace(secret, "**********")
            record.msg, record.args = message, ()
        return True


def secret_values(settings: Settings) -> list[str]:
    """Every secret held by ``settings``, for :class:`SecretRedactingFilter`."""
    values = [settings.database_password.get_secret_value()] if settings.database_password else []
    for credentials in settings.exchanges.values():
        for name in ("api_key", "secret", "password", "uid"):
            secret = getattr(credentials, name)
            if secret is not None:
                values.append(secret.get_secret_value())
    return values
