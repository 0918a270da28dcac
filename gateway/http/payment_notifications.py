"""``POST /payments/notifications/{provider}``: where payment providers report the outcome of
an EXTERNAL portion (the sandbox provider's is sent by ``loopgate sandbox pay``).

The route only hands over the raw body (the signature covers its exact bytes) and the
signature header; checking and applying the notification is the payments domain's
(:func:`schema.payments.notifications.receive`), over the live and the sandbox database, since
a notification carries no token that would pick one.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from schema.kernel.sandbox import Databases
from schema.payments.notifications import SIGNATURE_HEADER, receive
from schema.payments.providers import PROVIDERS

PATH = "/payments/notifications/{provider}"
MAX_BODY_BYTES = 4096


async def _body(request: Request) -> bytes | None:
    """The raw body, read no further than :data:`MAX_BODY_BYTES` (None: longer)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body


def payment_notification_routes(databases: Databases) -> list[Route]:
    """The provider-notification endpoint over ``databases``."""

    async def notify(request: Request) -> JSONResponse:
        provider = request.path_params["provider"]
        if provider not in PROVIDERS:
            return JSONResponse({"error": "unknown_provider",
                                 "message": f"no payment provider {provider!r}"},
                                status_code=404)
        body = await _body(request)
        if body is None:
            return JSONResponse({"error": "too_large", "message": "a notification is at most "
                                 f"{MAX_BODY_BYTES} bytes"}, status_code=413)
        answer = await receive(databases, provider, body, request.headers.get(SIGNATURE_HEADER))
        return JSONResponse(answer.body, status_code=answer.status)

    return [Route(PATH, notify, methods=["POST"])]
