"""Which URLs Loopgate will call on a partner's behalf (webhook endpoints, partner subgraphs).

A partner names the URL, so without care a webhook endpoint becomes a way to make the
platform call its own database, a cloud metadata service or anything else on the private
network (server-side request forgery). The rule: ``http``/``https`` only, no credentials in
the URL, and every address the host resolves to must be public (``ipaddress``'s
``is_global``: that excludes loopback, private, link-local — where the metadata services live —,
shared and reserved ranges —, multicast, and IPv4-mapped forms of them). The operator may open
networks with ``LOOPGATE_ALLOW_NETWORKS`` (comma-separated CIDRs, e.g. ``127.0.0.0/8`` for
tests; empty by default).

The check runs twice: once when the URL is registered (a clear error at once) and again when
each connection is made (:class:`GuardedResolver`), because a DNS name that resolved to a
public address at registration may resolve to a private one later (DNS rebinding). Literal
IP hosts never reach a resolver, so :func:`guarded_session`'s callers check the URL before
each request with :meth:`NetworkPolicy.check_url`; redirects must not be followed.
"""

import ipaddress
import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

ALLOW_NETWORKS_ENV = "LOOPGATE_ALLOW_NETWORKS"
MAX_URL_LENGTH = 2048

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why in terms a partner can act on."""


def _networks(spec: str) -> tuple[IpNetwork, ...]:
    networks = []
    for part in (item.strip() for item in spec.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(f"{ALLOW_NETWORKS_ENV}: '{part}' is not a CIDR network") from exc
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """Public addresses, plus the networks the operator allowed."""

    allowed: tuple[IpNetwork, ...] = ()

    @classmethod
    def from_env(cls) -> "NetworkPolicy":
        """The policy of ``LOOPGATE_ALLOW_NETWORKS`` (ValueError for a bad CIDR)."""
        return cls(_networks(os.environ.get(ALLOW_NETWORKS_ENV, "")))

    @classmethod
    def allowing(cls, *cidrs: str) -> "NetworkPolicy":
        return cls(_networks(",".join(cidrs)))

    def permits(self, address: IpAddress) -> bool:
        if any(address in network for network in self.allowed
               if network.version == address.version):
            return True
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            return self.permits(mapped)
        return address.is_global and not address.is_multicast

    def check_address(self, host: str, address: str) -> None:
        """UnsafeUrl unless ``address`` (one of ``host``'s) may be called."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not self.permits(ip):
            raise UnsafeUrl(f"'{host}' resolves to {ip}, a private, loopback, link-local or "
                            "otherwise non-public address, which Loopgate does not call")

    def check_url(self, url: str, *, require_https: bool = False) -> SplitResult:
        """The parsed URL if its form is acceptable and a literal IP host is public.

        DNS names are checked when resolved (:meth:`resolve`, :class:`GuardedResolver`).
        """
        if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
            raise UnsafeUrl(f"the URL must be a string of 1 to {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UnsafeUrl(f"'{url}' is not a valid URL: {exc}") from exc
        schemes = ("https",) if require_https else ("http", "https")
        if parts.scheme not in schemes:
            raise UnsafeUrl(f"the URL must start with {' or '.join(s + '://' for s in schemes)}")
        if not parts.hostname:
            raise UnsafeUrl("the URL has no host")
        if parts.username is not None or parts.password is not None:
            raise UnsafeUrl("the URL may not carry a user name or password")
        if port == 0:
            raise UnsafeUrl("the URL's port must be 1 to 65535")
        if parts.fragment:
            raise UnsafeUrl("the URL may not have a #fragment")
        literal = _literal_ip(parts.hostname)
        if literal is not None:
            self.check_address(parts.hostname, str(literal))
        return parts

    async def resolve(self, url: str, *, require_https: bool = False) -> list[str]:
        """Check ``url`` and every address its host resolves to now (registration time)."""
        parts = self.check_url(url, require_https=require_https)
        host = parts.hostname or ""
        if _literal_ip(host) is not None:
            return [host]
        results = await GuardedResolver(self).resolve(host, parts.port or 443)
        return [result["host"] for result in results]


def _literal_ip(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver that refuses a host if any address it resolves to is not permitted.

    All addresses are checked, not just the first, so a name answering with one public and
    one private address cannot steer a later connection attempt to the private one.
    """

    def __init__(self, policy: NetworkPolicy, resolver: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        try:
            results = await self._resolver.resolve(host, port, family)
        except OSError as exc:
            raise UnsafeUrl(f"cannot resolve '{host}': {exc}") from exc
        for result in results:
            self._policy.check_address(host, result["host"])
        return results

    async def close(self) -> None:
        await self._resolver.close()


def guarded_session(policy: NetworkPolicy, **session_options: Any) -> aiohttp.ClientSession:
    """A client session whose every DNS resolution goes through :class:`GuardedResolver`.

    Must be created inside a running event loop. Callers still check each URL with
    :meth:`NetworkPolicy.check_url` (literal IPs skip the resolver) and pass
    ``allow_redirects=False``.
    """
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy), use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, **session_options)

