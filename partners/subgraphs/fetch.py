"""Fetching a partner subgraph's SDL: ``{ _service { sdl } }`` over HTTP, guarded.

The URL is the partner's, so the request goes through :func:`partners.urls.guarded_session`
(every address the host resolves to is checked when connecting; a literal IP is checked
before) without following redirects, with a short deadline (:data:`FETCH_TIMEOUT_S`) and a
size limit (:data:`MAX_SDL_BYTES`). Anything but a 200 JSON answer carrying a string at
``data._service.sdl`` is a :class:`SdlUnavailable` naming what came back.

**HTTP or HTTPS.** A partner subgraph is called over ``https``. Plain ``http`` is accepted
only when every address the host resolves to lies in a network the operator opened with
``LOOPGATE_ALLOW_NETWORKS`` (a subgraph on the operator's own network, or 127.0.0.0/8 in
tests): :func:`check_subgraph_url`.
"""

import asyncio
import ipaddress
import json
from typing import Any

import aiohttp

from partners.urls import ALLOW_NETWORKS_ENV, NetworkPolicy, UnsafeUrl, guarded_session

SERVICE_QUERY = "{ _service { sdl } }"
FETCH_TIMEOUT_S = 5.0
MAX_SDL_BYTES = 1_000_000


class SdlUnavailable(RuntimeError):
    """The subgraph did not answer its SDL; the message says what happened instead."""


async def check_subgraph_url(url: str, policy: NetworkPolicy) -> None:
    """UnsafeUrl unless ``url`` may be called (its host's addresses now) as a subgraph:
    https, or http to networks the operator allowed."""
    parts = policy.check_url(url)
    addresses = await policy.resolve(url)
    if parts.scheme == "http" and not all(_allowed(policy, a) for a in addresses):
        raise UnsafeUrl("a partner subgraph's URL must start with https:// (http:// is "
                        f"accepted only for networks the operator lists in {ALLOW_NETWORKS_ENV})")


def _allowed(policy: NetworkPolicy, address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in network for network in policy.allowed if network.version == ip.version)


async def fetch_sdl(url: str, policy: NetworkPolicy, timeout_s: float | None = None) -> str:
    """The subgraph's SDL, or :class:`SdlUnavailable` / :class:`partners.urls.UnsafeUrl`."""
    policy.check_url(url)
    timeout = FETCH_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        async with asyncio.timeout(timeout), guarded_session(policy) as session, \
                session.post(url, json={"query": SERVICE_QUERY},
                             headers={"Accept": "application/json"},
                             allow_redirects=False) as response:
            body = await response.content.read(MAX_SDL_BYTES + 1)
            status = response.status
    except TimeoutError as exc:
        raise SdlUnavailable(f"the subgraph did not answer {SERVICE_QUERY} within "
                             f"{timeout:g} s") from exc
    except aiohttp.ClientError as exc:
        raise SdlUnavailable(f"could not reach the subgraph: {exc or type(exc).__name__}") from exc
    if len(body) > MAX_SDL_BYTES:
        raise SdlUnavailable(f"the subgraph's answer is larger than {MAX_SDL_BYTES} bytes")
    if status != 200:
        raise SdlUnavailable(f"the subgraph answered {SERVICE_QUERY} with HTTP {status}")
    return _sdl_of(body)


def _sdl_of(body: bytes) -> str:
    try:
        answer: Any = json.loads(body)
    except ValueError as exc:
        raise SdlUnavailable(f"the subgraph's answer to {SERVICE_QUERY} is not JSON") from exc
    sdl = _at(answer, "data", "_service", "sdl")
    if not isinstance(sdl, str) or not sdl.strip():
        errors = answer.get("errors") if isinstance(answer, dict) else None
        detail = f": {json.dumps(errors)[:300]}" if errors else ""
        raise SdlUnavailable(f"the subgraph's answer has no data._service.sdl string{detail}")
    return sdl


def _at(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
