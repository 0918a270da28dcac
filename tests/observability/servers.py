"""A scriptable HTTP subgraph on 127.0.0.1 (ports 4600-4699) and a supergraph over it.

:class:`FlakySubgraph` answers every GraphQL operation with ``"ok"`` for each root field,
unless a scripted action comes first: an HTTP status with a non-GraphQL body (``502``…), a
pause (``("slow", seconds)``). It records the headers and the query of every request it gets, so
tests can count the calls that reached it and see what the gateway sent.
"""

import asyncio
import socket
from collections import deque
from contextlib import AbstractContextManager
from typing import Any

import orjson
from graphql import OperationDefinitionNode, parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from tests.gateway.servers import serving as serve_in_thread

PORTS = range(4600, 4700)

SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { hello: String  slow: String }
type Mutation { poke: String }
"""

Action = str | tuple[str, float]


class FlakySubgraph:
    def __init__(self) -> None:
        self.script: deque[Action] = deque()
        self.calls: list[dict[str, str]] = []
        self.queries: list[str] = []
        self.app = Starlette(routes=[Route("/graphql", self._handle, methods=["POST"])])

    def then(self, *actions: Action) -> "FlakySubgraph":
        self.script.extend(actions)
        return self

    async def _handle(self, request: Request) -> Response:
        self.calls.append(dict(request.headers))
        body = orjson.loads(await request.body())
        self.queries.append(body["query"])
        action = self.script.popleft() if self.script else "ok"
        if isinstance(action, tuple):
            await asyncio.sleep(action[1])
        elif action != "ok":
            return Response(b"<html>upstream trouble</html>", status_code=int(action),
                            media_type="text/html")
        operation = next(d for d in parse(body["query"]).definitions
                         if isinstance(d, OperationDefinitionNode))
        data = {(field.alias or field.name).value: "ok"
                for field in operation.selection_set.selections}
        return Response(orjson.dumps({"data": data}), media_type="application/json")


def free_port() -> int:
    """A free port of the helper's range."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 4600-4699")


def serving(app: Any) -> AbstractContextManager[str]:
    """``app`` on a loopback port of the range, served by uvicorn in a thread."""
    return serve_in_thread(app, free_port())


def supergraph(url: str, name: str = "flaky") -> Supergraph:
    """A one-subgraph supergraph whose subgraph ``name`` is at ``url``."""
    result = compose_supergraph([SubgraphSource(name=name, sdl=SDL, url=url)])
    assert result.supergraph_sdl is not None, result.errors
    return Supergraph.parse(result.supergraph_sdl)


async def until(condition: Any, polls: int = 250) -> None:
    """Wait for ``condition()`` to hold (polling another thread's state every 20 ms)."""
    for _ in range(polls):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("condition did not hold in time")
