"""The marketing subgraph's GraphQL types (contract section ``[marketing]``)."""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key

from schema.kernel.context import SubgraphContext
from schema.kernel.entities import Partner
from schema.kernel.errors import bad_user_input
from schema.kernel.graphql_types import Money, PageInfo, SalesChannel, UserError
from schema.kernel.pagination import check_first, decode_cursor, encode_cursor
from schema.kernel.time import utcnow
from schema.marketing import stats as campaign_stats
from schema.marketing.campaigns import get_campaign
from schema.marketing.codes import open_code
from schema.marketing.collections import VOUCHERS
from schema.marketing.deals import SOLD, get_deal, merchant_deals, status_at
from schema.marketing.vouchers import status_at as voucher_status_at

Document = dict[str, Any]
CATALOG_READ = [["catalog:read"]]
VOUCHERS_READ = [["vouchers:read"]]
CAMPAIGN_READ = [["deals:write"], ["vouchers:read"]]


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)],
                            description="A physical store of a merchant or chain.")
class Store:
    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)],
                            description="A payment by a member (or a guest) to a merchant.")
class Payment:
    id: strawberry.ID


@strawberry.enum(description="ACTIVE: on sale; ENDED: its validity is over.")
class DealStatus(Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ENDED = "ENDED"


@strawberry.enum(description="ISSUED (usable) → REDEEMED, EXPIRED or REFUNDED; never back.")
class VoucherStatus(Enum):
    ISSUED = "ISSUED"
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"


def _owns(info: strawberry.Info, partner_id: str) -> bool:
    principal = info.context.principal
    return principal is not None and principal.member_id is None and principal.owns(partner_id)


@strawberry.type(description="Redemptions at one store.")
class StoreStats:
    store: Store = strawberry.field(description="The store.")
    redeemed: int = strawberry.field(description="Vouchers redeemed there.")


@strawberry.type(description="Sales through one channel.")
class ChannelStats:
    channel: SalesChannel = strawberry.field(description="The channel.")
    sold: int = strawberry.field(description="Vouchers sold (less refunded ones).")
    revenue: Money = strawberry.field(description="What they were paid (less refunds).")


@strawberry.type(description="A campaign's results, updated by every purchase, redemption "
                             "and refund as it is written (and equal to a recount from the "
                             "vouchers: `loopgate stats rebuild`).")
class CampaignStats:
    sold: int = strawberry.field(description="Vouchers sold, less refunded ones.")
    redeemed: int = strawberry.field(description="Vouchers redeemed.")
    revenue: Money = strawberry.field(description="What the sold vouchers were paid.")
    redemption_rate: float = strawberry.field(description="redeemed / sold (0 with none sold).")
    by_channel: list[ChannelStats] = strawberry.field(description="Sales per channel, most "
                                                                  "sold first.")
    updated_at: datetime = strawberry.field(description="When the figures last changed.")
    stores: strawberry.Private[dict[str, int]]

    @strawberry.field(description="Stores by redemptions, most first (ties by id).")
    def top_stores(self, first: int | None = 10) -> list[StoreStats]:
        size = check_first(first)
        ranked = sorted(self.stores.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
        return [StoreStats(store=Store(id=strawberry.ID(s)), redeemed=n) for s, n in ranked
                if n > 0]

    @classmethod
    def of(cls, figures: campaign_stats.Figures, updated_at: datetime) -> "CampaignStats":
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=figures.currency)
        channels = sorted(figures.channels.items(), key=lambda kv: (-kv[1]["sold"], kv[0]))
        return cls(sold=figures.sold, redeemed=figures.redeemed, revenue=money(figures.revenue),
                   redemption_rate=figures.redeemed / figures.sold if figures.sold > 0 else 0.0,
                   by_channel=[ChannelStats(channel=SalesChannel(c), sold=v["sold"],
                                            revenue=money(v["revenue"]))
                               for c, v in channels if v["sold"] or v["revenue"]],
                   updated_at=updated_at, stores=figures.stores)


@strawberry.type(description="A merchant's campaign: a period grouping deals, multiplying the "
                             "points earned in it. Its merchant's apps only.")
class Campaign:
    id: strawberry.ID = strawberry.field(description="The campaign's id (cmp_…).")
    merchant: Partner = strawberry.field(description="Whose campaign it is.")
    name: str = strawberry.field(description="Its name.")
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends (excluded).")
    points_multiplier: int = strawberry.field(description="earnPoints with this campaign's id "
                                                          "while it runs multiplies by this.")
    created_at: strawberry.Private[datetime]

    @strawberry.field(description="Its deals, oldest first.")
    async def deals(self, info: strawberry.Info) -> list["Deal"]:
        found = await merchant_deals(info.context.db, str(self.merchant.id))
        return [Deal.of(d) for d in found if d["campaignId"] == str(self.id)]

    @strawberry.field(description="Its live results.")
    async def stats(self, info: strawberry.Info) -> CampaignStats:
        figures, doc = await campaign_stats.read(info.context.db, str(self.id))
        return CampaignStats.of(figures, doc["updatedAt"] if doc else self.created_at)

    @classmethod
    def of(cls, doc: Document) -> "Campaign":
        return cls(id=strawberry.ID(doc["_id"]), merchant=Partner(id=strawberry.ID(
            doc["partnerId"])), name=doc["name"], starts_at=doc["startsAt"],
            ends_at=doc["endsAt"], points_multiplier=doc["pointsMultiplier"],
            created_at=doc["createdAt"])


@strawberry.type(description="Vouchers for sale by a merchant: open catalogue data.")
class Deal:
    id: strawberry.ID = strawberry.field(description="The deal's id (dea_…).")
    merchant: Partner = strawberry.field(description="Who sells it and redeems its vouchers.")
    title: str = strawberry.field(description="Its title.")
    description: str | None = strawberry.field(description="Its description.")
    price: Money = strawberry.field(description="What one voucher costs.")
    face_value: Money = strawberry.field(description="What one voucher is worth in store.")
    valid_from: datetime = strawberry.field(description="Vouchers are redeemable from then.")
    valid_until: datetime = strawberry.field(description="…until then (excluded); the deal "
                                                         "is on sale until then too.")
    stores: list[Store] = strawberry.field(description="Where its vouchers are redeemed; "
                                                       "empty: every store of the merchant.")
    stock_limit: int | None = strawberry.field(description="At most this many vouchers are "
                                                           "sold (none: no limit).")
    campaign_id: strawberry.Private[str | None]
    doc: strawberry.Private[Document]

    @strawberry.field(description="Vouchers issued and not refunded.")
    async def sold(self, info: strawberry.Info) -> int:
        return await SOLD.value(info.context.db, str(self.id))

    @strawberry.field(description="ACTIVE while on sale, ENDED once its validity is over.")
    def status(self) -> DealStatus:
        return DealStatus(status_at(self.doc, utcnow()))

    @strawberry.field(description="Its campaign: for the merchant's own apps (else null).")
    async def campaign(self, info: strawberry.Info) -> Campaign | None:
        if self.campaign_id is None or not _owns(info, str(self.merchant.id)):
            return None
        doc = await get_campaign(info.context.db, self.campaign_id)
        return Campaign.of(doc) if doc else None

    @classmethod
    def of(cls, doc: Document) -> "Deal":
        return cls(id=strawberry.ID(doc["_id"]),
                   merchant=Partner(id=strawberry.ID(doc["partnerId"])), title=doc["title"],
                   description=doc.get("description"),
                   price=Money.from_document(doc["price"]),
                   face_value=Money.from_document(doc["faceValue"]),
                   valid_from=doc["validFrom"], valid_until=doc["validUntil"],
                   stores=[Store(id=strawberry.ID(s)) for s in doc["storeIds"]],
                   stock_limit=doc.get("stockLimit"), campaign_id=doc.get("campaignId"),
                   doc=doc)


@strawberry.type(description="A deal's edge, with the distance to its nearest redeeming store "
                             "when the list was asked near a point.")
class DealEdge:
    cursor: str = strawberry.field(description="Where the next page starts.")
    node: Deal = strawberry.field(description="The deal.")
    distance_meters: int | None = strawberry.field(description="To the nearest store within "
                                                               "the radius that redeems it.")


@strawberry.type(description="Deals on sale, nearest first when asked near a point.")
class DealConnection:
    edges: list[DealEdge] = strawberry.field(description="This page's deals.")
    page_info: PageInfo = strawberry.field(description="Whether more follow.")


@strawberry.type(description="A voucher bought by a member: redeemed once, in a store of the "
                             "deal's merchant, within the deal's validity.")
class Voucher:
    id: strawberry.ID = strawberry.field(description="The voucher's id (vch_…).")
    issued_at: datetime = strawberry.field(description="When it was issued (its payment "
                                                       "succeeded).")
    expires_at: datetime = strawberry.field(description="When it expires (the deal's "
                                                        "validUntil).")
    redeemed_at: datetime | None = strawberry.field(description="When it was redeemed.")
    redeemed_store: Store | None = strawberry.field(description="Where it was redeemed.")
    doc: strawberry.Private[Document]

    @strawberry.field(description="Its deal.")
    async def deal(self, info: strawberry.Info) -> Deal:
        doc = await get_deal(info.context.db, self.doc["dealId"])
        assert doc is not None
        return Deal.of(doc)

    @strawberry.field(description="The member it belongs to.")
    def member(self) -> "MemberRef":
        return MemberRef(id=strawberry.ID(self.doc["memberId"]))

    @strawberry.field(description="The code to show at the till: the owning member's token "
                                  "only (it is a bearer secret); null for anyone else.")
    def code(self, info: strawberry.Info) -> str | None:
        principal = info.context.principal
        if principal is None or principal.member_id != self.doc["memberId"]:
            return None
        return open_code(self.doc["sealedCode"])

    @strawberry.field(description="Where it is.")
    def status(self) -> VoucherStatus:
        return VoucherStatus(voucher_status_at(self.doc, utcnow()))

    @classmethod
    def of(cls, doc: Document) -> "Voucher":
        store = doc.get("redeemedStoreId")
        return cls(id=strawberry.ID(doc["_id"]), issued_at=doc["issuedAt"],
                   expires_at=doc["expiresAt"], redeemed_at=doc.get("redeemedAt"),
                   redeemed_store=Store(id=strawberry.ID(store)) if store else None, doc=doc)


@strawberry.type(description="A member's vouchers.")
class VoucherEdge:
    cursor: str = strawberry.field(description="Where the next page starts.")
    node: Voucher = strawberry.field(description="The voucher.")


@strawberry.type(description="Vouchers, newest first.")
class VoucherConnection:
    edges: list[VoucherEdge] = strawberry.field(description="This page's vouchers.")
    page_info: PageInfo = strawberry.field(description="Whether more follow.")


async def member_vouchers(context: SubgraphContext, member_id: str, statuses: list[str] | None,
                          first: int, after: str | None) -> VoucherConnection | None:
    """The member's vouchers the caller may see: all for the member's own token, a
    merchant's own deals' for a merchant; newest first by id."""
    principal = context.principal
    if principal is None:
        return None
    filters: Document = {"memberId": member_id}
    if principal.member_id is not None:
        if principal.member_id != member_id:
            return None
    elif not principal.is_admin:
        filters["partnerId"] = principal.require_partner()
    before = decode_cursor(after)
    if before is not None:
        if not isinstance(before, str):
            raise bad_user_input("invalid cursor", argument="after")
        filters["_id"] = {"$lt": before}
    rows = []
    now = utcnow()
    async for doc in context.db[VOUCHERS].find(filters).sort("_id", -1):
        if statuses is None or voucher_status_at(doc, now) in statuses:
            rows.append(doc)
        if len(rows) > first:
            break
    edges = [VoucherEdge(cursor=encode_cursor(d["_id"]), node=Voucher.of(d))
             for d in rows[:first]]
    return VoucherConnection(edges=edges, page_info=PageInfo(
        has_next_page=len(rows) > first, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None))


@strawberry.federation.type(name="Member", keys=["id"],
                            description="A member of the coalition programme.")
class MemberRef:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "MemberRef":
        return cls(id=id)

    @strawberry.federation.field(requires_scopes=VOUCHERS_READ,
                                 description="The member's vouchers, newest first: all of them "
                                             "for the member's own token; a merchant sees only "
                                             "vouchers of its deals. first: at most 100.")
    async def vouchers(self, info: strawberry.Info, statuses: list[VoucherStatus] | None = None,
                       first: int | None = 20,
                       after: str | None = None) -> VoucherConnection | None:
        context: SubgraphContext = info.context
        context.require("vouchers:read")
        return await member_vouchers(context, str(self.id),
                                     [s.value for s in statuses] if statuses else None,
                                     check_first(first), after)


@strawberry.type(description="The result of createCampaign.")
class CampaignPayload:
    campaign: Campaign | None = strawberry.field(description="The campaign (null when refused).")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The result of createDeal.")
class DealPayload:
    deal: Deal | None = strawberry.field(description="The deal (null when refused).")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The result of purchaseDeal.")
class PurchaseDealPayload:
    payment: Payment | None = strawberry.field(description="Its payment (purpose DEAL, the "
                                                           "deal's merchant's).")
    vouchers: list[Voucher] = strawberry.field(description="The vouchers issued: at once for a "
                                                           "payment from balance, empty while "
                                                           "an EXTERNAL portion is unpaid.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The result of redeemVoucher and refundVoucher.")
class VoucherPayload:
    voucher: Voucher | None = strawberry.field(description="The voucher (null when refused).")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")

