"""Accounts that several writers change, each change a named operation with ledger entries.

A balance is an append-only ledger plus a claimed running total (DESIGN.md §8). Here an
*account* is one document holding the domain's state (balances, and whatever the rules need
beside them: a wallet's points lots, say), written under a revision claim
(:mod:`schema.kernel.claims`), so however many writers race, each change starts from the one
before it and a rule such as "never below zero" holds exactly. Domain code says what a change
is, as a pure function of the current state; this module does the rest:

- **Operations apply once.** :meth:`Ledger.apply` takes an operation id (from
  :mod:`schema.kernel.idempotency`, bound to the partner's idempotency key before anything
  moves). An operation already applied, seconds or months ago, is not applied again: its
  entries are returned as they were, so a retry after a crash completes or reports the same
  operation. Entry ids derive from the operation id, so a repeat cannot write twice.
- **Entries carry the running balance.** The decision computes each entry's
  ``balanceAfter`` from the state it starts from, and the account numbers its entries
  (``seq``) without gaps, in the order the changes were made.
- **Nothing is half-applied.** The entries of a change travel in the account document itself
  (``unposted``), in the same claimed write as the new balance, and are then inserted into the
  entries collection by their ids. A writer that dies in between leaves them in the account,
  where readers see them, and the account's next change (or :meth:`Ledger.post_pending`, a
  sweep) posts them; an entry is dropped from ``unposted`` only once it is in the collection.
- **Events** (DESIGN.md §7) are appended to the account's outbox in the same write
  (:func:`schema.kernel.events.append_event`) and moved by the outbox relay.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from schema.kernel.claims import update_claimed
from schema.kernel.events import append_event, mark_pending, pending_marker
from schema.kernel.ids import stable_id
from schema.kernel.indexes import IndexSpec
from schema.kernel.time import utcnow

Document = dict[str, Any]
RECENT_OPERATIONS = 256
"""Operation ids an account remembers itself; older ones are found by their first entry.
(Kept as a list of ``{op, entries}`` documents: FerretDB v1 stores no nested arrays.)"""
_DUPLICATE_KEY = 11000


@dataclass(frozen=True, slots=True)
class Event:
    """An event a change causes (DESIGN.md §7)."""

    topic: str
    partner_id: str
    resource_type: str
    resource_id: str
    data: dict[str, Any]
    also_for: tuple[str, ...] = ()
    """Partners whose apps took part and get a copy (DESIGN.md §7,
    :func:`schema.kernel.events.participants`): only for data they may see."""


@dataclass(frozen=True, slots=True)
class Change:
    """What an operation does to an account: its whole next ``state``, the ``entries`` it
    books (domain fields; the ledger adds ``_id``, ``account``, ``seq``, ``op``,
    ``createdAt``) and the ``events`` it causes."""

    state: Document
    entries: Sequence[Document]
    events: Sequence[Event] = field(default=())


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of :meth:`Ledger.apply`: the operation's entries and the account's state
    after it (the current state when ``repeated``: the operation had been applied before)."""

    entries: list[Document]
    state: Document
    repeated: bool


Decide = Callable[[Document], Change]
"""The current state (``{}`` for a new account) → the change. Raise to refuse: nothing is
written and the exception reaches the caller."""


def entry_id(operation_id: str, index: int) -> str:
    """The id of an operation's ``index``-th entry: the same on every retry."""
    return stable_id("led", f"{operation_id}:{index}")


