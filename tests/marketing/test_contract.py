"""The marketing subgraph's SDL matches the contract's [marketing] section: names, types and
arguments, every type and field described; ``Member.vouchers`` is the marketing extension."""

from graphql import GraphQLNamedType, is_enum_type, is_input_object_type, is_object_type

from schema.marketing.schema import schema
from tests.catalog.test_contract import _contract, _fields

TYPES = ["Deal", "Voucher", "VoucherConnection", "VoucherEdge", "Campaign", "CampaignStats",
         "StoreStats", "ChannelStats", "DealConnection", "DealEdge", "CreateCampaignInput",
         "CreateDealInput", "PurchaseDealInput", "RedeemVoucherInput", "RefundVoucherInput",
         "DealPayload", "CampaignPayload", "PurchaseDealPayload", "VoucherPayload"]
ENUMS = ["DealStatus", "VoucherStatus", "SalesChannel"]
ROOTS = ["deal", "deals", "voucher", "campaign", "createCampaign", "createDeal",
         "purchaseDeal", "redeemVoucher", "refundVoucher"]


def _described(t: GraphQLNamedType) -> list[str]:
    missing = [] if t.description else [t.name]
    if is_object_type(t) or is_input_object_type(t):
        missing += [f"{t.name}.{n}" for n, f in t.fields.items() if not f.description]
    return missing


def test_the_sdl_matches_the_marketing_section() -> None:
    contract, ours = _contract(), schema._schema
    for name in TYPES:
        theirs, mine = contract.type_map[name], ours.type_map[name]
        assert is_object_type(theirs) == is_object_type(mine), name
        assert is_input_object_type(theirs) == is_input_object_type(mine), name
        assert _fields(mine) == _fields(theirs), name
    for name in ENUMS:
        assert is_enum_type(ours.type_map[name])
        assert set(ours.type_map[name].values) == set(contract.type_map[name].values), name
    roots = {**contract.query_type.fields, **contract.mutation_type.fields}
    mine_roots = {**ours.query_type.fields, **ours.mutation_type.fields}
    for field in ROOTS:
        assert str(mine_roots[field].type) == str(roots[field].type), field
        assert {a: str(v.type) for a, v in mine_roots[field].args.items()} == {
            a: str(v.type) for a, v in roots[field].args.items()}, field
        assert mine_roots[field].description, field
    member = ours.type_map["Member"]
    expected = contract.type_map["Member"].fields["vouchers"]
    assert str(member.fields["vouchers"].type) == str(expected.type)
    assert {a: str(v.type) for a, v in member.fields["vouchers"].args.items()} == {
        a: str(v.type) for a, v in expected.args.items()}


def test_every_marketing_type_is_described() -> None:
    ours = schema._schema
    assert [m for name in TYPES + ENUMS for m in _described(ours.type_map[name])] == []
