"""Prefixed ULID identifiers (DESIGN.md §5): ``sto_01J…``; the Mongo ``_id`` is that string.

ULIDs sort by creation time, so ``_id`` order is insertion order and cursors stay cheap.
Seeds need the same id on every run, hence :func:`stable_id`, derived from a natural key.
"""

import hashlib
import re

from ulid import ULID

PREFIXES: frozenset[str] = frozenset(
    ("ptn", "app", "sto", "prd", "ord", "mem", "pay", "ref", "dea", "vch", "cmp", "evt", "whk",
     "sgr", "led", "opn", "usr")
)

_ID_PATTERN = re.compile(r"^(?P<prefix>[a-z]{3})_(?P<ulid>[0-9A-HJKMNP-TV-Z]{26})$")


class InvalidId(ValueError):
    """A string that is not a well-formed Loopgate id (or not of the expected kind)."""


def _check_prefix(prefix: str) -> None:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}; known: {' '.join(sorted(PREFIXES))}")


def new_id(prefix: str) -> str:
    """A fresh id of the given kind, e.g. ``new_id("sto")``."""
    _check_prefix(prefix)
    return f"{prefix}_{ULID()}"


def stable_id(prefix: str, natural_key: str) -> str:
    """The same id for the same natural key on every run, so re-seeding stays idempotent."""
    _check_prefix(prefix)
    digest = hashlib.sha256(f"{prefix}:{natural_key}".encode()).digest()
    return f"{prefix}_{ULID.from_bytes(digest[:16])}"


def parse_id(value: object, prefix: str | None = None) -> str:
    """Return ``value`` if it is a well-formed id (of ``prefix`` when given), else raise InvalidId.

    Rejecting anything that is not a plain string also stops NoSQL operator injection
    (``{"$gt": ""}``) before a value reaches a query.
    """
    if not isinstance(value, str):
        raise InvalidId(f"an id must be a string, got {type(value).__name__}")
    match = _ID_PATTERN.match(value)
    if match is None:
        raise InvalidId(f"{value!r} is not a Loopgate id (expected prefix_ULID)")
    if prefix is not None and match["prefix"] != prefix:
        raise InvalidId(f"{value!r} is not a {prefix}_ id")
    return value


def id_prefix(value: str) -> str:
    """The kind of an id (``"sto"`` for ``sto_01J…``)."""
    return parse_id(value).split("_", 1)[0]
