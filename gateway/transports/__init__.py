"""How the executor reaches a subgraph: in-process or over HTTP, behind one protocol."""

from gateway.transports.base import SubgraphRequest, SubgraphUnavailable, Transport
from gateway.transports.http import HttpTransport, http_session
from gateway.transports.in_process import InProcessTransport
from gateway.transports.router import TransportRouter

__all__ = [
    "HttpTransport",
    "InProcessTransport",
    "SubgraphRequest",
    "SubgraphUnavailable",
    "Transport",
    "TransportRouter",
    "http_session",
]
