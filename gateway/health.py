"""Liveness and readiness endpoints (DESIGN.md §3a).

``/healthz`` answers while the process runs; ``/readyz`` answers 200 only while every
dependency (today: the database) is reachable, 503 with the reason otherwise, so a load
balancer stops routing to a gateway that cannot serve. From the moment the process starts
shutting down, the observability middleware answers ``/readyz`` with 503 before these checks
run (:mod:`gateway.observability.shutdown`), while ``/healthz`` keeps answering.
"""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ReadinessCheck = Callable[[], Awaitable[None]]


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def readiness_route(checks: dict[str, ReadinessCheck]) -> Route:
    """``/readyz`` running each named check; a check raises to say it is not ready."""

    async def readyz(_request: Request) -> JSONResponse:
        failures = {}
        for name, check in checks.items():
            try:
                await check()
            except Exception as exc:
                failures[name] = str(exc)
        if failures:
            return JSONResponse({"status": "unavailable", "reasons": failures}, status_code=503)
        return JSONResponse({"status": "ready", "checks": sorted(checks)})

    return Route("/readyz", readyz, methods=["GET"])


def health_routes(checks: dict[str, ReadinessCheck]) -> list[Route]:
    return [Route("/healthz", healthz, methods=["GET"]), readiness_route(checks)]
