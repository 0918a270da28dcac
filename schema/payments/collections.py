"""Where payments live, and the indexes MongoDB uses for them.

``payments`` holds one document per payment, refunds included (so a refund's check against
what was paid and its write are one claimed write). ``payments_open`` is the work list of
payments and refunds not finished yet (:mod:`schema.payments.worklist`).
``payment_notifications`` remembers provider notifications already applied (replays).
"""

from schema.kernel.indexes import IndexSpec

PAYMENTS = "payments"
OPEN = "payments_open"
NOTIFICATIONS = "payment_notifications"
COMMISSION_RATES = "payment_commission_rates"
PROVIDER_SECRETS = "payment_provider_secrets"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec.on(PAYMENTS, "merchantId", "succeededAt"),
    IndexSpec.on(PAYMENTS, "merchantId", "refunds.succeededAt"),
    IndexSpec.on(OPEN, "dueAt"),
    IndexSpec.on(NOTIFICATIONS, "expiresAt"),
)
"""For MongoDB: settlements read a merchant's payments by when they succeeded or were
refunded; the work list and the notification sweep read by time. On FerretDB v1 these reads
scan their collections (only ``_id`` point reads are indexed there); the work list stays
small, since it holds only unfinished payments."""
