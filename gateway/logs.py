"""What the server log carries: uvicorn's own lines and Loopgate's.

uvicorn configures only its own loggers, so without this the records of Loopgate's packages
at INFO (a new member's sign-in code, the sandbox demo loading, a payment handler to be
retried) reached no handler and were dropped. :func:`log_config` is uvicorn's configuration
with Loopgate's package loggers sent to the same stderr handler.
"""

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG

PACKAGES = ("loopgate", "gateway", "schema", "auth", "partners")


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging configuration plus Loopgate's loggers at ``level``."""
    config = copy.deepcopy(LOGGING_CONFIG)
    for name in PACKAGES:
        config["loggers"][name] = {"handlers": ["default"], "level": level, "propagate": False}
    return config
