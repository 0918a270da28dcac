"""Relay connections (DESIGN.md §5): ``first``/``after``, opaque cursors, ``pageInfo``.

Cursors wrap the sort key of the last row seen (usually ``_id``), so the next page is a
range query rather than a skip, and stays correct while rows are inserted.

One rule for ``after`` on every connection and feed (:func:`after_key`): null and ``""``
both mean the start; anything else must be a cursor this connection gave out, else the
request is a BAD_USER_INPUT error on ``after``.
"""

import binascii
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from schema.kernel.errors import bad_user_input

T = TypeVar("T")
N = TypeVar("N")

DEFAULT_MAX_FIRST = 100


def encode_cursor(key: Any) -> str:
    """An opaque cursor for a sort key (any JSON value)."""
    return urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The sort key inside a cursor, None for the start (a null or empty cursor); a
    malformed cursor is a BAD_USER_INPUT error."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return orjson.loads(urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise bad_user_input(f"invalid cursor {cursor!r}", argument="after") from exc


def after_key(after: str | None, valid: Callable[[Any], bool]) -> Any:
    """The sort key a page starts after, or None for the start; a cursor whose key ``valid``
    refuses (one of another connection's, say) is a BAD_USER_INPUT error on ``after``."""
    key = decode_cursor(after)
    if key is not None and not valid(key):
        raise bad_user_input("invalid cursor: not one this list gave out; pass null or \"\" "
                             "to start from the beginning", argument="after")
    return key


def check_first(first: int | None, *, default: int = 20, maximum: int = DEFAULT_MAX_FIRST) -> int:
    """Validate a page size: 1 ≤ first ≤ maximum, else BAD_USER_INPUT."""
    value = default if first is None else first
    if value < 1 or value > maximum:
        raise bad_user_input(f"first must be between 1 and {maximum}, got {value}",
                             argument="first")
    return value


@dataclass(frozen=True, slots=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@dataclass(frozen=True, slots=True)
class Edge(Generic[N]):
    cursor: str
    node: N


@dataclass(frozen=True, slots=True)
class Page(Generic[N]):
    """One page of a connection, ready to be mapped onto a GraphQL connection type."""

    edges: list[Edge[N]]
    page_info: PageInfo


def build_page(rows: Sequence[T], first: int, *, after_given: bool,
               cursor_key: Callable[[T], Any],
               to_node: Callable[[T], N]) -> Page[N]:
    """Build a page from up to ``first + 1`` rows fetched past the cursor.

    Fetching one extra row tells whether a next page exists without a count query.
    """
    visible = rows[:first]
    edges = [Edge(encode_cursor(cursor_key(row)), to_node(row)) for row in visible]
    return Page(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after_given,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
