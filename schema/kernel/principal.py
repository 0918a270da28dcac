"""Who is calling: built by ``auth`` from a verified token, handed to subgraphs by the gateway.

Repositories take the principal and filter by it (DESIGN.md §5 tenancy): a partner sees its
own documents; ``platform:admin`` is the platform operator. An app may be bound to some of its
partner's stores (``store_ids``, a store's staff app); an unbound app acts for all of them.
"""

from dataclasses import dataclass, field

from schema.kernel.errors import ErrorCode, graphql_error

ADMIN_SCOPE = "platform:admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller: the OAuth client, its partner, the member it acts for, its scopes,
    and the stores its app is bound to (none: not bound)."""

    client_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    partner_id: str | None = None
    member_id: str | None = None
    sandbox: bool = False
    store_ids: frozenset[str] = field(default_factory=frozenset)

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
