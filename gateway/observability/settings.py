"""Operations settings from the environment (``LOOPGATE_*``); OpenTelemetry reads its own
standard ``OTEL_*`` variables (:mod:`gateway.observability.tracing`)."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ObservabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOOPGATE_", extra="ignore")

    log_format: Literal["text", "json"] = Field(
        default="text", description="text for a terminal, json (one object a line) for "
                                    "log collectors")
    access_log: bool = Field(default=False, description="uvicorn's line per HTTP request")
    metrics: bool = Field(default=True, description="serve Prometheus metrics at /metrics")
    metrics_operation_names: int = Field(
        default=200, ge=1, le=10_000,
        description="distinct operation names given their own metric label; later ones are "
                    "counted as 'other' (clients choose names: this bounds the series)")
    shutdown_delay_s: float = Field(
        default=0.0, ge=0, le=300,
        description="on SIGTERM, how long to keep accepting (answering 503, /readyz 503) "
                    "before closing the listener, so a proxy sees the gateway leave first")
