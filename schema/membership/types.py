"""The membership subgraph's GraphQL types (contract section ``[membership]``)."""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from schema.kernel.context import SubgraphContext
from schema.kernel.entities import Partner
from schema.kernel.errors import ErrorCode, graphql_error
from schema.kernel.graphql_types import Money, PageInfo, UserError
from schema.kernel.pagination import after_key, check_first, encode_cursor
from schema.membership.access import View, view_of
from schema.membership.cards import issue_card_code
from schema.membership.members import get_member
from schema.membership.phones import mask_phone
from schema.membership.tiers import Tier, tier_of
from schema.wallet import CURRENCY, points_history, stored_value_history, wallet_of

POINTS_READ = [["points:read"]]
MEMBERS_READ = [["members:read"]]
Document = dict[str, Any]

MemberTier = strawberry.enum(Tier, name="MemberTier",
                             description="Tier by points earned in the last 12 months.")


@strawberry.enum(description="What a points ledger entry records.")
class PointsEntryType(Enum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    REVERSE = "REVERSE"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"


@strawberry.enum(description="What a stored-value ledger entry records.")
class StoredValueEntryType(Enum):
    TOP_UP = "TOP_UP"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"
    ADJUST = "ADJUST"


@strawberry.type(description="One movement of a member's coalition points (append-only).")
class PointsLedgerEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id (led_…).")
    merchant: Partner = strawberry.field(
        description="Where it happened: the earning, redeeming or reversing merchant; for "
                    "EXPIRE, the merchant that issued the expired points.")
    type: PointsEntryType = strawberry.field(description="What the entry records.")
    points: int = strawberry.field(description="Signed: positive credited, negative debited.")
    balance_after: int = strawberry.field(description="The member's points balance after it.")
    reference: str | None = strawberry.field(description="The merchant's own reference.")
    created_at: datetime = strawberry.field(description="When it was booked.")

    @classmethod
    def of(cls, entry: Document) -> "PointsLedgerEntry":
        return cls(id=strawberry.ID(entry.get("id") or entry["_id"]),
                   merchant=Partner(id=strawberry.ID(entry["merchantId"])),
                   type=PointsEntryType(entry["type"]), points=entry["points"],
                   balance_after=entry["balanceAfter"], reference=entry.get("reference"),
                   created_at=entry["createdAt"])


@strawberry.type(description="An edge of a points ledger.")
class PointsLedgerEdge:
    cursor: str = strawberry.field(description="Pass as after for the entries after it.")
    node: PointsLedgerEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of points ledger entries, newest first.")
class PointsLedgerConnection:
    edges: list[PointsLedgerEdge] = strawberry.field(description="The entries of the page.")
    page_info: PageInfo = strawberry.field(description="Paging.")


@strawberry.type(description="One movement of a member's prepaid stored value.")
class StoredValueLedgerEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id (led_…).")
    type: StoredValueEntryType = strawberry.field(description="What the entry records.")
    amount: Money = strawberry.field(description="Signed: positive credited, negative debited.")
    balance_after: Money = strawberry.field(description="The balance after it.")
    reference: str | None = strawberry.field(description="The payment or refund it belongs to.")
    created_at: datetime = strawberry.field(description="When it was booked.")

    @classmethod
    def of(cls, entry: Document) -> "StoredValueLedgerEntry":
        currency = entry.get("currency", CURRENCY)
        return cls(id=strawberry.ID(entry["_id"]), type=StoredValueEntryType(entry["type"]),
                   amount=Money(amount=entry["amount"], currency=currency),
                   balance_after=Money(amount=entry["balanceAfter"], currency=currency),
                   reference=entry.get("reference"), created_at=entry["createdAt"])


@strawberry.type(description="An edge of a stored-value ledger.")
class StoredValueLedgerEdge:
    cursor: str = strawberry.field(description="Pass as after for the entries after it.")
    node: StoredValueLedgerEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of stored-value ledger entries, newest first.")
class StoredValueLedgerConnection:
    edges: list[StoredValueLedgerEdge] = strawberry.field(description="The entries of the page.")
    page_info: PageInfo = strawberry.field(description="Paging.")


@strawberry.type(description="The e-membership card: show code as a QR code; it rotates "
                             "every 60 s, so a screenshot stops working.")
class MembershipCard:
    code: str = strawberry.field(description="A signed code naming the member (≤ 64 "
                                             "characters, base32).")
    expires_at: datetime = strawberry.field(description="When the code stops scanning.")


def _before_seq(after: str | None, kind: str) -> int | None:
    key = after_key(after, lambda k: isinstance(k, list) and len(k) == 2 and k[0] == kind
                    and isinstance(k[1], int) and not isinstance(k[1], bool) and k[1] > 0)
    return None if key is None else key[1]


def _own_only(view: View, what: str) -> None:
    if view is not View.SELF:
        raise graphql_error(f"{what} is shown to the member's own token only",
                            ErrorCode.FORBIDDEN)


@strawberry.federation.type(keys=["id"], description="A member of the coalition programme: "
                            "one per phone number, platform-wide.")
class Member:
    id: strawberry.ID = strawberry.field(description="The member's id (mem_…).")
    display_name: str = strawberry.field(description="The name the member registered with.")
    phone_masked: str | None = strawberry.field(
        description="The phone number, masked (+86 138****0000); never shown in full.")
    joined_at: datetime = strawberry.field(description="When the member first registered.")
    view: strawberry.Private[View]

    @strawberry.field(description="Tier by points earned in the last 12 months (earnings "
                                  "less their reversals).")
    async def tier(self, info: strawberry.Info) -> MemberTier:  # type: ignore[valid-type]
        return await tier_of(info.context.db, str(self.id))

    @strawberry.federation.field(requires_scopes=POINTS_READ,
                                 description="The shared points balance: the member's own "
                                             "token, or points:read and a relationship.")
    async def points_balance(self, info: strawberry.Info) -> int | None:
        context: SubgraphContext = info.context
        context.require("points:read")
        return (await wallet_of(context.db, str(self.id))).points

    @strawberry.field(description="The prepaid stored-value balance: the member's own token "
                                  "only.")
    async def stored_value_balance(self, info: strawberry.Info) -> Money | None:
        _own_only(self.view, "storedValueBalance")
        wallet = await wallet_of(info.context.db, str(self.id))
        return Money(amount=wallet.stored_value, currency=wallet.currency)

    @strawberry.federation.field(requires_scopes=POINTS_READ,
                                 description="Points entries, newest first: all of them for "
                                             "the member's own token; a merchant sees only "
                                             "its own entries. first: at most 100.")
    async def points_ledger(self, info: strawberry.Info, first: int | None = 20,
                            after: str | None = None) -> PointsLedgerConnection | None:
        context: SubgraphContext = info.context
        principal = context.require("points:read")
        merchant = principal.partner_id if self.view is View.PARTNER else None
        size, before = check_first(first), _before_seq(after, "pts")
        rows, more = await points_history(context.db, str(self.id), merchant_id=merchant,
                                          first=size, before_seq=before)
        edges = [PointsLedgerEdge(cursor=encode_cursor(["pts", e["seq"]]),
                                  node=PointsLedgerEntry.of(e)) for e in rows]
        return PointsLedgerConnection(edges=edges, page_info=_page_info(edges, more, after))

    @strawberry.field(description="Stored-value entries, newest first: the member's own token "
                                  "only. first: at most 100.")
    async def stored_value_ledger(self, info: strawberry.Info, first: int | None = 20,
                                  after: str | None = None) -> StoredValueLedgerConnection | None:
        _own_only(self.view, "storedValueLedger")
        size, before = check_first(first), _before_seq(after, "sv")
        rows, more = await stored_value_history(info.context.db, str(self.id), first=size,
                                                before_seq=before)
        edges = [StoredValueLedgerEdge(cursor=encode_cursor(["sv", e["seq"]]),
                                       node=StoredValueLedgerEntry.of(e)) for e in rows]
        return StoredValueLedgerConnection(edges=edges,
                                           page_info=_page_info(edges, more, after))

    @strawberry.field(description="The e-membership card's current code: the member's own "
                                  "token only; ask again when it expires (60 s).")
    async def card(self, info: strawberry.Info) -> MembershipCard | None:
        _own_only(self.view, "card")
        code = await issue_card_code(info.context.db, str(self.id))
        return MembershipCard(code=code.code, expires_at=code.expires_at)

    @classmethod
    def of(cls, doc: Document, view: View) -> "Member":
        return cls(id=strawberry.ID(doc["_id"]), display_name=doc["displayName"],
                   phone_masked=mask_phone(doc["phone"]) if doc.get("phone") else None,
                   joined_at=doc["joinedAt"], view=view)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info,
                                id: strawberry.ID) -> "Member | None":
        context: SubgraphContext = info.context
        view = await view_of(context, str(id))
        doc = await get_member(context.db, str(id)) if view is not None else None
        return cls.of(doc, view) if doc and view else None


