"""``POST /console/graphql``: GraphQL as the signed-in person, for the console's own scripts
(GraphiQL, live pages). The body is passed to ``/graphql`` with the session's token added on
the server; the browser sends its session cookie and the session's CSRF token in
``X-CSRF-Token``. Refusals are GraphQL-shaped JSON: 401 ``UNAUTHENTICATED`` when the session
is gone (reload to sign in again), 403 ``FORBIDDEN`` without the CSRF token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.console import csrf
from gateway.console.inprocess import call
from gateway.console.sessions import COOKIE
from gateway.console.visit import ConsoleSetup, SessionExpired, Visit

PATH = "/console/graphql"
MAX_BODY = 256 * 1024


def _refusal(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers={"Cache-Control": "no-store"})


def api_routes(setup: ConsoleSetup) -> list[Route]:
    async def proxy(request: Request) -> Response:
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
            token = await visit.access_token()
        except SessionExpired:
            return _refusal(401, "UNAUTHENTICATED", "your console session has expired; reload "
                            "the page to sign in again")
        answer = await call(request, "POST", "/graphql", body, {
            "content-type": request.headers.get("content-type", "application/json"),
            "accept": "application/json", "authorization": f"Bearer {token}"})
        return Response(answer.body, status_code=answer.status, media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    return [Route(PATH, proxy, methods=["POST"])]
