"""The server log carries Loopgate's own records, not only uvicorn's (run in a child process,
so this test's logging configuration does not leak into the others')."""

import subprocess
import sys

from gateway.logs import log_config

CHILD = """
import logging, logging.config
from gateway.logs import log_config
logging.config.dictConfig(log_config())
logging.getLogger("loopgate.members").info("sign-in code for +86 138****0000: 12345678")
logging.getLogger("schema.payments.lifecycle").info("a payment record")
logging.getLogger("elsewhere").info("not ours")
"""


def test_loopgate_records_at_info_reach_the_server_log() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "sign-in code for +86 138****0000: 12345678" in done.stderr
    assert "a payment record" in done.stderr
    assert "not ours" not in done.stderr


def test_the_gateway_alone_logs_from_warning() -> None:
    config = log_config("WARNING")
    assert config["loggers"]["loopgate"]["level"] == "WARNING"
    assert config["loggers"]["uvicorn"]["handlers"] == ["default"]
