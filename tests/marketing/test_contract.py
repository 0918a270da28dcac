"""The marketing subgraph's SDL matches the contract's [marketing] section: names, types and
arguments, every type and field described; ``Member.vouchers`` is the marketing extension."""

from schema.marketing.schema import schema
from tests.contract import extension_mismatches, section_mismatches, undescribed

TYPES = ["Deal", "Voucher", "VoucherConnection", "VoucherEdge", "Campaign", "CampaignStats",
         "StoreStats", "ChannelStats", "DealConnection", "DealEdge", "CreateCampaignInput",
         "CreateDealInput", "PurchaseDealInput", "RedeemVoucherInput", "RefundVoucherInput",
         "DealPayload", "CampaignPayload", "PurchaseDealPayload", "VoucherPayload"]
ENUMS = ["DealStatus", "VoucherStatus", "SalesChannel"]
ROOTS = ["deal", "deals", "voucher", "campaign", "createCampaign", "createDeal",
         "purchaseDeal", "redeemVoucher", "refundVoucher"]
EXTENDED = [("Member", "vouchers")]


def test_the_sdl_matches_the_marketing_section() -> None:
    assert section_mismatches(schema._schema, TYPES, ENUMS, ROOTS) == []
    assert extension_mismatches(schema._schema, EXTENDED) == []


def test_every_marketing_type_is_described() -> None:
    assert undescribed(schema._schema, TYPES + ENUMS) == []
