"""The membership SDL matches the contract's [membership] section, described throughout."""

import pytest
from graphql.type import is_enum_type, is_input_object_type, is_object_type

from schema.membership.schema import schema
from tests.contract import contract as _contract
from tests.contract import fields as _fields

TYPES = ["Member", "MembershipCard", "PointsLedgerEntry", "PointsLedgerConnection",
         "PointsLedgerEdge", "StoredValueLedgerEntry", "StoredValueLedgerConnection",
         "StoredValueLedgerEdge", "EarnRule", "EarnRulePayload", "RegisterMemberInput",
         "SetEarnRuleInput", "EarnPointsInput", "RedeemPointsInput", "ReversePointsInput",
         "PointsPayload", "MemberPayload", "PointsSettlementLine"]
ENUMS = ["MemberTier", "PointsEntryType", "StoredValueEntryType"]
ROOTS = ["me", "member", "memberByCard", "earnRule", "pointsSettlement", "registerMember",
         "setEarnRule", "earnPoints", "redeemPoints", "reversePoints"]
OTHER_SECTIONS = {"orders", "vouchers"}   # Member fields other subgraphs add


@pytest.mark.parametrize("name", TYPES)
def test_types_match_the_contract(name: str) -> None:
    theirs, mine = _contract().type_map[name], schema._schema.type_map[name]
    assert is_object_type(theirs) == is_object_type(mine)
    assert is_input_object_type(theirs) == is_input_object_type(mine)
    expected = {k: v for k, v in _fields(theirs).items() if k not in OTHER_SECTIONS}
    assert _fields(mine) == expected


@pytest.mark.parametrize("name", ENUMS)
def test_enums_match_the_contract(name: str) -> None:
    theirs, mine = _contract().type_map[name], schema._schema.type_map[name]
    assert is_enum_type(mine) and set(mine.values) == set(theirs.values)


@pytest.mark.parametrize("field", ROOTS)
def test_roots_match_the_contract(field: str) -> None:
    contract, ours = _contract(), schema._schema
    theirs = {**contract.query_type.fields, **contract.mutation_type.fields}[field]
    mine = {**ours.query_type.fields, **ours.mutation_type.fields}[field]
    assert str(mine.type) == str(theirs.type)
    assert {a: str(v.type) for a, v in mine.args.items()} == {
        a: str(v.type) for a, v in theirs.args.items()}


def test_every_type_and_field_is_described() -> None:
    ours = schema._schema
    for name in TYPES + ENUMS:
        named = ours.type_map[name]
        assert named.description, name
        for field_name, field in getattr(named, "fields", {}).items():
            assert field.description, f"{name}.{field_name}"
    for field in ROOTS:
        root = {**ours.query_type.fields, **ours.mutation_type.fields}[field]
        assert root.description, field
