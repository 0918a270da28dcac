"""Request ids: one id per HTTP request, in the response, in every log record, at the subgraphs.

A caller (or the proxy in front) may send ``X-Request-Id`` so its own logs and ours share the
id; it is kept when it is short and of a safe charset (letters, digits, ``-_.:``), since it is
echoed into headers and logs, and replaced by a fresh id otherwise. The id lives in a context
variable for the request's duration: tasks the request starts inherit it, so in-process
subgraphs log it too, and :func:`request_id_headers` hands it to HTTP subgraphs.
"""

import logging
import re
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the transports import this module: no import back at run time
    from gateway.transports.base import SubgraphRequest

HEADER = "x-request-id"
MAX_LENGTH = 128
_SAFE = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")

REQUEST_ID: ContextVar[str | None] = ContextVar("loopgate_request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(16)


def accepted_request_id(offered: bytes | None) -> str:
    """The caller's id when it is acceptable, else a fresh one."""
    if offered:
        try:
            text = offered.decode("ascii")
        except UnicodeDecodeError:
            return new_request_id()
        if _SAFE.fullmatch(text):
            return text
    return new_request_id()


def request_id_headers(_request: "SubgraphRequest") -> Mapping[str, str]:
    """``X-Request-Id`` for a subgraph call made while serving a request (none outside one)."""
    request_id = REQUEST_ID.get()
    return {"X-Request-Id": request_id} if request_id is not None else {}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (None outside a request) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True
