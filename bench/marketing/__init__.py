"""Voucher redemption benchmark: ``python -m bench.marketing``."""
