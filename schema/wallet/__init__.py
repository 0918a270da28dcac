"""The member wallet: points lots and stored value in one document, moved only by these
functions (membership and payments both use them; see :mod:`schema.wallet.operations`)."""

from schema.wallet.model import CURRENCY, Lot, Wallet, WalletRefused
from schema.wallet.operations import (
    WALLET,
    credit,
    earn,
    expire_due,
    give_back,
    redeem,
    refund_to_wallet,
    reverse,
    take,
)
from schema.wallet.read import (
    points_history,
    settlement_movements,
    stored_value_history,
    wallet_of,
)

__all__ = ["CURRENCY", "WALLET", "Lot", "Wallet", "WalletRefused", "credit", "earn",
           "expire_due", "give_back", "points_history", "redeem", "refund_to_wallet",
           "reverse", "settlement_movements", "stored_value_history", "take", "wallet_of"]
