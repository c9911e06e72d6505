"""Configuration from the environment and an optional regiebot.toml (pydantic-settings)."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from storage.settings import default_database_url

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KB_DIR = REPO_ROOT / "data"


def _config_file() -> Path:
    return Path(os.environ.get("REGIEBOT_CONFIG", "regiebot.toml"))


def _id_list(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        items: list[object] = [v for v in value.replace(";", ",").split(",") if v.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError("expected comma-separated Telegram user ids")
    try:
        return [int(str(v).strip()) for v in items]
    except ValueError:
        raise ValueError("expected comma-separated Telegram user ids (numbers)") from None


class Settings(BaseSettings):
    """Every setting, with the environment variable that sets it."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    telegram_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BASE_URL", "telegram_base_url")
    )
    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
    )
    allowed_users: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("REGIEBOT_ALLOWED_USERS", "allowed_users"),
    )
    admins: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("REGIEBOT_ADMINS", "admins")
    )
    timezone: str = Field(
        default="Europe/Brussels", validation_alias=AliasChoices("REGIEBOT_TIMEZONE", "timezone")
    )
    log_level: str = Field(
        default="INFO", validation_alias=AliasChoices("REGIEBOT_LOG_LEVEL", "log_level")
    )
    kb_dir: Path = Field(
        default=DEFAULT_KB_DIR, validation_alias=AliasChoices("REGIEBOT_KB_DIR", "kb_dir")
    )
    # Webhook mode (long polling when webhook_url is unset).
    webhook_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REGIEBOT_WEBHOOK_URL", "webhook_url")
    )
    webhook_listen: str = Field(
        default="0.0.0.0",
        validation_alias=AliasChoices("REGIEBOT_WEBHOOK_LISTEN", "webhook_listen"),
    )
    webhook_port: int = Field(
        default=8443,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("REGIEBOT_WEBHOOK_PORT", "webhook_port"),
    )
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("REGIEBOT_WEBHOOK_SECRET", "webhook_secret")
    )
    # Reminders (issue 6): daily sweep time, quiet hours, and the re-remind interval.
    reminder_time: dt.time = Field(
        default=dt.time(9, 0),
        validation_alias=AliasChoices("REGIEBOT_REMINDER_TIME", "reminder_time"),
    )
    quiet_start: dt.time = Field(
        default=dt.time(20, 0),
        validation_alias=AliasChoices("REGIEBOT_QUIET_START", "quiet_start"),
    )
    quiet_end: dt.time = Field(
        default=dt.time(8, 0), validation_alias=AliasChoices("REGIEBOT_QUIET_END", "quiet_end")
    )
    remind_every_days: int = Field(
        default=7,
        ge=1,
        le=366,
        validation_alias=AliasChoices("REGIEBOT_REMIND_EVERY_DAYS", "remind_every_days"),
    )
    grace_days: int = Field(
        default=30,
        ge=0,
        le=365,
        validation_alias=AliasChoices("REGIEBOT_GRACE_DAYS", "grace_days"),
    )

    @field_validator("allowed_users", "admins", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> list[int]:
        return _id_list(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over regiebot.toml, which wins over the defaults.
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
