"""Who may see a member, and as whom (DESIGN.md §5, contract ``[membership]``).

- The member's own token (authorization code + PKCE) sees everything of its member: the
  member's own view wins over the app partner's. It sees no other member.
- A partner sees a member it has a relationship with (registration, earning, redeeming or a
  payment there, :mod:`schema.membership.relationships`), limited to its own activity.
- A store's staff app (or the merchant's own app) that scans a valid card code sees that
  member as a partner does, for that request: the member showed the card at its till.
"""

from enum import Enum

from schema.kernel.context import SubgraphContext
from schema.membership.relationships import has_relationship


class View(Enum):
    SELF = "self"
    PARTNER = "partner"


async def view_of(context: SubgraphContext, member_id: str) -> View | None:
    """How the caller sees ``member_id``, None when it may not."""
    principal = context.principal
    if principal is None:
        return None
    if principal.member_id is not None:
        return View.SELF if principal.member_id == member_id else None
    if principal.partner_id is not None and await has_relationship(
            context.db, principal.partner_id, member_id):
        return View.PARTNER
    return None
