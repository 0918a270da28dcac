"""What the server log carries: uvicorn's own lines and Loopgate's, as text or JSON.

uvicorn configures only its own loggers, so without this the records of Loopgate's packages
at INFO (a new member's sign-in code, the sandbox demo loading, a payment handler to be
retried) reached no handler and were dropped. :func:`log_config` is uvicorn's configuration
with Loopgate's package loggers sent to the same stderr handler. Every handler carries the
request id filter (:mod:`gateway.observability.request_id`); ``LOOPGATE_LOG_FORMAT=json``
swaps both formatters, uvicorn's access lines included, for one JSON object a line.
"""

import copy
from typing import Any, Literal

from uvicorn.config import LOGGING_CONFIG

from gateway.observability.settings import ObservabilitySettings

PACKAGES = ("loopgate", "gateway", "schema", "auth", "partners")

LogFormat = Literal["text", "json"]


def log_config(level: str = "INFO", log_format: LogFormat | None = None) -> dict[str, Any]:
    """uvicorn's logging configuration plus Loopgate's loggers at ``level``, in
    ``log_format`` (default: ``LOOPGATE_LOG_FORMAT``, text)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    log_format = log_format or ObservabilitySettings().log_format
    config["filters"] = {"request_id": {"()": "gateway.observability.request_id.RequestIdFilter"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["request_id"]
    if log_format == "json":
        json_formatter = {"()": "gateway.observability.json_logs.JsonFormatter"}
        config["formatters"] = {"default": json_formatter, "access": dict(json_formatter)}
    for name in PACKAGES:
        config["loggers"][name] = {"handlers": ["default"], "level": level, "propagate": False}
    return config
