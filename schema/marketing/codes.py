"""Voucher codes: unguessable, typable at a till, caught when mistyped, never stored in clear.

A code is 15 random Crockford base32 symbols (75 bits from :mod:`secrets`) and one check
symbol, shown as ``XXXX-XXXX-XXXX-XXXX``. The check symbol makes the weighted sum
``sum(alpha**i * s_i)`` over GF(32) of all 16 symbols zero (``alpha`` a primitive element,
so no two of the first 31 weights are equal): changing one symbol changes the sum by
``alpha**i * d != 0``, and swapping two different symbols ``a``, ``b`` at ``i``, ``j`` by
``(alpha**i + alpha**j) * (a + b) != 0``, so every single-symbol typo and every transposition,
adjacent or not (the check symbol included), is refused by :func:`normalise_code` before any
database read. Crockford's alphabet has no I, L, O or U; I and L are read as 1 and O as 0.

The database holds no redeemable code (issue 13: a dump must not hand out codes): a voucher
is found by :func:`code_lookup_key`, an HMAC-SHA256 of the canonical code, and keeps the code
itself only sealed with AES-GCM (:func:`seal_code`), opened for the owning member's token.

Keys live outside the database. ``LOOPGATE_VOUCHER_KEYS`` holds them as JSON::

    {"lookup": "<base64 of 32 bytes>",
     "seal": [{"kid": "k2", "key": "<base64 of 32 bytes>"}, {"kid": "k1", "key": "…"}]}

Without it they are read from ``voucher-keys.json`` (the same JSON) in the state directory
(``LOOPGATE_STATE_DIR``, default ``~/.local/state/loopgate``, as ``gateway/config.py``
resolves it; read here because subgraphs never import the gateway), which is generated with
mode 0600 on first use. Every process serving one database must have the same keys.

Rotation: put a new seal key first; it seals new codes and the older kids keep opening the
codes they sealed (drop a kid only when no voucher sealed with it is still wanted). The lookup
key cannot be rotated in place: every stored lookup id is its HMAC, so a new lookup key needs
the lookup documents rebuilt from the opened codes.
"""

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32 symbols, in value order."""
RANDOM_SYMBOLS = 15
"""75 random bits (the issue asks for at least 60)."""
GROUP = 4
SEPARATORS = frozenset(" -\t")
KEYS_ENV = "LOOPGATE_VOUCHER_KEYS"
STATE_DIR_ENV = "LOOPGATE_STATE_DIR"
DEFAULT_STATE_DIR = "~/.local/state/loopgate"
KEYS_FILE = "voucher-keys.json"
_AAD = b"loopgate voucher code v1"
"""Binds a sealed code to its use: a ciphertext made for anything else does not open here."""

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_VALUE.update({"I": 1, "L": 1, "O": 0})


class InvalidCode(ValueError):
    """Not a voucher code: wrong length, a symbol outside the alphabet, or a failed check."""


class SealedCodeError(ValueError):
    """A sealed code that does not open: altered, or sealed with a key no longer configured."""


# --------------------------------------------------------------------------- check symbol

def _gf_mul(a: int, b: int) -> int:
    """Multiplication in GF(32) = GF(2)[x] / (x^5 + x^2 + 1)."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= 0b100101
    return product


def _gf_inverse(a: int) -> int:
    return next(b for b in range(1, 32) if _gf_mul(a, b) == 1)


_ALPHA = 0b00010
"""x, a primitive element of GF(32): its powers run through all 31 non-zero values."""
_WEIGHTS = [1]
for _ in range(RANDOM_SYMBOLS):
    _WEIGHTS.append(_gf_mul(_WEIGHTS[-1], _ALPHA))
_CHECK_WEIGHT_INVERSE = _gf_inverse(_WEIGHTS[RANDOM_SYMBOLS])


def _weighted_sum(values: list[int]) -> int:
    total = 0
    for weight, value in zip(_WEIGHTS, values, strict=False):
        total ^= _gf_mul(weight, value)
    return total


def _check_value(values: list[int]) -> int:
    """The symbol that makes the weighted sum of ``values`` and itself zero."""
    return _gf_mul(_weighted_sum(values), _CHECK_WEIGHT_INVERSE)


def _grouped(symbols: str) -> str:
    return "-".join(symbols[i:i + GROUP] for i in range(0, len(symbols), GROUP))


def new_code() -> str:
    """A fresh random code in its canonical form, ``XXXX-XXXX-XXXX-XXXX``."""
    values = [secrets.randbelow(32) for _ in range(RANDOM_SYMBOLS)]
    values.append(_check_value(values))
    return _grouped("".join(ALPHABET[v] for v in values))


def normalise_code(raw: str) -> str:
    """The canonical form of a code as typed (any case, spaces or dashes anywhere, I/L for 1,
    O for 0), or :class:`InvalidCode`; no database is read to decide."""
    if not isinstance(raw, str) or len(raw) > 64:
        raise InvalidCode("a voucher code is 16 symbols, like ABCD-EFGH-JKMN-PQRS")
    symbols = [c for c in raw.upper() if c not in SEPARATORS]
    if len(symbols) != RANDOM_SYMBOLS + 1:
        raise InvalidCode(f"a voucher code has {RANDOM_SYMBOLS + 1} symbols, "
                          f"this has {len(symbols)}")
    unknown = sorted({c for c in symbols if c not in _VALUE})
    if unknown:
        raise InvalidCode(f"not a voucher code symbol: {', '.join(map(repr, unknown))}")
    values = [_VALUE[c] for c in symbols]
    if _weighted_sum(values) != 0:
        raise InvalidCode("the code's check symbol does not match: a symbol is mistyped")
    return _grouped("".join(ALPHABET[v] for v in values))


