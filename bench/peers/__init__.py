"""``python -m bench.peers``: Loopgate against Apollo Gateway, Hive Gateway and Hive Router."""
