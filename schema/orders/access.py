"""Who sees an order and in which roles they act on it (issue 14, points 5 and 6).

Visible to its merchant (an unbound app of the merchant; a store-bound app only when bound
to one of the serving stores), the member (their own token), the partner whose app placed it
and the courier it is assigned to (an app bound to that courier). The roles follow the same
lines: STORE_STAFF (the merchant's apps, store-bound ones at a serving store), CUSTOMER, the
placing PARTNER (another partner than the merchant) and COURIER.
"""

from typing import Any

from schema.kernel.principal import Principal
from schema.orders.machine import Actor

Document = dict[str, Any]


def courier_of(principal: Principal) -> str | None:
    """The courier an app is bound to (``loopgate clients create --courier``), if any."""
    return principal.courier_id


def is_staff(principal: Principal, merchant_id: str, store_ids: list[str]) -> bool:
    """A merchant's own app (not a member's or a courier's token), bound to one of
    ``store_ids`` when it is store-bound."""
    if principal.member_id is not None or courier_of(principal) is not None:
        return False
    if principal.is_admin:
        return True
    return principal.partner_id == merchant_id and (
        not principal.is_store_bound or any(principal.may_act_at(s) for s in store_ids))


def roles(principal: Principal, order: Document) -> frozenset[Actor]:
    found: set[Actor] = set()
    if is_staff(principal, order["merchantId"], order["storeIds"]):
        found.add(Actor.STORE_STAFF)
    if principal.member_id is not None and principal.member_id == order.get("memberId"):
        found.add(Actor.CUSTOMER)
    courier = courier_of(principal)
    if (courier is not None and courier == order.get("courierId")
            and principal.partner_id in (order["merchantId"], order.get("courierBy"))):
        found.add(Actor.COURIER)
    placer = order["placedBy"]["partnerId"]
    if (principal.member_id is None and courier is None and placer != order["merchantId"]
            and principal.partner_id == placer):
        found.add(Actor.PARTNER)
    return frozenset(found)


def may_see(principal: Principal, order: Document) -> bool:
    return principal.is_admin or bool(roles(principal, order))
