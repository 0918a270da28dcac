"""The signing key of a standalone gateway (``loopgate gateway --signing-key FILE``).

With it the gateway mints ``Loopgate-Context`` tokens for its subgraphs as ``loopgate serve``
does (:class:`auth.context.ContextTokenSigner`), instead of forwarding callers' bearer tokens:
a subgraph then sees only a short-lived token for itself (``aud`` = its name), never a token
it could replay elsewhere.

The key file holds one RSA private key (2048 bits or more, RS256), either as PEM (PKCS#8
``BEGIN PRIVATE KEY`` or PKCS#1 ``BEGIN RSA PRIVATE KEY``, e.g. from ``openssl genpkey
-algorithm RSA -pkeyopt rsa_keygen_bits:2048``) or as a private JWK (JSON, e.g. from
``loopgate context-key new FILE``). Its ``kid`` is the JWK's ``kid`` or else the key's
RFC 7638 thumbprint. Subgraphs verify with the public half: the gateway serves it at
``/.well-known/jwks.json`` and ``loopgate context-key jwks FILE`` prints it.
The file is a secret: keep it out of the repository and readable only by the gateway.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import RSAKey

from auth.keys import ALGORITHM, SigningKey
from schema.kernel.time import utcnow

MIN_BITS = 2048


class InvalidSigningKey(ValueError):
    """The key file cannot sign context tokens; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class FileSigningKeys:
    """One signing key loaded from a file: what :func:`auth.signing.sign` needs of a key
    ring (``signing_key()``) and the JWKS subgraphs verify with."""

    key: SigningKey

    def signing_key(self) -> SigningKey:
        return self.key

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.public_jwk()]}


def load_signing_key(path: Path) -> FileSigningKeys:
    """The key in ``path`` (PEM or JWK); :class:`InvalidSigningKey` when unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidSigningKey(f"cannot read signing key file '{path}': "
                                f"{exc.strerror or exc}") from exc
    return FileSigningKeys(_signing_key(_import(raw, path), path))


def _import(raw: bytes, path: Path) -> RSAKey:
    text = raw.strip()
    try:
        with warnings.catch_warnings():
            # joserfc warns of keys under 2048 bits; _signing_key refuses them, in words
            warnings.simplefilter("ignore", SecurityWarning)
            return RSAKey.import_key(json.loads(text) if text.startswith(b"{") else text)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidSigningKey(f"'{path}' holds no RSA private key (PEM or JWK): "
                                f"{type(exc).__name__}") from exc


def _signing_key(key: RSAKey, path: Path) -> SigningKey:
    if not key.is_private:
        raise InvalidSigningKey(f"'{path}' holds a public key; the gateway needs the private "
                                "key (subgraphs get the public one from its JWKS)")
    bits = key.raw_value.key_size
    if bits < MIN_BITS:
        raise InvalidSigningKey(f"'{path}' holds a {bits}-bit RSA key; use {MIN_BITS} bits "
                                "or more")
    kid = key.kid or key.thumbprint()
    parameters = {"kid": kid, "use": "sig", "alg": ALGORITHM}
    private = RSAKey.import_key(key.as_dict(private=True), parameters=parameters)
    public = RSAKey.import_key(key.as_dict(private=False), parameters=parameters)
    return SigningKey(kid=kid, key=private, public_key=public, created_at=utcnow(),
                      retired_at=None, verify_until=None)


def new_key_file(path: Path) -> str:
    """Write a new 2048-bit private JWK to ``path`` (mode 0600, never over an existing file);
    returns its kid."""
    key = RSAKey.generate_key(MIN_BITS, private=True)
    kid = key.thumbprint()
    document = {**key.as_dict(private=True), "kid": kid, "use": "sig", "alg": ALGORITHM}
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise InvalidSigningKey(f"'{path}' exists already; choose another file") from exc
    except OSError as exc:
        raise InvalidSigningKey(f"cannot create '{path}': {exc.strerror or exc}") from exc
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(document, file)
    return kid
