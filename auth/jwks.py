"""Public keys fetched from a JWKS URL, for verifiers that cannot read the key collection.

A subgraph deployed on its own (or by a partner) verifies ``Loopgate-Context`` tokens with the
gateway's ``/.well-known/jwks.json``, and the standalone ``loopgate gateway --jwks`` verifies
callers' access tokens with the issuer's: the keys are cached and re-fetched when a token
names an unknown ``kid`` (at most once per ``min_refetch_s``), so a key rotation needs no
restart. They are re-fetched too once older than ``max_age_s``, so a key the issuer stopped
publishing (retired, or withdrawn after a leak) stops verifying within that time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import aiohttp
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from auth.keys import ALGORITHM

logger = logging.getLogger(__name__)


class JwksUnavailable(RuntimeError):
    """The JWKS URL could not be read or held no usable key."""


@dataclass
class RemoteJwks:
    """RS256 verification keys from ``url``; satisfies ``auth.signing.VerificationKeys``."""

    url: str
    min_refetch_s: float = 10.0
    timeout_s: float = 5.0
    max_age_s: float = 300.0
    keys: dict[str, RSAKey] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh_for(self, kid: str) -> None:
        """Re-fetch when ``kid`` is unknown (rate-limited) or the keys are older than
        ``max_age_s``; a failed fetch keeps the keys and is retried after the same delays."""
        if self._current(kid):
            return
        async with self._lock:
            if self._current(kid) or time.monotonic() - self.fetched_at < self.min_refetch_s:
                return
            self.fetched_at = time.monotonic()
            try:
                self.keys = await self.fetch()
            except JwksUnavailable:
                # keep the keys we have: a token of a key not among them is refused
                logger.warning("JWKS refresh failed", exc_info=True)

    async def load(self) -> None:
        """Fetch the keys now (at start-up), raising :class:`JwksUnavailable` on failure.

        A set without any RS256 key is a failure too: every token would be refused.
        """
        keys = await self.fetch()
        if not keys:
            raise JwksUnavailable(f"{self.url} holds no {ALGORITHM} signing key")
        self.keys = keys
        self.fetched_at = time.monotonic()

    def _current(self, kid: str) -> bool:
        return kid in self.keys and time.monotonic() - self.fetched_at < self.max_age_s

    def verification_key(self, kid: str) -> RSAKey | None:
        return self.keys.get(kid)

    async def fetch(self) -> dict[str, RSAKey]:
        """The RS256 keys the URL serves now; :class:`JwksUnavailable` with a one-line reason."""
        try:
            async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(
                            total=self.timeout_s)) as http,
                        http.get(self.url) as response):
                if response.status != 200:
                    raise self._unavailable(f"HTTP {response.status} {response.reason}")
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            detail = f": {exc}" if str(exc) else ""
            raise self._unavailable(f"{type(exc).__name__}{detail}") from exc
        except ValueError as exc:
            raise self._unavailable(f"not a JWKS document ({type(exc).__name__})") from exc
        try:
            keys = {}
            for entry in document["keys"]:
                if entry.get("kty") == "RSA" and entry.get("alg", ALGORITHM) == ALGORITHM:
                    keys[entry["kid"]] = RSAKey.import_key(entry)
        except (ValueError, KeyError, TypeError, AttributeError, JoseError) as exc:
            raise self._unavailable(f"not a JWKS document ({type(exc).__name__})") from exc
        return keys

    def _unavailable(self, reason: str) -> JwksUnavailable:
        one_line = " ".join(reason.split())
        return JwksUnavailable(f"cannot read signing keys from {self.url}: {one_line}")
