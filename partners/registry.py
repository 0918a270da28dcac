"""The partner registry: onboarding a partner (the platform admin's ``loopgate partners create``)
and the scopes its apps may be granted.

A partner document is ``{_id: ptn_…, name, type, slug, grantableScopes, createdAt, updatedAt}``
in the live database's ``partners`` (the registry has no sandbox twin). Its slug is unique: a
lookup document ``{_id: <slug>, partnerId}`` in ``partner_slugs`` is inserted first, and a
unique insert is atomic on FerretDB as on MongoDB, so two admins creating the same slug at once
get one partner and one clear error.

``grantableScopes`` bounds every app of the partner (:mod:`auth.clients` refuses any other
scope, for the CLI and self-service alike). The defaults per type follow what each kind of
partner does on the platform (DESIGN.md §1); the admin may pass ``--scopes`` instead:

- MERCHANT and STORE_CHAIN own stores, products, stock, orders, deals and their members'
  points: every scope but ``platform:admin``.
- ERP_VENDOR connects a back office: stores, catalogue, stock and orders both ways and
  settlements to read (``payments:read``); no member data, points, payments, refunds, deals or
  voucher redemption, which are not a back office's business.
- SERVICE_PROVIDER builds apps for members and merchants (ordering, delivery, loyalty): reads
  the open catalogue and stock, places and moves orders, acts for members who consent (profile,
  points, payments, vouchers to read); it owns no stores, products or deals, so no
  ``stores:write``, ``catalog:write``, ``inventory:write``, ``deals:write``, ``refunds:write``
  or ``vouchers:redeem``.
- INTERNAL (the platform's own apps): every scope but ``platform:admin``, which an INTERNAL
  partner gets only when the admin names it in ``--scopes``; no other type may ever have it.

Every partner may manage its own apps, webhooks and subgraphs (``apps:manage``,
``webhooks:manage``, ``subgraphs:manage``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from auth.scopes import SCOPES, UnknownScope, parse_scopes
from schema.kernel.ids import new_id
from schema.kernel.principal import ADMIN_SCOPE
from schema.kernel.time import utcnow

PARTNERS = "partners"
PARTNER_SLUGS = "partner_slugs"
PARTNER_TYPES: tuple[str, ...] = ("MERCHANT", "ERP_VENDOR", "STORE_CHAIN", "SERVICE_PROVIDER",
                                  "INTERNAL")
NAME_MAX = 200
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
"""A slug: 1 to 64 lowercase letters, digits and inner hyphens."""

SELF_SERVICE = frozenset({"apps:manage", "webhooks:manage", "subgraphs:manage"})
_ALL_BUT_ADMIN = frozenset(SCOPES) - {ADMIN_SCOPE}
DEFAULT_GRANTABLE: dict[str, frozenset[str]] = {
    "MERCHANT": _ALL_BUT_ADMIN,
    "STORE_CHAIN": _ALL_BUT_ADMIN,
    "ERP_VENDOR": SELF_SERVICE | {"stores:read", "stores:write", "catalog:read",
                                  "catalog:write", "inventory:read", "inventory:write",
                                  "orders:read", "orders:write", "payments:read"},
    "SERVICE_PROVIDER": SELF_SERVICE | {"stores:read", "catalog:read", "inventory:read",
                                        "orders:read", "orders:write", "members:read",
                                        "members:write", "points:read", "points:write",
                                        "payments:read", "payments:write", "vouchers:read"},
    "INTERNAL": _ALL_BUT_ADMIN,
}


class PartnerRegistrationError(ValueError):
    """A partner cannot be created as asked; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def grantable_scopes(partner: dict[str, Any]) -> frozenset[str]:
    """The scopes ``partner``'s apps may hold: its ``grantableScopes``, or its type's default
    for a partner created before the field existed."""
    stored = partner.get("grantableScopes")
    if isinstance(stored, list):
        return frozenset(stored)
    return DEFAULT_GRANTABLE.get(str(partner.get("type")), frozenset())


def slug_of(name: str) -> str:
    """A slug from a name: lowercase ASCII letters and digits, other runs become one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise PartnerRegistrationError("a partner needs a name", "name")
    text = name.strip()
    if len(text) > NAME_MAX:
        raise PartnerRegistrationError(f"a name has at most {NAME_MAX} characters", "name")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise PartnerRegistrationError("a name has no control characters", "name")
    return text


def _type(partner_type: object) -> str:
    if partner_type not in PARTNER_TYPES:
        raise PartnerRegistrationError(
            f"unknown partner type {partner_type!r}; one of {' '.join(PARTNER_TYPES)}", "type")
    return str(partner_type)


def _slug(slug: object, name: str) -> str:
    value = slug_of(name) if slug is None else slug
    if not isinstance(value, str) or SLUG.fullmatch(value) is None:
        hint = " (the name gives none: pass --slug)" if slug is None else ""
        raise PartnerRegistrationError(
            f"a slug is 1 to 64 lowercase letters, digits and inner hyphens, got {value!r}"
            f"{hint}", "slug")
    return value


def _scopes(scopes: str | Iterable[str] | None, partner_type: str) -> list[str]:
    if scopes is None:
        return sorted(DEFAULT_GRANTABLE[partner_type])
    try:
        names = parse_scopes(scopes)
    except UnknownScope as exc:
        raise PartnerRegistrationError(str(exc), "scopes") from exc
    if ADMIN_SCOPE in names and partner_type != "INTERNAL":
        raise PartnerRegistrationError(
            f"only an INTERNAL partner may grant {ADMIN_SCOPE}", "scopes")
    return list(names)


async def create_partner(db: AsyncDatabase, *, name: str, partner_type: str,
                         slug: str | None = None,
                         scopes: str | Iterable[str] | None = None) -> dict[str, Any]:
    """Create a partner in the live ``db``; returns its document.

    ``slug`` defaults to one made from the name; ``scopes`` (the grantable scopes) to the
    type's default. Raises :class:`PartnerRegistrationError` naming the field at fault, having
    written nothing.
    """
    text = _name(name)
    kind = _type(partner_type)
    handle = _slug(slug, text)
    grantable = _scopes(scopes, kind)
    if await db[PARTNERS].find_one({"slug": handle}, {"_id": 1}) is not None:
        raise PartnerRegistrationError(f"the slug {handle!r} is taken", "slug")
    partner_id = new_id("ptn")
    try:
        await db[PARTNER_SLUGS].insert_one({"_id": handle, "partnerId": partner_id})
    except DuplicateKeyError as exc:
        raise PartnerRegistrationError(f"the slug {handle!r} is taken", "slug") from exc
    now = utcnow()
    doc = {"_id": partner_id, "name": text, "type": kind, "slug": handle,
           "grantableScopes": grantable, "createdAt": now, "updatedAt": now}
    try:
        await db[PARTNERS].insert_one(doc)
    except BaseException:
        await db[PARTNER_SLUGS].delete_one({"_id": handle, "partnerId": partner_id})
        raise
    return doc


async def reserve_slug(db: AsyncDatabase, slug: str, partner_id: str) -> None:
    """Record ``slug`` as ``partner_id``'s (idempotent; for partners written by a seed)."""
    with contextlib.suppress(DuplicateKeyError):
        await db[PARTNER_SLUGS].insert_one({"_id": slug, "partnerId": partner_id})


async def get_partner(db: AsyncDatabase, partner_id: str) -> dict[str, Any] | None:
    """A partner by id (a point read), or None."""
    if not isinstance(partner_id, str):
        return None
    return await db[PARTNERS].find_one({"_id": partner_id})
