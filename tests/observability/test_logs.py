"""JSON logs: one object a line with the request id, chosen by LOOPGATE_LOG_FORMAT; the text
format stays uvicorn's. Each case configures logging in its own interpreter, so the test
process's logging is left alone."""

import logging
import os
import subprocess
import sys

import orjson
import pytest
from pydantic import ValidationError

from gateway.logs import log_config
from gateway.observability.json_logs import JsonFormatter
from gateway.observability.settings import ObservabilitySettings

_SCRIPT = """
import logging, logging.config
from gateway.logs import log_config
from gateway.observability.request_id import REQUEST_ID
logging.config.dictConfig(log_config())
log = logging.getLogger("gateway.example")
log.info("outside")
REQUEST_ID.set("req-7")
log.warning("inside %s", "a request")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("it broke")
logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "POST",
                                         "/graphql", "1.1", 200)
"""


def run_logging(log_format: str | None) -> tuple[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "LOOPGATE_LOG_FORMAT"}
    if log_format is not None:
        env["LOOPGATE_LOG_FORMAT"] = log_format
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout, done.stderr


def test_json_lines_carry_the_request_id_and_the_exception() -> None:
    stdout, stderr = run_logging("json")
    outside, inside, broke = (orjson.loads(line) for line in stderr.splitlines())
    assert outside["request_id"] is None and outside["message"] == "outside"
    assert {k: inside[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "WARNING", "logger": "gateway.example", "message": "inside a request",
        "request_id": "req-7"}
    assert inside["time"].endswith("+00:00") and "exception" not in inside
    assert "ZeroDivisionError" in broke["exception"] and broke["level"] == "ERROR"
    access = orjson.loads(stdout)
    assert {k: access[k] for k in ("client", "method", "path", "status", "request_id")} == {
        "client": "127.0.0.1:5", "method": "POST", "path": "/graphql", "status": 200,
        "request_id": "req-7"}


def test_text_stays_the_default() -> None:
    stdout, stderr = run_logging(None)
    assert stderr.splitlines()[1].split() == ["WARNING:", "inside", "a", "request"]
    assert "ZeroDivisionError" in stderr
    assert '"POST /graphql HTTP/1.1" 200' in stdout


def test_an_unknown_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPGATE_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        ObservabilitySettings()


def test_every_handler_adds_the_request_id() -> None:
    config = log_config(log_format="json")
    assert all(handler["filters"] == ["request_id"] for handler in config["handlers"].values())
    assert config["loggers"]["gateway"]["handlers"] == ["default"]


def test_a_record_outside_any_handler_formats_too() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain %d", (3,), None)
    assert orjson.loads(JsonFormatter().format(record))["message"] == "plain 3"
