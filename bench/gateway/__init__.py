"""Gateway benchmark: Loopgate vs direct calls vs Apollo Gateway (``python -m bench.gateway``)."""