def _page_info(edges: list[Any], more: bool, after: str | None) -> PageInfo:
    return PageInfo(has_next_page=more, has_previous_page=bool(after),
                    start_cursor=edges[0].cursor if edges else None,
                    end_cursor=edges[-1].cursor if edges else None)


@strawberry.type(description="A merchant's part in the coalition programme.")
class EarnRule:
    merchant: Partner = strawberry.field(description="The merchant.")
    points_per_currency_unit: int = strawberry.field(
        description="Points per whole currency unit spent (100 minor units), rounded down.")
    point_value: Money = strawberry.field(
        description="What one point is worth when redeemed at this merchant.")

    @classmethod
    def of(cls, doc: Document) -> "EarnRule":
        return cls(merchant=Partner(id=strawberry.ID(doc["_id"])),
                   points_per_currency_unit=doc["pointsPerCurrencyUnit"],
                   point_value=Money.from_document(doc["pointValue"]))


@strawberry.type(description="The result of setEarnRule.")
class EarnRulePayload:
    earn_rule: EarnRule | None = strawberry.field(description="The rule now in force.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not set.")


@strawberry.type(description="The result of a points mutation.")
class PointsPayload:
    entry: PointsLedgerEntry | None = strawberry.field(description="The entry booked.")
    balance: int | None = strawberry.field(description="The member's points balance after it.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was booked.")

    @classmethod
    def of(cls, result: Document) -> "PointsPayload":
        return cls(entry=PointsLedgerEntry.of(result["entry"]) if result["entry"] else None,
                   balance=result["balance"],
                   user_errors=[UserError(code=e["code"], field=e["field"],
                                          message=e["message"])
                                for e in result["userErrors"]])


@strawberry.type(description="The result of registerMember.")
class MemberPayload:
    member: Member | None = strawberry.field(description="The member the phone belongs to.")
    user_errors: list[UserError] = strawberry.field(description="Why nobody was registered.")


@strawberry.type(description="What an issuer owes a redeemer for points redeemed at the "
                             "redeemer, less reversals, over a period.")
class PointsSettlementLine:
    issuer: Partner = strawberry.field(description="The merchant whose points were spent.")
    redeemer: Partner = strawberry.field(description="The merchant they were spent at.")
    points: int = strawberry.field(description="Points redeemed less points reversed.")
    amount: Money = strawberry.field(description="points times the redeemer's pointValue: what "
                                                 "the issuer owes the redeemer.")
