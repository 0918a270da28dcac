from datetime import UTC, datetime, timedelta, timezone

import pytest
from graphql import GraphQLError

from schema.kernel.pagination import build_page, check_first, decode_cursor, encode_cursor
from schema.kernel.time import as_utc, parse_iso, to_iso, utcnow


def test_utcnow_is_aware_and_millisecond_precise() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert now.microsecond % 1000 == 0


def test_iso_round_trip_in_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    value = datetime(2026, 11, 25, 16, 30, 0, 123000, tzinfo=shanghai)
    assert to_iso(value) == "2026-11-25T08:30:00.123Z"
    assert parse_iso("2026-11-25T08:30:00.123Z") == value
    assert as_utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_timestamps_without_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        parse_iso("2026-11-25T08:30:00")


def test_cursor_round_trip_and_garbage() -> None:
    assert decode_cursor(encode_cursor(["sto_01", 42])) == ["sto_01", 42]
    with pytest.raises(GraphQLError) as caught:
        decode_cursor("not a cursor!")
    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "argument": "after"}


@pytest.mark.parametrize("first", [0, -1, 101])
def test_first_out_of_range_is_bad_user_input(first: int) -> None:
    with pytest.raises(GraphQLError, match="between 1 and 100"):
        check_first(first)


def test_first_limits() -> None:
    assert check_first(None) == 20
    assert check_first(1000, maximum=1000) == 1000


def test_build_page_detects_next_page_from_the_extra_row() -> None:
    rows = [{"_id": f"r{i}"} for i in range(4)]
    page = build_page(rows, 3, after_given=True, cursor_key=lambda r: r["_id"],
                      to_node=lambda r: r["_id"])
    assert [e.node for e in page.edges] == ["r0", "r1", "r2"]
    assert page.page_info.has_next_page and page.page_info.has_previous_page
    assert decode_cursor(page.page_info.end_cursor or "") == "r2"
    last = build_page(rows[:2], 3, after_given=False, cursor_key=lambda r: r["_id"],
                      to_node=lambda r: r["_id"])
    assert not last.page_info.has_next_page and not last.page_info.has_previous_page
