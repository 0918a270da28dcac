"""Running a prepared subscription: the root field's event stream from its subgraph, and each
event's response built through the plan like a query's (Apollo Router's federated
subscriptions: a primary subscription fetch, then the rest of the plan per event).

The root fetch is started once with graphql-core's ``subscribe`` on the in-process subgraph
schema, with the caller's context (the subgraph's context factory picks the caller's
database, so a sandbox token follows the sandbox's events). For each event the plan is
executed with a fetch function that answers the root fetch with that event's result and
sends every other fetch (entity fetches to other subgraphs) through the router, under the
gateway's request timeout. The subgraph records the event behind each delivery in an
:class:`~schema.kernel.subscriptions.EventTap` of the context, which becomes the
response's ``extensions.eventId``, the id to resume ``after``.
"""

import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import pymongo.errors
from graphql import ExecutionResult, GraphQLError, subscribe, validate

from gateway.federation import execute_plan
from gateway.service import Gateway
from gateway.subscriptions.errors import Refused
from gateway.subscriptions.prepare import Prepared
from gateway.transports.base import SubgraphRequest
from schema.kernel.errors import ErrorCode
from schema.kernel.input_errors import locate_input_errors
from schema.kernel.subscriptions import EVENT_TAP, EventTap


@dataclass(frozen=True, slots=True)
class Delivery:
    """One response of the stream, and the id of the event behind it (None: not known)."""

    response: dict[str, Any]
    event_id: str | None


async def open_stream(gateway: Gateway, prepared: Prepared,
                      context: Mapping[str, Any]) -> AsyncIterator[Delivery]:
    """Start the root field's stream; :class:`Refused` when the subgraph refuses it (its
    arguments, the caller's rights, an unknown ``after``). Returns the deliveries."""
    tap = EventTap()
    with_tap = {**context, EVENT_TAP: tap}
    root, transport = prepared.root, prepared.transport
    variables = {name: prepared.variables[name] for name in root.variable_names
                 if name in prepared.variables}
    errors = validate(transport.schema, root.document)
    if errors:
        located = locate_input_errors(transport.schema, root.document, variables, errors)
        raise Refused([error.formatted for error in located])
    source = subscribe(transport.schema, root.document,
                       context_value=transport.context_factory(with_tap),
                       variable_values=variables, operation_name=root.operation_name)
    if isawaitable(source):
        source = await source
    if isinstance(source, ExecutionResult):
        raise Refused([_coded(error.formatted) for error in source.errors or ()])
    return _deliveries(gateway, prepared, with_tap, tap, source)


def _coded(error: dict[str, Any]) -> dict[str, Any]:
    """A subgraph's refusal as it is; an error without a code (a failure, not a refusal)
    gets INTERNAL_SERVER_ERROR."""
    if (error.get("extensions") or {}).get("code"):
        return error
    return {**error, "extensions": {**(error.get("extensions") or {}),
                                    "code": str(ErrorCode.INTERNAL_SERVER_ERROR)}}


async def _deliveries(gateway: Gateway, prepared: Prepared, context: Mapping[str, Any],
                      tap: EventTap, source: AsyncIterator[ExecutionResult]
                      ) -> AsyncIterator[Delivery]:
    try:
        async for result in source:
            yield Delivery(await _response(gateway, prepared, context, result), tap.event_id)
    except GraphQLError as exc:           # the subgraph ended its stream with an error
        raise Refused([exc.formatted]) from exc
    except pymongo.errors.PyMongoError as exc:
        raise Refused.of(f"the event store could not be read: {exc}",
                         ErrorCode.SERVICE_UNAVAILABLE) from exc
    finally:
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()


async def _response(gateway: Gateway, prepared: Prepared, context: Mapping[str, Any],
                    result: ExecutionResult) -> dict[str, Any]:
    root_response: dict[str, Any] = {"data": result.data}
    if result.errors:
        root_response["errors"] = [error.formatted for error in result.errors]
    router = gateway.router

    async def fetch(request: SubgraphRequest) -> Mapping[str, Any]:
        if request.document is prepared.root.document:
            return root_response
        return await router.fetch(request)

    return dict(await execute_plan(prepared.plan, prepared.variables, fetch, context=context,
                                   deadline=time.monotonic() + gateway.request_timeout))
