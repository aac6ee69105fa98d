"""A bounded write-through cache for small per-member settings read on hot paths.

The writer puts a value once its transaction has committed; a reader that missed fills the
value it read from the database only if no write landed meanwhile, so a slow read can never
overwrite a newer committed value. Each process serves its own servers (shards own
servers), so the values a process writes are the ones it reads.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")

DEFAULT_CAPACITY = 100_000


class WriteThroughCache(Generic[Key, Value]):
    """Least recently used entries go first once `capacity` is reached."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._values: OrderedDict[Key, Value] = OrderedDict()
        self.hits = 0
        self.misses = 0
        # Bumped by every forget: a read that began before it must not bring the value back.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: Key) -> Value | None:
        if key in self._values:
            self._values.move_to_end(key)
            self.hits += 1
            return self._values[key]
        self.misses += 1
        return None

    def put(self, key: Key, value: Value) -> None:
        """A committed write: always wins."""
        self._values[key] = value
        self._values.move_to_end(key)
        self._trim()

    def fill(self, key: Key, value: Value, generation: int) -> Value:
        """What a read that began at `generation` found: kept unless a write or a forget
        landed while it was reading."""
        if key in self._values:
            return self._values[key]
        if generation != self.generation:
            return value
        self._values[key] = value
        self._trim()
        return value

    def forget_where(self, matches: Callable[[Key], bool]) -> int:
        """Drop every entry whose key matches (a member's data was deleted)."""
        self.generation += 1
        gone = [key for key in self._values if matches(key)]
        for key in gone:
            del self._values[key]
        return len(gone)

    def _trim(self) -> None:
        while len(self._values) > self._capacity:
            self._values.popitem(last=False)
