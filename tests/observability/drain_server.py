"""``python -m tests.observability.drain_server PORT SUBGRAPH_URL``: the standalone gateway
app over one HTTP subgraph, served the way the CLIs serve it (:func:`graceful_server`), for
the shutdown tests to signal. ``LOOPGATE_SHUTDOWN_DELAY_S`` applies."""

import asyncio
import sys

import uvicorn

from gateway.observability import graceful_server
from gateway.transports import http_session
from tests.observability.apps import gateway_app


async def serve(port: int, subgraph_url: str) -> None:
    async with http_session(timeout=10.0) as session:
        app = gateway_app(subgraph_url, session)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                lifespan="on")
        await graceful_server(config, app).serve()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), sys.argv[2]))
