"""The subscriptions service both transports (SSE, WebSocket) share: who the caller is, which
graph serves them, and starting a subscription under their limits.

The caller is known exactly as ``/graphql`` knows them, with the same ``context_for`` (token
verified, sandbox picked and prepared), ``gateway_for`` (a sandbox token gets the sandbox
graph, whose in-process subgraphs read the sandbox database, so it sees only sandbox events),
``auth_shape_for`` and ``caller_for``. Starting one: the operation is checked and planned
(:mod:`gateway.subscriptions.prepare`), the app gets one of its subscription slots
(:mod:`gateway.subscriptions.slots`), the estimated cost is taken from the app's cost bucket
as a query's would be (the limits' in-flight share is given back at once: the slots bound
what is open), and the root field's stream is opened (:mod:`gateway.subscriptions.stream`).
"""

import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from gateway.authorization import AuthShape
from gateway.http.errors import RequestRejected
from gateway.limits.budget import AppLimits, Refusal
from gateway.limits.caller import CallerFor, principal_caller
from gateway.service import Gateway, GraphQLRequest
from gateway.subscriptions.errors import UNAUTHENTICATED_EXPIRED, Refused
from gateway.subscriptions.prepare import prepare
from gateway.subscriptions.session import Session, session_of
from gateway.subscriptions.slots import SubscriptionSlots
from gateway.subscriptions.stream import Delivery, open_stream
from schema.kernel.errors import ErrorCode

ContextFor = Callable[[Request], Any]
GatewayFor = Callable[[Mapping[str, Any]], Gateway]
AuthShapeFor = Callable[[Mapping[str, Any]], AuthShape]
LimitsFor = Callable[[Mapping[str, Any]], AppLimits]


@dataclass(frozen=True, slots=True)
class Started:
    """A running subscription: its deliveries, and the release of its slot (call once it
    ends, however it ends)."""

    deliveries: AsyncIterator[Delivery]
    release: Callable[[], None]


@dataclass
class Subscriptions:
    """Opens sessions and starts subscriptions; one per app, shared by both transports."""

    gateway_for: GatewayFor
    context_for: ContextFor
    auth_shape_for: AuthShapeFor | None = None
    caller_for: CallerFor = principal_caller
    limits_for: LimitsFor | None = None
    slots: SubscriptionSlots | None = None
    max_body_bytes: int = 100_000
    recheck_every_s: float = 30.0

    def __post_init__(self) -> None:
        if self.slots is None:
            self.slots = SubscriptionSlots()

    async def session(self, request: Request) -> Session:
        """The caller of ``request`` (its ``Authorization`` header);
        :class:`~gateway.http.errors.RequestRejected` for a bad token."""
        context = await self._context(request)

        async def recheck() -> None:
            try:
                await self._context(request)
            except RequestRejected as exc:
                raise Refused.of(f"the access token no longer verifies: {exc.message}",
                                 ErrorCode.UNAUTHENTICATED) from exc

        return session_of(context, request.headers.get("authorization"), recheck,
                          self.recheck_every_s)

    async def _context(self, request: Request) -> Mapping[str, Any]:
        context = self.context_for(request)
        if inspect.isawaitable(context):
            context = await context
        return context

    async def start(self, request: Request, session: Session,
                    graphql_request: GraphQLRequest) -> Started:
        """Start the subscription ``graphql_request`` asks for; :class:`Refused` with the
        errors when it may not run."""
        if session.expired:
            raise Refused.of(UNAUTHENTICATED_EXPIRED, ErrorCode.UNAUTHENTICATED)
        context = session.context
        gateway = self.gateway_for(context)
        shape = self.auth_shape_for(context) if self.auth_shape_for is not None else None
        prepared = prepare(gateway, graphql_request, shape)
        caller = self.caller_for(request, context)
        assert self.slots is not None
        release = self.slots.take(caller.key)
        try:
            if self.limits_for is not None:
                admission = await self.limits_for(context).admit(caller.key, prepared.cost)
                if isinstance(admission, Refusal):
                    raise Refused.of(admission.message, ErrorCode.RATE_LIMITED,
                                     admission.retry_after, retryAfter=admission.retry_after)
                admission()
            deliveries = await open_stream(gateway, prepared, context)
        except BaseException:
            release()
            raise
        return Started(deliveries, release)


def rejected(exc: RequestRejected) -> Refused:
    """A refusal of the auth layer (bad token) as a subscription refusal."""
    return Refused.of(exc.message, exc.code)
