"""A small per-process LRU with an optional time to live, for the stores' hot lookups."""

import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_MISSING = object()


class LruCache(Generic[V]):
    """At most ``capacity`` entries; each lives ``ttl_s`` seconds (None: until evicted)."""

    def __init__(self, capacity: int, ttl_s: float | None = None) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, default: object = _MISSING) -> V | object:
        """The value, or ``default`` when absent or expired (then it is dropped)."""
        item = self._items.get(key)
        if item is None:
            return default
        expires, value = item
        if expires < time.monotonic():
            del self._items[key]
            return default
        self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        expires = float("inf") if self.ttl_s is None else time.monotonic() + self.ttl_s
        self._items[key] = (expires, value)
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def pop(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def keys(self) -> list[Hashable]:
        return list(self._items)


MISSING = _MISSING
"""What :meth:`LruCache.get` returns for an absent key unless told otherwise."""
