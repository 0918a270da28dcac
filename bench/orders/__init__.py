"""Order placement benchmark: ``python -m bench.orders``."""
