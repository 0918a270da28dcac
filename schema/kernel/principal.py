"""Who is calling: built by ``auth`` from a verified token, handed to subgraphs by the gateway.

Repositories take the principal and filter by it (DESIGN.md §5 tenancy): a partner sees its
own documents; ``platform:admin`` is the platform operator. An app may be bound to some of its
partner's stores (``store_ids``, a store's staff app); an unbound app acts for all of them.
An app may instead be bound to one courier (``courier_id``, a free id the merchant or its
delivery partner assigns: ``loopgate clients create --courier ID``); its tokens act as that
courier.
"""

import re
from dataclasses import dataclass, field

from schema.kernel.errors import ErrorCode, graphql_error

ADMIN_SCOPE = "platform:admin"
COURIER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""A courier id: 1 to 64 letters, digits, ``_`` or ``-``."""


def is_courier_id(value: object) -> bool:
    return isinstance(value, str) and COURIER_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller: the OAuth client, its partner, the member it acts for, its scopes,
    the stores its app is bound to (none: not bound) and the courier it is bound to."""

    client_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    partner_id: str | None = None
    member_id: str | None = None
    sandbox: bool = False
    store_ids: frozenset[str] = field(default_factory=frozenset)
    courier_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes

    @property
    def is_store_bound(self) -> bool:
        """Whether the app acts only at some stores (a store's staff app)."""
        return bool(self.store_ids)

    def may_act_at(self, store_id: str) -> bool:
        """Whether the binding lets the app act at ``store_id``: always when unbound.

        Only the binding is checked here; the domain still checks that the store belongs to
        the caller's partner (an unbound app's partner owns only its own stores).
        """
        return not self.store_ids or store_id in self.store_ids

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def require_scope(self, scope: str) -> None:
        """Raise a FORBIDDEN GraphQL error unless the token carries ``scope``."""
        if scope not in self.scopes:
            raise graphql_error(f"this operation needs the '{scope}' scope",
                                ErrorCode.FORBIDDEN, scope=scope)

    def require_partner(self) -> str:
        """The caller's partner id; a token without a partner cannot act on partner data."""
        if self.partner_id is None:
            raise graphql_error("this operation needs a partner token", ErrorCode.FORBIDDEN)
        return self.partner_id

    def owns(self, partner_id: str | None) -> bool:
        """True when the caller may see or change data belonging to ``partner_id``."""
        return self.is_admin or (partner_id is not None and partner_id == self.partner_id)

    def scope_string(self) -> str:
        return " ".join(sorted(self.scopes))
