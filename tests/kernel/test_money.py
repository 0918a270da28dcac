import pytest

from schema.kernel.money import CurrencyMismatch, Money


def test_arithmetic_stays_in_integer_minor_units() -> None:
    price = Money(1999)
    assert price + Money(1) == Money(2000)
    assert price - Money(2000) == Money(-1)
    assert price.times(3) == Money(5997)
    assert -price == Money(-1999)
    assert Money.zero() < price <= Money(1999)


def test_currencies_never_mix() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(100, "CNY") + Money(100, "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "CNY") < Money(100, "HKD")


@pytest.mark.parametrize("amount", [1.5, "100", True, None])
def test_amount_must_be_an_int(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount)  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["cny", "YUAN", "", "C1Y"])
def test_currency_must_be_iso_4217(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(100, currency)


def test_percent_rounds_half_up_in_both_directions() -> None:
    assert Money(1000).percent(250) == Money(25)
    assert Money(1).percent(5000) == Money(1)
    assert Money(3).percent(5000) == Money(2)
    assert Money(-3).percent(5000) == Money(-2)
    assert Money(999).percent(333) == Money(33)


@pytest.mark.parametrize(
    ("amount", "weights"),
    [(100, [1, 1, 1]), (1001, [3, 7]), (5, [1, 1, 1, 1, 1, 1, 1]), (-100, [1, 2]), (0, [4, 1])],
)
def test_allocate_always_sums_to_the_whole(amount: int, weights: list[int]) -> None:
    parts = Money(amount).allocate(weights)
    assert sum(p.amount for p in parts) == amount
    assert len(parts) == len(weights)
    exact = [amount * w / sum(weights) for w in weights]
    assert all(abs(p.amount - e) < 1 for p, e in zip(parts, exact, strict=True))


def test_allocate_refuses_bad_weights() -> None:
    with pytest.raises(ValueError, match="weights"):
        Money(100).allocate([0, 0])


def test_document_round_trip() -> None:
    money = Money(4250, "CNY")
    assert money.to_document() == {"amount": 4250, "currency": "CNY"}
    assert Money.from_document(money.to_document()) == money
