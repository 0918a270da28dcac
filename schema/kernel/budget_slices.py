"""One process's slices of shared token buckets: spent locally, so a request writes nothing.

A request's cost is taken from the tokens this process holds for the bucket. Only when they
run short does it withdraw from the store (:mod:`schema.kernel.buckets`): what it lacks, or a
whole *slice* (``slice_share`` of the bucket) if that is more, so a busy caller costs one
claimed write per slice, not one per request. Requests of one bucket that find the slice
empty at once wait for a single withdrawal. A slice is kept while its bucket is used, so an
occasional caller costs a withdrawal only when its slice runs out; tokens left unspent in a
slice idle for ``idle_s`` go back to the store (one write), and the bucket is forgotten here
(memory: the buckets used in the last ``idle_s``).

A request that does not fit is refused with the seconds until it would: from the level the
last withdrawal read, refilled since. Until then, and until a whole slice has refilled, this
process refuses without asking the store again for up to ``reread_s`` (by then other
processes may have handed slices back), so a flood of refused requests costs one point read
per ``reread_s`` and no write.

The bound. Tokens are spent only after being withdrawn, and every withdrawal is taken from
the single stored level, so across any number of processes the tokens spent over any span of
``T`` seconds never exceed ``maximum + per_second * T`` (plus one-off clock skew, see
:mod:`schema.kernel.buckets`): the bucket is never overdrawn, by any number of slices. The
price is the other way round: up to one slice per process can sit unspent in processes the
caller is not talking to, so a caller may be refused while up to ``N`` slices of its budget
are held elsewhere, until they are spent or handed back. With a slice of 1/20 of the bucket
and a few processes that is a few percent of the budget; with the gateway's default bucket
a slice refills in a second.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field

from schema.kernel.buckets import BucketStore, Clock, Rate, Withdrawal

_log = logging.getLogger(__name__)

IDLE_S = 60.0
"""A slice unused this long goes back to the shared bucket."""

REREAD_S = 5.0
"""How long a refusal is decided from the level last read, without asking the store."""


@dataclass(slots=True)
class _Slice:
    rate: Rate
    tokens: float = 0.0
    known: Withdrawal | None = None
    """The level the last withdrawal left in the store, and when."""
    read_at: float = 0.0
    used_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class BudgetSlices:
    """Spends costs against buckets in ``store``, withdrawing a slice at a time.

    ``slice_share`` is the fraction of a bucket withdrawn at once (0: exactly what a request
    lacks, for a store in this process's memory, where a withdrawal costs nothing).
    """

    def __init__(self, store: BucketStore, *, slice_share: float = 1 / 20,
                 idle_s: float = IDLE_S, reread_s: float = REREAD_S,
                 clock: Clock = time.time) -> None:
        self._store = store
        self._slice_share = slice_share
        self._idle_s = idle_s
        self._reread_s = reread_s
        self._clock = clock
        self._slices: dict[str, _Slice] = {}
        self._settled_at = clock()
        self._settling: asyncio.Task[None] | None = None

    async def spend(self, bucket: str, rate: Rate, cost: float) -> float | None:
        """Take ``cost`` from ``bucket``: None when taken, else the seconds until it fits
        (``inf`` if it never can: more than the bucket holds, or a bucket without refill)."""
        self._settle_when_due()
        held = self._slices.get(bucket)
        if held is None:
            held = self._slices[bucket] = _Slice(rate)
        held.rate = rate
        held.used_at = self._clock()
        if cost > rate.maximum:
            return float("inf")
        if held.tokens >= cost:
            held.tokens -= cost
            return None
        if (wait := self._wait_locally(held, cost)) is not None:
            return wait
        async with held.lock:
            if held.tokens < cost:
                if (wait := self._wait_locally(held, cost)) is not None:
                    return wait  # another request's withdrawal just read too little
                lacking = cost - held.tokens
                withdrawal = await self._store.withdraw(
                    bucket, rate, max(lacking, self._slice(rate)), lacking)
                held.tokens += withdrawal.granted
                held.known, held.read_at = withdrawal, self._clock()
            if held.tokens >= cost:
                held.tokens -= cost
                return None
            assert held.known is not None
            return rate.seconds_until(cost - held.tokens - held.known.left)

    def _wait_locally(self, held: _Slice, cost: float) -> float | None:
        """The wait to answer without asking the store, while the last withdrawal's reading
        says the store cannot have what ``cost`` lacks, or a slice, whichever is more."""
        known, now = held.known, self._clock()
        if known is None or now - held.read_at > self._reread_s:
            return None
        lacking = cost - held.tokens
        shared = held.rate.level(known.left, known.at, now)
        if shared >= max(lacking, min(self._slice(held.rate), held.rate.maximum)):
            return None
        return held.rate.seconds_until(lacking - shared)

    def _slice(self, rate: Rate) -> float:
        return math.ceil(rate.maximum * self._slice_share) if self._slice_share else 0.0

    async def take_up_to(self, bucket: str, rate: Rate, amount: float) -> None:
        """Take ``amount`` more, or all that is left if that is less (a penalty)."""
        held = self._slices.get(bucket)
        if held is None:
            held = self._slices[bucket] = _Slice(rate)
        held.used_at = self._clock()
        async with held.lock:
            if held.tokens < amount:
                withdrawal = await self._store.withdraw(bucket, rate, amount - held.tokens, 0)
                held.tokens += withdrawal.granted
                held.known, held.read_at = withdrawal, self._clock()
            held.tokens = max(0.0, held.tokens - amount)

    def refund(self, bucket: str, amount: float) -> None:
        """Give back ``amount`` spent here (into this process's slice: no write)."""
        held = self._slices.get(bucket)
        if held is not None:
            held.tokens = min(held.rate.maximum, held.tokens + amount)

    async def fill(self, bucket: str, rate: Rate) -> None:
        """Make ``bucket`` full again, as if nothing had been spent (one write)."""
        self._slices.pop(bucket, None)
        await self._store.withdraw(bucket, rate, 0, 0, returning=rate.maximum)

    def available(self, bucket: str, rate: Rate) -> float:
        """What this process believes ``bucket`` has: its slice plus the store's level as
        last read, refilled since (full if never read); other processes may have taken
        some meanwhile."""
        held = self._slices.get(bucket)
        if held is None or held.known is None:
            return rate.maximum
        shared = rate.level(held.known.left, held.known.at, self._clock())
        return min(rate.maximum, held.tokens + shared)

    def tracked(self) -> int:
        """How many buckets this process holds something of."""
        return len(self._slices)

    def _settle_when_due(self) -> None:
        now = self._clock()
        if now - self._settled_at < self._idle_s / 2 or self._settling is not None:
            return
        self._settled_at = now
        self._settling = asyncio.get_running_loop().create_task(self.settle())
        self._settling.add_done_callback(self._settled)

    def _settled(self, task: "asyncio.Task[None]") -> None:
        self._settling = None
        if not task.cancelled() and task.exception() is not None:
            _log.warning("handing back idle budget slices failed: %r", task.exception())

    async def settle(self) -> None:
        """Hand back the unspent tokens of slices idle for ``idle_s`` and forget them."""
        cutoff = self._clock() - self._idle_s
        for bucket, held in list(self._slices.items()):
            if held.used_at > cutoff or held.lock.locked():
                continue
            del self._slices[bucket]
            if held.tokens > 0:
                await self._store.withdraw(bucket, held.rate, 0, 0, returning=held.tokens)

