"""``python -m tests.observability.drain_server PORT SUBGRAPH_URL [WORKERS]``: the standalone
gateway app over one HTTP subgraph, served by uvicorn as the CLIs serve it (one process, or
``WORKERS`` worker processes built by :func:`worker_app`), for the shutdown tests to signal.
``LOOPGATE_SHUTDOWN_DELAY_S`` applies."""

import asyncio
import os
import sys

import uvicorn
from starlette.applications import Starlette

from gateway.transports import http_session
from tests.observability.apps import gateway_app

SUBGRAPH_ENV = "DRAIN_SERVER_SUBGRAPH"


def worker_app() -> Starlette:
    """The app of one worker (uvicorn calls this inside the worker's event loop)."""
    session = http_session(timeout=10.0)
    return gateway_app(os.environ[SUBGRAPH_ENV], session, on_shutdown=session.close)


async def serve(port: int) -> None:
    config = uvicorn.Config(worker_app, factory=True, host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    os.environ[SUBGRAPH_ENV] = sys.argv[2]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if workers == 1:
        asyncio.run(serve(int(sys.argv[1])))
    else:
        uvicorn.run(f"{__spec__.name}:worker_app", factory=True, host="127.0.0.1",
                    port=int(sys.argv[1]), workers=workers, log_level="warning", lifespan="on")
