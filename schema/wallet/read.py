"""Reading wallets: balances, the two ledgers, and the points movements settlements sum."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.wallet.model import Wallet
from schema.wallet.operations import WALLET

Document = dict[str, Any]


async def wallet_of(db: AsyncDatabase, member_id: str) -> Wallet:
    """The member's balances and lots (an empty wallet for a member who has none yet)."""
    return Wallet.from_state(await WALLET.state(db, member_id))


async def points_history(db: AsyncDatabase, member_id: str, *, merchant_id: str | None,
                         first: int, before_seq: int | None) -> tuple[list[Document], bool]:
    """Points entries, newest first; only ``merchant_id``'s when given (a merchant's view)."""
    match: Document = {"ledger": "points"}
    if merchant_id is not None:
        match["merchantId"] = merchant_id
    return await WALLET.history(db, member_id, match=match, first=first,
                                before_seq=before_seq)


async def stored_value_history(db: AsyncDatabase, member_id: str, *, first: int,
                               before_seq: int | None) -> tuple[list[Document], bool]:
    """Stored-value entries, newest first."""
    return await WALLET.history(db, member_id, match={"ledger": "storedValue"}, first=first,
                                before_seq=before_seq)


async def settlement_movements(db: AsyncDatabase, start: datetime,
                               end: datetime) -> list[Document]:
    """Every movement of points between merchants in ``[start, end)``: a redemption spends
    its issuers' points at the redeemer (+), a reversal or refund gives them back (-).

    Reads the posted entries (a scan by time; indexed on MongoDB). Entries that a writer
    which died after its write left unposted join at the account's next change or the
    wallet sweep (:meth:`schema.kernel.ledger.Ledger.post_pending`)."""
    movements: list[Document] = []
    query = {"ledger": "points", "type": {"$in": ["REDEEM", "REVERSE"]},
             "createdAt": {"$gte": start, "$lt": end}}
    async for entry in db[WALLET.entries].find(query):
        if entry["type"] == "REDEEM":
            movements += [{"issuer": p["issuer"], "redeemer": entry["merchantId"],
                           "points": p["points"]} for p in entry.get("spent", [])]
        else:
            movements += [{"issuer": p["issuer"], "redeemer": entry["redeemer"],
                           "points": -p["points"]} for p in entry.get("restored", [])]
    return movements