# --------------------------------------------------------------------------- keys

@dataclass(frozen=True, slots=True)
class VoucherKeys:
    """The lookup HMAC key and the sealing keys by kid (``current`` seals new codes)."""

    lookup: bytes
    seal: dict[str, bytes]
    current: str


def _key_bytes(text: object, what: str) -> bytes:
    try:
        key = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"voucher keys: {what} is not base64") from None
    if len(key) != 32:
        raise ValueError(f"voucher keys: {what} must be 32 bytes, is {len(key)}")
    return key


@lru_cache(maxsize=8)
def _parse(text: str) -> VoucherKeys:
    """Keys from their JSON; a malformed set is refused whole, naming what is wrong."""
    try:
        data = json.loads(text)
        seal_list = data["seal"]
        lookup = data["lookup"]
    except (ValueError, KeyError, TypeError):
        raise ValueError('voucher keys must be JSON {"lookup": "<base64>", "seal": '
                         '[{"kid": "…", "key": "<base64>"}, …]}') from None
    if not isinstance(seal_list, list) or not seal_list:
        raise ValueError("voucher keys: 'seal' needs at least one key, the current first")
    seal: dict[str, bytes] = {}
    for entry in seal_list:
        kid = str(entry.get("kid", "")) if isinstance(entry, dict) else ""
        if not kid or kid in seal:
            raise ValueError(f"voucher keys: every seal key needs its own kid, got {kid!r}")
        seal[kid] = _key_bytes(entry.get("key"), f"seal key {kid!r}")
    return VoucherKeys(_key_bytes(lookup, "lookup"), seal, str(seal_list[0]["kid"]))


def new_key_set() -> str:
    """A fresh key set's JSON: one lookup key and one seal key."""
    fresh = {"lookup": base64.b64encode(secrets.token_bytes(32)).decode(),
             "seal": [{"kid": f"k{secrets.token_hex(4)}",
                       "key": base64.b64encode(secrets.token_bytes(32)).decode()}]}
    return json.dumps(fresh, indent=2) + "\n"


def keys_file() -> Path:
    """Where the key file is when ``LOOPGATE_VOUCHER_KEYS`` is not set."""
    state_dir = os.environ.get(STATE_DIR_ENV, "").strip() or DEFAULT_STATE_DIR
    return Path(state_dir).expanduser() / KEYS_FILE


def _create_keys_file(path: Path) -> None:
    """Write a new key set readable by its owner only; of processes racing here, the first
    link wins and the others read its file (a reader never sees a half-written one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".voucher-keys-")
    try:
        with os.fdopen(fd, "w") as out:   # mkstemp creates it with mode 0600
            out.write(new_key_set())
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def voucher_keys() -> VoucherKeys:
    """The configured keys: ``LOOPGATE_VOUCHER_KEYS``, else the state directory's key file
    (created on first use). Parsed once per distinct content."""
    configured = os.environ.get(KEYS_ENV, "").strip()
    if configured:
        return _parse(configured)
    path = keys_file()
    if not path.exists():
        _create_keys_file(path)
    return _parse(path.read_text())


# --------------------------------------------------------------------------- lookup and seal

def code_lookup_key(code: str) -> str:
    """The HMAC-SHA256 (hex) of the canonical code: the voucher's lookup id. Any accepted
    spelling of one code gives the same key; a malformed code raises :class:`InvalidCode`."""
    canonical = normalise_code(code)
    return hmac.new(voucher_keys().lookup, canonical.encode(), hashlib.sha256).hexdigest()


def seal_code(code: str) -> dict[str, str]:
    """The code encrypted with the current key: ``{"kid", "nonce", "ct"}`` (base64)."""
    keys = voucher_keys()
    nonce = secrets.token_bytes(12)
    ct = AESGCM(keys.seal[keys.current]).encrypt(nonce, normalise_code(code).encode(), _AAD)
    return {"kid": keys.current, "nonce": base64.b64encode(nonce).decode(),
            "ct": base64.b64encode(ct).decode()}


def open_code(sealed: dict[str, str]) -> str:
    """The code a :func:`seal_code` result holds; :class:`SealedCodeError` when it was altered
    or its kid is no longer configured."""
    key = voucher_keys().seal.get(str(sealed.get("kid")))
    if key is None:
        raise SealedCodeError(f"no voucher key {sealed.get('kid')!r} is configured")
    try:
        nonce = base64.b64decode(sealed["nonce"], validate=True)
        ct = base64.b64decode(sealed["ct"], validate=True)
        return AESGCM(key).decrypt(nonce, ct, _AAD).decode()
    except (KeyError, InvalidTag, binascii.Error, ValueError, TypeError):
        raise SealedCodeError("the sealed voucher code was altered") from None
