"""GraphQL as the signed-in person, for the console's own scripts (GraphiQL, live pages):

- ``POST /console/graphql``: the body is passed to ``/graphql``;
- ``POST /console/stream``: the body (a subscription) is passed to ``/graphql/stream``
  (graphql-sse) and its events stream back as they come; read it with ``fetch`` (an
  ``EventSource`` cannot POST nor send the CSRF header). When the token expires the stream
  ends with an UNAUTHENTICATED error: subscribe again (``after:`` the last event id) and the
  console refreshes the token.

The session's token is added on the server; the browser sends its session cookie and the
session's CSRF token in ``X-CSRF-Token``. Refusals are GraphQL-shaped JSON: 401
``UNAUTHENTICATED`` when the session is gone (reload to sign in again), 403 ``FORBIDDEN``
without the CSRF token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.console import csrf
from gateway.console.inprocess import call, stream
from gateway.console.sessions import COOKIE
from gateway.console.visit import ConsoleSetup, SessionExpired, Visit

PATH = "/console/graphql"
STREAM_PATH = "/console/stream"
MAX_BODY = 256 * 1024


def _refusal(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers={"Cache-Control": "no-store"})


def api_routes(setup: ConsoleSetup) -> list[Route]:
    async def authorised(request: Request) -> tuple[str, bytes] | Response:
        """The session's access token and the request body, or the refusal."""
        session = await setup.sessions.find(request.cookies.get(COOKIE))
        if session is None or not session.signed_in:
            return _refusal(401, "UNAUTHENTICATED", "your console session has expired or "
                            "ended; reload the page to sign in again")
        if not csrf.token_ok(session, request.headers.get(csrf.HEADER)):
            return _refusal(403, "FORBIDDEN", "missing or wrong X-CSRF-Token for this session")
        body = await request.body()
        if len(body) > MAX_BODY:
            return _refusal(413, "BAD_USER_INPUT", f"the request body is over {MAX_BODY} bytes")
        visit = Visit(request, setup, session)
        try:
            await visit.check_account()
            return await visit.access_token(), body
        except SessionExpired:
            return _refusal(401, "UNAUTHENTICATED", "your console session has expired; reload "
                            "the page to sign in again")

    def forwarded(request: Request, token: str, accept: str) -> dict[str, str]:
        return {"content-type": request.headers.get("content-type", "application/json"),
                "accept": accept, "authorization": f"Bearer {token}"}

    async def query(request: Request) -> Response:
        checked = await authorised(request)
        if isinstance(checked, Response):
            return checked
        token, body = checked
        answer = await call(request, "POST", "/graphql", body,
                            forwarded(request, token, "application/json"))
        return Response(answer.body, status_code=answer.status, media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def subscribe(request: Request) -> Response:
        checked = await authorised(request)
        if isinstance(checked, Response):
            return checked
        token, body = checked
        return await stream(request, "POST", "/graphql/stream", body,
                            forwarded(request, token, "text/event-stream"))

    return [Route(PATH, query, methods=["POST"]), Route(STREAM_PATH, subscribe, methods=["POST"])]