@dataclass(frozen=True)
class Ledger:
    """A family of accounts (``<name>_accounts``) and their entries (``<name>_entries``)."""

    name: str

    @property
    def accounts(self) -> str:
        return f"{self.name}_accounts"

    @property
    def entries(self) -> str:
        return f"{self.name}_entries"

    @property
    def indexes(self) -> tuple[IndexSpec, ...]:
        """For MongoDB: an account's entries in order, and entries by time (settlements)."""
        return (IndexSpec.on(self.entries, "account", "seq", unique=True),
                IndexSpec.on(self.entries, "createdAt"))

    async def state(self, db: AsyncDatabase, account_id: str) -> Document:
        """The account's current domain state (``{}`` when it has none yet)."""
        found = await db[self.accounts].find_one({"_id": account_id}, {"state": 1})
        return dict(found["state"]) if found else {}

    async def apply(self, db: AsyncDatabase, account_id: str, operation_id: str,
                    decide: Decide, *, at: datetime | None = None) -> Applied:
        """Apply operation ``operation_id`` to the account once (see the module docstring).

        An operation id names one change of one account: a business operation that changes
        two accounts derives an id for each (``f"{operation_id}:{account_id}"``). ``at``
        books the entries at another time than now: for demo data with a history only."""
        current = await db[self.accounts].find_one({"_id": account_id})
        earlier = await self._applied(db, current, operation_id)
        if earlier is not None:
            return Applied(earlier, dict((current or {}).get("state", {})), repeated=True)
        posted = await self._post(db, (current or {}).get("unposted", []))
        outcome: dict[str, Any] = {}

        def change(latest: Document | None) -> Document | None:
            doc = latest or {}
            if any(done["op"] == operation_id for done in doc.get("ops", [])):
                outcome["repeated"] = True
                return None
            decided = decide(dict(doc.get("state", {})))
            if not decided.entries and not decided.events:
                outcome["unchanged"] = dict(doc.get("state", {}))
                return None
            now = at or utcnow()
            seq = doc.get("seq", 0)
            booked = [{**entry, "_id": entry_id(operation_id, i), "account": account_id,
                       "seq": seq + i + 1, "op": operation_id, "of": len(decided.entries),
                       "createdAt": now}
                      for i, entry in enumerate(decided.entries)]
            fields: Document = {k: v for k, v in doc.items() if k not in ("_id", "rev")}
            for event in decided.events:
                fields |= append_event({**doc, **fields}, event.topic, event.partner_id,
                                       event.resource_type, event.resource_id, event.data, now,
                                       event.also_for)
            outcome["entries"] = booked
            return {**fields, "state": decided.state, "seq": seq + len(booked),
                    "unposted": [e for e in doc.get("unposted", []) if e["_id"] not in posted]
                    + booked,
                    "ops": [*doc.get("ops", []),
                            {"op": operation_id, "entries": [e["_id"] for e in booked]}]
                    [-RECENT_OPERATIONS:]}

        marker = [pending_marker(self.accounts, account_id)]
        await mark_pending(db, marker)
        written = await update_claimed(db[self.accounts], db, account_id, change)
        if written is None:
            if "unchanged" in outcome:
                return Applied([], outcome["unchanged"], repeated=False)
            latest = await db[self.accounts].find_one({"_id": account_id})
            return Applied(await self._applied(db, latest, operation_id) or [],
                           dict((latest or {}).get("state", {})), repeated=True)
        await mark_pending(db, marker)
        await self._post(db, outcome["entries"])
        return Applied(outcome["entries"], dict(written["state"]), repeated=False)

    async def _applied(self, db: AsyncDatabase, account: Document | None,
                       operation_id: str) -> list[Document] | None:
        """The entries of ``operation_id`` if it was applied to ``account``, else None."""
        for done in (account or {}).get("ops", []):
            if done["op"] == operation_id:
                return await self._entries_by_id(db, account or {}, done["entries"])
        first = await db[self.entries].find_one({"_id": entry_id(operation_id, 0)})
        if first is None or first["account"] != (account or {}).get("_id"):
            return None
        ids = [entry_id(operation_id, i) for i in range(first["of"])]
        return await self._entries_by_id(db, account or {}, ids)

    async def _entries_by_id(self, db: AsyncDatabase, account: Document,
                             ids: Sequence[str]) -> list[Document]:
        held = {e["_id"]: e for e in account.get("unposted", [])}
        found: list[Document] = []
        for entry_id_ in ids:
            entry = held.get(entry_id_) or await db[self.entries].find_one({"_id": entry_id_})
            if entry is not None:
                found.append(entry)
        return found

    async def _post(self, db: AsyncDatabase, entries: Sequence[Document]) -> set[str]:
        """Insert ``entries`` into the entries collection (already there: fine); their ids."""
        if not entries:
            return set()
        try:
            await db[self.entries].insert_many(list(entries), ordered=False)
        except BulkWriteError as exc:
            other = [e for e in exc.details["writeErrors"] if e["code"] != _DUPLICATE_KEY]
            if other:
                raise
        return {e["_id"] for e in entries}

    async def history(self, db: AsyncDatabase, account_id: str, *,
                      match: Document | None = None, first: int,
                      before_seq: int | None = None) -> tuple[list[Document], bool]:
        """The account's entries, newest first, those with ``seq`` below ``before_seq`` and
        equal to ``match`` field by field; and whether more follow."""
        match = dict(match or {})
        query: Document = {"account": account_id, **match}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        rows = {e["_id"]: e async for e in
                db[self.entries].find(query).sort("seq", -1).limit(first + 1)}
        account = await db[self.accounts].find_one({"_id": account_id}, {"unposted": 1})
        for entry in (account or {}).get("unposted", []):
            if (all(entry.get(k) == v for k, v in match.items())
                    and (before_seq is None or entry["seq"] < before_seq)):
                rows[entry["_id"]] = entry
        ordered = sorted(rows.values(), key=lambda e: e["seq"], reverse=True)
        return ordered[:first], len(ordered) > first

    async def post_pending(self, db: AsyncDatabase) -> int:
        """Post the entries that writers which died after their write left in their accounts
        (a sweep: it scans the accounts that hold any); returns how many were posted."""
        count = 0
        async for account in db[self.accounts].find({"unposted.0": {"$exists": True}},
                                                    {"unposted": 1}):
            count += len(await self._post(db, account["unposted"]))
        return count
