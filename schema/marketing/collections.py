"""Where marketing keeps its data, and the indexes MongoDB uses for it.

- ``campaigns``, ``deals``: one document each, written by their merchant;
- ``merchant_deals``: per merchant, the ids of its deals (``deals:<partnerId>``), so a
  merchant's deals and the deals near a point are point reads, not scans;
- ``deal_purchases``: one per purchase, ``_id`` = its payment's id, so the payment outcome
  handler finds what was bought (deal, quantity, channel) from the payment id alone;
- ``vouchers``: one per voucher; ``voucher_codes``: the lookup documents, ``_id`` =
  ``vcode:<keyed hash of the code>`` → voucher id (the code itself is stored only sealed);
- ``campaign_stats``: one claimed document per campaign (:mod:`schema.marketing.stats`);
- ``deal_expiry``: per UTC day, the deals whose validity ends that day (the expiry sweep).
"""

from schema.kernel.indexes import IndexSpec

CAMPAIGNS = "campaigns"
DEALS = "deals"
MERCHANT_DEALS = "merchant_deals"
PURCHASES = "deal_purchases"
VOUCHERS = "vouchers"
VOUCHER_CODES = "voucher_codes"
STATS = "campaign_stats"
DEAL_EXPIRY = "deal_expiry"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec.on(VOUCHERS, "memberId", "_id"),
    IndexSpec.on(VOUCHERS, "dealId", "status"),
    IndexSpec.on(VOUCHERS, "campaignId"),
    IndexSpec.on(DEALS, "status"),
)
"""For MongoDB: a member's vouchers, a deal's vouchers still to expire, a campaign's vouchers
(the stats recount). On FerretDB v1 these reads scan ``vouchers``; the hot paths (purchase,
redemption, refund, a voucher by id or code) are ``_id`` point reads."""
