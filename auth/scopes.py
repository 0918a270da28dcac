"""The scope catalogue (DESIGN.md §6): every scope a token may carry, in plain words.

The consent page shows these descriptions to members, the server metadata advertises the
names, and the token endpoint refuses any scope not listed here (``invalid_scope``).
"""

from collections.abc import Iterable

SCOPES: dict[str, str] = {
    "stores:read": "See stores: names, addresses, opening hours and services",
    "stores:write": "Add and change your stores and their opening hours",
    "catalog:read": "See products, prices and where they are available",
    "catalog:write": "Add and change your products and prices",
    "inventory:read": "See the stock levels in your stores",
    "inventory:write": "Update the stock levels in your stores",
    "orders:read": "See your orders and their status",
    "orders:write": "Place orders and change their status",
    "members:read": "See your member profile and membership tier",
    "members:write": "Change your member profile",
    "points:read": "See your points balance and history",
    "points:write": "Earn and spend your points",
    "payments:read": "See your payments and settlements",
    "payments:write": "Make payments on your behalf",
    "refunds:write": "Refund payments",
    "deals:write": "Create and change deals and campaigns",
    "vouchers:read": "See your vouchers",
    "vouchers:redeem": "Redeem vouchers at a store",
    "apps:manage": "Create apps for your partner, rotate their secrets and revoke them",
    "webhooks:manage": "Manage webhook endpoints and deliveries",
    "subgraphs:manage": "Register and update partner subgraphs",
    "platform:admin": "Operate the whole platform (platform staff only)",
}


class UnknownScope(ValueError):
    """A scope name that is not in the catalogue."""


def parse_scopes(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Split a space-separated scope string (or an iterable) into sorted, unique known scopes."""
    names = text.split() if isinstance(text, str) else list(text or ())
    unknown = sorted(set(names) - SCOPES.keys())
    if unknown:
        raise UnknownScope(f"unknown scope(s): {' '.join(unknown)}; known: {' '.join(SCOPES)}")
    return tuple(sorted(set(names)))


def scope_string(scopes: Iterable[str]) -> str:
    """The canonical space-separated form (sorted, unique)."""
    return " ".join(sorted(set(scopes)))


def describe(scopes: Iterable[str]) -> list[tuple[str, str]]:
    """(scope, plain-word description) pairs for a consent page, in catalogue order."""
    wanted = set(scopes)
    return [(name, text) for name, text in SCOPES.items() if name in wanted]
