"""Configuration from the environment (DESIGN.md §3a); CLI flags override it."""

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from auth.ratelimit import RateLimits
from gateway.limits.settings import OperationLimits
from schema.kernel.sandbox import SANDBOX_SUFFIX


class Settings(BaseSettings):
    """``LOOPGATE_*`` environment variables with the documented defaults."""

    model_config = SettingsConfigDict(env_prefix="LOOPGATE_", extra="ignore")

    mongodb_uri: str | None = Field(
        default=None, description="unset: use (or start) the embedded FerretDB"
    )
    db: str = "loopgate"
    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    state_dir: Path = Path("~/.local/state/loopgate").expanduser()
    cache_dir: Path = Path("~/.cache/loopgate").expanduser()
    issuer: str | None = Field(default=None, description="public base URL; default http://HOST:PORT")
    workers: int = Field(default=1, ge=1, le=64,
                         description="uvicorn worker processes of `loopgate serve`")
    embedded_port: int = Field(default=27117, ge=1, le=65535,
                               description="port of the embedded FerretDB on 127.0.0.1")
    mongodb_timeout_ms: int = Field(default=5000, ge=100)
    event_retention_days: int = Field(
        default=30, ge=1,
        description="how long events are kept; the events sweep reads it from the environment "
                    "(schema/kernel/events.py), this checks it")
    cors_origins: list[str] = Field(default_factory=list)
    demo_stock_stores: int = Field(default=2000, ge=0, le=2000,
                                   description="demo stores that get stock rows (500 each)")
    sync_max_future_seconds: int = Field(
        default=300, ge=0, le=366 * 24 * 3600,
        description="how far ahead of the server clock an ERP occurredAt may be; the catalog "
                    "reads it from the environment (schema/catalog/clock.py), this checks it")
    limits: OperationLimits = Field(
        default_factory=OperationLimits,
        description='operation limits of /graphql (JSON), e.g. {"cost": 20000, "depth": 20}')
    rate_limits: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='OAuth rate-limit overrides (JSON), e.g. '
                    '{"token": {"per_client": "120/minute"}}')

    @field_validator("db")
    @classmethod
    def _not_a_sandbox_name(cls, value: str) -> str:
        if value.endswith(SANDBOX_SUFFIX):
            raise ValueError(f"must not end with {SANDBOX_SUFFIX!r}: sandbox tokens use "
                             f"'{value}{SANDBOX_SUFFIX}' beside it; name the live database")
        return value

    @field_validator("rate_limits")
    @classmethod
    def _known_rate_limits(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        RateLimits().with_overrides(value)   # refuses unknown names and unparsable limits now
        return value

    @property
    def oauth_rate_limits(self) -> RateLimits:
        return RateLimits().with_overrides(self.rate_limits)

    @property
    def public_issuer(self) -> str:
        return self.issuer or f"http://{self.host}:{self.port}"
