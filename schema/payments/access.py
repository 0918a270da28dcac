"""Who sees a payment (issue #12): its merchant, the paying member's own token, and the app
that created it (and the platform operator). A member token sees only its own member's
payments, whoever the app's partner is: for member-owned data the member's view wins."""

from typing import Any

from schema.kernel.principal import Principal


def may_see(principal: Principal, payment: dict[str, Any]) -> bool:
    if principal.member_id is not None:
        return payment.get("memberId") == principal.member_id
    return (principal.owns(payment["merchantId"])
            or principal.client_id == payment.get("clientId"))


def may_change(principal: Principal, payment: dict[str, Any]) -> bool:
    """Cancel or refund: the merchant's own apps (not a member's token), or the operator."""
    return principal.member_id is None and principal.owns(payment["merchantId"])
