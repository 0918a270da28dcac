"""Hashing of credentials before they are stored.

Client secrets, codes, refresh tokens and session cookies are 256-bit random values, so one
SHA-256 is enough (there is nothing to brute-force) and the hash doubles as the ``_id`` for a
point read. Member passwords are human-chosen, so they get scrypt with a per-password salt.
"""

import hashlib
import hmac
import secrets

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def new_secret(prefix: str) -> str:
    """A fresh 256-bit URL-safe random value after a kind prefix, e.g. ``lgs_…``.

    The prefix lets secret scanners recognise leaked credentials, and means a value never
    starts with ``-`` (which a command line would take for an option).
    """
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(value: str) -> str:
    """The stored form of a high-entropy credential."""
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    """``scrypt$<salt hex>$<hash hex>`` for a human-chosen password."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against :func:`hash_password` output."""
    scheme, _, rest = stored.partition("$")
    salt_hex, _, digest_hex = rest.partition("$")
    if scheme != "scrypt" or not salt_hex or not digest_hex:
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)
