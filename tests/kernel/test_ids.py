import pytest

from schema.kernel.ids import PREFIXES, InvalidId, id_prefix, new_id, parse_id, stable_id


def test_new_id_has_prefix_and_parses() -> None:
    value = new_id("sto")
    assert value.startswith("sto_") and len(value) == 30
    assert parse_id(value, "sto") == value
    assert id_prefix(value) == "sto"


def test_new_ids_are_unique_and_sort_by_creation() -> None:
    values = [new_id("ord") for _ in range(200)]
    assert len(set(values)) == 200
    assert [v[:14] for v in values] == sorted(v[:14] for v in values)


def test_unknown_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown id prefix"):
        new_id("xyz")


def test_every_documented_prefix_is_known() -> None:
    documented = "ptn app sto prd ord mem pay ref dea vch cmp evt whk sgr"
    ledger_entries_operations_and_console_users = {"led", "opn", "usr"}
    assert set(documented.split()) | ledger_entries_operations_and_console_users == PREFIXES


def test_stable_id_is_deterministic_and_distinct() -> None:
    assert stable_id("sto", "quickmart:SH-0001") == stable_id("sto", "quickmart:SH-0001")
    assert stable_id("sto", "quickmart:SH-0001") != stable_id("sto", "quickmart:SH-0002")
    assert stable_id("sto", "x")[4:] != stable_id("prd", "x")[4:]
    assert parse_id(stable_id("prd", "sku-1"), "prd")


@pytest.mark.parametrize(
    "bad",
    [{"$gt": ""}, ["sto_01J"], 42, None, "", "sto_", "sto-01JABCDEFGHJKMNPQRSTVWXYZ0",
     "sto_01JABCDEFGHJKMNPQRSTVWXYZU", "STO_01JABCDEFGHJKMNPQRSTVWXYZ0"],
)
def test_malformed_ids_and_operator_injection_are_refused(bad: object) -> None:
    with pytest.raises(InvalidId):
        parse_id(bad)


def test_wrong_kind_is_refused() -> None:
    with pytest.raises(InvalidId, match="not a prd_ id"):
        parse_id(new_id("sto"), "prd")
